/**
 * The analyses the dashboard shows, each run with defaults that need no side files: loop health by policy version,
 * off-policy evaluation of the uniform policy (normal intervals), drift of decision attributes per day against the
 * first days of the range, and profile decay. The overview lists their verdicts; the pages show their metrics.
 */
import { UserError } from '../../errors.js';
import { worstStatus, type Result, type Status, type Verdict } from '../result.js';
import type { Queryable } from '../sql.js';
import { loopHealth } from '../loop-health/index.js';
import { ope, type OpeOptions } from '../ope/index.js';
import { runDrift } from '../drift/index.js';
import { profileDecay } from '../drift/profile-decay.js';

export interface Scope {
  /** First day included (YYYY-MM-DD). */
  since?: string;
  /** First day excluded. */
  until?: string;
  /** Policy versions to show; all when empty. */
  versions: string[];
}

export const DASHBOARD_ANALYSES = [
  { name: 'loop-health', title: 'Loop health', page: 'loop-health' },
  { name: 'ope', title: 'Off-policy evaluation', page: 'ope' },
  { name: 'drift', title: 'Drift of decision attributes', page: 'drift' },
  { name: 'profile-decay', title: 'Profile decay', page: 'drift' },
] as const;
export type DashboardAnalysis = (typeof DASHBOARD_ANALYSES)[number]['name'];

const DAY_MS = 86400_000;
const dayPlus = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/**
 * The part of the scope an analysis is computed for. Loop health, drift and profile decay are computed for the time
 * range and narrowed to the versions afterwards (one computation serves every version filter); OPE evaluates on the
 * logs of one policy version when exactly one is chosen.
 */
export function computeScope(name: DashboardAnalysis, s: Scope): Scope {
  return { ...(s.since ? { since: s.since } : {}), ...(s.until ? { until: s.until } : {}), versions: name === 'ope' && s.versions.length === 1 ? s.versions : [] };
}

/** Keeps the metrics and verdicts of the chosen versions (and those not split by version). */
export function narrowToVersions(r: Result, versions: readonly string[]): Result {
  if (!versions.length) return r;
  const keep = (g: Record<string, string> | undefined) => !g || g.policy_version === undefined || versions.includes(g.policy_version);
  return { ...r, inputs: { ...r.inputs, shown_versions: versions }, metrics: r.metrics.filter((m) => keep(m.group)), verdicts: r.verdicts.filter((v) => keep(v.group)) };
}

async function driftDefault(db: Queryable, project: string, s: Scope): Promise<Result> {
  const params: unknown[] = [project];
  let range = '';
  if (s.since) params.push(s.since), (range += ` AND ts >= CAST($${params.length} AS TIMESTAMP)`);
  if (s.until) params.push(s.until), (range += ` AND ts < CAST($${params.length} AS TIMESTAMP)`);
  const rows = await db.query(`SELECT CAST(min(ts) AS VARCHAR) AS lo, CAST(max(ts) AS VARCHAR) AS hi FROM decisions WHERE project = $1 AND attributes IS NOT NULL${range}`, params);
  const lo = rows[0]?.lo, hi = rows[0]?.hi;
  if (lo === null || lo === undefined || hi === null || hi === undefined)
    throw new UserError(`project ${project} has no decisions with attributes${s.since || s.until ? ' in this time range' : ''}, so there is nothing to watch for drift; log context features as decision attributes`);
  const first = String(lo).slice(0, 10), last = String(hi).slice(0, 10);
  const span = Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS) + 1;
  if (span < 2) throw new UserError(`the decisions with attributes span one day (${first}); drift per day needs at least two days`);
  // Reference: the first week, or the first third of a shorter range.
  const refDays = Math.max(1, Math.min(7, Math.floor(span / 3)));
  const refEnd = dayPlus(first, refDays);
  return runDrift(db, { project, reference: { window: `${first}/${refEnd}` }, window: span > 120 ? 'week' : 'day', since: refEnd, ...(s.until ? { until: s.until } : {}) });
}

/** `runOpe`: how to run `ope` (the server runs it on its analysis thread). */
export async function runDashboardAnalysis(
  db: Queryable,
  project: string,
  name: DashboardAnalysis,
  s: Scope,
  runOpe: (db: Queryable, o: OpeOptions) => Promise<Result> = ope,
): Promise<Result> {
  const range = { ...(s.since ? { since: s.since } : {}), ...(s.until ? { until: s.until } : {}) };
  switch (name) {
    case 'loop-health':
      return loopHealth(db, { project, ...range });
    case 'ope':
      return runOpe(db, { project, ...range, ...(s.versions.length === 1 ? { policyVersion: s.versions[0]! } : {}), bootstrap: 0 });
    case 'drift':
      return driftDefault(db, project, s);
    case 'profile-decay':
      return profileDecay(db, { project, ...(s.until ? { asOf: s.until } : {}) });
  }
}

const rank: Record<Status, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

/** The overview line of an analysis: its worst status and the check that set it. */
export function summarize(a: (typeof DASHBOARD_ANALYSES)[number], r: Result): { analysis: string; title: string; page: string; status: Status; summary: string; verdicts: Verdict[] } {
  const status = worstStatus(r.verdicts);
  const worst = r.verdicts.filter((v) => v.status === status);
  const summary = !r.verdicts.length
    ? 'No checks apply to this data.'
    : status === 'ok'
      ? `All ${r.verdicts.length} check${r.verdicts.length > 1 ? 's' : ''} passed.`
      : worst[0]!.message + (worst.length > 1 ? ` (${worst.length - 1} more check${worst.length > 2 ? 's' : ''} at this level.)` : '');
  const verdicts = [...r.verdicts].sort((x, y) => rank[y.status] - rank[x.status]);
  return { analysis: a.name, title: a.title, page: a.page, status, summary, verdicts };
}
