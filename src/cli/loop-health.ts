import path from 'node:path';
import type { Command } from 'commander';
import { exitCodeFor, renderJson, renderText, type Result } from '../analyses/result.js';
import { GROUPABLE, type LoopHealthOptions, type Window } from '../analyses/loop-health/index.js';
import { UserError } from '../store/store.js';
import { parseFormat, parsePairs, print, withStore, type Format } from './common.js';
import { checkProject } from './keys.js';
import { readCatalog, readOffline, readThresholds } from './loop-health-inputs.js';
import { canonical } from './ingest.js';
import { renderHtml } from '../analyses/render-html.js';

export interface LoopHealthFlags {
  project?: string;
  logs?: string;
  db?: string;
  window: string;
  by: string;
  since?: string;
  until?: string;
  catalog?: string;
  minOutcomes: string;
  outcomeKinds?: string;
  config?: string;
  offline?: string;
  map?: string;
  set?: string;
  format: string;
}

export function loopHealthOptions(o: LoopHealthFlags, project: string): LoopHealthOptions {
  if (!['day', 'week', 'none'].includes(o.window)) throw new UserError(`--window must be day, week or none (got '${o.window}')`);
  const by = o.by === 'none' || o.by === '' ? [] : o.by.split(',').map((s) => s.trim());
  for (const b of by)
    if (!(GROUPABLE as readonly string[]).includes(b)) throw new UserError(`--by takes ${GROUPABLE.join(', ')} or none (got '${b}')`);
  const minOutcomes = Number(o.minOutcomes);
  if (!Number.isInteger(minOutcomes) || minOutcomes < 1) throw new UserError(`--min-outcomes must be a whole number of at least 1 (got '${o.minOutcomes}')`);
  return {
    project,
    window: o.window as Window,
    by,
    minOutcomes,
    ...(o.since ? { since: o.since } : {}),
    ...(o.until ? { until: o.until } : {}),
    ...(o.outcomeKinds ? { outcomeKinds: o.outcomeKinds.split(',').map((s) => s.trim()) } : {}),
    ...(o.catalog ? { catalog: readCatalog(o.catalog) } : {}),
    ...(o.offline ? { offline: readOffline(o.offline) } : {}),
    ...(o.config ? { thresholds: readThresholds(o.config) } : {}),
  };
}

export function output(result: Result, format: Format): void {
  print(format === 'json' ? renderJson(result) : format === 'html' ? renderHtml(result) : renderText(result));
  process.exitCode = exitCodeFor([result]);
}

export function registerLoopHealth(program: Command): void {
  program
    .command('loop-health')
    .description('is the model poisoning its own training data? concentration, long tail, starvation, exploration, dynamics')
    .option('--project <name>', 'analyse a project in the store')
    .option('--logs <file>', 'analyse a log file instead (CSV, Parquet or JSONL; OBD layout or mapped)')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--window <w>', 'split by time: day, week or none', 'none')
    .option('--by <columns>', `split by ${GROUPABLE.join(', ')} (comma-separated) or none`, 'policy_version')
    .option('--since <time>', 'only exposures at or after this time (UTC)')
    .option('--until <time>', 'only exposures before this time (UTC)')
    .option('--catalog <file>', 'the catalog: JSON array, CSV with an item_id column, or one id per line')
    .option('--min-outcomes <n>', 'an item with fewer outcomes than this is starved', '10')
    .option('--outcome-kinds <kinds>', 'outcome kinds that count as success (default: all)')
    .option('--config <file>', 'JSON {"thresholds": {...}} overriding the checks\' defaults')
    .option('--offline <file>', 'offline metrics per version: CSV policy_version,metric,value[,higher_is_better]')
    .option('--map <pairs>', 'with --logs: field=column pairs, as for ingest')
    .option('--set <pairs>', 'with --logs: field=value constants, as for ingest')
    .option('--format <format>', 'text, json or html', 'text')
    .action(async (o: LoopHealthFlags) => {
      const format = parseFormat(o.format, ['text', 'json', 'html']);
      if (!o.project === !o.logs) throw new UserError('give either --project <name> (the store) or --logs <file>');
      if (o.project && (o.map || o.set)) throw new UserError('--map and --set describe a --logs file; a project in the store is already mapped');
      if (o.logs) {
        const opts = loopHealthOptions(o, 'logs');
        const { DuckDbStore } = await import('../store/duckdb/store.js');
        const { loopHealth } = await import('../analyses/loop-health/index.js');
        const store = await DuckDbStore.open(':memory:');
        try {
          const file = path.resolve(o.logs);
          await store.ingestFile({ project: 'logs', path: file, kind: 'exposures', map: canonical(parsePairs('--map', o.map)), set: canonical(parsePairs('--set', o.set)) });
          output(await loopHealth(store, { ...opts, source: file }), format);
        } finally {
          await store.close();
        }
        return;
      }
      const project = checkProject(o.project!);
      const opts = loopHealthOptions(o, project);
      const result = await withStore(
        o.db,
        async (store) => {
          const { loopHealth } = await import('../analyses/loop-health/index.js');
          return loopHealth(store, opts);
        },
        async (server) => {
          const res = await fetch(new URL(`/v1/projects/${project}/loop-health`, server.url), {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${server.admin_token}` },
            body: JSON.stringify({
              window: opts.window, by: opts.by, since: opts.since, until: opts.until, min_outcomes: opts.minOutcomes,
              outcome_kinds: opts.outcomeKinds, catalog: opts.catalog, offline: opts.offline, thresholds: opts.thresholds,
            }),
          });
          const body = (await res.json()) as Result & { message?: string };
          if (!res.ok) throw new UserError(body.message ?? `the server answered ${res.status}`);
          return body;
        },
        { read: true },
      );
      output(result, format);
    });
}
