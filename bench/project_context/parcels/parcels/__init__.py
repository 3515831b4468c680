"""The parcels application (a codegen-lsp benchmark project)."""
