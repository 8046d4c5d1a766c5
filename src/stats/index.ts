/** Pure numeric kernels: no I/O, inputs are small aggregates (counts per item, per-list sums, replicates). */
export * from './rng.js';
export * from './gini.js';
export * from './entropy.js';
export * from './top-share.js';
export * from './lorenz.js';
export * from './head-tail.js';
export * from './jensen-shannon.js';
export * from './incomplete-beta.js';
export * from './normal.js';
export * from './wilson.js';
export * from './proportion-diff.js';
export * from './ols.js';
export * from './ess.js';
export * from './bootstrap.js';
