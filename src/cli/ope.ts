/**
 * `loopguard ope`: off-policy evaluation of target policies on logged rounds, from the store or a log file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exitCodeFor, renderJson, renderText, type Result } from '../analyses/result.js';
import { renderHtml } from '../analyses/render-html.js';
import type { OpeOptions, TargetSpec } from '../analyses/ope/index.js';
import type { OpeThresholds } from '../analyses/ope/verdicts.js';
import { OPE_ESTIMATORS, SLATE_ESTIMATORS } from '../analyses/ope/analyze.js';
import { parseTargetCsv } from '../analyses/ope/target-table.js';
import { UserError } from '../errors.js';
import { parseFormat, parsePairs, print, readJsonFile, readTextFile, withStore, type Format } from './common.js';
import { canonical } from './ingest.js';
import { checkProject } from './keys.js';

export interface OpeFlags {
  project?: string;
  logs?: string;
  db?: string;
  target: string[];
  targetProbs: string[];
  estimators?: string;
  bootstrap: string;
  seed: string;
  clip?: string;
  tau?: string;
  lambda?: string;
  rewardModel?: string;
  predictionsColumn?: string;
  context?: string;
  reward: string;
  outcomeKinds?: string;
  since?: string;
  until?: string;
  policyVersion?: string;
  rankBy?: string;
  slate?: boolean;
  examination?: string;
  loggingProbs?: string;
  config?: string;
  map?: string;
  set?: string;
  format: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function number(option: string, text: string | undefined, rule: (x: number) => boolean, what: string): number | undefined {
  if (text === undefined) return undefined;
  const x = text.trim() === '' ? Number.NaN : Number(text);
  if (!rule(x)) throw new UserError(`${option} must be ${what} (got '${text}')`);
  return x;
}

const list = (text: string | undefined): string[] | undefined =>
  text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** A target file as `name=path` or `path` (named after the file). */
export interface TargetFile {
  name: string;
  file: string;
  text: string;
}

export function readTargetFiles(specs: string[], option = '--target-probs'): TargetFile[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const named = eq > 0 && !fs.existsSync(spec);
    const name = named ? spec.slice(0, eq).trim() : path.basename(spec).replace(/\.[^.]*$/, '');
    const file = named ? spec.slice(eq + 1) : spec;
    return { name, file, text: readTextFile(option, file) };
  });
}

function readThresholds(file: string): Partial<OpeThresholds> {
  const j = readJsonFile('--config', file) as { thresholds?: unknown };
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new UserError(`--config ${file}: expected a JSON object {"thresholds": {...}}`);
  const t = (j.thresholds ?? {}) as Record<string, unknown>;
  if (typeof t !== 'object' || Array.isArray(t)) throw new UserError(`--config ${file}: "thresholds" must be an object`);
  // Names and values are checked by the analysis, with the words every analysis uses.
  return t as Partial<OpeThresholds>;
}

