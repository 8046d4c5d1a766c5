/**
 * The logged rounds of off-policy evaluation, read from the store as typed columns (one entry per exposure row).
 *
 * Convention (Open Bandit Pipeline's for the Open Bandit Dataset, Saito et al. 2021): a round is one shown item at its
 * position. The action is the item; the position stays a separate column, and the logged propensity is
 * pi_b(item at that position | context), as OBD's `propensity_score` is. A target policy is then
 * pi_e(item | context, position), OBP's action_dist[round, item, position], and each estimator reads it at the
 * round's logged position. A decision that shows several items gives several rounds, one per position.
 *
 * Order: by time, then decision id (shorter ids first, so numbered ids such as the row-numbered ids of a loaded file
 * sort by number), then position and item. `ope` numbers decisions 0, 1, ... in this order; that number is the
 * `round` of --target-probs files.
 *
 * Reward: with `reward: 'binary'` (default) 1 when the (request_id, item_id) has an outcome of a counted kind with a
 * positive value, else 0 (the success rule of loop health); with `reward: 'value'`, the sum of the values of the
 * counted outcomes (0 when there are none), e.g. ratings. Counted kinds: `outcomeKinds`, or by default every kind but
 * the negative ones (retry, reformulate, abandon, escalate, thumbs_down).
 *
 * Context: when asked, the decision's attributes come back as JSON text and rounds.ts reads the named numeric fields
 * from it, which keeps the SQL to what DuckDB and ClickHouse share (their JSON functions differ).
 */
import { NEGATIVE_OUTCOME_KINDS } from '../../events/kinds.js';
import { EXPLORE_SQL, lit, numberColumn, textColumn, type Column, type Queryable } from '../sql.js';
import type { CellSums } from './sums.js';

export type RewardMode = 'binary' | 'value';

export interface RoundScope {
  project: string;
  /** UTC timestamp texts for SQL ('YYYY-MM-DD HH:MM:SS[.ffffff]'). */
  since?: string;
  until?: string;
  policyVersion?: string;
  /** Only exploration or holdout exposures (the anchor traffic), when true. */
  explorationOnly?: boolean;
  outcomeKinds: string[];
  reward: RewardMode;
  /** Also return the decision's attributes (JSON text), for context features and prediction columns. */
  attributes: boolean;
}

export interface RoundColumns {
  n: number;
  /**
   * The decision's id as a number (SqlDialect.hashKey). The rows of a decision are side by side (the ORDER BY), so a
   * change of key starts the next decision; two neighbouring decisions with one key, at odds of about 2^-53 per pair,
   * would count as one.
   */
  decisionKey: Float64Array;
  requestId: Array<string | null>;
  item: Array<string | null>;
  position: Float64Array;
  pscore: Float64Array;
  reward: Float64Array;
  attributes?: Array<string | null>;
}

function rewardJoin(scope: RoundScope, params: unknown[]): { expr: string; join: string } {
  params.push(scope.project);
  let w = `project = $${params.length} AND item_id IS NOT NULL`;
  if (scope.reward === 'binary') w += ' AND value > 0';
  if (scope.outcomeKinds.length) w += ` AND kind IN (${scope.outcomeKinds.map(lit).join(', ')})`;
  else w += ` AND kind NOT IN (${NEGATIVE_OUTCOME_KINDS.map(lit).join(', ')})`;
  // A 0/1 reward only asks whether a counted outcome exists: a semi-join (IN), without grouping the outcomes first.
  if (scope.reward === 'binary')
    return { expr: `CASE WHEN (e.request_id, e.item_id) IN (SELECT request_id, item_id FROM outcomes WHERE ${w}) THEN 1 ELSE 0 END`, join: '' };
  const join = `LEFT JOIN (SELECT request_id, item_id, sum(value) AS v FROM outcomes WHERE ${w} GROUP BY request_id, item_id) o
      ON o.request_id = e.request_id AND o.item_id = e.item_id`;
  return { expr: 'coalesce(o.v, 0)', join };
}

function whereClause(scope: RoundScope, params: unknown[]): string {
  params.push(scope.project);
  let where = `e.project = $${params.length}`;
  if (scope.since) (params.push(scope.since), (where += ` AND e.ts >= CAST($${params.length} AS TIMESTAMP)`));
  if (scope.until) (params.push(scope.until), (where += ` AND e.ts < CAST($${params.length} AS TIMESTAMP)`));
  if (scope.policyVersion !== undefined) (params.push(scope.policyVersion), (where += ` AND e.policy_version = $${params.length}`));
  if (scope.explorationOnly) where += ` AND ${EXPLORE_SQL}`;
  return where;
}

/** Every exposure row in scope with its reward, in round order (see the module comment). */
export async function loggedRounds(db: Queryable, scope: RoundScope): Promise<RoundColumns> {
  const read = await readRounds(db, scope, '', () => []);
  return read === null ? emptyRounds(scope) : roundColumns(read.cols, scope, 0, Number.POSITIVE_INFINITY, read.items);
}

