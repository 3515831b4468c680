import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressBoard } from '../common/progressModel';

test('a task shows its title and the server message with counts', () => {
    const board = new ProgressBoard();
    board.update('t1', { kind: 'begin', title: 'codegen', cancellable: true, message: 'loading model' });
    assert.equal(board.current()?.text, 'codegen: loading model');
    board.update('t1', { kind: 'report', message: 'sampling 5/8', percentage: 40 });
    const view = board.current();
    assert.equal(view?.text, 'codegen: sampling 5/8');
    assert.equal(view?.cancellable, true);
    assert.match(view?.tooltip ?? '', /Click to cancel/);
});

test('a percentage alone is shown when the server sends no message', () => {
    const board = new ProgressBoard();
    board.update(7, { kind: 'begin', title: 'codegen: explaining', percentage: 12.4 });
    assert.equal(board.current()?.text, 'codegen: explaining: 12%');
    assert.equal(board.current()?.cancellable, false);
});

test('the newest task is shown; ending it reveals the older one', () => {
    const board = new ProgressBoard();
    board.update('old', { kind: 'begin', title: 'warm-up', message: 'sampling 1/8' });
    board.update('new', { kind: 'begin', title: 'generate', message: 'running examples' });
    assert.equal(board.current()?.token, 'new');
    assert.match(board.current()?.tooltip ?? '', /1 more task running/);
    board.update('new', { kind: 'end', message: '3 candidates' });
    assert.equal(board.current()?.token, 'old');
    assert.equal(board.lastEndMessage, '3 candidates');
    board.update('old', { kind: 'end' });
    assert.equal(board.current(), undefined);
    assert.equal(board.running, 0);
});

test('reports for unknown tokens are ignored; drop forgets a task', () => {
    const board = new ProgressBoard();
    board.update('ghost', { kind: 'report', message: 'sampling 1/8' });
    assert.equal(board.current(), undefined);
    board.update('a', { kind: 'begin', title: 'x' });
    board.drop('a');
    assert.equal(board.current(), undefined);
});

test('a report can make a task cancellable later', () => {
    const board = new ProgressBoard();
    board.update('a', { kind: 'begin', title: 'x' });
    board.update('a', { kind: 'report', cancellable: true });
    assert.equal(board.current()?.cancellable, true);
});
