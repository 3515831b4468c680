// Candidates as the user chooses among them: what each QuickPick entry says (evidence, examples
// passed, score) and what the file becomes if it is accepted. The evidence is read from the
// structured data the server puts on each candidate action, never from its title. Pure logic,
// unit-tested.

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

/** The `data.kind` the server gives candidate actions (server/codegen_lsp/lsp/actions.py). */
export const CANDIDATE_KIND = 'codegenLsp.candidate';

/** One candidate body with the evidence the server gives for it. */
export interface Candidate {
    rank: number;
    /** The code action title: the evidence in words and the code's gist, for the label. */
    title: string;
    body: string;
    /** Whether it ran and passed every example it has. */
    passes?: boolean;
    score?: number;
    /** What the score means, in the server's words. */
    scoreMeaning?: string;
    verified?: boolean;
    examplesPassed?: number;
    examplesTotal?: number;
    /** How many candidates behaved the same (on the examples, or on the inputs without them). */
    agreement?: number;
    /** Without examples: how many samples were compared, and on how many inputs. */
    samples?: number;
    inputs?: number;
    /** With examples: the share (0 to 1) of the passing candidates' likelihood that acts like
     * this one on calls near the examples; below the server's setting it is not verified. */
    nearAgreement?: number;
    /** With examples: how many samples pass them and act like this one near them, itself
     * included; below the server's setting (2) it is not verified. */
    nearSamples?: number;
    /** With examples: it raised on an empty argument near them (`f([])`), so it is not verified. */
    breaksNear?: boolean;
    /** Edits to the document the request was made on; none when the candidate is disabled. */
    edits: TextEdit[];
    /** Why the server offers it disabled (its first failing example). */
    disabledReason?: string;
    /** Its first failing example, or why it does not run. */
    failure?: string;
    /** From the first wave: the server is still drawing samples, and the list will change. */
    early?: boolean;
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

function numberOf(record: Record<string, unknown>, key: string): number | undefined {
    const value = record[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringOf(record: Record<string, unknown>, key: string): string | undefined {
    const value = record[key];
    return typeof value === 'string' ? value : undefined;
}

/** The evidence fields of a candidate from the server's `evidence` object (camelCase). */
export function evidenceOf(evidence: unknown): Partial<Candidate> {
    if (!isObject(evidence)) {
        return {};
    }
    return {
        passes: typeof evidence.passes === 'boolean' ? evidence.passes : undefined,
        score: numberOf(evidence, 'score'),
        scoreMeaning: stringOf(evidence, 'scoreMeaning'),
        verified: typeof evidence.verified === 'boolean' ? evidence.verified : undefined,
        examplesPassed: numberOf(evidence, 'examplesPassed'),
        examplesTotal: numberOf(evidence, 'examplesTotal'),
        agreement: numberOf(evidence, 'agreement'),
        samples: numberOf(evidence, 'samples'),
        inputs: numberOf(evidence, 'inputs'),
        nearAgreement: numberOf(evidence, 'nearAgreement'),
        nearSamples: numberOf(evidence, 'nearSamples'),
        breaksNear: evidence.breaksNear === true ? true : undefined,
        failure: stringOf(evidence, 'failure'),
    };
}

/** Whether a code action is one of the server's candidates (by its data, not its title). */
export function isCandidateAction(action: unknown): boolean {
    return isObject(action) && isObject(action.data) && action.data.kind === CANDIDATE_KIND;
}

/**
 * Candidates from the server's code actions (what every client sees): each candidate action
 * carries its evidence as data and its body as an edit. Actions that stand for a task
 * ("Generate implementations…") are left out; disabled ones are kept with their reason.
 * Passing candidates come first, then the failing ones, each in the server's order.
 */
export function candidatesFromActions(actions: readonly unknown[], uri: string): Candidate[] {
    const found: Candidate[] = [];
    for (const action of actions) {
        if (!isObject(action) || typeof action.title !== 'string' || !isCandidateAction(action)) {
            continue;
        }
        const edits = editsFor(action.edit, uri);
        const disabled = isObject(action.disabled) && typeof action.disabled.reason === 'string'
            ? action.disabled.reason
            : undefined;
        if (edits.length === 0 && disabled === undefined) {
            continue; // neither something to preview nor an honest failure to show
        }
        const data = action.data as Record<string, unknown>;
        found.push({
            ...evidenceOf(data.evidence),
            rank: 0,
            title: action.title,
            body: edits.map((e) => e.newText).join('\n'),
            edits,
            disabledReason: disabled,
            early: data.early === true,
        });
    }
    const failing = (c: Candidate) => c.disabledReason !== undefined || c.passes === false;
    const ordered = [...found.filter((c) => !failing(c)), ...found.filter(failing)];
    return ordered.map((candidate, index) => ({ ...candidate, rank: index + 1 }));
}

export interface PickItem {
    label: string;
    description: string;
    detail: string;
}

/**
 * The QuickPick entry for a candidate: its title (which says the evidence in words) with an
 * icon, the facts the title leaves out (the score among them), and the code.
 */
export function pickItem(candidate: Candidate): PickItem {
    const total = candidate.examplesTotal;
    const fails = candidate.disabledReason !== undefined || candidate.passes === false;
    let icon = '$(question)'; // nothing to check it against
    if (fails) {
        icon = '$(error)';
    } else if (total !== undefined && total > 0) {
        icon = '$(pass-filled)';
    }
    const facts: string[] = [];
    if (fails) {
        facts.push(`fails: ${candidate.disabledReason ?? candidate.failure ?? 'its examples'}`);
    }
    if (candidate.score !== undefined) {
        facts.push(`score ${candidate.score.toFixed(2)}`);
    }
    if (candidate.verified) {
        facts.push('verified');
    }
    if (candidate.agreement !== undefined && candidate.agreement > 1 && candidate.inputs === undefined) {
        facts.push(`${candidate.agreement} samples behave alike`); // the title says it without examples
    }
    if (candidate.nearAgreement !== undefined && candidate.nearAgreement < 1 && !fails) {
        // Passing candidates that part ways on inputs the examples leave open.
        facts.push(`${Math.round(candidate.nearAgreement * 100)}% alike near the examples`);
    }
    if (candidate.nearSamples === 1 && !fails) {
        // No other sample wrote what it does near the examples: why it is not verified.
        facts.push('no other sample acts alike near the examples');
    }
    if (candidate.breaksNear && !fails) {
        // It raised on an empty list or string near the examples: why it is not verified.
        facts.push('raises on an empty input near the examples');
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

/** The picker's placeholder: how to choose, and what the score in each entry means. */
export function pickPlaceholder(candidates: readonly Candidate[]): string {
    const meaning = candidates.find((c) => c.scoreMeaning !== undefined)?.scoreMeaning;
    const base = 'Pick a candidate to preview its diff; failing ones are listed last';
    return meaning ? `${base} · score: ${meaning}` : base;
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
