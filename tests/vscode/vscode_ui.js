// A person at the keyboard in real VS Code (code-server in headless Chromium).
//
//   node vscode_ui.js SPEC.json
//
// SPEC: {url, file, line, column, shots, result, timeoutMs, scenario, waitFor, pick, expect,
//        expectSelector}
//   scenario "quickfix": Ctrl+. on the line until a menu entry matches `waitFor`, screenshot the
//                        menu, move to the entry matching `pick` with the arrow keys, Enter.
//   scenario "command":  F1 "codegen: Generate implementations", wait for the QuickPick of
//                        candidates (with `waitForRanked`, then for its title to match it: the
//                        picker opens on the first wave's candidates and takes the full ranking
//                        later), screenshot it, Enter on the best, screenshot the diff preview,
//                        press its "Accept" button.
//   scenario "settings": set `newSettings` in the Settings editor; wait for the restart.
//   scenario "palette":  for each of `commands`: F1, its title, Enter (then wait for a selector).
//   scenario "cancel":   start that command, click the status bar item while it shows progress,
//                        wait for it to go idle.
//   scenario "inline":   F1 "Trigger Inline Suggestion" on the line until ghost text shows,
//                        screenshot it, Tab to accept.
// Then Ctrl+S. Writes RESULT: what the menus showed, every notification that appeared (severity
// and text), the status bar, screenshots, and an error if a step failed.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const result = { menus: [], quickPick: [], picked: null, toasts: [], shots: [], steps: [] };
const deadline = Date.now() + (spec.timeoutMs || 300000);

