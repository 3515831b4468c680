"""codegen-lsp: a language server that writes Python function bodies and proves them first."""

__version__ = "0.1.0"
