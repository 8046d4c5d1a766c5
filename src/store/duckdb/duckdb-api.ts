/**
 * @duckdb/node-api and @duckdb/node-bindings, loaded with require(). Both are CommonJS; an ESM `import` of node-api
 * makes Node run its CommonJS export lexer over each of the package's ~150 re-exporting files, which took 0.2-0.5 s of
 * every CLI command's start-up, against about 0.1 s for require(). Types still come from `import type`.
 */
import { createRequire } from 'node:module';
import type * as Api from '@duckdb/node-api';
import type Bindings from '@duckdb/node-bindings';

const require = createRequire(import.meta.url);

export const duckdb = require('@duckdb/node-api') as typeof Api;
export const bindings = require('@duckdb/node-bindings') as typeof Bindings;
