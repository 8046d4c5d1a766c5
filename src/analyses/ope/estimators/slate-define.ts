/**
 * Turns a per-slate formula into a `SlateEstimator`: validation, `roundTerms` and the normal-approximation `estimate`
 * are shared, as for the bandit estimators (define.ts). Round terms are per slate, so the shared bootstrap
 * (bootstrapRoundTerms) resamples whole slates: the rows of one slate are not independent of each other.
 */
import { estimateFromTerms } from '../terms.js';
import type { Estimate, EstimateOptions, LoggedSlates, RoundTerms, SlateEstimator, SlateTargetPolicy } from '../types.js';
import { validateConfidence, validateLoggedSlates, validateSlateTarget } from '../validate.js';
import { DEFAULT_CONFIDENCE } from './define.js';

export interface SlateEstimatorSpec {
  name: string;
  params: Record<string, number>;
  requiresLoggingMarginals: boolean;
  /** Per-slate terms over validated inputs. */
  terms(data: LoggedSlates, target: SlateTargetPolicy): RoundTerms;
}

export function defineSlateEstimator(spec: SlateEstimatorSpec): SlateEstimator {
  const { name } = spec;
  const roundTerms = (data: LoggedSlates, target: SlateTargetPolicy): RoundTerms => {
    validateLoggedSlates(name, data);
    validateSlateTarget(name, data, target);
    if (spec.requiresLoggingMarginals && data.loggingMarginals === undefined) {
      throw new RangeError(`${name}: needs loggingMarginals, the logging policy's probability of each shown item at every position`);
    }
    return spec.terms(data, target);
  };
  return Object.freeze({
    name,
    params: Object.freeze({ ...spec.params }),
    requiresLoggingMarginals: spec.requiresLoggingMarginals,
    roundTerms,
    estimate(data: LoggedSlates, target: SlateTargetPolicy, options?: EstimateOptions): Estimate {
      const confidence = options?.confidence ?? DEFAULT_CONFIDENCE;
      validateConfidence(name, confidence);
      return estimateFromTerms(name, roundTerms(data, target), confidence);
    },
  });
}
