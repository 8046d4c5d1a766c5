/**
 * `ope` for many runs at once, e.g. one per policy version: the rounds of every run that names a policy version are
 * read with one query per shared scope (loggedRoundsByVersion) instead of one query per run; each run is then
 * evaluated by `opeOnRounds`, the code of `ope` itself, on exactly the rows `ope` would have read, in the same order.
 * So `opeBatch(db, runs)[i]` equals `ope(db, runs[i])`; runs without a policy version read their rounds as `ope` does.
 */
import type { Result } from '../result.js';
import type { Queryable } from '../sql.js';
import { opeOnRounds, opeRoundScope, type OpeOptions } from './analyze.js';
import { loggedRounds, loggedRoundsByVersion, type RoundColumns, type RoundScope } from './query.js';

/** The scope without its policy version, as a key: runs with equal keys share one query. */
function scopeKey(scope: RoundScope): string {
  const { policyVersion: _version, ...rest } = scope;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

export async function opeBatch(db: Queryable, runs: readonly OpeOptions[]): Promise<Result[]> {
  // Options are checked (and may throw) before any query, as ope does.
  const scopes = runs.map(opeRoundScope);
  const families = new Map<string, { scope: RoundScope; versions: Set<string> }>();
  for (const scope of scopes) {
    if (scope.policyVersion === undefined) continue;
    const k = scopeKey(scope);
    const f = families.get(k) ?? { scope, versions: new Set<string>() };
    f.versions.add(scope.policyVersion);
    families.set(k, f);
  }
  const fetched = new Map<string, Map<string, RoundColumns>>();
  for (const [k, f] of families) fetched.set(k, await loggedRoundsByVersion(db, f.scope, [...f.versions]));
  const results: Result[] = [];
  for (const run of runs) {
    results.push(
      await opeOnRounds(run, async (scope) => {
        if (scope.policyVersion === undefined) return loggedRounds(db, scope);
        const cols = fetched.get(scopeKey(scope))?.get(scope.policyVersion);
        if (cols === undefined) throw new Error(`opeBatch: no rounds fetched for policy version ${scope.policyVersion}`);
        return cols;
      }),
    );
  }
  return results;
}
