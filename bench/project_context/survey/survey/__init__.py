"""The survey application (a codegen-lsp benchmark project)."""
