/**
 * The SDK runs in any serving process: its module graph (from dist/sdk/index.js, as `loopguard/sdk` resolves) reaches
 * neither the server (fastify) nor the store (DuckDB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

describe('loopguard/sdk', () => {
  it('imports neither fastify nor DuckDB nor the server or store modules', () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // import ... from 'x', import('x'), and createRequire(import.meta.url)('x') (how jStat is loaded).
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import|createRequire\(import\.meta\.url\))\s*\(?\s*'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec));
        else external.add(spec);
      }
    };
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    expect(pkg.exports['./sdk']).toBe('./dist/sdk/index.js');
    walk(path.join(ROOT, 'dist', 'sdk', 'index.js'));
    const local = [...seen].map((f) => path.relative(path.join(ROOT, 'dist'), f));
    expect(local.filter((f) => /^(server|store|cli|analyses)\//.test(f))).toEqual([]);
    expect([...external].sort()).toEqual(['@sinclair/typebox', '@sinclair/typebox/compiler', 'jstat', 'node:crypto', 'node:fs', 'node:module', 'node:path']);
  });
});
