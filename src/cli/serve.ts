import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { dbPathOf, wholeNumberOption } from './common.js';
import type { RunningServer, ServeOptions } from '../server/serve.js';

/**
 * Starts the server that owns the store and stops it cleanly on SIGINT or SIGTERM (in-flight batches committed, the
 * store closed, the discovery file removed). Handlers are installed before the caller prints anything, so a supervisor
 * may signal as soon as it reads the start-up line.
 */
export async function serveUntilSignal(opts: ServeOptions, stopping: string): Promise<RunningServer> {
  const { startServer } = await import('../server/serve.js');
  const server = await startServer(opts).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UserError(`port ${opts.port} on ${opts.host} is in use; pass another --port`);
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EADDRNOTAVAIL')
      throw new UserError(`--host ${opts.host} is not an address of this machine; pass one such as 127.0.0.1, 0.0.0.0 or ::1`);
    if (err.code === 'EACCES') throw new UserError(`no permission to listen on port ${opts.port} (ports below 1024 need privileges); pass another --port`);
    throw err;
  });
  let stopped = false;
  const stop = (signal: string) => {
    if (stopped) return;
    stopped = true;
    process.stderr.write(`Stopping on ${signal}: ${stopping}...\n`);
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`loopguard: error while stopping: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return server;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the API and the dashboard on a store')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--body-limit <bytes>', 'largest request body', String(16 * 1024 * 1024))
    .option('--max-batch-events <n>', 'most events in one batch', '10000')
    .option('--max-pending-events <n>', 'events waiting for a commit before new batches get 503', '200000')
    .option('--max-in-flight <n>', 'event batches received at once before new ones get 429', '64')
    .option('--log', 'log every request to stderr')
    .option('--no-prewarm', 'do not compute the dashboard\'s summaries of every project at start')
    .action(async (o: { db?: string; host: string; port: string; bodyLimit: string; maxBatchEvents: string; maxPendingEvents: string; maxInFlight: string; log?: boolean; prewarm: boolean }) => {
      const dbPath = dbPathOf(o.db);
      const server = await serveUntilSignal(
        {
          dbPath,
          host: o.host,
          port: wholeNumberOption('--port', o.port, 0, 65535)!,
          bodyLimit: wholeNumberOption('--body-limit', o.bodyLimit, 1024, 1024 ** 3)!,
          maxBatchEvents: wholeNumberOption('--max-batch-events', o.maxBatchEvents, 1, 1_000_000)!,
          maxPendingEvents: wholeNumberOption('--max-pending-events', o.maxPendingEvents, 1, 100_000_000)!,
          maxInFlight: wholeNumberOption('--max-in-flight', o.maxInFlight, 1, 100_000)!,
          logger: !!o.log,
          dashboard: { prewarm: o.prewarm },
        },
        'finishing in-flight batches',
      );
      process.stderr.write(`Loopguard serving ${dbPath} on ${server.url} (dashboard: ${server.url}/, health: ${server.url}/v1/health). Ctrl-C stops it.\n`);
    });
}
