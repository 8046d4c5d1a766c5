/**
 * Off-policy evaluation off the server's event loop. `ope` spends seconds in JavaScript (cross-fitted reward models, the
 * bootstrap) after a short read; on the event loop that would hold up every ingest acknowledgement and health check for
 * as long. Here the main thread does the read (the store's connections live on it) and one long-lived worker thread
 * (analysis-worker-thread.ts) the rest, with the very code `ope` runs (`opeOnRounds`), so the answer is the same Result.
 *
 * Jobs queue in the worker in arrival order. The worker keeps the process alive only while a job is pending. A worker
 * that dies (out of memory, say) fails the jobs it held and is replaced by the next job. Targets given as JavaScript
 * functions (library use only; the HTTP API has none) cannot cross threads: those runs stay on the calling thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ope, opeRoundScope, type OpeOptions } from '../analyses/ope/analyze.js';
import { loggedRounds } from '../analyses/ope/query.js';
import type { Result } from '../analyses/result.js';
import type { Queryable } from '../analyses/sql.js';
import { StoreClosingError, UserError } from '../errors.js';
import type { OpeAnswer, OpeJob } from './analysis-worker-thread.js';

/** The compiled thread script: beside this file in dist/, or, when running from src/ (tests), the repository's dist/. */
export function threadScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'analysis-worker-thread.js'), path.resolve(here, '..', '..', 'dist', 'server', 'analysis-worker-thread.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`the analysis thread's script is missing (looked for ${candidates.join(' and ')}); run npm run build`);
  return found;
}

function usesFunctions(o: OpeOptions): boolean {
  const fnTarget = (t: { kind: string } | undefined) => t?.kind === 'function';
  const logging = typeof o.slate === 'object' ? o.slate.logging : undefined;
  return (o.targets ?? []).some(fnTarget) || fnTarget(logging);
}

export class AnalysisWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { worker: Worker; resolve: (r: Result) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  /** `ope(db, o)`, computed on the analysis thread. */
  async ope(db: Queryable, o: OpeOptions): Promise<Result> {
    if (this.closed) throw new StoreClosingError();
    if (usesFunctions(o)) return ope(db, o);
    // The options are checked (and may throw) before the read, as ope does. The rounds are not kept in a variable here:
    // once copied to the thread, this thread's copy can be collected while the job runs.
    return this.submit({ options: o, cols: await loggedRounds(db, opeRoundScope(o)) });
  }

  private submit(job: Omit<OpeJob, 'id'>): Promise<Result> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const answer = new Promise<Result>((resolve, reject) => this.pending.set(id, { worker, resolve, reject }));
    worker.ref();
    try {
      worker.postMessage({ id, ...job } satisfies OpeJob);
    } catch (err) {
      // Not sent (a value that cannot be copied to a thread): nothing pending, nothing keeping the process alive.
      this.pending.delete(id);
      this.unrefWhenIdle(worker);
      throw err;
    }
    return answer;
  }

  /** A worker with no job pending does not keep the process alive. */
  private unrefWhenIdle(worker: Worker): void {
    for (const q of this.pending.values()) if (q.worker === worker) return;
    worker.unref();
  }

  private start(): Worker {
    const worker = new Worker(threadScript());
    worker.unref();
    worker.on('message', (m: OpeAnswer) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.unrefWhenIdle(worker);
      if ('result' in m) p.resolve(m.result as Result);
      else if (m.error.user) p.reject(new UserError(m.error.message));
      else p.reject(Object.assign(new Error(`analysis thread: ${m.error.message}`), m.error.stack ? { stack: m.error.stack } : {}));
    });
    // The jobs this worker held fail; the next job starts a new worker.
    const fail = (cause: Error) => {
      // Stopped by close(): the server is stopping (answered 503, retry later), not broken.
      const err = this.closed ? new StoreClosingError() : cause;
      if (this.worker === worker) this.worker = null;
      for (const [id, p] of this.pending)
        if (p.worker === worker) {
          this.pending.delete(id);
          p.reject(err);
        }
    };
    worker.on('error', (err) => fail(new Error(`analysis thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`analysis thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Stops the thread; jobs still pending fail with StoreClosingError (the server is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