function step(name) {
    result.steps.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${name}`);
}
const started = Date.now();

async function chord(page, modifiers, key) {
    for (const m of modifiers) await page.keyboard.down(m);
    await page.keyboard.press(key);
    for (const m of [...modifiers].reverse()) await page.keyboard.up(m);
}

async function shot(page, name) {
    const file = path.join(spec.shots, name);
    await page.screenshot({ path: file });
    result.shots.push(file);
}

// Record every notification toast the workbench shows, even those that hide themselves later.
async function watchNotifications(page) {
    await page.evaluate(() => {
        window.__toasts = [];
        const seen = new Set();
        const scan = () => {
            for (const item of document.querySelectorAll('.notification-list-item')) {
                const icon = item.querySelector('.notification-list-item-icon');
                const cls = icon ? icon.className : '';
                const severity = /codicon-error/.test(cls) ? 'error' : /codicon-warning/.test(cls) ? 'warning' : 'info';
                const message = (item.querySelector('.notification-list-item-message') || item).textContent.trim();
                const key = severity + '|' + message;
                if (!seen.has(key)) {
                    seen.add(key);
                    window.__toasts.push({ severity, message });
                }
            }
        };
        new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
        scan();
    });
}

async function statusBarText(page) {
    return page.$$eval('.statusbar-item', (items) =>
        items.map((i) => i.textContent.trim()).filter((t) => /codegen/.test(t)).join(' | '));
}

async function waitUntil(what, predicate, timeoutMs, everyMs = 250) {
    const end = Math.min(Date.now() + timeoutMs, deadline);
    while (Date.now() < end) {
        const value = await predicate();
        if (value) return value;
        await sleep(everyMs);
    }
    throw new Error(`timed out waiting for ${what}`);
}

async function openFile(page) {
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await sleep(1500); // the workbench binds its keys after first paint
    await chord(page, ['Control'], 'KeyP');
    await page.waitForSelector('.quick-input-widget', { visible: true, timeout: 15000 });
    await page.keyboard.type(spec.file);
    await waitUntil('quick open to list the file', () =>
        page.$$eval('.quick-input-list .monaco-list-row', (rows, name) =>
            rows.some((r) => r.textContent.includes(name)), path.basename(spec.file)), 15000);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-editor .view-lines', { visible: true, timeout: 30000 });
    step('file open');
}

async function goTo(page, line, column) {
    await page.click('.monaco-editor .view-lines');
    await chord(page, ['Control'], 'KeyG');
    await page.waitForSelector('.quick-input-widget', { visible: true, timeout: 10000 });
    await page.keyboard.type(`${line}:${column}`);
    await page.keyboard.press('Enter');
    await sleep(300);
}

async function menuItems(page) {
    return page.$$eval('.action-widget .monaco-list-row', (rows) =>
        rows.map((r) => ({
            text: r.textContent.trim(),
            header: r.classList.contains('group-header'),
            disabled: r.classList.contains('option-disabled') || r.getAttribute('aria-disabled') === 'true',
            focused: r.classList.contains('focused'),
        })));
}

async function quickFix(page) {
    const waitFor = new RegExp(spec.waitFor);
    const pick = new RegExp(spec.pick);
    let items = [];
    await waitUntil(`a Quick Fix entry matching ${spec.waitFor}`, async () => {
        await chord(page, ['Control'], 'Period');
        try {
            await page.waitForSelector('.action-widget .monaco-list-row', { visible: true, timeout: 5000 });
        } catch {
            return false; // no actions yet (the server is still starting)
        }
        await sleep(400);
        items = await menuItems(page);
        result.menus.push(items.map((i) => i.text));
        if (items.some((i) => waitFor.test(i.text))) return true;
        await page.keyboard.press('Escape');
        await sleep(2000);
        return false;
    }, spec.timeoutMs || 300000, 0);
    step('menu shows ' + JSON.stringify(items.map((i) => i.text)));
    await shot(page, 'quickfix-menu.png');
    // Walk the focus with the arrow keys to the wanted entry, then Enter: what a person does.
    for (let presses = 0; presses <= items.length; presses++) {
        const focused = (await menuItems(page)).find((i) => i.focused);
        if (focused && pick.test(focused.text)) {
            result.picked = focused.text;
            break;
        }
        await page.keyboard.press('ArrowDown');
        await sleep(150);
    }
    if (!result.picked) throw new Error(`no menu entry matches ${spec.pick}`);
    await page.keyboard.press('Enter');
    step('picked ' + result.picked);
}

// Run a command by its title from the Command Palette (F1), as a person does.
async function runFromPalette(page, title) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget', { visible: true, timeout: 10000 });
    await page.keyboard.type(title);
    await sleep(500);
    await page.keyboard.press('Enter');
}

// Start "codegen: Generate implementations" and wait until the status bar shows its counts.
async function generateUntilProgress(page) {
    await runFromPalette(page, 'codegen: Generate implementations');
    result.progress = await waitUntil('progress in the status bar', async () => {
        const status = await statusBarText(page);
        return /\d+\/\d+/.test(status) ? status : null;
    }, spec.timeoutMs || 300000, 250);
}

async function quickPickState(page) {
    return page.evaluate(() => {
        const widget = document.querySelector('.quick-input-widget');
        const title = widget ? widget.querySelector('.quick-input-title') : null;
        const rows = widget ? [...widget.querySelectorAll('.quick-input-list .monaco-list-row')] : [];
        return { title: title ? title.textContent.trim() : '', rows: rows.map((r) => r.textContent.trim()) };
    });
}

async function generateCommand(page) {
    await runFromPalette(page, 'codegen: Generate implementations');
    step('command run');
    const waitFor = new RegExp(spec.waitFor);
    await waitUntil('the QuickPick of candidates', async () => {
        // While the server works, the status bar shows its stage; keep the first sighting.
        const status = await statusBarText(page);
        if (!result.progress && /\d+\/\d+/.test(status)) {
            result.progress = status;
            await shot(page, 'generate-progress.png');
        }
        const { title, rows } = await quickPickState(page);
        result.quickPick = rows;
        result.quickPickTitle = title;
        return rows.some((r) => waitFor.test(r));
    }, spec.timeoutMs || 300000, 500);
    step('quick pick shows ' + JSON.stringify(result.quickPick));
    result.firstQuickPick = { title: result.quickPickTitle, rows: result.quickPick };
    if (spec.waitForRanked) {
        // The picker opened on the first wave's candidates; wait for it to take the full ranking.
        await shot(page, 'generate-quickpick-early.png');
        const ranked = new RegExp(spec.waitForRanked);
        await waitUntil('the full ranking in the QuickPick', async () => {
            const { title, rows } = await quickPickState(page);
            result.quickPick = rows;
            result.quickPickTitle = title;
            return ranked.test(title) && rows.some((r) => waitFor.test(r));
        }, spec.timeoutMs || 300000, 500);
        step('quick pick ranked ' + JSON.stringify(result.quickPick));
    }
    await sleep(500);
    await shot(page, 'generate-quickpick.png');
    result.picked = result.quickPick[0];
    await page.keyboard.press('Enter');
    await acceptPreview(page, 'generate-diff.png', 20000);
}

// The extension's diff preview of an edit and its Accept button: screenshot it, accept.
async function acceptPreview(page, name, timeoutMs) {
    await page.waitForSelector('.monaco-diff-editor', { visible: true, timeout: timeoutMs });
    const accept = await waitUntil('the Accept button', async () => {
        for (const button of await page.$$('.notification-list-item .monaco-button')) {
            const label = await button.evaluate((b) => b.textContent.trim());
            if (label === 'Accept') return button;
        }
        return null;
    }, 20000);
    await sleep(500);
    await shot(page, name);
    step('diff preview shown');
    await accept.click();
}

// Change a setting in the Settings editor, as a person does: open it, filter by the setting's id,
// type the new value, Tab; then wait for the extension to restart the server.
async function changeSettings(page) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget', { visible: true, timeout: 10000 });
    await page.keyboard.type('Preferences: Open User Settings');
    await sleep(800);
    const rows = await page.$$eval('.quick-input-list .monaco-list-row', (rs) => rs.map((r) => r.textContent.trim()));
    const index = rows.findIndex((r) => /^Preferences: Open User Settings$/.test(r));
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.settings-editor .suggest-input-container', { visible: true, timeout: 20000 });
    let shown = null; // the label of the setting on screen: the list re-renders after a filter
    for (const [id, value] of Object.entries(spec.newSettings)) {
        await page.click('.settings-editor .suggest-input-container');
        await chord(page, ['Control'], 'KeyA');
        await page.keyboard.type(`@id:${id}`);
        const input = await waitUntil(`the ${id} input`, async () => {
            const labels = await page.$$eval('.settings-editor .setting-item-contents .setting-item-label',
                (ls) => ls.map((l) => l.textContent.trim()));
            const found = await page.$$('.settings-editor .setting-item-contents input:not([type=checkbox])');
            if (found.length !== 1 || labels.length !== 1 || labels[0] === shown) return null;
            shown = labels[0];
            return found[0];
        }, 15000, 250);
        await input.click();
        await chord(page, ['Control'], 'KeyA');
        await page.keyboard.type(String(value));
        await waitUntil(`${id} to read ${value}`, () => input.evaluate((i, v) => i.value === v, String(value)), 5000);
        await page.keyboard.press('Tab');
        step(`set ${id} = ${value}`);
        await sleep(1000);
    }
    await shot(page, 'settings.png');
    await waitUntil('the server to restart', async () => /restarting the server/.test(await extensionLog()), 30000, 250);
    // Settled: the last server started has logged the settings it got, and no restart follows.
    const settled = async () => {
        const log = await extensionLog();
        return log.lastIndexOf('settings: Settings(') > log.lastIndexOf('starting the server') ? log.length : 0;
    };
    let seen = 0;
    await waitUntil('the restarted server to settle', async () => {
        const now = await settled();
        const stable = now > 0 && now === seen;
        seen = now;
        return stable;
    }, 90000, 2000);
    await waitUntil('the status bar to show it running', async () => (await statusBarText(page)) === 'codegen', 60000, 250);
    step('running again');
}

async function extensionLog() {
    const { execSync } = require('child_process');
    try {
        return execSync(`cat ${spec.logGlob}`, { shell: '/bin/bash', encoding: 'utf8' });
    } catch {
        return '';
    }
}

// Run one of the extension's commands from the Command Palette (F1), by its title.
// `commands`: [{command, thenSelector, accept}], each run in turn, waiting for its selector if
// given; `accept` accepts the diff preview the command shows (explain's new docstring).
async function paletteCommand(page) {
    for (const { command, thenSelector, accept } of spec.commands) {
        await runFromPalette(page, command);
        step('ran ' + command);
        if (thenSelector) {
            await page.waitForSelector(thenSelector, { timeout: Math.max(deadline - Date.now(), 1000) });
            step(thenSelector + ' shown');
        }
        if (accept) {
            await acceptPreview(page, 'command-diff.png', Math.max(deadline - Date.now(), 1000));
        }
    }
}

// Start a generation, click the status bar item while it shows progress, and see it stop.
async function cancelGeneration(page) {
    await generateUntilProgress(page);
    await shot(page, 'cancel-progress.png');
    const items = await page.$$('.statusbar-item');
    for (const item of items) {
        const text = await item.evaluate((i) => i.textContent.trim());
        if (/^codegen:/.test(text)) {
            await item.click();
            step('clicked ' + text);
            break;
        }
    }
    result.afterCancel = await waitUntil('the status bar to go idle', async () => {
        const status = await statusBarText(page);
        return status === 'codegen' ? status : null;
    }, 60000, 250);
    step('idle again');
    await sleep(2000); // a QuickPick or an edit arriving late would show now
    result.quickPickAfterCancel = await page.$$eval('.quick-input-widget .quick-input-list .monaco-list-row',
        (rows) => rows.filter((r) => r.offsetParent !== null).map((r) => r.textContent.trim()));
}

// Start a generation and, while it runs, reload the window (what closing VS Code does to the
// extension host: it deactivates, and the extension stops its server mid-generation).
async function reloadMidGeneration(page) {
    await generateUntilProgress(page);
    await runFromPalette(page, 'Developer: Reload Window');
    step('reloading during ' + result.progress);
    await sleep(3000);
    await waitUntil('the extension after the reload', () => statusBarText(page), 90000, 500);
    step('extension active again: ' + (await statusBarText(page)));
    await sleep(5000); // the old server's last log lines
}

// Ask for an inline suggestion (editor.action.inlineSuggest.trigger) until the server's
// ghost text shows, as warm-up finishes in the background; then accept it with Tab.
async function inlineSuggestion(page) {
    const ghost = '.monaco-editor [class*="ghost-text"]';
    await waitUntil('inline ghost text', async () => {
        await runFromPalette(page, 'Trigger Inline Suggestion');
        await sleep(1500);
        if (!result.shots.length) await shot(page, 'inline-first-try.png');
        const texts = await page.$$eval(ghost, (els) => els.map((e) => e.textContent));
        if (texts.some((t) => t.trim())) {
            result.ghostText = texts.join('\n');
            return true;
        }
        await page.keyboard.press('Escape');
        await sleep(2000);
        return false;
    }, spec.timeoutMs || 300000, 0);
    step('ghost text shows ' + JSON.stringify(result.ghostText));
    await shot(page, 'inline-ghost.png');
    await page.keyboard.press('Tab');
    step('accepted with Tab');
}

async function save(page) {
    if (spec.expectSelector) {
        await page.waitForSelector(spec.expectSelector, { timeout: Math.max(deadline - Date.now(), 1000) });
        step(`${spec.expectSelector} shown`);
    }
    const expect = spec.expect ? new RegExp(spec.expect) : null;
    if (expect) {
        await waitUntil(`the editor to show ${spec.expect}`, () =>
            page.$$eval('.monaco-editor .view-lines', (views) => views.map((v) => v.textContent).join('\n'))
                .then((text) => expect.test(text.replace(/\u00a0/g, ' '))), spec.timeoutMs || 300000, 500);
        step('edit applied');
    }
    // Accepting a diff preview re-renders the editor: the node found a moment before the click
    // may be gone by the time it lands ("Node is detached from document"), so try again.
    for (let attempt = 1; ; attempt++) {
        try {
            await page.click('.monaco-editor .view-lines');
            break;
        } catch (error) {
            if (attempt >= 5 || !/detached/i.test(String(error))) throw error;
            await sleep(300);
        }
    }
    await chord(page, ['Control'], 'KeyS');
    await waitUntil('the file to be saved', () =>
        page.$$eval('.tab.active', (tabs) => tabs.length > 0 && tabs.every((t) => !t.classList.contains('dirty'))), 15000);
    step('saved');
}

(async () => {
    const browser = await puppeteer.launch({
        executablePath: spec.chromium || '/usr/bin/chromium',
        headless: true,
        userDataDir: spec.chromeProfile,
        args: [
            '--no-sandbox', '--disable-gpu', '--no-first-run', '--window-size=1280,800',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--disable-quic', '--disable-dev-shm-usage',
        ],
        defaultViewport: { width: 1280, height: 800 },
    });
    let page;
    try {
        page = await browser.newPage();
        await page.goto(spec.url, { waitUntil: 'domcontentloaded', timeout: 60000 });
        await watchNotifications(page);
        await openFile(page);
        await waitUntil('the codegen status bar item', () => statusBarText(page), 90000, 500);
        step('extension active: ' + (await statusBarText(page)));
        await goTo(page, spec.line, spec.column);
        if (spec.scenario === 'settings') {
            await changeSettings(page);
        } else if (spec.scenario === 'palette') {
            await paletteCommand(page);
        } else if (spec.scenario === 'reload') {
            await reloadMidGeneration(page);
        } else if (spec.scenario === 'cancel') {
            await cancelGeneration(page);
        } else if (spec.scenario === 'inline') {
            await inlineSuggestion(page);
        } else if (spec.scenario === 'command') {
            await generateCommand(page);
        } else {
            await quickFix(page);
        }
        if (spec.scenario !== 'reload') {
            await save(page);
        }
        await sleep(1000);
        await shot(page, 'after.png');
    } catch (error) {
        result.error = String(error && error.stack || error);
        if (page) await shot(page, 'failure.png').catch(() => {});
    } finally {
        if (page) {
            result.toasts = await page.evaluate(() => window.__toasts || []).catch(() => []);
            result.statusBar = await statusBarText(page).catch(() => '');
        }
        result.seconds = (Date.now() - started) / 1000;
        fs.writeFileSync(spec.result, JSON.stringify(result, null, 2));
        await browser.close();
    }
})();
