import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver-protocol';
import { RequestCancelled, RequestSuperseded, explainFailure } from '../common/failures';

test('a request the user cancelled is "cancelled", whatever the server answered', () => {
    assert.ok(explainFailure(new Error('boom'), true) instanceof RequestCancelled);
    assert.ok(explainFailure(new ResponseError(LSPErrorCodes.RequestCancelled, 'x'), false) instanceof RequestCancelled);
});

test('content modified and server cancelled mean "ask again", not an error', () => {
    const changed = explainFailure(new ResponseError(LSPErrorCodes.ContentModified, 'x'), false);
    assert.ok(changed instanceof RequestSuperseded);
    assert.match(changed.message, /file changed/);
    assert.ok(explainFailure(new ResponseError(LSPErrorCodes.ServerCancelled, 'x'), false) instanceof RequestSuperseded);
});

test('other errors stay errors', () => {
    const error = new ResponseError(-32603, 'internal');
    assert.equal(explainFailure(error, false), error);
});
