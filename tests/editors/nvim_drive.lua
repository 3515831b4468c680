-- Headless Neovim drives codegen-lsp like a user: open the file, put the cursor in the
-- function, pick a code action by title, wait for the server's edit, save, quit.
-- Env: LSP_CMD (space separated), LSP_SETTINGS (JSON for initializationOptions), TARGET,
-- LINE, COL (0-based), TITLE (prefix of the action title), WAIT_S, ROOT (optional project).
-- QUIT_WHEN_LOG, QUIT_WHEN_TEXT: quit as a user would (:qa!) once that file holds that text,
-- mid-generation, without waiting for an edit or stopping the server first.
local env = vim.env
local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  vim.cmd("cquit 1")
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(env.TARGET))
  local bufnr = vim.api.nvim_get_current_buf()
  local before = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  local client_id = vim.lsp.start({
    name = "codegen-lsp",
    cmd = vim.split(env.LSP_CMD, " ", { trimempty = true }),
    -- ROOT, when given, is the project folder (Neovim sends it as the workspace folder).
    root_dir = (env.ROOT and env.ROOT ~= "") and env.ROOT or vim.fn.fnamemodify(env.TARGET, ":h"),
    init_options = vim.json.decode(env.LSP_SETTINGS),
  })
  local client = vim.lsp.get_client_by_id(client_id)
  if not vim.wait(30000, function() return client.initialized end, 50) then
    return fail("server did not initialize")
  end
  vim.api.nvim_win_set_cursor(0, { tonumber(env.LINE) + 1, tonumber(env.COL) })
  -- What a user does: open the menu and pick the entry by its title.
  local seen = {}
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local title = (item.action or item).title
      table.insert(seen, title)
      if title:sub(1, #env.TITLE) == env.TITLE then return on_choice(item, i) end
    end
    io.stderr:write("menu had: " .. vim.inspect(seen) .. "\n")
    on_choice(nil, nil)
  end
  vim.lsp.buf.code_action()
  if env.QUIT_WHEN_LOG and env.QUIT_WHEN_LOG ~= "" then
    local function working()
      local file = io.open(env.QUIT_WHEN_LOG, "r")
      if not file then return false end
      local text = file:read("*a")
      file:close()
      return text:find(env.QUIT_WHEN_TEXT, 1, true) ~= nil
    end
    if not vim.wait(tonumber(env.WAIT_S) * 1000, working, 50) then
      return fail("the server never logged " .. env.QUIT_WHEN_TEXT)
    end
    vim.cmd("qall!")
    return
  end
  local function changed()
    return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") ~= before
  end
  if not vim.wait(tonumber(env.WAIT_S) * 1000, changed, 100) then
    return fail("no edit applied; menu had " .. vim.inspect(seen))
  end
  vim.cmd("silent write")
  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)
if not ok then fail(tostring(err)) end
vim.cmd("qall!")
