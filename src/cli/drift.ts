import type { Command } from 'commander';
import { renderJson, renderText, exitCodeFor, type Result } from '../analyses/result.js';
import { renderHtml } from '../analyses/render-html.js';
import type { DriftRequest, SideSpec } from '../analyses/drift/request.js';
import { checkPermutations, checkTestName, DEFAULT_DRIFT_THRESHOLDS } from '../analyses/drift/rule.js';
import { parseRange, parseTime } from '../analyses/drift/sources.js';
import { UserError } from '../store/store.js';
import { parseFormat, print, readJsonFile, wholeNumberOption, withStore, type Format } from './common.js';
import { checkProject } from './keys.js';
import { registerEvalFreshness } from './drift-freshness.js';
import { registerProfileDecay } from './drift-decay.js';

export interface DriftFlags {
  reference?: string;
  current?: string;
  project?: string;
  db?: string;
  referenceWindow?: string;
  currentWindow?: string;
  window?: string;
  since?: string;
  until?: string;
  columns?: string;
  test?: string;
  threshold?: string;
  config?: string;
  domainClassifier: boolean;
  domainSample?: string;
  permutations?: string;
  seed?: string;
  format: string;
}

const THRESHOLD_NAMES = ['ks', 'wasserstein_norm', 'psi', 'js', 'chi2', 'z', 'small_sample', 'max_categories', 'drift_share', 'bins', 'domain_auc', 'domain_pvalue'];

function pairs(option: string, text: string): Array<[string, string]> {
  return text.split(',').map((part) => {
    const i = part.indexOf('=');
    if (i <= 0) throw new UserError(`${option} expects name=value pairs separated by commas (got '${part}')`);
    return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
  });
}

/** --test psi (every column) or --test age=psi,priors=ks. */
export function parseTests(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  if (!text.includes('=')) return { '*': text.trim() };
  return Object.fromEntries(pairs('--test', text));
}

function number(option: string, name: string, v: string): number {
  const x = Number(v);
  if (v === '' || !Number.isFinite(x)) throw new UserError(`${option} ${name}: expected a number (got '${v}')`);
  return x;
}

/** name=number pairs. */
export function numberPairs(option: string, text: string): Record<string, number> {
  return Object.fromEntries(pairs(option, text).map(([k, v]) => [k, number(option, k, v)]));
}

/** --threshold js=0.2,drift_share=0.3,age=0.15: known threshold names set those, other names are columns. */
export function parseThresholds(text: string | undefined): { thresholds?: Record<string, number>; columnThresholds?: Record<string, number> } {
  if (!text) return {};
  const thresholds: Record<string, number> = {};
  const columnThresholds: Record<string, number> = {};
  for (const [k, v] of pairs('--threshold', text)) (THRESHOLD_NAMES.includes(k) ? thresholds : columnThresholds)[k] = number('--threshold', k, v);
  return { thresholds, columnThresholds };
}

function positiveInt(option: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new UserError(`${option} must be a whole number of at least 1 (got '${v}')`);
  return x;
}

interface ConfigFile {
  tests?: Record<string, string>;
  thresholds?: Record<string, number>;
  column_thresholds?: Record<string, number>;
}

function readConfig(file: string): ConfigFile {
  const c = readJsonFile('--config', file) as ConfigFile;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new UserError(`--config ${file}: expected a JSON object {"tests": {...}, "thresholds": {...}, "column_thresholds": {...}}`);
  for (const k of Object.keys(c))
    if (!['tests', 'thresholds', 'column_thresholds'].includes(k)) throw new UserError(`--config ${file}: unknown key '${k}'; expected tests, thresholds, column_thresholds`);
  return c;
}

