/**
 * POST /v1/projects/:project/ope: the Result over HTTP equals the library's, targets as uniform / CSV text / records,
 * refusals with reasons, and project isolation (another project's key gets 403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ope } from '../../src/analyses/ope/index.js';
import { decision, outcome, post, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string, otherKey: string;

// 40 decisions, one item each from {a, b}; logging propensities 0.6 / 0.4; clicks on every third.
const rounds = Array.from({ length: 40 }, (_, i) => ({ item: i % 5 < 3 ? 'a' : 'b', p: i % 5 < 3 ? 0.6 : 0.4, click: i % 3 === 0 }));

beforeAll(async () => {
  server = await startTestServer();
  key = await server.key('shop');
  otherKey = await server.key('rival');
  const events = [];
  for (const [i, r] of rounds.entries()) {
    const ts = new Date(Date.UTC(2026, 0, 2) + i * 1000).toISOString();
    events.push(decision({ request_id: `q${i}`, ts, shown: [{ item_id: r.item, position: 1, propensity: r.p, explored: false }] }));
    if (r.click) events.push(outcome({ request_id: `q${i}`, item_id: r.item, ts }));
  }
  const res = await post(`${server.url}/v1/events`, key, events);
  expect(res.json.stored).toBe(events.length);
});
afterAll(async () => server.close());

const url = () => `${server.url}/v1/projects/shop/ope`;
const find = (out: any, name: string, group: Record<string, string>) =>
  out.metrics.find((m: any) => m.name === name && Object.entries(group).every(([k, v]) => m.group?.[k] === v));

describe('ope over HTTP', () => {
  it('answers the Result shape, equal to the library called on the same store', async () => {
    const body = { estimators: ['ipw', 'snipw'], bootstrap: 100, seed: 3, thresholds: { ess_min: 5 } };
    const res = await post(url(), key, body);
    expect(res.status).toBe(200);
    expect(res.json.analysis).toBe('ope');
    const direct = await ope(server.store, { project: 'shop', estimators: ['ipw', 'snipw'], bootstrap: 100, seed: 3, thresholds: { ess_min: 5 } });
    expect(res.json).toEqual(JSON.parse(JSON.stringify(direct)));
    // Uniform over {a, b}: w = 0.5 / p.
    const ipw = rounds.reduce((s, r) => s + (0.5 / r.p) * (r.click ? 1 : 0), 0) / rounds.length;
    expect(find(res.json, 'ipw', { target: 'uniform', interval: 'normal' }).value).toBeCloseTo(ipw, 12);
  });

  it('takes targets as uniform, CSV text and records, and ranks them', async () => {
    const csv = 'round,a,b\n' + rounds.map((_, i) => `${i},1,0`).join('\n');
    const probabilities = rounds.flatMap((_, i) => [{ request_id: `q${i}`, action: 'b', probability: 1 }]);
    const res = await post(url(), key, {
      estimators: ['ipw', 'snipw'], bootstrap: 0,
      targets: [{ uniform: true }, { name: 'all-a', csv }, { name: 'all-b', probabilities }],
      thresholds: { ess_min: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.json.inputs.targets).toEqual(['uniform', 'all-a', 'all-b']);
    const ctr = (item: string) => rounds.filter((r) => r.item === item && r.click).length / rounds.filter((r) => r.item === item).length;
    expect(find(res.json, 'snipw', { target: 'all-a' }).value).toBeCloseTo(ctr('a'), 12);
    expect(find(res.json, 'snipw', { target: 'all-b' }).value).toBeCloseTo(ctr('b'), 12);
    const ranks = ['uniform', 'all-a', 'all-b'].map((t) => find(res.json, 'rank', { target: t }).value);
    expect([...ranks].sort()).toEqual([1, 2, 3]);
  });

  it('slate mode with logging probabilities in the body', async () => {
    const logging = { csv: 'round,a,b\n' + rounds.map((r, i) => `${i},${r.item === 'a' ? r.p : 1 - r.p},${r.item === 'b' ? r.p : 1 - r.p}`).join('\n') };
    const res = await post(url(), key, { slate: { examination: [1], logging }, bootstrap: 0, thresholds: { ess_min: 5 } });
    expect(res.status).toBe(200);
    expect(res.json.inputs).toMatchObject({ unit: 'slate', estimators: ['iips', 'pbm'], examination: [1] });
    const ipw = rounds.reduce((s, r) => s + (0.5 / r.p) * (r.click ? 1 : 0), 0) / rounds.length;
    expect(find(res.json, 'iips', { target: 'uniform' }).value).toBeCloseTo(ipw, 12);
    expect(find(res.json, 'pbm', { target: 'uniform' }).value).toBeCloseTo(ipw, 12); // one position: pbm = iips
    const bad = await post(url(), key, { slate: { logging: { uniform: true } } });
    expect(bad.status).toBe(400);
  });

  it.each([
    [{ estimators: ['magic'] }, /^estimators\.0 must be one of ipw, snipw, dm, dr, sndr, switch-dr, dr-os/],
    [{ colour: 'red' }, /^unknown field 'colour'$/],
    [{ thresholds: { ess: 3 } }, /^unknown field 'ess' in thresholds$/],
    [{ bootstrap: -1 }, /^bootstrap must be >= 0$/],
    // a JSON body carries numbers and booleans as such: no silent coercion of strings
    [{ bootstrap: '100' }, /^bootstrap must be integer$/],
    [{ seed: '3' }, /^seed must be integer$/],
    [{ thresholds: { ess_min: '5' } }, /^thresholds\.ess_min must be number$/],
    [{ targets: [{ uniform: true, csv: 'round,a\n0,1' }] }, /^targets\[0\]: give exactly one of uniform, csv, probabilities$/],
    [{ targets: [{ name: 't', csv: 'round,a,b\n0,0.5,0.4' }] }, /^targets\[0\] \(t\): the probabilities of each \(round, position\) must sum to 1 within 0.000001; 1 do not: round 0 sums to 0.9 \(line 2\)$/],
    [{ targets: [{ name: 't', probabilities: [{ round: 0, action: 'a', probability: 1 }, { request_id: 'q1', action: 'a', probability: 1 }] }] }, /^targets\[0\]\.probabilities\[1\]: give round or request_id \(the same one for every row\)$/],
    [{ estimators: ['dm'], reward_model: 'none' }, /^dm needs a reward model/],
    [{ since: 'soon' }, /^since must be a date or RFC 3339 time/],
  ])('refuses %j with 400 and a reason', async (body, message) => {
    const res = await post(url(), key, body);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('bad_request');
    expect(res.json.message).toMatch(message);
  });

  it("another project's key gets 403, no key 401", async () => {
    const other = await post(url(), otherKey, {});
    expect(other.status).toBe(403);
    expect(other.json.message).toBe("this API key belongs to another project and cannot read or write project 'shop'");
    expect((await post(url(), null, {})).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as any;
    expect(doc.paths['/v1/projects/{project}/ope'].post).toBeDefined();
  });
});
