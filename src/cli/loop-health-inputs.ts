/**
 * Reading the small side inputs of loop health (catalog, offline metrics, thresholds) from the user's files, with
 * errors that name the file and what was expected.
 */
import type { OfflineMetric, Thresholds } from '../analyses/loop-health/index.js';
import { UserError as InputError } from '../store/store.js';
import { parseJsonText as parseJson, readTextFile as readText } from './common.js';

/** Catalog item ids: a JSON array, a CSV with an item_id column, or one id per line. */
export function readCatalog(file: string): string[] {
  const text = readText('--catalog', file);
  if (/\.json$/i.test(file)) {
    const j = parseJson('--catalog', file, text);
    if (!Array.isArray(j) || !j.every((x) => typeof x === 'string' || typeof x === 'number'))
      throw new InputError(`--catalog ${file}: expected a JSON array of item ids`);
    return j.map(String);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim()) ?? [];
  const col = header.indexOf('item_id');
  if (col < 0 && header.length > 1)
    throw new InputError(`--catalog ${file}: expected a CSV with an item_id column, or one id per line (the first line has the columns ${header.join(', ')})`);
  const ids = col >= 0 ? lines.slice(1).map((l) => l.split(',')[col]?.trim() ?? '') : lines.map((l) => l.trim());
  const empty = ids.findIndex((x) => x === '');
  if (empty >= 0) throw new InputError(`--catalog ${file}: line ${empty + (col >= 0 ? 2 : 1)} has no item id`);
  if (!ids.length) throw new InputError(`--catalog ${file}: no item ids found`);
  return ids;
}

/** Offline metrics: CSV policy_version,metric,value[,higher_is_better] or a JSON array of such objects. */
export function readOffline(file: string): OfflineMetric[] {
  const text = readText('--offline', file);
  let rows: Array<Record<string, unknown>>;
  if (/\.json$/i.test(file)) {
    const j = parseJson('--offline', file, text);
    if (!Array.isArray(j)) throw new InputError(`--offline ${file}: expected a JSON array of {policy_version, metric, value}`);
    rows = j as Array<Record<string, unknown>>;
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = (lines[0] ?? '').split(',').map((h) => h.trim());
    for (const need of ['policy_version', 'metric', 'value'])
      if (!header.includes(need)) throw new InputError(`--offline ${file}: the header needs a column '${need}' (got ${header.join(', ')})`);
    rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((c, i) => [header[i] ?? `c${i}`, c.trim()])));
  }
  return rows.map((r, i) => {
    const where = /\.json$/i.test(file) ? `item ${i}` : `line ${i + 2}`;
    const value = Number(r.value);
    if (typeof r.policy_version !== 'string' && typeof r.policy_version !== 'number') throw new InputError(`--offline ${file}, ${where}: policy_version is missing`);
    if (typeof r.metric !== 'string' || !r.metric) throw new InputError(`--offline ${file}, ${where}: metric is missing`);
    if (r.value === '' || r.value === null || r.value === undefined || !Number.isFinite(value)) throw new InputError(`--offline ${file}, ${where}: value must be a finite number (got ${JSON.stringify(r.value)})`);
    const hib = r.higher_is_better;
    const higher = hib === undefined || hib === '' ? true : hib === true || hib === 'true' || hib === '1' ? true : hib === false || hib === 'false' || hib === '0' ? false : null;
    if (higher === null) throw new InputError(`--offline ${file}, ${where}: higher_is_better must be true or false (got ${JSON.stringify(hib)})`);
    return { policy_version: String(r.policy_version), metric: r.metric, value, higher_is_better: higher };
  });
}

/** Threshold overrides: {"thresholds": {"coverage_min": 0.3, ...}}; names and values are checked by the analysis. */
export function readThresholds(file: string): Partial<Thresholds> {
  const j = parseJson('--config', file, readText('--config', file)) as { thresholds?: unknown };
  if (!j || typeof j !== 'object' || Array.isArray(j) || (j.thresholds !== undefined && (typeof j.thresholds !== 'object' || j.thresholds === null || Array.isArray(j.thresholds))))
    throw new InputError(`--config ${file}: expected a JSON object {"thresholds": {...}}`);
  return (j.thresholds ?? {}) as Partial<Thresholds>;
}
