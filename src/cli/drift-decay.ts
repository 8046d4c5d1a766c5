import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { parseFormat, withStore } from './common.js';
import { fileRows, numberPairs, outputResult, postToServer } from './drift.js';
import { checkProject } from './keys.js';

interface Flags {
  project: string;
  db?: string;
  events: string;
  shortHalfLife: string;
  longHalfLife: string;
  recent: string;
  asOf?: string;
  minEvents: string;
  threshold?: string;
  categories?: string;
  format: string;
}

/** item_id -> category from a CSV, Parquet or JSONL file with those two columns. */
async function readCategories(file: string): Promise<Record<string, string>> {
  const rows = await fileRows('--categories', file);
  if (!rows.length || !('item_id' in rows[0]!) || !('category' in rows[0]!))
    throw new UserError(`--categories ${file}: expected columns item_id and category`);
  return Object.fromEntries(rows.filter((r) => r.item_id !== null && r.category !== null).map((r) => [String(r.item_id), String(r.category)]));
}

export function registerProfileDecay(program: Command): void {
  program
    .command('profile-decay')
    .description('per user: how far recent behaviour is from the long-term profile, who changed, and how their outcomes differ')
    .requiredOption('--project <name>', 'a project in the store')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--events <kind>', 'profiles from positive outcomes or from exposures', 'outcomes')
    .option('--short-half-life <duration>', 'half-life of the recent profile', '3d')
    .option('--long-half-life <duration>', 'half-life of the long-term profile', '60d')
    .option('--recent <duration>', 'window before --as-of for outcome rates', '7d')
    .option('--as-of <time>', 'time the profiles are computed at (default: the latest exposure)')
    .option('--min-events <n>', 'users with fewer events are left out', '5')
    .option('--threshold <pairs>', 'alpha=0.05,min_distance=0.1,changed_share=0.2')
    .option('--categories <file>', 'profiles over item categories: a file with item_id and category columns')
    .option('--format <format>', 'text, json or html', 'text')
    .action(async (o: Flags) => {
      const format = parseFormat(o.format, ['text', 'json', 'html']);
      const project = checkProject(o.project);
      if (!['outcomes', 'exposures'].includes(o.events)) throw new UserError(`--events must be outcomes or exposures (got '${o.events}')`);
      const minEvents = Number(o.minEvents);
      if (!Number.isInteger(minEvents) || minEvents < 1) throw new UserError(`--min-events must be a whole number of at least 1 (got '${o.minEvents}')`);
      const opts = {
        project, events: o.events as 'outcomes' | 'exposures', shortHalfLife: o.shortHalfLife, longHalfLife: o.longHalfLife, recent: o.recent, minEvents,
        ...(o.asOf ? { asOf: o.asOf } : {}),
        ...(o.threshold ? { thresholds: numberPairs('--threshold', o.threshold) } : {}),
        ...(o.categories ? { categories: await readCategories(o.categories) } : {}),
      };
      const result = await withStore(
        o.db,
        async (store) => {
          const { profileDecay } = await import('../analyses/drift/profile-decay.js');
          return profileDecay(store, opts);
        },
        async (server) => {
          if (opts.categories)
            return postToServer(server, `/v1/projects/${project}/profile-decay`, {
              events: opts.events, short_half_life: opts.shortHalfLife, long_half_life: opts.longHalfLife, recent: opts.recent, min_events: minEvents,
              as_of: o.asOf, thresholds: opts.thresholds, categories: opts.categories,
            });
          const q = new URLSearchParams({
            ...Object.fromEntries(Object.entries(opts.thresholds ?? {}).map(([k, v]) => [k, String(v)])), events: opts.events, short_half_life: opts.shortHalfLife, long_half_life: opts.longHalfLife, recent: opts.recent, min_events: String(minEvents), ...(o.asOf ? { as_of: o.asOf } : {}) });
          const res = await fetch(new URL(`/v1/projects/${project}/profile-decay?${q}`, server.url), { headers: { authorization: `Bearer ${server.admin_token}` } });
          const body = (await res.json()) as import('../analyses/result.js').Result & { message?: string };
          if (!res.ok) throw new UserError(body.message ?? `the server answered ${res.status}`);
          return body;
        },
        { read: true },
      );
      outputResult(result, format);
    });
}
