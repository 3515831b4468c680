"""The rota application (a codegen-lsp benchmark project)."""
