/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard end to end: a real `loopguard serve` child process on a loopback port over a real DuckDB store (the
 * simulator's demo, small, plus the Open Bandit Dataset sample as a project with decision attributes for the drift
 * panels), driven by Debian's Chromium through playwright-core. Each chart is checked to hold the data the API serves;
 * filters change the charts and the URL; a wrong key sees no data; an HTML report opens from disk with the network off.
 * Screenshots go to test-artifacts/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDemoStore } from '../../src/sim/demo.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { DATASETS, ROOT, cliAsync, freePort, spawnServer, tmpDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');
const DIAGNOSTICS = ['effective_sample_size', 'max_weight_share', 'min_propensity', 'mean_weight', 'support_deficiency'];

let dir: string, dbPath: string, url: string, child: ChildProcess, browser: Browser, page: Page;
let keys: Record<string, string> = {};
let main: string;

async function api(project: string, p: string): Promise<any> {
  const r = await fetch(`${url}/v1/projects/${project}/${p}`, { headers: { authorization: `Bearer ${keys[project]}` } });
  expect(r.status, p).toBe(200);
  return r.json();
}

/** Waits until no panel of the page is loading and returns each panel's state and chart attributes. */
async function settle(p: Page): Promise<Record<string, { state: string; chart?: string; series?: number; points?: number; canvas: number; text: string }>> {
  await p.waitForFunction(() => {
    const ps = [...document.querySelectorAll<HTMLElement>('[data-panel]')];
    return ps.length > 0 && ps.every((e) => e.dataset.state !== 'loading');
  }, null, { timeout: 90_000 });
  return p.$$eval('[data-panel]', (els) => Object.fromEntries((els as HTMLElement[]).map((e) => {
    const c = e.querySelector<HTMLElement>('[data-chart]');
    return [e.dataset.panel!, {
      state: e.dataset.state!, ...(c ? { chart: c.dataset.chart!, series: Number(c.dataset.series), points: Number(c.dataset.points) } : {}),
      canvas: e.querySelectorAll('.uplot canvas').length, text: e.textContent ?? '',
    }];
  })));
}