/**
 * The rounds query's columns with the items as numbers and the dictionary that maps them back (itemDictionary), or
 * with the items as text (items null) when the dictionary cannot be used: two items share a number, or a row written
 * between the two queries brought an item the dictionary lacks. null when the scope has no rows at all.
 */
async function readRounds(
  db: Queryable,
  scope: RoundScope,
  extraWhere: string,
  extraColumns: (params: unknown[]) => string[],
): Promise<{ cols: Record<string, Column>; items: Map<number, string | null> | null } | null> {
  let items = await itemDictionary(db, scope, extraWhere);
  if (items !== null && items.size === 0) return null;
  const query = async () => {
    const params: unknown[] = [];
    const extra = extraColumns(params);
    return db.queryColumns(roundsSql(db, scope, params, extraWhere, extra, items !== null), params);
  };
  let cols = await query();
  if (items !== null) {
    const key = numberColumn(cols, 'item_key', 'loggedRounds');
    let known = true;
    for (let i = 0; i < key.length && known; i++) known = items.has(key[i]!);
    if (!known) (items = null), (cols = await query());
  }
  return { cols, items };
}

/**
 * The items in scope by their number (SqlDialect.hashKey), so that the rounds query hands each row's item to
 * JavaScript as a number and not as text (1M rows of text ids cost about 0.7 s to convert; the items are a few
 * thousand). null when two items share a number (about K^2 / 2^54 for K items), and the rounds then carry the text.
 */
async function itemDictionary(db: Queryable, scope: RoundScope, extraWhere: string): Promise<Map<number, string | null> | null> {
  const params: unknown[] = [];
  const where = whereClause(scope, params) + (extraWhere ? ` AND ${extraWhere}` : '');
  const cols = await db.queryColumns(
    `SELECT e.item_id AS item, ${db.dialect.hashKey('e.item_id')} AS item_key FROM ${roundsTable(scope)} WHERE ${where} GROUP BY e.item_id`,
    params,
  );
  const item = textColumn(cols, 'item', 'itemDictionary');
  const key = numberColumn(cols, 'item_key', 'itemDictionary');
  const map = new Map<number, string | null>();
  for (let j = 0; j < key.length; j++) map.set(key[j]!, item[j] ?? null);
  return map.size === key.length ? map : null;
}

/**
 * `loggedRounds` of several policy versions in one query (scope.policyVersion is ignored): for each version, exactly
 * what `loggedRounds({ ...scope, policyVersion })` returns, the same rows in the same order. The query orders by
 * version first, so each version's rows are one slice of the result. It reads the rows of every version in scope and
 * drops those of versions not asked for: a list of versions (IN) is not pushed into DuckDB's scan and cost more than
 * it saved when most versions are asked for, as loop health's anchor does. Versions without rows get empty columns.
 */
export async function loggedRoundsByVersion(db: Queryable, scope: RoundScope, versions: readonly string[]): Promise<Map<string, RoundColumns>> {
  const out = new Map<string, RoundColumns>();
  const { policyVersion: _ignored, ...all } = scope;
  if (versions.length === 0) return out;
  const read = await readRounds(db, all, 'e.policy_version IS NOT NULL', (params) => [`${versionIndex(versions, params)} AS version_index`]);
  const { cols, items } = read ?? { cols: { version_index: new Float64Array(0) }, items: null };
  const version = numberColumn(cols, 'version_index', 'loggedRoundsByVersion');
  for (let start = 0; start < version.length; ) {
    const k = version[start]!;
    let end = start + 1;
    while (end < version.length && version[end] === k) end++;
    if (k >= 0) out.set(versions[k]!, roundColumns(cols, all, start, end, items));
    start = end;
  }
  for (const v of versions) if (!out.has(v)) out.set(v, emptyRounds(all));
  return out;
}

/**
 * Each row's version as its index in `versions` (-1 for others): a number per row is far cheaper to hand to JavaScript
 * than the version text.
 */
function versionIndex(versions: readonly string[], params: unknown[]): string {
  return `CASE e.policy_version ${versions.map((v, k) => (params.push(v), `WHEN $${params.length} THEN ${k}`)).join(' ')} ELSE -1 END`;
}

/**
 * The rounds of several policy versions in scope (scope.policyVersion is ignored) added up per (action, position) cell,
 * for estimates from sufficient statistics (sums.ts): per version, the cells of exactly the rows
 * `loggedRounds({ ...scope, policyVersion })` returns. One aggregate over the rows, a few numbers per cell back.
 * Versions without rows get no cells. With `versions` undefined, the cells of every row in scope, under ''.
 */
