"""The stockroom application (a codegen-lsp benchmark project)."""
