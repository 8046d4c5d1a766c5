/**
 * What every CLI command shares: where the store is, how to reach it (open the file, or ask the server that holds it),
 * output formats and exit codes (0 all checks ok, 1 a check failed, 2 bad input or usage).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDbStore } from '../store/duckdb/store.js';
import { DEFAULT_DB_PATH, UserError } from '../store/store.js';
import { readDiscovery, type Discovery } from '../server/discovery.js';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2 } as const;

export type Format = 'text' | 'json' | 'html';

/** A whole-number flag within [min, max] (no upper bound when max is omitted); undefined stays undefined. */
/** A whole-number option (a blank one is not 0), optionally bounded: --port, --seed, ... */
export function wholeNumberOption(name: string, value: string | undefined, min?: number, max?: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range = min === undefined ? '' : max === undefined ? ` of at least ${min}` : ` from ${min} to ${max}`;
    throw new UserError(`${name} must be a whole number${range} (got '${value}')`);
  }
  return n;
}

export function dbPathOf(option: string | undefined): string {
  return path.resolve(option ?? process.env.LOOPGUARD_DB ?? DEFAULT_DB_PATH);
}

export function parseFormat(value: string, allowed: readonly Format[] = ['text', 'json']): Format {
  if (!(allowed as readonly string[]).includes(value)) throw new UserError(`--format must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as Format;
}

/** A running server that holds this store, if its discovery file is current and it answers. */
export async function findServer(dbPath: string): Promise<Discovery | null> {
  const d = readDiscovery(dbPath);
  if (!d) return null;
  try {
    const res = await fetch(new URL('/v1/health', d.url), { signal: AbortSignal.timeout(2000) });
    return res.ok ? d : null;
  } catch {
    return null;
  }
}

export async function adminCall<T>(server: Discovery, route: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(route, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.admin_token}` },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new UserError(`The server at ${server.url} that holds the store did not answer: ${(err as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) throw new UserError(json.message ?? `the server answered ${res.status}`);
  return json as T;
}

/**
 * Runs `local` against the store file when no server holds it, or `remote` against the server that does. `read`:
 * the command only reads the store (an analysis), so a store file that does not exist is a usage error naming the
 * path, rather than a new empty store to analyse (a mistyped --db would otherwise report "no exposures" and leave an
 * empty store behind).
 */
export async function withStore<T>(
  dbOption: string | undefined,
  local: (store: DuckDbStore) => Promise<T>,
  remote: (server: Discovery) => Promise<T>,
  { read = false }: { read?: boolean } = {},
): Promise<T> {
  const dbPath = dbPathOf(dbOption);
  const server = await findServer(dbPath);
  if (server) return remote(server);
  if (read && !fs.existsSync(dbPath))
    throw new UserError(
      `There is no store at ${dbPath}: pass the store's file with --db (or $LOOPGUARD_DB), ingest logs into it first with loopguard ingest, or analyse a log file directly with --logs where the command offers it.`,
    );
  const { DuckDbStore } = await import('../store/duckdb/store.js');
  const store = await DuckDbStore.open(dbPath);
  try {
    return await local(store);
  } finally {
    await store.close();
  }
}

/** key=value,key=value (values may not contain commas). */
export function parsePairs(option: string, text: string | undefined, into: Record<string, string> = {}): Record<string, string> {
  if (!text) return into;
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new UserError(`${option} expects field=value pairs separated by commas (got '${part}')`);
    into[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return into;
}

/** A user's file as text; a missing or unreadable file is a UserError naming the option and the file. */
export function readTextFile(option: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${option} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** JSON text of a user's file, parsed; errors name the option and the file. */
export function parseJsonText(option: string, file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${option} ${file}: not valid JSON: ${(err as Error).message}`);
  }
}

export function readJsonFile(option: string, file: string): unknown {
  return parseJsonText(option, file, readTextFile(option, file));
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
