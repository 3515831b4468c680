import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionMatches, findCommand, isTaskTitle, taskMessage } from '../common/serverCommands';

test('a command is used only when the server registered it', () => {
    const advertised = ['codegenLsp.generate', 'codegenLsp.explain'];
    assert.equal(findCommand(advertised, 'generate'), 'codegenLsp.generate');
    assert.equal(findCommand(advertised, 'explain'), 'codegenLsp.explain');
    assert.equal(findCommand(advertised, 'check'), undefined);
    assert.equal(findCommand([], 'repair'), undefined);
});

test('code action titles map to tasks; candidate titles are no task', () => {
    assert.ok(actionMatches('Generate implementations…', 'generate'));
    assert.ok(actionMatches('Generate implementations again…', 'generate'));
    assert.ok(actionMatches('Explain code', 'explain'));
    assert.ok(actionMatches('Check examples', 'check'));
    assert.ok(actionMatches('Fix with failing example', 'repair'));
    assert.ok(!actionMatches('Implement: 3/3 examples pass · 0.91', 'generate'));
    assert.ok(!isTaskTitle('Implement: 3/3 examples pass · 0.91'));
    assert.ok(isTaskTitle('Check examples'));
});

test('a failing check is told from its counts; a passing one the server already said', () => {
    const failing = { function: 'f', examples: 2, passed: 1, message: 'f: 1 of 2 examples pass' };
    assert.equal(taskMessage('check', failing), 'f: 1 of 2 examples pass');
    assert.equal(taskMessage('check', { ...failing, passed: 2 }), undefined);
    assert.equal(taskMessage('explain', failing), undefined);
    assert.equal(taskMessage('repair', { applied: true, title: 'Fix' }), 'applied "Fix".');
    assert.equal(taskMessage('check', 'started'), undefined);
});
