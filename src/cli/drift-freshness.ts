import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../store/store.js';
import { parseFormat, wholeNumberOption, withStore } from './common.js';
import { fileRows, numberPairs, outputResult, postToServer } from './drift.js';
import { checkProject } from './keys.js';

interface Flags {
  eval: string;
  project: string;
  db?: string;
  window: string;
  until?: string;
  columns?: string;
  segments?: string;
  stalenessWindow: string;
  suggest?: string[];
  seed?: string;
  threshold?: string;
  format: string;
}

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

export function registerEvalFreshness(program: Command): void {
  program
    .command('eval-freshness')
    .description('does the eval set still look like recent traffic? drift, uncovered regions, staleness over time, a refresh sample')
    .requiredOption('--eval <file>', 'the eval set: CSV, Parquet or JSONL with the same columns as the decisions\' attributes')
    .requiredOption('--project <name>', 'the project whose recent decisions are the traffic')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--window <duration>', 'recent traffic: this long before --until (e.g. 24h, 7d, 2w)', '7d')
    .option('--until <time>', 'end of the recent window (default: just after the latest decision)')
    .option('--columns <names>', 'compare only these columns')
    .option('--segments <names>', 'columns whose value combinations are coverage cells (default: two categorical columns)')
    .option('--staleness-window <w>', 'staleness per day or week', 'day')
    .option('--suggest <n_and_file...>', 'write a stratified sample of N recent decisions to FILE: --suggest 500 refresh.csv')
    .option('--seed <n>', 'seed of the --suggest sample', '0')
    .option('--threshold <pairs>', 'uncovered_share=0.05,coverage_ratio=0.25,staleness=0.1')
    .option('--format <format>', 'text, json or html', 'text')
    .action(async (o: Flags) => {
      const format = parseFormat(o.format, ['text', 'json', 'html']);
      const project = checkProject(o.project);
      const seed = wholeNumberOption('--seed', o.seed) ?? 0;
      if (!['day', 'week'].includes(o.stalenessWindow)) throw new UserError(`--staleness-window must be day or week (got '${o.stalenessWindow}')`);
      let suggest: { n: number; file: string; seed: number } | undefined;
      if (o.suggest) {
        if (o.suggest.length !== 2) throw new UserError('--suggest takes two values: the number of rows and the file, e.g. --suggest 500 refresh.csv');
        const n = Number(o.suggest[0]);
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--suggest N must be a whole number of at least 1 (got '${o.suggest[0]}')`);
        suggest = { n, file: path.resolve(o.suggest[1]!), seed };
      }
      const opts = {
        project,
        window: o.window,
        ...(o.until ? { until: o.until } : {}),
        ...(list(o.columns) ? { columns: list(o.columns)! } : {}),
        ...(list(o.segments) ? { segments: list(o.segments)! } : {}),
        stalenessWindow: o.stalenessWindow as 'day' | 'week',
        ...(o.threshold ? { thresholds: numberPairs('--threshold', o.threshold) } : {}),
      };
      const result = await withStore(
        o.db,
        async (store) => {
          const { evalFreshness } = await import('../analyses/drift/eval-freshness.js');
          return evalFreshness(store, { ...opts, eval: { file: o.eval }, ...(suggest ? { suggest } : {}) });
        },
        async (server) => {
          if (suggest) throw new UserError('--suggest writes a file from the store, which a running server holds; stop the server or run without --suggest');
          return postToServer(server, `/v1/projects/${project}/eval-freshness`, {
            eval: await fileRows('--eval', o.eval), window: opts.window, thresholds: opts.thresholds, until: o.until, columns: opts.columns, segments: opts.segments, staleness_window: opts.stalenessWindow,
          });
        },
        { read: true },
      );
      outputResult(result, format);
    });
}