/** Everything but the targets, from the flags; throws UserError naming the flag. */
export function opeOptions(o: OpeFlags, project: string): Omit<OpeOptions, 'targets'> {
  const estimators = list(o.estimators);
  const known: readonly string[] = o.slate ? SLATE_ESTIMATORS : OPE_ESTIMATORS;
  for (const e of estimators ?? [])
    if (!known.includes(e)) throw new UserError(`--estimators: unknown estimator '${e}'${o.slate ? ' in slate mode' : ''}; choose from ${known.join(', ')}`);
  if (!o.slate && (o.examination !== undefined || o.loggingProbs !== undefined)) throw new UserError('--examination and --logging-probs apply to --slate only');
  const examination = list(o.examination)?.map((x) => {
    const v = Number(x);
    if (!(v >= 0 && Number.isFinite(v))) throw new UserError(`--examination takes numbers >= 0 separated by commas, one per position (got '${o.examination}')`);
    return v;
  });
  const bootstrap = number('--bootstrap', o.bootstrap, (x) => Number.isInteger(x) && x >= 0 && x <= 100_000, 'a whole number of resamples from 0 to 100000')!;
  const seed = number('--seed', o.seed, (x) => Number.isSafeInteger(x), 'a whole number')!;
  const nonNeg = (x: number) => x >= 0;
  const clip = number('--clip', o.clip, (x) => x > 0, 'a number > 0');
  const tau = number('--tau', o.tau, nonNeg, 'a number >= 0');
  const lambda = number('--lambda', o.lambda, nonNeg, 'a number >= 0');
  if (o.rewardModel !== undefined && !['auto', 'logistic', 'ridge', 'none'].includes(o.rewardModel))
    throw new UserError(`--reward-model must be auto, logistic, ridge or none (got '${o.rewardModel}')`);
  if (o.rewardModel !== undefined && o.rewardModel !== 'auto' && o.predictionsColumn !== undefined)
    throw new UserError('give either --reward-model or --predictions-column, not both');
  if (o.reward !== 'binary' && o.reward !== 'value') throw new UserError(`--reward must be binary or value (got '${o.reward}')`);
  for (const [name, v] of [['--since', o.since], ['--until', o.until]] as const)
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UserError(`${name} must be a date or time such as 2026-01-02 (got '${v}')`);
  const context = list(o.context);
  const kinds = list(o.outcomeKinds);
  return {
    project,
    reward: o.reward,
    bootstrap,
    seed,
    ...(estimators ? { estimators } : {}),
    ...(clip !== undefined ? { clip } : {}),
    ...(tau !== undefined ? { tau } : {}),
    ...(lambda !== undefined ? { lambda } : {}),
    ...(o.rewardModel ? { rewardModel: o.rewardModel as OpeOptions['rewardModel'] & string } : {}),
    ...(o.predictionsColumn ? { predictionsColumn: o.predictionsColumn } : {}),
    ...(context?.length ? { context } : {}),
    ...(kinds?.length ? { outcomeKinds: kinds } : {}),
    ...(o.since ? { since: o.since } : {}),
    ...(o.until ? { until: o.until } : {}),
    ...(o.policyVersion !== undefined ? { policyVersion: o.policyVersion } : {}),
    ...(o.rankBy ? { rankBy: o.rankBy } : {}),
    ...(o.slate ? { slate: examination ? { examination } : true } : {}),
    ...(o.config ? { thresholds: readThresholds(o.config) } : {}),
  };
}

/** Slate options with the logging probabilities read from --logging-probs. */
function withLogging(opts: Omit<OpeOptions, 'targets'>, logging: TargetFile | undefined): Omit<OpeOptions, 'targets'> {
  if (!logging || !opts.slate) return opts;
  const slate = opts.slate === true ? {} : opts.slate;
  return { ...opts, slate: { ...slate, logging: { kind: 'table', name: logging.name, table: parseTargetCsv(`--logging-probs ${logging.file}`, logging.text) } } };
}

function checkTargets(o: OpeFlags): void {
  for (const t of o.target) if (t !== 'uniform') throw new UserError(`--target takes 'uniform' (got '${t}'); give other policies as --target-probs FILE`);
  if (o.target.length > 1) throw new UserError('--target uniform is given twice');
}

function localTargets(o: OpeFlags, files: TargetFile[]): TargetSpec[] | undefined {
  const specs: TargetSpec[] = [];
  if (o.target.length) specs.push({ kind: 'uniform' });
  for (const f of files) specs.push({ kind: 'table', name: f.name, table: parseTargetCsv(`--target-probs ${f.file}`, f.text) });
  return specs.length ? specs : undefined;
}

export function output(result: Result, format: Format): void {
  print(format === 'json' ? renderJson(result) : format === 'html' ? renderHtml(result) : renderText(result));
  process.exitCode = exitCodeFor([result]);
}

