/**
 * From the store's columns to the index arrays the estimators work on: decisions numbered in round order, items mapped
 * to action indices 0..K-1, positions to 0..L-1, context features parsed from the decisions' attributes.
 */
import { UserError } from '../../errors.js';
import type { RoundColumns } from './query.js';

export interface LoggedRounds {
  /** Exposure rows (bandit rounds: one item at one position). */
  n: number;
  /** Decisions (slates); `decision[i]` is the 0-based round index of row i used by --target-probs files. */
  nDecisions: number;
  decision: Int32Array;
  /** Request id of each decision. */
  requestIds: string[];
  /** Action ids; action index a names actions[a]. Logged items first, in natural order, then any others. */
  actions: string[];
  /** Actions that appear in the logs are 0..nLogged-1. */
  nLogged: number;
  action: Int32Array;
  /** Logged position values, ascending; `position[i]` indexes it. */
  positions: number[];
  position: Int32Array;
  reward: Float64Array;
  pscore: Float64Array;
  /** Row-major n x dim numeric context (from --context attributes), if asked for. */
  context?: Float64Array;
  contextNames: string[];
  /** Parsed attributes per decision (when attributes were read). */
  attributes?: Array<Record<string, unknown> | null>;
}

/** Natural order of ids: numerically when every id is an integer, otherwise by code units. */
export function sortIds(ids: Iterable<string>): string[] {
  const list = [...new Set(ids)];
  const numeric = list.every((s) => /^-?\d{1,15}$/.test(s));
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function parseAttributes(text: string | null, decision: number, requestId: string): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    throw new UserError(`round ${decision} (request ${requestId}): its attributes are not valid JSON`);
  }
}

/** A finite number from an attribute value (numbers, or text that reads as one). */
export function attributeNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const x = Number(v);
    return Number.isFinite(x) ? x : null;
  }
  return null;
}

export function buildRounds(cols: RoundColumns, options: { context?: string[]; extraActions?: Iterable<string> } = {}): LoggedRounds {
  const n = cols.n;
  const decision = new Int32Array(n);
  const requestIds: string[] = [];
  const key = cols.decisionKey;
  for (let i = 0; i < n; i++) {
    if (i === 0 || key[i] !== key[i - 1]) requestIds.push(cols.requestId[i] ?? '');
    decision[i] = requestIds.length - 1;
  }
  const logged = sortIds(cols.item.map((x) => x ?? ''));
  const extra = sortIds([...(options.extraActions ?? [])].filter((a) => !logged.includes(a)));
  const actions = [...logged, ...extra];
  const index = new Map(actions.map((a, k) => [a, k]));
  const action = new Int32Array(n);
  for (let i = 0; i < n; i++) action[i] = index.get(cols.item[i] ?? '')!;
  const positions = [...new Set(cols.position)].sort((a, b) => a - b);
  const pIndex = new Map(positions.map((p, k) => [p, k]));
  const position = new Int32Array(n);
  for (let i = 0; i < n; i++) position[i] = pIndex.get(cols.position[i]!)!;

  const out: LoggedRounds = {
    n,
    nDecisions: requestIds.length,
    decision,
    requestIds,
    actions,
    nLogged: logged.length,
    action,
    positions,
    position,
    reward: cols.reward,
    pscore: cols.pscore,
    contextNames: options.context ?? [],
  };
  if (cols.attributes !== undefined) {
    const attrs: Array<Record<string, unknown> | null> = new Array(out.nDecisions).fill(null);
    for (let i = 0; i < n; i++) {
      const d = decision[i]!;
      if (i === 0 || decision[i - 1] !== d) attrs[d] = parseAttributes(cols.attributes[i] ?? null, d, requestIds[d]!);
    }
    out.attributes = attrs;
    const names = options.context ?? [];
    if (names.length) {
      const dim = names.length;
      const ctx = new Float64Array(n * dim);
      for (let i = 0; i < n; i++) {
        const d = decision[i]!;
        const a = attrs[d];
        for (let k = 0; k < dim; k++) {
          const raw = a?.[names[k]!];
          const x = attributeNumber(raw);
          if (x === null) {
            throw new UserError(
              raw === undefined || raw === null
                ? `context attribute '${names[k]}' is missing in round ${d} (request ${requestIds[d]}); attributes there: ${a ? Object.keys(a).slice(0, 12).join(', ') || '(none)' : '(none)'}`
                : `context attribute '${names[k]}' must be a number, but round ${d} (request ${requestIds[d]}) has ${JSON.stringify(raw)}`,
            );
          }
          ctx[i * dim + k] = x;
        }
      }
      out.context = ctx;
    }
  }
  return out;
}
