/**
 * Deterministic assignment of users to a holdout (users the model never touches: the counterfactual baseline of the
 * whole loop), an exploration group (users who see exploration policies) and treatment (everyone else), with fixed
 * shares. Stable across processes, machines and restarts, because it is a pure function of (salt, user_id):
 *
 *     bucket(u) = first 52 bits of SHA-256(salt || 0x00 || u), as an integer, / 2^52          (uniform on [0, 1))
 *     group(u)  = exploration  if bucket < explorationShare
 *                 holdout      if bucket >= 1 - holdoutShare
 *                 treatment    otherwise
 *
 * SHA-256 (FIPS 180-4) makes the buckets of distinct users independent and uniform for any practical purpose, and
 * different salts give unrelated assignments (so a new experiment re-randomizes). Keep the salt fixed for the life of
 * the holdout: changing it moves users between groups. The two small groups sit at the two ends of [0, 1), so growing
 * (or shrinking) either share moves users only between that group and treatment, never between holdout and
 * exploration.
 */
import crypto from 'node:crypto';
import type { PolicyStrategy } from './policies/common.js';

export type Group = 'holdout' | 'exploration' | 'treatment';

export interface AssignmentOptions {
  /** Names this randomization; change it only to re-randomize everybody. */
  salt: string;
  /** Share of users in the holdout, in [0, 1]. */
  holdout: number;
  /** Share of users in the exploration group, in [0, 1]; holdout + exploration <= 1. */
  exploration: number;
}

export interface Assignment {
  group: Group;
  /** The user's position on [0, 1), for further splits of your own. */
  bucket: number;
}

const TWO_52 = 2 ** 52;

/** The user's bucket on [0, 1) for a salt. */
export function bucketOf(userId: string, salt: string): number {
  const h = crypto.createHash('sha256').update(salt).update('\u0000').update(userId).digest();
  // 52 bits: 6 bytes = 48 bits, plus the top 4 bits of the 7th byte.
  const hi = h.readUIntBE(0, 6);
  return (hi * 16 + (h[6]! >>> 4)) / TWO_52;
}

function groupOf(bucket: number, holdout: number, exploration: number): Group {
  return bucket < exploration ? 'exploration' : bucket >= 1 - holdout ? 'holdout' : 'treatment';
}

export function checkAssignmentOptions(o: AssignmentOptions): void {
  if (typeof o.salt !== 'string' || o.salt.length === 0) throw new RangeError('assign: salt must be a non-empty string');
  for (const k of ['holdout', 'exploration'] as const)
    if (!(o[k] >= 0 && o[k] <= 1)) throw new RangeError(`assign: ${k} share must be in [0, 1] (got ${o[k]})`);
  if (o.holdout + o.exploration > 1 + 1e-12) throw new RangeError(`assign: holdout + exploration must be <= 1 (got ${o.holdout + o.exploration})`);
}

export function assign(userId: string, options: AssignmentOptions): Assignment {
  checkAssignmentOptions(options);
  const bucket = bucketOf(userId, options.salt);
  return { group: groupOf(bucket, options.holdout, options.exploration), bucket };
}

/** The decision `strategy` for a group's default path: holdout decisions are logged as 'holdout'. */
export function strategyForGroup(group: Group, treatment: PolicyStrategy = 'personalized'): PolicyStrategy {
  if (group !== 'holdout' && group !== 'exploration' && group !== 'treatment')
    throw new RangeError(`strategyForGroup: group must be holdout, exploration or treatment (got ${JSON.stringify(group)})`);
  return group === 'holdout' ? 'holdout' : group === 'exploration' ? 'exploration' : treatment;
}

/** An assigner bound to one set of options (validated once). */
export function createAssigner(options: AssignmentOptions): (userId: string) => Assignment {
  checkAssignmentOptions(options);
  const o = { ...options };
  return (userId) => {
    const bucket = bucketOf(userId, o.salt);
    return { group: groupOf(bucket, o.holdout, o.exploration), bucket };
  };
}
