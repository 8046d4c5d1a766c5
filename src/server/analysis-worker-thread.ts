/**
 * The server's analysis thread (see analysis-worker.ts): runs off-policy evaluation on rounds the main thread has read
 * from the store, so that fitting reward models and bootstrapping never hold up the event loop that acknowledges
 * ingest. Messages are handled in arrival order; each answer carries the request's id.
 */
import { parentPort } from 'node:worker_threads';
import { opeOnRounds, type OpeOptions } from '../analyses/ope/analyze.js';
import type { RoundColumns } from '../analyses/ope/query.js';
import { UserError } from '../errors.js';

export interface OpeJob {
  id: number;
  options: OpeOptions;
  cols: RoundColumns;
}

export type OpeAnswer =
  | { id: number; result: unknown }
  | { id: number; error: { user: boolean; message: string; stack?: string } };

if (!parentPort) throw new Error('analysis-worker-thread.js runs as a worker thread of the server');
const port = parentPort;
port.on('message', (job: OpeJob) => {
  opeOnRounds(job.options, async () => job.cols).then(
    (result) => port.postMessage({ id: job.id, result } satisfies OpeAnswer),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ id: job.id, error: { user: e instanceof UserError, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } } satisfies OpeAnswer);
    },
  );
});
