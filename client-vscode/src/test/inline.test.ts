import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lspTriggerKind } from '../common/inline';

test("VS Code's inline trigger kinds map to LSP 3.18's", () => {
    assert.equal(lspTriggerKind(0), 1); // Invoke -> Invoked
    assert.equal(lspTriggerKind(1), 2); // Automatic -> Automatic
});
