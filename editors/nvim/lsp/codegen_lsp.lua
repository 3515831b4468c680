-- codegen-lsp for Neovim 0.11+: writes Python function bodies and proves them on the
-- docstring's examples before it offers them as code actions.
--
-- Put this file on your runtimepath as lsp/codegen_lsp.lua (e.g. ~/.config/nvim/lsp/), then:
--   vim.lsp.enable('codegen_lsp')
-- Override anything with vim.lsp.config('codegen_lsp', { ... }), e.g. the interpreter:
--   vim.lsp.config('codegen_lsp', { cmd = { '/path/to/venv/bin/python', '-m', 'codegen_lsp', '--stdio' } })
-- Settings mirror the server's tree (docs/settings.md); camelCase, under `codegenLsp`.

---@type vim.lsp.Config
return {
  cmd = { 'codegen-lsp', '--stdio' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  -- Answered to the server's workspace/configuration request for the `codegenLsp` section.
  settings = {
    codegenLsp = {
      model = { name = 'qwen2.5-coder-0.5b', device = 'auto' },
      sampling = { n = 8, temperature = 0.8 },
      server = { warmup = true, maxActions = 3 },
    },
  },
}
