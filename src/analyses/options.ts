/**
 * Checks of the options every analysis shares (thresholds, outcome kinds), so that each refuses bad input with the
 * same words.
 */
import { UserError } from '../errors.js';
import { OUTCOME_KINDS } from '../events/kinds.js';

/** Threshold overrides: known names, non-negative finite numbers, and a confidence strictly between 0 and 1. */
export function checkThresholds(given: Readonly<Record<string, unknown>> | undefined, defaults: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!(k in defaults)) throw new UserError(`unknown threshold '${k}'; known: ${Object.keys(defaults).join(', ')}`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new UserError(`threshold ${k} must be a non-negative number (got ${JSON.stringify(v)})`);
  }
  const c = given?.confidence;
  if (typeof c === 'number' && !(c > 0 && c < 1)) throw new UserError(`confidence must lie between 0 and 1 (got ${c})`);
}

/** Outcome kinds named by the user: built-in kinds or custom:<name>. */
export function checkOutcomeKinds(kinds: readonly string[] | undefined): void {
  for (const k of kinds ?? [])
    if (!(OUTCOME_KINDS as readonly string[]).includes(k) && !/^custom:[A-Za-z0-9_.-]{1,64}$/.test(k))
      throw new UserError(`unknown outcome kind '${k}'; expected one of ${OUTCOME_KINDS.join(', ')} or custom:<name>`);
}