const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  dir = tmpDir('lg-e2e-');
  dbPath = path.join(dir, 'lg.duckdb');
  const info = await buildDemoStore({ dbPath, seed: 7, days: 10, users: 200, items: 100 });
  main = info.main;
  keys = Object.fromEntries(info.projects.map((p) => [p.project, p.key]));
  const store = await DuckDbStore.open(dbPath);
  await store.ingestFile({ project: 'obd', path: path.join(DATASETS, 'obd', 'random', 'men.csv'), kind: 'exposures', set: { policy_version: 'random', strategy: 'exploration', explored: 'true' } });
  keys.obd = (await store.createApiKey('obd')).key;
  await store.close();
  const s = await spawnServer(dbPath, await freePort(), ['--no-prewarm']);
  child = s.child;
  url = s.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('dashboard in Chromium', { timeout: 150_000 }, () => {
  it('a #keys= link adds every key to the keyring, is removed from the address and opens the first key\'s project', async () => {
    // The demo lists its main project's key first; obd's key (added last) comes last.
    const order = Object.keys(keys);
    expect(order[0]).toBe(main);
    await page.goto(`${url}/#keys=${Object.values(keys).join(',')}`);
    await page.waitForURL((u) => u.pathname === `/p/${main}/overview`);
    expect(page.url()).toBe(`${url}/p/${main}/overview`);
    await page.waitForSelector('[data-panel="overview-traffic"]');
    expect(await page.textContent('.project-head h1')).toBe(main);
    const ring = await page.evaluate(() => JSON.parse(sessionStorage.getItem('loopguard.keys') ?? '[]').map((k: { project: string }) => k.project));
    expect(ring).toEqual(order);
    // The projects list keeps the keyring's order (the link's), not the alphabet: the main project first.
    await page.goto(`${url}/`);
    await page.waitForSelector('ul.projects li');
    const listed = await page.$$eval('ul.projects li a', (as) => as.map((a) => a.textContent));
    expect(listed).toEqual(order);
    expect([...order].sort()).not.toEqual(order); // the check would not tell the two orders apart otherwise
    await shot(page, 'projects');
  });

  it('overview: traffic and outcome-rate charts hold the served series; every analysis is judged with its worst status', async () => {
    await page.goto(`${url}/p/${main}/overview`);
    const panels = await settle(page);
    const series = await api(main, 'dashboard/loop-series');
    const scope = await api(main, 'dashboard/scope');
    // More than 6 versions (the demo retrains daily): only the pooled line, with a note; else one per version and all pooled.
    const many = scope.versions.length > 6;
    const served = series.metrics.filter((m: any) => m.name === 'exposures' && (!many || m.group.policy_version === undefined)).length;
    expect(served).toBeGreaterThan(0);
    for (const id of ['overview-traffic', 'overview-outcome-rate']) {
      expect(panels[id]!.state).toBe('ready');
      expect(panels[id]!.canvas).toBeGreaterThan(0);
      expect(panels[id]!.series).toBe(many ? 1 : scope.versions.length + 1);
      expect(panels[id]!.points).toBe(served);
      if (many) expect(panels[id]!.text).toContain(`${scope.versions.length} versions pooled; choose up to 6 versions in the filter to see them apart`);
    }
    // The pooled exposures line sums to the store's exposures.
    expect(series.metrics.filter((m: any) => m.name === 'exposures' && m.group.policy_version === undefined).reduce((a: number, m: any) => a + m.value, 0)).toBe(scope.total_exposures);
    // The loop-health card shows the worst status of the loop-health route's own verdicts.
    const lh = await api(main, 'loop-health');
    const rank: Record<string, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };
    const worst = lh.verdicts.reduce((w: string, v: any) => (rank[v.status]! > rank[w]! ? v.status : w), 'ok');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.card')].every((c) => c.dataset.state !== 'loading'), null, { timeout: 90_000 });
    const cards = await page.$$eval('.card', (cs) => Object.fromEntries((cs as HTMLElement[]).map((c) => [c.dataset.analysis, c.dataset.status])));
    expect(Object.keys(cards).sort()).toEqual(['drift', 'loop-health', 'ope', 'profile-decay']);
    expect(cards['loop-health']).toBe(worst);
    // The demo logs decision attributes: the drift card judges them (its status is the worst of the drift checks).
    const { result: dr } = await api(main, 'dashboard/analyses/drift');
    const driftWorst = dr.verdicts.reduce((w: string, v: any) => (rank[v.status]! > rank[w]! ? v.status : w), 'ok');
    expect(dr.verdicts.length).toBeGreaterThan(0);
    expect(cards['drift']).toBe(driftWorst);
    expect(await page.textContent('.card[data-analysis="drift"]')).not.toMatch(/no decisions with attributes/);
    await shot(page, 'overview');
    // Each check links to its evidence: the page that shows it, scrolled to the same check.
    const link = await page.getAttribute('.card[data-analysis="loop-health"] li.verdict a[data-link]', 'href');
    expect(link).toMatch(new RegExp(`^/p/${main}/loop-health#check-`));
    await page.click('.card[data-analysis="loop-health"] details summary');
    await page.click('.card[data-analysis="loop-health"] li.verdict a[data-link]');
    await page.waitForURL((u) => u.pathname === `/p/${main}/loop-health`);
    await settle(page);
    const anchor = link!.split('#')[1]!;
    expect(await page.$eval(`[data-panel="lh-checks"] [id="${anchor}"]`, (e) => e.getAttribute('data-check'))).toBe(lh.verdicts.find((v: any) => v.status === worst).check);
  });

  it('loop health: every chart renders with data, the Lorenz curve has a line per version', async () => {
    await page.goto(`${url}/p/${main}/loop-health`);
    const panels = await settle(page);
    const scope = await api(main, 'dashboard/scope');
    for (const id of ['lh-gini', 'lh-entropy', 'lh-coverage', 'lh-exploration', 'lh-explore-exploit', 'lh-lorenz', 'lh-offline-online']) {
      expect(panels[id]!.state, id).toBe('ready');
      expect(panels[id]!.canvas, id).toBeGreaterThan(0);
      expect(panels[id]!.points, id).toBeGreaterThan(0);
    }
    const many = scope.versions.length > 6;
    const series = await api(main, 'dashboard/loop-series');
    const lorenz = await api(main, 'dashboard/lorenz');
    expect(lorenz.curves.length).toBe(scope.versions.length);
    if (many) {
      // Every per-version chart draws the pooled line alone, holding the served pooled points, and says so.
      for (const [id, metric] of [['lh-gini', 'gini'], ['lh-entropy', 'entropy_norm'], ['lh-coverage', 'coverage'], ['lh-exploration', 'exploration_share']] as const) {
        expect(panels[id]!.series, id).toBe(1);
        expect(panels[id]!.points, id).toBe(series.metrics.filter((m: any) => m.name === metric && m.group.policy_version === undefined && m.value !== null).length);
        expect(panels[id]!.text, id).toContain(`${scope.versions.length} versions pooled`);
      }
      expect(panels['lh-lorenz']!.series).toBe(2); // the pooled curve and the line of equality
      expect(panels['lh-lorenz']!.points).toBe(lorenz.pooled.x.length + lorenz.pooled.y.filter((y: number | null) => y !== null).length);
      expect(panels['lh-lorenz']!.text).toContain(`all versions (Gini`);
    } else {
      expect(panels['lh-lorenz']!.series).toBe(scope.versions.length + 1); // and the line of equality
    }
    expect(panels['lh-checks']!.state).toBe('ready');
    // One row per check name with its worst status and the count per status; the per-version results collapsed beneath.
    const verdicts = (await api(main, 'loop-health')).verdicts as Array<{ check: string; status: string; message: string }>;
    const byCheck = new Map<string, typeof verdicts>();
    for (const v of verdicts) byCheck.set(v.check, [...(byCheck.get(v.check) ?? []), v]);
    const rows = await page.$$eval('[data-panel="lh-checks"] ul.grouped > li.verdict', (ls) => (ls as HTMLElement[]).map((l) => ({
      check: l.dataset.check!, count: Number(l.dataset.count), status: l.querySelector(':scope > .badge')!.getAttribute('data-status')!,
      counts: Object.fromEntries([...l.querySelectorAll<HTMLElement>(':scope .counts .count')].map((c) => [c.dataset.status!, Number(c.dataset.n)])),
      text: l.querySelector(':scope > div > p')!.textContent!, open: l.querySelector('details.members')?.hasAttribute('open') ?? false,
    })));
    expect(rows.map((r) => r.check).sort()).toEqual([...byCheck.keys()].sort());
    expect(rows.length).toBeLessThan(verdicts.length); // the demo runs checks per version: grouping shortens the list
    const rank: Record<string, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };
    for (const r of rows) {
      const vs = byCheck.get(r.check)!;
      const worstOf = vs.reduce((w, v) => (rank[v.status]! > rank[w.status]! ? v : w));
      expect(r.count, r.check).toBe(vs.length);
      expect(r.status, r.check).toBe(worstOf.status);
      expect(r.text, r.check).toContain(worstOf.message);
      for (const s of ['ok', 'warn', 'fail', 'unknown']) expect(r.counts[s] ?? 0, `${r.check} ${s}`).toBe(vs.filter((v) => v.status === s).length);
      expect(r.open).toBe(false);
    }
    // Worst first.
    expect(rows.map((r) => rank[r.status]!)).toEqual(rows.map((r) => rank[r.status]!).sort((a, b) => b - a));
    // A group's results open on demand, a page at a time.
    const big = rows.reduce((a, b) => (b.count > a.count ? b : a));
    await page.click(`[data-panel="lh-checks"] li[data-check="${big.check}"] details.members summary`);
    expect(await page.$$eval(`[data-panel="lh-checks"] li[data-check="${big.check}"] li.verdict-row`, (l) => l.length)).toBe(Math.min(10, big.count));
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThan(6000);
    await shot(page, 'loop-health');
  });

  it('filters change the charts and the URL, and a shared URL shows the same view', async () => {
    const scope = await api(main, 'dashboard/scope');
    const [v1, v2] = scope.versions;
    await page.goto(`${url}/p/${main}/loop-health`);
    await settle(page);
    await page.click('details.versions summary');
    await page.check(`input[name="v"][value="${v1.name}"]`);
    await page.waitForURL((u) => u.searchParams.get('v') === v1.name);
    let panels = await settle(page);
    const days = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86400_000) + 1;
    expect(panels['lh-gini']!.series).toBe(1);
    expect(panels['lh-gini']!.points).toBe(days(v1.first_day, v1.last_day));
    await page.click('details.versions summary');
    await page.check(`input[name="v"][value="${v2.name}"]`);
    await page.waitForURL((u) => u.searchParams.get('v') === `${v1.name},${v2.name}`);
    panels = await settle(page);
    expect(panels['lh-gini']!.series).toBe(3);
    // A time range: only days from the version's second day on.
    await page.goto(`${url}/p/${main}/loop-health`);
    const before = (await settle(page))['lh-gini']!.points!;
    const since = scope.versions[2].first_day;
    await page.fill('input[name="since"]', since);
    await page.dispatchEvent('input[name="since"]', 'change');
    await page.waitForURL((u) => u.searchParams.get('since') === since);
    panels = await settle(page);
    // What the chart draws of the served rows: every row, or the pooled ones alone when more than 6 versions remain.
    const servedGini = (await api(main, `dashboard/loop-series?since=${since}`)).metrics.filter((m: any) => m.name === 'gini');
    const remaining = new Set(servedGini.map((m: any) => m.group.policy_version).filter(Boolean)).size;
    const kept = servedGini.filter((m: any) => remaining <= 6 || m.group.policy_version === undefined).length;
    expect(panels['lh-gini']!.series).toBe(remaining > 6 ? 1 : remaining + (remaining > 1 ? 1 : 0));
    expect(panels['lh-gini']!.points).toBe(kept);
    expect(kept).toBeLessThan(before);
    await shot(page, 'loop-health-filtered');
    // The same URL opened afresh (shared with a colleague holding the key) shows the same.
    const shared = page.url();
    await page.goto('about:blank');
    await page.goto(shared);
    expect((await settle(page))['lh-gini']!.points).toBe(kept);
    expect(await page.inputValue('input[name="since"]')).toBe(since);
  });

  it('OPE: estimates per estimator with intervals, and the failing diagnostics say "not to be trusted" beside them', async () => {
    await page.goto(`${url}/p/${main}/ope`);
    const panels = await settle(page);
    const { result } = await api(main, 'dashboard/analyses/ope');
    const estimates = result.metrics.filter((m: any) => m.group?.target === 'uniform' && ['ipw', 'snipw', 'dm', 'dr', 'sndr', 'switch-dr', 'dr-os'].includes(m.name));
    expect(panels['ope-estimates']!.state).toBe('ready');
    expect(panels['ope-estimates']!.points).toBe(estimates.filter((m: any) => m.value !== null).length);
    const failing = result.verdicts.filter((v: any) => DIAGNOSTICS.includes(v.check) && v.status === 'fail');
    expect(failing.length).toBeGreaterThan(0); // the naive loop never explores: the uniform policy lacks support
    expect(await page.isVisible('.trust.fail')).toBe(true);
    expect(await page.textContent('.trust.fail')).toContain(failing[0].message);
    expect(await page.$$eval('tr[data-trust="untrusted"] .badge.fail', (b) => b.map((x) => x.textContent))).toContain('NOT TO BE TRUSTED');
    expect(panels['ope-diagnostics']!.state).toBe('ready');
    await shot(page, 'ope');
  });

  it('drift: share of drifted columns and per-column distances per day, and the latest day\'s columns', async () => {
    await page.goto(`${url}/p/obd/drift`);
    const panels = await settle(page);
    const { result } = await api('obd', 'dashboard/analyses/drift');
    const shares = result.metrics.filter((m: any) => m.name === 'drift_share');
    expect(shares.length).toBeGreaterThan(1);
    expect(panels['drift-share']!.canvas).toBeGreaterThan(0);
    expect(panels['drift-share']!.points).toBe(shares.length);
    expect(panels['drift-columns']!.series).toBeGreaterThan(0);
    expect(panels['drift-columns']!.points).toBeGreaterThan(0);
    const rows = await page.getAttribute('[data-table="drift-columns"]', 'data-rows');
    expect(Number(rows)).toBe(result.verdicts.filter((v: any) => v.group?.column).length);
    await shot(page, 'drift');
  });

  it('a wrong key sees no data: the link is refused, and a stale key in the keyring gets 401 and an error', async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(`${url}/#keys=lg_00000000_wrong`);
    await p.waitForSelector('form.login');
    expect(await p.textContent('.form-msg')).toMatch(/not accepted/);
    await p.goto(`${url}/p/${main}/overview`);
    await p.waitForSelector('form.login');
    expect(await p.$$('.uplot, [data-panel]')).toHaveLength(0);
    await p.evaluate((project) => sessionStorage.setItem('loopguard.keys', JSON.stringify([{ project, key: 'lg_00000000_revoked' }])), main);
    const answered = p.waitForResponse((r) => r.url().includes('/dashboard/scope'));
    await p.goto(`${url}/p/${main}/overview`);
    expect((await answered).status()).toBe(401);
    await p.waitForSelector('[role="alert"]');
    expect(await p.textContent('[role="alert"]')).toMatch(/not accepted/);
    expect(await p.$$('.uplot, [data-panel]')).toHaveLength(0);
    await shot(p, 'wrong-key');
    await context.close();
  });

  it('an HTML report opened from disk with the network off shows its charts', async () => {
    const r = await cliAsync(['loop-health', '--db', dbPath, '--project', main, '--window', 'day', '--format', 'html']);
    expect(r.stderr).not.toMatch(/error/i);
    const file = path.join(dir, 'loop-health.html');
    fs.writeFileSync(file, r.stdout);
    const context = await browser.newContext();
    await context.setOffline(true);
    const requested: string[] = [];
    await context.route('**/*', (route) => {
      requested.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    const p = await context.newPage();
    await p.goto(`file://${file}`);
    const charts = await p.$$eval('figure.chart svg', (ss) => ss.map((s) => ({ points: Number(s.getAttribute('data-points')), w: s.getBoundingClientRect().width, paths: s.querySelectorAll('path, polyline, circle').length })));
    expect(charts.length).toBeGreaterThanOrEqual(5);
    for (const c of charts) {
      expect(c.points).toBeGreaterThan(0);
      expect(c.w).toBeGreaterThan(100);
      expect(c.paths).toBeGreaterThan(0);
    }
    expect(requested.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await p.screenshot({ path: path.join(SHOTS, 'report-offline.png') });
    await context.close();
  });
});
