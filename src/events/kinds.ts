/** The closed vocabularies of the event model, as plain lists (cheap to import: no schema library). */
export const STRATEGIES = ['personalized', 'cold_start', 'fallback', 'exploration', 'holdout'] as const;
export const OUTCOME_KINDS = [
  'click', 'conversion', 'dwell_ms', 'rating', 'accept', 'edit', 'copy', 'retry', 'reformulate', 'abandon', 'escalate',
  'thumbs_up', 'thumbs_down',
] as const;
/** Outcome kinds that say the user did not like what was shown: analyses count them as success only when asked to. */
export const NEGATIVE_OUTCOME_KINDS: readonly string[] = ['retry', 'reformulate', 'abandon', 'escalate', 'thumbs_down'];
export const LABEL_SOURCES = ['user', 'human', 'llm', 'rule'] as const;
