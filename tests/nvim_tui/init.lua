-- The user config of the Neovim TUI tests: the shipped editors/nvim files, as a user installs
-- them (lsp/codegen_lsp.lua on the runtimepath, vim.lsp.enable, the suggested keymaps).
local editors = vim.env.CODEGEN_EDITORS
vim.opt.rtp:prepend(editors .. '/nvim')
vim.g.mapleader = ' '
vim.o.swapfile = false
vim.o.shortmess = vim.o.shortmess .. 'I'
-- Show the failing example next to its line, and whether the server is attached.
vim.diagnostic.config({ virtual_text = true })
vim.o.laststatus = 2
function _G.codegen_attached()
  return #vim.lsp.get_clients({ bufnr = 0, name = 'codegen_lsp' }) > 0 and '[codegen_lsp]' or ''
end
vim.o.statusline = '%f %m%=%{v:lua.codegen_attached()} %l:%c'

vim.lsp.config('codegen_lsp', {
  cmd = { vim.env.CODEGEN_PYTHON, '-m', 'codegen_lsp', '-v', '--log-file', vim.env.CODEGEN_LOG, '--stdio' },
  settings = { codegenLsp = vim.json.decode(vim.env.CODEGEN_SETTINGS) },
})
vim.lsp.enable('codegen_lsp')
dofile(editors .. '/nvim/keymaps.lua')
vim.api.nvim_create_autocmd('LspAttach', { command = 'redrawstatus!' })
