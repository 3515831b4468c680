"""Allow ``python -m codegen_lsp``."""

from codegen_lsp.cli import main

raise SystemExit(main())
