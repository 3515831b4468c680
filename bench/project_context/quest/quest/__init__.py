"""The quest application (a codegen-lsp benchmark project)."""
