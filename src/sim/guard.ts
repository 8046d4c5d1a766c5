/** The guarded loop's safeguards and their defaults (a module of its own so the CLI can show them without loading the loops). */
export interface GuardParams {
  /** Share of users in the guarded loop's holdout. */
  holdoutShare: number;
  /** Share of users in the guarded loop's exploration group (uniformly random slates). */
  explorationShare: number;
  /** Probability that a treatment decision gives one lower slot to a tail item (swapTail). */
  swapEpsilon: number;
  /** Largest inverse-propensity training weight. */
  ipsClip: number;
  /**
   * A swapped slot draws from the items born in the last freshDays days (cold-start exploration); 0 = from every item
   * outside the top k.
   */
  freshDays: number;
}

export const DEFAULT_GUARD: GuardParams = { holdoutShare: 0.05, explorationShare: 0.03, swapEpsilon: 0.3, ipsClip: 2, freshDays: 3 };
