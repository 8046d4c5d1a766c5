/**
 * The analyses' SQL is what DuckDB and ClickHouse share (ARCHITECTURE.md): no window functions and no CTEs. This reads
 * every analysis module for them; the one allowed place is drift's file reader, which runs on the embedded DuckDB
 * whatever engine holds the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const ALLOWED = new Set(['drift/sources.ts']);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('analysis SQL', () => {
  it('uses no window function (OVER) and no CTE (WITH name AS) outside the file reader', () => {
    const base = path.join(ROOT, 'src', 'analyses');
    const found: string[] = [];
    for (const f of files(base)) {
      const rel = path.relative(base, f);
      if (ALLOWED.has(rel)) continue;
      fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (/\bOVER\s*\(/i.test(line) || /\bWITH\s+\w+\s+AS\s*\(/i.test(line)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
