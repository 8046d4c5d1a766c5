export { loopHealth, type LoopHealthOptions } from './analyze.js';
export { DEFAULT_THRESHOLDS, type Thresholds } from './verdicts.js';
export { GROUPABLE, type Window, type OfflineMetric } from './query.js';
