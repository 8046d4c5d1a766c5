export * from './analyses/result.js';
export * from './events/schemas.js';
export { validateBatch, validateEvent, type ValidEvent } from './events/validate.js';
export * from './store/store.js';
export { DuckDbStore } from './store/duckdb/store.js';
export { buildApp } from './server/app.js';
export { startServer } from './server/serve.js';
