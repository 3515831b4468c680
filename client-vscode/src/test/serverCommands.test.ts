import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionMatches, findCommand, statusMessage, taskMessage } from '../common/serverCommands';

test('a command is used only when the server registered it', () => {
    const advertised = ['codegenLsp.generate', 'codegenLsp.explain'];
    assert.equal(findCommand(advertised, 'generate'), 'codegenLsp.generate');
    assert.equal(findCommand(advertised, 'explain'), 'codegenLsp.explain');
    assert.equal(findCommand(advertised, 'check'), undefined);
    assert.equal(findCommand([], 'repair'), undefined);
});

test('actions map to tasks by their command, whatever their title says', () => {
    const action = (title: string, command?: string) => ({ title, command: command && { title, command } });
    assert.ok(actionMatches(action('Generate implementations…', 'codegenLsp.generate'), 'generate'));
    assert.ok(actionMatches(action('Anything at all', 'codegenLsp.explain'), 'explain'));
    assert.ok(actionMatches(action('Check examples', 'codegenLsp.checkExamples'), 'check'));
    assert.ok(actionMatches(action('Fix with failing example', 'codegenLsp.repair'), 'repair'));
    assert.ok(!actionMatches(action('Generate implementations…'), 'generate')); // no command
    assert.ok(!actionMatches(action('Explain code', 'codegenLsp.generate'), 'explain'));
    assert.ok(!actionMatches(undefined, 'check'));
});

test('a failing check is told from its counts; a passing one the server already said', () => {
    const failing = { function: 'f', examples: 2, passed: 1, message: 'f: 1 of 2 examples pass' };
    assert.equal(taskMessage('check', failing), 'f: 1 of 2 examples pass');
    assert.equal(taskMessage('check', { ...failing, passed: 2 }), undefined);
    assert.equal(taskMessage('explain', failing), undefined);
    assert.equal(taskMessage('repair', { applied: true, title: 'Fix' }), 'applied "Fix".');
    assert.equal(taskMessage('check', 'started'), undefined);
});

test('a check leaves its outcome in the status bar, passing or not', () => {
    const passing = { function: 'inc', examples: 3, passed: 3, message: 'inc: all 3 examples pass' };
    assert.equal(statusMessage('check', passing), 'inc: all 3 examples pass');
    assert.equal(statusMessage('check', { ...passing, passed: 1, message: 'inc: 1 of 3 examples pass' }), 'inc: 1 of 3 examples pass');
    assert.equal(statusMessage('explain', passing), undefined);
    assert.equal(statusMessage('check', { started: true }), undefined);
});
