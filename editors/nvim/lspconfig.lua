-- codegen-lsp through nvim-lspconfig (for setups that still call require('lspconfig')...setup).
-- nvim-lspconfig has no built-in entry for codegen-lsp; this registers one, then sets it up.
-- On Neovim 0.11+ prefer lsp/codegen_lsp.lua with vim.lsp.enable('codegen_lsp').
local configs = require('lspconfig.configs')
if not configs.codegen_lsp then
  configs.codegen_lsp = {
    default_config = {
      cmd = { 'codegen-lsp', '--stdio' },
      filetypes = { 'python' },
      root_dir = function(fname)
        return vim.fs.root(fname, { 'pyproject.toml', 'setup.py', 'setup.cfg', '.git' })
          or vim.fs.dirname(fname)
      end,
      settings = { codegenLsp = {} },
    },
  }
end
require('lspconfig').codegen_lsp.setup({
  settings = { codegenLsp = { sampling = { n = 8 } } },
})
