"""The ledger application (a codegen-lsp benchmark project)."""
