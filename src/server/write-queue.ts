/**
 * Group commit: requests that arrive while a transaction is being written wait in a bounded queue and go into the
 * next transaction together, so that many small batches share one commit. Each request is acknowledged only after the
 * transaction holding its events has committed. When the queue holds `maxPendingEvents`, new work is refused at once
 * (the server answers 503 with Retry-After) instead of queueing without limit.
 */
import type { ValidEvent } from '../events/validate.js';
import type { Store, WriteCounts } from '../store/store.js';

export class OverloadedError extends Error {
  constructor(readonly pending: number) {
    super(`the write queue is full (${pending} events waiting); retry shortly`);
  }
}

interface Job {
  project: string;
  events: ValidEvent[];
  resolve: (c: WriteCounts) => void;
  reject: (e: unknown) => void;
}

export interface WriteQueueOptions {
  maxPendingEvents: number;
  maxEventsPerCommit: number;
}

export class WriteQueue {
  private jobs: Job[] = [];
  private pendingEvents = 0;
  private running: Promise<void> | null = null;
  commits = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: WriteQueueOptions = { maxPendingEvents: 200_000, maxEventsPerCommit: 50_000 },
  ) {}

  get pending(): number {
    return this.pendingEvents;
  }

  submit(project: string, events: ValidEvent[]): Promise<WriteCounts> {
    if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
    if (this.pendingEvents + events.length > this.opts.maxPendingEvents && this.pendingEvents > 0)
      return Promise.reject(new OverloadedError(this.pendingEvents));
    return new Promise<WriteCounts>((resolve, reject) => {
      this.jobs.push({ project, events, resolve, reject });
      this.pendingEvents += events.length;
      if (!this.running) this.running = this.pump().finally(() => (this.running = null));
    });
  }

  private async pump(): Promise<void> {
    while (this.jobs.length) {
      const take: Job[] = [];
      let n = 0;
      while (this.jobs.length && (take.length === 0 || n + this.jobs[0]!.events.length <= this.opts.maxEventsPerCommit)) {
        const j = this.jobs.shift()!;
        take.push(j);
        n += j.events.length;
      }
      try {
        const counts = await this.store.writeEvents(take.map((j) => ({ project: j.project, events: j.events })));
        this.commits++;
        take.forEach((j, i) => j.resolve(counts[i]!));
      } catch (err) {
        take.forEach((j) => j.reject(err));
      } finally {
        this.pendingEvents -= n;
      }
    }
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }
}
