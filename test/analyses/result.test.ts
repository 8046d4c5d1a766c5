import { describe, expect, it } from 'vitest';
import { exitCodeFor, renderJson, renderText, worstStatus, type Result } from '../../src/analyses/result.js';

const result: Result = {
  analysis: 'loop_health',
  inputs: { project: 'shop', window: 'day' },
  metrics: [
    { name: 'gini', value: 0.8123456, group: { policy_version: 'v3' }, n: 1200 },
    { name: 'ctr_explore', value: 0.042, ci: [0.031, 0.055], unit: 'clicks/exposure' },
    { name: 'coverage', value: null },
  ],
  verdicts: [
    { check: 'exploration_present', status: 'ok', message: 'Exploration traffic is 2.1% of exposures.' },
    { check: 'gini_rising', status: 'warn', group: { policy_version: 'v3' }, value: 0.81, threshold: 0.7, message: 'Exposure concentrates; add exploration.' },
  ],
};

describe('Result rendering and exit codes', () => {
  it('exit code is 1 only when some verdict fails', () => {
    expect(exitCodeFor([result])).toBe(0);
    expect(exitCodeFor([result, { ...result, verdicts: [{ check: 'x', status: 'fail', message: 'm' }] }])).toBe(1);
    expect(exitCodeFor([{ ...result, verdicts: [{ check: 'x', status: 'unknown', message: 'm' }] }])).toBe(0);
  });

  it('orders statuses ok < unknown < warn < fail', () => {
    expect(worstStatus([])).toBe('ok');
    expect(worstStatus(result.verdicts)).toBe('warn');
    expect(worstStatus([...result.verdicts, { check: 'c', status: 'fail', message: '' }])).toBe('fail');
    expect(worstStatus([{ check: 'c', status: 'unknown', message: '' }, { check: 'c', status: 'ok', message: '' }])).toBe('unknown');
  });

  it('renders text with verdicts first, then metrics with groups, intervals and counts', () => {
    expect(renderText(result)).toBe(
      [
        '# loop_health',
        'project: shop  window: day',
        '',
        'Checks:',
        '  OK   exploration_present: Exploration traffic is 2.1% of exposures.',
        '  WARN gini_rising [policy_version=v3]: Exposure concentrates; add exploration.',
        '',
        'Metrics:',
        '  gini         policy_version=v3  0.8123' + ' '.repeat(15 + 2 + 14 + 2) + 'n=1200', // value, ci columns padded
        '  ctr_explore                     0.042 clicks/exposure  [0.031, 0.055]',
        '  coverage                        -',
        '',
      ].join('\n'),
    );
  });

  it('renders JSON that parses back to the same result', () => {
    expect(JSON.parse(renderJson(result))).toEqual(result);
  });
});
