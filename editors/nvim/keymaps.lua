-- Suggested keymaps and progress display for codegen-lsp in Neovim 0.11+.
-- Load it from your init.lua with `dofile('/path/to/editors/nvim/keymaps.lua')`, or copy the
-- parts you like. Neovim's own `gra` (code actions) already lists everything the server offers.
--
--   <leader>ci  implement: the candidates with their evidence ("Implement: 3/3 examples pass —
--               return a + b"), or "Generate implementations…" when none are ready yet
--   <leader>ce  explain code: write a docstring whose examples were checked against the function
--   <leader>cc  check the docstring's examples against the current body
--   <leader>cf  fix the body from its failing example

local function starts_with(prefixes)
  return function(action)
    for _, prefix in ipairs(prefixes) do
      if vim.startswith(action.title, prefix) then
        return true
      end
    end
    return false
  end
end

local function code_action(prefixes, apply)
  return function()
    vim.lsp.buf.code_action({ filter = starts_with(prefixes), apply = apply })
  end
end

vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('codegen_lsp_keymaps', { clear = true }),
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= 'codegen_lsp' then
      return
    end
    local function map(lhs, rhs, desc)
      vim.keymap.set('n', lhs, rhs, { buffer = args.buf, desc = 'codegen: ' .. desc })
    end
    map('<leader>ci', code_action({ 'Implement', 'Generate implementations' }, false), 'implement')
    map('<leader>ce', code_action({ 'Explain code' }, true), 'explain code')
    map('<leader>cc', code_action({ 'Check examples' }, true), 'check examples')
    map('<leader>cf', code_action({ 'Fix with failing example' }, true), 'fix from failing example')
  end,
})

-- Sampling takes seconds: show the server's progress ("sampling 5/8") in the message area.
vim.api.nvim_create_autocmd('LspProgress', {
  group = vim.api.nvim_create_augroup('codegen_lsp_progress', { clear = true }),
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    local value = args.data.params.value
    if not client or client.name ~= 'codegen_lsp' or type(value) ~= 'table' then
      return
    end
    local text = table.concat(vim.tbl_filter(function(part)
      return part ~= nil and part ~= ''
    end, { value.title, value.message }), ': ')
    if value.kind == 'end' then
      text = 'codegen: ' .. (value.message or 'done')
    end
    vim.api.nvim_echo({ { text } }, false, {})
  end,
})
