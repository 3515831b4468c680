// What a failed request means to the user: cancelled by them, superseded (ask again), or a real
// error. Pure logic (the protocol package has no `vscode` import), unit-tested.
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver-protocol';

export class RequestCancelled extends Error {
    constructor() {
        super('cancelled');
    }
}

/** The server gave up on a request for a reason that is no fault: the user says "ask again". */
export class RequestSuperseded extends Error {}

/** Turn the server's "cancelled" and "content modified" answers into what they mean to a user. */
export function explainFailure(error: unknown, userCancelled: boolean): unknown {
    if (userCancelled) {
        return new RequestCancelled();
    }
    if (error instanceof ResponseError) {
        if (error.code === LSPErrorCodes.RequestCancelled) {
            return new RequestCancelled();
        }
        if (error.code === LSPErrorCodes.ContentModified) {
            return new RequestSuperseded('the file changed while the server worked; ask again.');
        }
        if (error.code === LSPErrorCodes.ServerCancelled) {
            return new RequestSuperseded('a newer request took its place; ask again.');
        }
    }
    return error;
}
