// What the status bar shows while the server works: the newest running task's title, stage and
// count ("codegen: sampling 5/8"), and whether it can be cancelled. Pure logic, unit-tested; the
// LSP work-done progress messages (begin / report / end) drive it.

export type ProgressToken = number | string;

export interface ProgressBegin {
    kind: 'begin';
    title: string;
    cancellable?: boolean;
    message?: string;
    percentage?: number;
}

export interface ProgressReport {
    kind: 'report';
    cancellable?: boolean;
    message?: string;
    percentage?: number;
}

export interface ProgressEnd {
    kind: 'end';
    message?: string;
}

export type ProgressValue = ProgressBegin | ProgressReport | ProgressEnd;

export interface ProgressView {
    token: ProgressToken;
    /** Short text for the status bar item. */
    text: string;
    tooltip: string;
    cancellable: boolean;
}

interface Task {
    token: ProgressToken;
    title: string;
    message?: string;
    percentage?: number;
    cancellable: boolean;
    order: number;
}

export class ProgressBoard {
    private readonly tasks = new Map<ProgressToken, Task>();
    private counter = 0;
    /** The message of the last task that ended, shown briefly after it finishes. */
    lastEndMessage: string | undefined;

    update(token: ProgressToken, value: ProgressValue): void {
        if (value.kind === 'begin') {
            this.tasks.set(token, {
                token,
                title: value.title,
                message: value.message,
                percentage: value.percentage,
                cancellable: value.cancellable ?? false,
                order: this.counter++,
            });
            return;
        }
        const task = this.tasks.get(token);
        if (value.kind === 'end') {
            this.lastEndMessage = value.message ?? (task ? `${task.title}: done` : undefined);
            this.tasks.delete(token);
            return;
        }
        if (!task) {
            return; // a report for a task we never saw begin: nothing trustworthy to show
        }
        task.message = value.message ?? task.message;
        task.percentage = value.percentage ?? task.percentage;
        task.cancellable = value.cancellable ?? task.cancellable;
    }

    /** Forget a task without an end message (its request failed or the server stopped). */
    drop(token: ProgressToken): void {
        this.tasks.delete(token);
    }

    clear(): void {
        this.tasks.clear();
    }

    get running(): number {
        return this.tasks.size;
    }

    /** The newest task, as the status bar shows it; undefined when nothing runs. */
    current(): ProgressView | undefined {
        let newest: Task | undefined;
        for (const task of this.tasks.values()) {
            if (!newest || task.order > newest.order) {
                newest = task;
            }
        }
        if (!newest) {
            return undefined;
        }
        const detail = describe(newest);
        const others = this.tasks.size - 1;
        const text = detail ? `${newest.title}: ${detail}` : newest.title;
        const tooltipLines = [text];
        if (others > 0) {
            tooltipLines.push(`${others} more task${others > 1 ? 's' : ''} running`);
        }
        if (newest.cancellable) {
            tooltipLines.push('Click to cancel');
        }
        return {
            token: newest.token,
            text,
            tooltip: tooltipLines.join('\n'),
            cancellable: newest.cancellable,
        };
    }
}

function describe(task: Task): string {
    const message = task.message?.trim() ?? '';
    // The server's messages carry their own counts ("sampling 5/8"); a bare percentage is the
    // fallback when it sends none.
    if (message === '' && task.percentage !== undefined) {
        return `${Math.round(task.percentage)}%`;
    }
    return message;
}
