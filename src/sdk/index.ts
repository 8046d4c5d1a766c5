/**
 * loopguard/sdk: what a serving process needs to keep its data flywheel honest. Exploration policies that return the
 * slate with exact propensities, deterministic assignment to holdout / exploration / treatment, decayed user profiles,
 * and a batching, retrying, spooling client for the ingest API. No server, no DuckDB: it runs in any Node process.
 * Guide: docs/sdk.md.
 */
export * from './policies/common.js';
export { createRng } from '../stats/rng.js';
export * from './policies/epsilon-greedy.js';
export * from './policies/plackett-luce.js';
export * from './policies/shuffle-top-k.js';
export * from './policies/swap-tail.js';
export * from './policies/thompson.js';
export * from './policies/ucb.js';
export * from './policies/priors.js';
export * from './assign.js';
export * from './profiles.js';
export * from './client.js';
export { Spool, type SpoolOptions, type FsyncPolicy } from './spool.js';
