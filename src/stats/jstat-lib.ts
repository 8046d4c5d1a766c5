/**
 * jStat, loaded with require(): it is one large CommonJS file, and an ESM `import` of it makes Node run its CommonJS
 * export lexer over the whole file first (60-110 ms of every command's start-up, against 20-30 ms for require()).
 * The kernels take `jStat` from here.
 */
import { createRequire } from 'node:module';
import type jstatModule from 'jstat';

type JStat = (typeof jstatModule)['jStat'];

export const jStat: JStat = (createRequire(import.meta.url)('jstat') as typeof jstatModule).jStat;
