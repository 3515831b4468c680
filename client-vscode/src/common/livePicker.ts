// The Generate picker on screen while the server draws samples: it opens with the first wave's
// passing candidates, spins while the rest are drawn, and takes the full ranking when it comes
// (polling the server's code actions, which hold the latest result). The user can choose at any
// time; choosing early does not stop the server, so "Generate" again finds the full list.
import * as vscode from 'vscode';
import { Candidate } from './candidates';
import { logError } from './log';
import { PickerView, offersAnEdit, pickerView, sameCandidate, stillDrawing } from './pickerView';

type Item = PickerView['items'][number];

export interface Drawing {
    /** The candidates the server offers now (the first wave's while it draws the rest). */
    poll(): Promise<Candidate[]>;
    /** The generation started for this picker; without one, it ends when no candidate is early. */
    generation?: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll every `everyMs` until the server offers something to apply, or `generation` settles. */
export async function firstCandidates(
    poll: () => Promise<Candidate[]>,
    generation: Promise<unknown>,
    everyMs = 1000,
): Promise<Candidate[] | undefined> {
    let settled = false;
    const ended = generation.then(
        () => (settled = true),
        () => (settled = true),
    );
    while (!settled) {
        await Promise.race([sleep(everyMs), ended]);
        if (settled) {
            return undefined;
        }
        const now = await poll();
        if (offersAnEdit(now)) {
            return now;
        }
    }
    return undefined;
}

/** Show `first` at once and keep the list current until the ranking is complete. */
export function pickWhileDrawing(first: Candidate[], drawing: Drawing, everyMs = 1000): Promise<Candidate | undefined> {
    return new Promise((resolve) => {
        const picker = vscode.window.createQuickPick<Item>();
        picker.matchOnDescription = true;
        picker.matchOnDetail = true;
        let open = true;
        let generationEnded = drawing.generation === undefined;
        drawing.generation?.then(
            () => (generationEnded = true),
            (error: unknown) => {
                generationEnded = true;
                logError('the generation behind the picker ended without a result', error);
            },
        );
        const show = (candidates: readonly Candidate[], busy: boolean) => {
            const highlighted = picker.activeItems[0]?.candidate;
            const view = pickerView(candidates, busy);
            picker.title = view.title;
            picker.placeholder = view.placeholder;
            picker.busy = view.busy;
            picker.items = view.items;
            const kept = sameCandidate(view.items, highlighted);
            if (kept) {
                picker.activeItems = [kept];
            }
        };
        picker.onDidAccept(() => {
            resolve(picker.activeItems[0]?.candidate);
            picker.hide();
        });
        picker.onDidHide(() => {
            open = false;
            resolve(undefined);
            picker.dispose();
        });
        show(first, true);
        picker.show();
        void (async () => {
            let shown = first;
            while (open) {
                await sleep(everyMs);
                const ended = generationEnded; // read before polling: the result then is final
                let now: Candidate[];
                try {
                    now = await drawing.poll();
                } catch (error) {
                    logError('could not refresh the candidates', error);
                    now = [];
                }
                if (!open) {
                    return;
                }
                if (now.length > 0) {
                    shown = now;
                }
                const busy = drawing.generation === undefined ? stillDrawing(shown) : !ended;
                show(shown, busy);
                if (!busy) {
                    return;
                }
            }
        })();
    });
}