/** The request the flags describe (sides with files still as paths). */
export function driftRequest(o: DriftFlags): DriftRequest {
  // Malformed values first, each named by its option (before any complaint about what is missing).
  if (o.referenceWindow) parseRange('--reference-window', o.referenceWindow);
  if (o.currentWindow) parseRange('--current-window', o.currentWindow);
  const since = o.since ? parseTime('--since', o.since) : undefined;
  const until = o.until ? parseTime('--until', o.until) : undefined;
  if (since && until && !(since < until)) throw new UserError(`--since ${o.since} is ${since === until ? 'the same time as' : 'after'} --until ${o.until}; the monitored range is [--since, --until)`);
  const ref: SideSpec[] = [];
  if (o.reference) ref.push({ file: o.reference });
  if (o.referenceWindow) ref.push({ window: o.referenceWindow });
  if (ref.length !== 1) throw new UserError('give the reference as --reference <file> or --reference-window START/END (with --project)');
  const cur: SideSpec[] = [];
  if (o.current) cur.push({ file: o.current });
  if (o.currentWindow) cur.push({ window: o.currentWindow });
  if (cur.length > 1) throw new UserError('give the current data as --current <file> or --current-window START/END, not both');
  if (o.window !== undefined && !['day', 'week'].includes(o.window)) throw new UserError(`--window must be day or week (got '${o.window}')`);
  if (o.window && cur.length) throw new UserError('--window monitors the project\'s decisions day by day (or week by week); it takes no --current or --current-window');
  if (!o.window && !cur.length) throw new UserError('give --current <file> or --current-window START/END, or --window day|week with --project to monitor');
  if ((o.referenceWindow || o.currentWindow || o.window) && !o.project) throw new UserError('store windows and --window need --project <name>');
  if ((o.since || o.until) && !o.window) throw new UserError('--since and --until bound the monitored range of --window');
  const config = o.config ? readConfig(o.config) : {};
  const flagThresholds = parseThresholds(o.threshold);
  const tests = { ...(config.tests ?? {}), ...(parseTests(o.test) ?? {}) };
  for (const [column, test] of Object.entries(tests)) checkTestName(column === '*' ? '--test' : `--test ${column}`, String(test));
  const thresholds = { ...(config.thresholds ?? {}), ...(flagThresholds.thresholds ?? {}) };
  const columnThresholds = { ...(config.column_thresholds ?? {}), ...(flagThresholds.columnThresholds ?? {}) };
  const sample = positiveInt('--domain-sample', o.domainSample);
  const permutations = positiveInt('--permutations', o.permutations);
  if (o.domainClassifier) checkPermutations('--permutations', permutations, thresholds.domain_pvalue ?? DEFAULT_DRIFT_THRESHOLDS.domain_pvalue);
  const seed = wholeNumberOption('--seed', o.seed);
  return {
    ...(o.project ? { project: checkProject(o.project) } : {}),
    reference: ref[0]!,
    ...(cur.length ? { current: cur[0]! } : {}),
    ...(o.window ? { window: o.window as 'day' | 'week' } : {}),
    ...(o.since ? { since: o.since } : {}),
    ...(o.until ? { until: o.until } : {}),
    ...(o.columns ? { columns: o.columns.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(Object.keys(tests).length ? { tests } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
    ...(Object.keys(columnThresholds).length ? { columnThresholds } : {}),
    domainClassifier: o.domainClassifier
      ? { ...(sample ? { samplePerSide: sample } : {}), ...(permutations ? { permutations } : {}), ...(seed !== undefined ? { seed } : {}) }
      : false,
  };
}

export function outputResult(result: Result, format: Format): void {
  print(format === 'json' ? renderJson(result) : format === 'html' ? renderHtml(result) : renderText(result));
  process.exitCode = exitCodeFor([result]);
}

/** Reads a file's rows locally (for a server that cannot see the file). */
export async function fileRows(option: string, file: string): Promise<Array<Record<string, unknown>>> {
  const { DuckDbStore } = await import('../store/duckdb/store.js');
  const { loadFile } = await import('../analyses/drift/sources.js');
  const mem = await DuckDbStore.open(':memory:');
  try {
    const src = await loadFile(mem, file, 'lg_rows', option);
    return await mem.query(`SELECT * FROM ${src.relation.from}`);
  } finally {
    await mem.close();
  }
}

/** POSTs a JSON body to a project route of the server that holds the store. */
export async function postToServer(server: { url: string; admin_token: string }, route: string, body: unknown): Promise<Result> {
  const res = await fetch(new URL(route, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.admin_token}` },
    body: JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
  });
  const json = (await res.json()) as Result & { message?: string };
  if (!res.ok) throw new UserError(json.message ?? `the server answered ${res.status}`);
  return json;
}

async function sideBody(s: SideSpec | undefined, option: string): Promise<Record<string, unknown> | undefined> {
  if (!s) return undefined;
  if (s.file) return { rows: await fileRows(option, s.file) };
  return { window: s.window };
}

/** Registers `drift`, `eval-freshness` and `profile-decay`. */
export function registerDrift(program: Command): void {
  registerDriftCommand(program);
  registerEvalFreshness(program);
  registerProfileDecay(program);
}

function registerDriftCommand(program: Command): void {
  program
    .command('drift')
    .description('did the data move? per-column drift tests, data-set drift and a domain classifier, between files or store windows')
    .option('--reference <file>', 'reference data: CSV, Parquet or JSONL')
    .option('--current <file>', 'current data: CSV, Parquet or JSONL')
    .option('--project <name>', 'a project in the store (decision attributes are the columns)')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--reference-window <start/end>', 'reference: the project\'s decisions in [START, END)')
    .option('--current-window <start/end>', 'current: the project\'s decisions in [START, END)')
    .option('--window <w>', 'monitor: drift of each attribute per day or week, against the reference and the previous window')
    .option('--since <time>', 'with --window: first time monitored')
    .option('--until <time>', 'with --window: end of the monitored range (exclusive)')
    .option('--columns <names>', 'compare only these columns (comma-separated)')
    .option('--test <spec>', 'force a test: ks, wasserstein_norm, psi, js, chi2, z; for every column, or per column as age=psi,sex=chi2')
    .option('--threshold <pairs>', 'override thresholds: ks=0.01,js=0.2,drift_share=0.3,small_sample=5000 or per column age=0.15')
    .option('--config <file>', 'JSON {"tests": {...}, "thresholds": {...}, "column_thresholds": {...}}')
    .option('--no-domain-classifier', 'skip the multivariate domain classifier')
    .option('--domain-sample <n>', 'rows per side for the domain classifier (default 500)')
    .option('--permutations <n>', 'label permutations for the classifier\'s baseline (default 19)')
    .option('--seed <n>', 'seed of the classifier\'s sample, folds and permutations (default 0)')
    .option('--format <format>', 'text, json or html', 'text')
    .action(async (o: DriftFlags) => {
      const format = parseFormat(o.format, ['text', 'json', 'html']);
      const req = driftRequest(o);
      const { runDrift } = await import('../analyses/drift/request.js');
      if (!req.project) {
        const { DuckDbStore } = await import('../store/duckdb/store.js');
        const mem = await DuckDbStore.open(':memory:');
        try {
          outputResult(await runDrift(mem, req), format);
        } finally {
          await mem.close();
        }
        return;
      }
      const result = await withStore(
        o.db,
        (store) => runDrift(store, req),
        async (server) =>
          postToServer(server, `/v1/projects/${req.project}/drift`, {
            reference: await sideBody(req.reference, '--reference'),
            current: await sideBody(req.current, '--current'),
            window: req.window, since: req.since, until: req.until, columns: req.columns, tests: req.tests,
            thresholds: req.thresholds, column_thresholds: req.columnThresholds,
            domain_classifier: req.domainClassifier === false ? false : { sample_per_side: req.domainClassifier?.samplePerSide, permutations: req.domainClassifier?.permutations, seed: req.domainClassifier?.seed },
          }),
        { read: true },
      );
      outputResult(result, format);
    });
}