export function registerOpe(program: Command): void {
  program
    .command('ope')
    .description('off-policy evaluation: what would a target policy have earned on these logs? ipw, snipw, dm, dr, sndr, switch-dr, dr-os with diagnostics')
    .option('--project <name>', 'evaluate on a project in the store')
    .option('--logs <file>', 'evaluate on a log file instead (CSV, Parquet or JSONL; the Open Bandit Dataset layout needs no mapping)')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--target <policy>', "a built-in target policy: 'uniform' (default when no --target-probs is given)", collect, [])
    .option('--target-probs <file>', 'a target policy as action probabilities, [name=]file.csv: long round,action,position,probability or wide round,<action>,...; repeat to compare', collect, [])
    .option('--estimators <list>', `comma-separated, from ${OPE_ESTIMATORS.join(', ')} (default all)`)
    .option('--bootstrap <n>', 'bootstrap resamples; 0 = normal intervals only', '1000')
    .option('--seed <n>', 'seed of the bootstrap and the reward model folds', '0')
    .option('--clip <c>', 'cap importance weights of ipw and dr at c')
    .option('--tau <t>', 'switch-dr: use the model alone on rounds with weight above t (default 10)')
    .option('--lambda <l>', 'dr-os shrinkage strength (default 100)')
    .option('--reward-model <kind>', 'auto, logistic, ridge or none (auto: logistic for 0/1 rewards)')
    .option('--predictions-column <col>', 'reward predictions from a decision attribute instead of a fitted model')
    .option('--context <attrs>', 'numeric decision attributes the reward model uses, comma-separated')
    .option('--reward <kind>', 'binary (an outcome happened) or value (sum of outcome values)', 'binary')
    .option('--outcome-kinds <kinds>', 'outcome kinds that count (default: all but the negative ones)')
    .option('--since <time>', 'only rounds at or after this time (UTC)')
    .option('--until <time>', 'only rounds before this time (UTC)')
    .option('--policy-version <v>', 'only rounds logged by this policy version')
    .option('--rank-by <estimator>', 'the estimator that ranks targets (default snipw; iips with --slate)')
    .option('--slate', 'slate mode: a round is a whole decision (ranking), estimators iips and pbm')
    .option('--examination <list>', 'with --slate: pbm examination probabilities per position, e.g. 1,0.6,0.4 (default: estimated)')
    .option('--logging-probs <file>', 'with --slate: the logging policy\'s probabilities of every item at every position (as --target-probs), for pbm')
    .option('--config <file>', 'JSON {"thresholds": {...}} overriding the checks\' defaults')
    .option('--map <pairs>', 'with --logs: field=column pairs, as for ingest')
    .option('--set <pairs>', 'with --logs: field=value constants, as for ingest')
    .option('--format <format>', 'text, json or html', 'text')
    .action(async (o: OpeFlags) => {
      const format = parseFormat(o.format, ['text', 'json', 'html']);
      if (!o.project === !o.logs) throw new UserError('give either --project <name> (the store) or --logs <file>');
      checkTargets(o);
      const files = readTargetFiles(o.targetProbs);
      const logging = o.loggingProbs ? readTargetFiles([o.loggingProbs], '--logging-probs')[0] : undefined;
      if (o.logs) {
        const opts = withLogging(opeOptions(o, 'logs'), logging);
        const targets = localTargets(o, files);
        const file = path.resolve(o.logs);
        if (!fs.existsSync(file)) throw new UserError(`--logs ${o.logs}: no such file`);
        const { DuckDbStore } = await import('../store/duckdb/store.js');
        const { ope } = await import('../analyses/ope/analyze.js');
        const store = await DuckDbStore.open(':memory:');
        try {
          await store.ingestFile({ project: 'logs', path: file, kind: 'exposures', map: canonical(parsePairs('--map', o.map)), set: canonical(parsePairs('--set', o.set)) });
          output(await ope(store, { ...opts, ...(targets ? { targets } : {}), source: file }), format);
        } finally {
          await store.close();
        }
        return;
      }
      if (o.map || o.set) throw new UserError('--map and --set apply to --logs files only');
      const project = checkProject(o.project!);
      const opts = withLogging(opeOptions(o, project), logging);
      const result = await withStore(
        o.db,
        async (store) => {
          const { ope } = await import('../analyses/ope/analyze.js');
          const targets = localTargets(o, files);
          return ope(store, { ...opts, ...(targets ? { targets } : {}) });
        },
        async (server) => {
          localTargets(o, files); // refuse a bad file here, with its name, before sending it
          const targets = [...(o.target.length ? [{ uniform: true }] : []), ...files.map((f) => ({ name: f.name, csv: f.text }))];
          const body = {
            targets: targets.length ? targets : undefined, estimators: opts.estimators, bootstrap: opts.bootstrap, seed: opts.seed,
            clip: opts.clip, tau: opts.tau, lambda: opts.lambda, reward_model: opts.rewardModel, predictions_column: opts.predictionsColumn,
            context: opts.context, reward: opts.reward, outcome_kinds: opts.outcomeKinds, since: opts.since, until: opts.until,
            policy_version: opts.policyVersion, rank_by: opts.rankBy, thresholds: opts.thresholds,
            slate: opts.slate ? { examination: typeof opts.slate === 'object' ? opts.slate.examination : undefined, logging: logging ? { name: logging.name, csv: logging.text } : undefined } : undefined,
          };
          const res = await fetch(new URL(`/v1/projects/${project}/ope`, server.url), {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${server.admin_token}` },
            body: JSON.stringify(body),
          });
          const json = (await res.json()) as Result & { message?: string };
          if (!res.ok) throw new UserError(json.message ?? `the server answered ${res.status}`);
          return json;
        },
        { read: true },
      );
      output(result, format);
    });
}
