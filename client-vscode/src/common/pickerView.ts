// What the Generate picker shows while the server is still drawing samples: the candidates of
// the first wave that pass every example can be chosen at once, the picker says more are coming
// and spins, and the list is replaced by the full ranking when it arrives, keeping the entry the
// user had highlighted. Pure logic, unit-tested; livePicker.ts puts it on screen.
import { Candidate, PickItem, pickItem, pickPlaceholder } from './candidates';

export const RANKED_TITLE = 'codegen: implementations, best first';
export const DRAWING_TITLE = 'codegen: implementations so far, more samples coming';

export interface PickerView {
    title: string;
    placeholder: string;
    /** Whether the picker shows its progress bar: the list may still change. */
    busy: boolean;
    items: (PickItem & { candidate: Candidate })[];
}

/** Whether any candidate can be applied (an edit to preview), early or final. */
export function offersAnEdit(candidates: readonly Candidate[]): boolean {
    return candidates.some((candidate) => candidate.edits.length > 0);
}

/** Whether the server is still drawing samples for these candidates (they are the first wave's). */
export function stillDrawing(candidates: readonly Candidate[]): boolean {
    return candidates.some((candidate) => candidate.early === true);
}

/** The picker for `candidates`; `drawing` when the server has not ranked all its samples yet. */
export function pickerView(candidates: readonly Candidate[], drawing: boolean): PickerView {
    const placeholder = drawing
        ? `These pass every example; the list updates when the other samples are ranked · ${pickPlaceholder(candidates)}`
        : pickPlaceholder(candidates);
    return {
        title: drawing ? DRAWING_TITLE : RANKED_TITLE,
        placeholder,
        busy: drawing,
        items: candidates.map((candidate) => ({ ...pickItem(candidate), candidate })),
    };
}

/**
 * The entry of the new list that stands for the candidate the user had highlighted in the old
 * one (the same body), so that an update does not move the user's place; undefined if it went.
 */
export function sameCandidate<T extends { candidate: Candidate }>(
    items: readonly T[],
    highlighted: Candidate | undefined,
): T | undefined {
    if (highlighted === undefined) {
        return undefined;
    }
    return items.find((item) => item.candidate.body === highlighted.body);
}
