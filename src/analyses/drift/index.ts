export { drift, driftMonitor, commonColumns, type DriftOptions, type DriftSource, type MonitorOptions } from './analyze.js';
export { DEFAULT_DRIFT_THRESHOLDS, DRIFT_TESTS, resolveThresholds, checkPermutations, checkTestName, type DriftTest, type DriftThresholds } from './rule.js';
export { loadFile, describeTable, attributeColumns, windowRelation, parseRange, countRows, type LoadedSource, type TimeRange } from './sources.js';
export { type ColumnInfo, type Relation } from './profile.js';
export { runDrift, loadRows, type DriftRequest, type SideSpec } from './request.js';
export { parseTime } from './sources.js';
