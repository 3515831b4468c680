// Candidates as the user chooses among them: what each QuickPick entry says (evidence, examples
// passed, score) and what the file becomes if it is accepted. Pure logic, unit-tested.

export interface Position {
    line: number;
    character: number;
}

export interface Range {
    start: Position;
    end: Position;
}

export interface TextEdit {
    range: Range;
    newText: string;
}

/** One candidate body with the evidence the server gives for it. */
export interface Candidate {
    rank: number;
    /** The code action title, which carries the evidence ("3/3 examples pass"). */
    title: string;
    body: string;
    score?: number;
    verified?: boolean;
    examplesPassed?: number;
    examplesTotal?: number;
    meanLogprob?: number;
    /** How many candidates behaved the same on the examples. */
    agreement?: number;
    /** Edits to the document the request was made on; none when the candidate is disabled. */
    edits: TextEdit[];
    /** Why the server offers it disabled (its first failing example). */
    disabledReason?: string;
}

export class MalformedResultError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTextEdit(value: unknown): value is TextEdit {
    return (
        isObject(value) &&
        typeof value.newText === 'string' &&
        isObject(value.range) &&
        isObject(value.range.start) &&
        isObject(value.range.end)
    );
}

/**
 * The text edits of an LSP WorkspaceEdit that apply to `uri` (both `changes` and
 * `documentChanges` forms), or a bare list of TextEdits.
 */
export function editsFor(edit: unknown, uri: string): TextEdit[] {
    if (Array.isArray(edit)) {
        return edit.filter(isTextEdit);
    }
    if (!isObject(edit)) {
        return [];
    }
    const out: TextEdit[] = [];
    if (isObject(edit.changes)) {
        for (const [target, edits] of Object.entries(edit.changes)) {
            if (sameUri(target, uri) && Array.isArray(edits)) {
                out.push(...edits.filter(isTextEdit));
            }
        }
    }
    if (Array.isArray(edit.documentChanges)) {
        for (const change of edit.documentChanges) {
            if (
                isObject(change) &&
                isObject(change.textDocument) &&
                typeof change.textDocument.uri === 'string' &&
                sameUri(change.textDocument.uri, uri) &&
                Array.isArray(change.edits)
            ) {
                out.push(...change.edits.filter(isTextEdit));
            }
        }
    }
    return out;
}

function sameUri(a: string, b: string): boolean {
    const norm = (u: string) => {
        try {
            return decodeURIComponent(u);
        } catch {
            return u;
        }
    };
    return norm(a) === norm(b);
}

/**
 * Candidates from the server's code actions (what every client sees): the title carries the
 * evidence ("Implement: 3/3 examples pass · 0.91"), the edit the body. Actions that stand for a
 * task ("Generate implementations…") are left out; disabled ones are kept with their reason.
 */
export function candidatesFromActions(
    actions: readonly unknown[],
    uri: string,
    isTaskTitle: (title: string) => boolean,
): Candidate[] {
    const out: Candidate[] = [];
    for (const action of actions) {
        if (!isObject(action) || typeof action.title !== 'string' || isTaskTitle(action.title)) {
            continue;
        }
        const edits = editsFor(action.edit, uri);
        const disabled = isObject(action.disabled) && typeof action.disabled.reason === 'string'
            ? action.disabled.reason
            : undefined;
        if (edits.length === 0 && disabled === undefined) {
            continue; // neither something to preview nor an honest failure to show
        }
        const counts = /(\d+)\s*\/\s*(\d+)\s+examples?/.exec(action.title);
        // The score ends the evidence; a code preview may follow after " — ".
        const score = /·\s*(-?\d+(?:\.\d+)?)\s*(?:—.*)?$/.exec(action.title);
        out.push({
            rank: out.length + 1,
            title: action.title,
            body: edits.map((e) => e.newText).join('\n'),
            score: score ? Number(score[1]) : undefined,
            examplesPassed: counts ? Number(counts[1]) : undefined,
            examplesTotal: counts ? Number(counts[2]) : undefined,
            edits,
            disabledReason: disabled,
        });
    }
    return out;
}

export interface PickItem {
    label: string;
    description: string;
    detail: string;
}

/**
 * The QuickPick entry for a candidate: its title (which carries the evidence) with an icon, the
 * facts the title leaves out, and the code.
 */
export function pickItem(candidate: Candidate): PickItem {
    const { examplesPassed: passed, examplesTotal: total } = candidate;
    let icon = '$(question)'; // nothing to check it against
    if (candidate.disabledReason !== undefined || (total !== undefined && total > 0 && passed !== total)) {
        icon = '$(error)';
    } else if (total !== undefined && total > 0) {
        icon = '$(pass-filled)';
    }
    const facts: string[] = [];
    if (total !== undefined && passed !== undefined && !/examples?/.test(candidate.title)) {
        facts.push(total === 0 ? 'no examples' : `${passed}/${total} examples pass`);
    }
    if (candidate.score !== undefined && !candidate.title.includes(candidate.score.toFixed(2))) {
        facts.push(`score ${candidate.score.toFixed(2)}`);
    }
    if (candidate.agreement !== undefined && candidate.agreement > 1) {
        facts.push(`${candidate.agreement} samples agree`);
    }
    if (candidate.verified) {
        facts.push('verified');
    }
    if (candidate.disabledReason !== undefined) {
        facts.push(`fails: ${candidate.disabledReason}`);
    }
    const code = candidate.body
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .join(' ⏎ ');
    return {
        label: `${icon} ${candidate.title}`,
        description: facts.join(' · '),
        detail: code.length > 160 ? code.slice(0, 157) + '...' : code,
    };
}

function offsetOf(lineStarts: number[], text: string, position: Position): number {
    if (position.line >= lineStarts.length) {
        return text.length;
    }
    const start = lineStarts[position.line];
    const nextStart = position.line + 1 < lineStarts.length ? lineStarts[position.line + 1] : text.length + 1;
    const lineEnd = nextStart - 1; // the newline, or the end of the text
    return Math.min(start + position.character, lineEnd);
}

/** The document's text after applying LSP edits (non-overlapping, in one pass). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
        if (text[i] === '\n') {
            lineStarts.push(i + 1);
        }
    }
    const spans = edits
        .map((edit) => ({
            start: offsetOf(lineStarts, text, edit.range.start),
            end: offsetOf(lineStarts, text, edit.range.end),
            newText: edit.newText,
        }))
        .sort((a, b) => b.start - a.start || b.end - a.end);
    let out = text;
    let floor = Infinity;
    for (const span of spans) {
        if (span.end > floor) {
            throw new MalformedResultError('the candidate\'s edits overlap');
        }
        out = out.slice(0, span.start) + span.newText + out.slice(span.end);
        floor = span.start;
    }
    return out;
}
