/** Number formatting of drift messages (fmt) and of the text report: zeros are trimmed only after a decimal point. */
import { describe, expect, it } from 'vitest';
import { fmt } from '../../../src/analyses/drift/compare.js';
import { renderText, type Result } from '../../../src/analyses/result.js';

describe('fmt', () => {
  it('keeps the zeros of whole numbers and trims those of fractions', () => {
    expect(fmt(100)).toBe('100');
    expect(fmt(200)).toBe('200');
    expect(fmt(10)).toBe('10');
    expect(fmt(50)).toBe('50');
    expect(fmt(2)).toBe('2');
    expect(fmt(0.5)).toBe('0.5');
    expect(fmt(1.5)).toBe('1.5');
    expect(fmt(100.04)).toBe('100');
    expect(fmt(10.5)).toBe('10.5');
    expect(fmt(0.1436)).toBe('0.144');
    expect(fmt(-120)).toBe('-120');
    expect(fmt(0)).toBe('0');
  });

  it('writes 1,000 to 999,999 in whole units and beyond that in exponent form', () => {
    expect(fmt(1000)).toBe('1000');
    expect(fmt(3696)).toBe('3696');
    expect(fmt(12345.6)).toBe('12346');
    expect(fmt(1e6)).toBe('1.00e+6');
    expect(fmt(0.0005)).toBe('5.00e-4');
  });
});

describe('renderText numbers', () => {
  it('prints 1000.4 as 1000 and 100.04 as 100, not 1', () => {
    const r: Result = { analysis: 'x', inputs: {}, metrics: [{ name: 'a', value: 1000.4 }, { name: 'b', value: 100.04 }, { name: 'c', value: 0.25 }], verdicts: [] };
    const lines = renderText(r).split('\n');
    expect(lines.find((l) => l.trim().startsWith('a '))!.trim().split(/\s+/)[1]).toBe('1000');
    expect(lines.find((l) => l.trim().startsWith('b '))!.trim().split(/\s+/)[1]).toBe('100');
    expect(lines.find((l) => l.trim().startsWith('c '))!.trim().split(/\s+/)[1]).toBe('0.25');
  });
});