export async function cellSumsByVersion(db: Queryable, scope: RoundScope, versions?: readonly string[]): Promise<Map<string, CellSums[]>> {
  const out = new Map<string, CellSums[]>();
  if (versions?.length === 0) return out;
  const { policyVersion: _ignored, ...all } = scope;
  const params: unknown[] = [];
  const index = versions ? versionIndex(versions, params) : '0';
  const { expr, join } = rewardJoin(all, params);
  const where = whereClause(all, params);
  const cols = await db.queryColumns(
    `SELECT version_index, item, position, count(*) AS n, sum(1.0 / p) AS inv, sum(r / p) AS r_inv, sum(1.0 / (p * p)) AS inv2,
        sum(r / (p * p)) AS r_inv2, sum(r * r / (p * p)) AS r2_inv2, min(p) AS min_p, ${db.dialect.argMin('request_id', 'p')} AS min_p_request
      FROM (SELECT ${index} AS version_index, e.item_id AS item, CAST(e.position AS DOUBLE) AS position, e.propensity AS p,
          e.request_id AS request_id, CAST(${expr} AS DOUBLE) AS r
        FROM ${roundsTable(all)} ${join} WHERE ${where}${versions ? ' AND e.policy_version IS NOT NULL' : ''}) x
      WHERE version_index >= 0
      GROUP BY version_index, item, position`,
    params,
  );
  const num = (name: string) => numberColumn(cols, name, 'cellSumsByVersion');
  const text = (name: string) => textColumn(cols, name, 'cellSumsByVersion');
  const version = num('version_index'), position = num('position'), n = num('n'), inv = num('inv'), rInv = num('r_inv');
  const inv2 = num('inv2'), rInv2 = num('r_inv2'), r2Inv2 = num('r2_inv2'), minP = num('min_p');
  const item = text('item'), request = text('min_p_request');
  for (let i = 0; i < version.length; i++) {
    const v = versions ? versions[version[i]!]! : '';
    let list = out.get(v);
    if (!list) out.set(v, (list = []));
    list.push({
      action: item[i] ?? '', position: position[i]!, n: n[i]!, inv: inv[i]!, rInv: rInv[i]!, inv2: inv2[i]!, rInv2: rInv2[i]!, r2Inv2: r2Inv2[i]!,
      minP: minP[i]!, minPRequest: request[i] ?? '',
    });
  }
  return out;
}

/**
 * Exploration-only rounds come from the store's copy of those exposures (EXPLORED_EXPOSURES in the store's tables.ts),
 * a few percent of the log; whereClause keeps EXPLORE_SQL on them all the same.
 */
const roundsTable = (scope: RoundScope) => (scope.explorationOnly ? 'explored_exposures e' : 'exposures e');

function emptyRounds(scope: RoundScope): RoundColumns {
  const empty = { n: 0, decisionKey: new Float64Array(0), requestId: [], item: [], position: new Float64Array(0), pscore: new Float64Array(0), reward: new Float64Array(0) };
  return scope.attributes ? { ...empty, attributes: [] } : empty;
}

/**
 * The rounds query: `extraWhere` narrows the scope, `extraColumns` are selected too and order the rows first; the item
 * as its number (item_key, see itemDictionary) when `itemKeys`, else as text.
 */
function roundsSql(db: Queryable, scope: RoundScope, params: unknown[], extraWhere: string, extraColumns: string[], itemKeys: boolean): string {
  const { expr, join } = rewardJoin(scope, params);
  let attrJoin = '';
  if (scope.attributes) {
    params.push(scope.project);
    attrJoin = `LEFT JOIN (SELECT event_id, attributes FROM decisions WHERE project = $${params.length}) d ON d.event_id = e.decision_id`;
  }
  const where = whereClause(scope, params) + (extraWhere ? ` AND ${extraWhere}` : '');
  const first = extraColumns.map((c) => c.replace(/ AS \w+$/, ''));
  const item = itemKeys ? `${db.dialect.hashKey('e.item_id')} AS item_key` : 'e.item_id AS item';
  return `SELECT ${db.dialect.hashKey('e.decision_id')} AS decision_key, e.request_id AS request_id, ${item},
      CAST(e.position AS DOUBLE) AS position, e.propensity AS pscore, CAST(${expr} AS DOUBLE) AS reward
      ${scope.attributes ? ', CAST(d.attributes AS VARCHAR) AS attributes' : ''}${extraColumns.map((c) => `, ${c}`).join('')}
    FROM ${roundsTable(scope)} ${join} ${attrJoin}
    WHERE ${where}
    ORDER BY ${[...first, 'e.ts', 'length(e.decision_id)', 'e.decision_id', 'e.position', 'e.item_id'].join(', ')}`;
}

/**
 * Rows start..end (end clipped to the row count) of a rounds query's columns; `items` maps item_key to the item (every
 * key is in it: readRounds).
 */
function roundColumns(cols: Record<string, Column>, scope: RoundScope, start: number, end: number, items: Map<number, string | null> | null): RoundColumns {
  const text = (name: string): Array<string | null> => {
    const c = textColumn(cols, name, 'loggedRounds');
    return start === 0 && end >= c.length ? c : c.slice(start, end);
  };
  const num = (name: string): Float64Array => {
    const c = numberColumn(cols, name, 'loggedRounds');
    return start === 0 && end >= c.length ? c : c.subarray(start, end);
  };
  const out: RoundColumns = {
    n: num('pscore').length,
    decisionKey: num('decision_key'),
    requestId: text('request_id'),
    item: items === null ? text('item') : Array.from(num('item_key'), (k) => items.get(k)!),
    position: num('position'),
    pscore: num('pscore'),
    reward: num('reward'),
  };
  if (scope.attributes) out.attributes = text('attributes');
  return out;
}
