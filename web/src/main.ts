/// <reference types="vite/client" />
/**
 * The dashboard shell: routes (/login, /, /p/<project>/<page>), the keyring, the filter bar (reflected in the URL so a
 * view can be shared), and the panel frames with their loading, empty and error states.
 */
import './style.css';
import { h, clear } from './dom.js';
import { ApiError, projectApi, whoami, type Scope } from './api.js';
import { addKey, forgetKey, keyFor, keyring, takeFragmentKeys } from './keys.js';
import { allPages, pageOf, panelsOf, type Filter, type Page, type PanelContext } from './registry.js';

// Every module in panels/ registers its pages and panels when loaded: a new analysis adds a file there, nothing here.
import.meta.glob('./panels/*.ts', { eager: true });

const app = document.getElementById('app')!;
let current: AbortController | null = null;

function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void route();
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    document.getElementById(url.hash.slice(1))?.scrollIntoView({ behavior: 'smooth', block: 'center' });
    return;
  }
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => void route());

function filterFromUrl(): Filter {
  const q = new URLSearchParams(location.search);
  const day = (k: string) => (/^\d{4}-\d{2}-\d{2}$/.test(q.get(k) ?? '') ? q.get(k)! : undefined);
  const since = day('since'), until = day('until');
  return {
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    versions: (q.get('v') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    window: q.get('window') === 'week' ? 'week' : 'day',
  };
}

function filterQuery(f: Filter): string {
  const q = new URLSearchParams();
  if (f.since) q.set('since', f.since);
  if (f.until) q.set('until', f.until);
  if (f.versions.length) q.set('v', f.versions.join(','));
  if (f.window === 'week') q.set('window', 'week');
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function route(): Promise<void> {
  current?.abort();
  current = new AbortController();
  const path = location.pathname;
  const m = /^\/p\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
  if (path === '/login') return loginPage();
  if (m) {
    const project = decodeURIComponent(m[1]!);
    if (!keyFor(project)) return loginPage(`Enter the API key of project '${project}' to see it.`);
    const page = pageOf(m[2] ?? 'overview');
    if (!page) return navigate(`/p/${encodeURIComponent(project)}/overview${location.search}`, true);
    return projectPage(project, page, current.signal);
  }
  if (!keyring().length) return loginPage();
  return projectsPage();
}

function frame(...children: Array<Node | null>): void {
  clear(app);
  app.append(
    h('header', { class: 'top' },
      h('a', { href: '/', 'data-link': '', class: 'brand' }, 'Loopguard'),
      keyring().length ? h('nav', { class: 'keys' },
        h('a', { href: '/', 'data-link': '' }, 'Projects'),
        h('button', { type: 'button', class: 'link', onclick: () => { for (const k of keyring()) forgetKey(k.project); navigate('/login'); } }, 'Log out')) : null),
    h('main', null, ...children),
  );
}

/** A message for the next login page (keys from a link that were refused). */
let pendingNotice: string | null = null;

function loginPage(notice?: string): void {
  const error = !notice && pendingNotice !== null;
  notice ??= pendingNotice ?? undefined;
  pendingNotice = null;
  const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', placeholder: 'lg_…', required: true, 'aria-label': 'API key' });
  const msg = h('p', { class: `form-msg${error ? ' error' : ''}`, role: 'status' }, notice ?? '');
  const form = h('form', { class: 'login' },
    h('h1', null, 'Log in with a project API key'),
    h('p', null, 'Every project has its own keys. Create one on the server with ', h('code', null, 'loopguard keys create --project <name>'), '. Keys are kept in this tab only, until you close it or log out.'),
    h('label', null, 'API key ', input),
    h('button', { type: 'submit' }, 'Open the project'),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    msg.textContent = 'Checking the key…';
    try {
      const project = await whoami(key);
      addKey({ project, key });
      navigate(`/p/${encodeURIComponent(project)}/overview`);
    } catch (err) {
      msg.textContent = err instanceof ApiError && err.status === 401 ? 'That key was not accepted: it is unknown or has been revoked. Check it and try again.' : (err as Error).message;
      msg.classList.add('error');
    }
  });
  frame(form);
  input.focus();
}

function projectsPage(): void {
  frame(
    h('h1', null, 'Projects'),
    h('p', { class: 'muted' }, 'The projects whose keys you entered in this tab.'),
    h('ul', { class: 'projects' }, keyring().map((k) => h('li', null,
      h('a', { href: `/p/${encodeURIComponent(k.project)}/overview`, 'data-link': '' }, k.project),
      h('button', { type: 'button', class: 'link', onclick: () => { forgetKey(k.project); void route(); } }, 'forget key')))),
    h('p', null, h('a', { href: '/login', 'data-link': '' }, 'Add another project’s key')),
  );
}

function filterBar(page: Page, scope: Scope, filter: Filter, apply: (f: Filter) => void): HTMLElement {
  const bar = h('form', { class: 'filters', 'aria-label': 'Filters' });
  if (page.filters.includes('range')) {
    const since = h('input', { type: 'date', name: 'since', value: filter.since ?? '', min: scope.first_day ?? '', max: scope.last_day ?? '' });
    const until = h('input', { type: 'date', name: 'until', value: filter.until ?? '', min: scope.first_day ?? '' });
    const onDate = () => apply({ ...filter, ...dates(since.value, until.value) });
    since.addEventListener('change', onDate);
    until.addEventListener('change', onDate);
    bar.append(h('label', null, 'From ', since), h('label', null, 'Before ', until));
  }
  if (page.filters.includes('versions') && scope.versions.length) {
    const chosen = new Set(filter.versions);
    const boxes = scope.versions.map((v) => {
      const box = h('input', { type: 'checkbox', name: 'v', value: v.name, checked: chosen.has(v.name) });
      box.addEventListener('change', () => apply({ ...filter, versions: boxes.filter((b) => b.checked).map((b) => b.value) }));
      return box;
    });
    bar.append(
      h('details', { class: 'versions' },
        h('summary', null, filter.versions.length ? `Versions: ${filter.versions.join(', ')}` : `All ${scope.versions.length} policy versions`),
        h('div', { class: 'menu' }, scope.versions.map((v, i) => h('label', null, boxes[i]!, ` ${v.name} `, h('small', { class: 'muted' }, `${v.first_day} → ${v.last_day}`))))),
    );
  }
  if (page.filters.includes('window')) {
    const sel = h('select', { name: 'window' }, h('option', { value: 'day', selected: filter.window === 'day' }, 'per day'), h('option', { value: 'week', selected: filter.window === 'week' }, 'per week'));
    sel.addEventListener('change', () => apply({ ...filter, window: sel.value === 'week' ? 'week' : 'day' }));
    bar.append(h('label', null, 'Series ', sel));
  }
  if (filter.since || filter.until || filter.versions.length)
    bar.append(h('button', { type: 'button', class: 'link', onclick: () => apply({ versions: [], window: filter.window }) }, 'Clear filters'));
  return bar;
}

function dates(since: string, until: string): Pick<Filter, 'since' | 'until'> {
  return { ...(since ? { since } : {}), ...(until ? { until } : {}) };
}

function explain(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return `Something went wrong while drawing this panel: ${(err as Error).message}`;
}

async function projectPage(project: string, page: Page, signal: AbortSignal): Promise<void> {
  const api = projectApi(project);
  const tabs = h('nav', { class: 'tabs' }, allPages().map((p) => h('a', { href: `/p/${encodeURIComponent(project)}/${p.id}${location.search}`, 'data-link': '', class: p.id === page.id ? 'active' : '', 'aria-current': p.id === page.id ? 'page' : null }, p.title)));
  const body = h('div', { class: 'page', 'data-page': page.id }, h('p', { class: 'loading' }, 'Loading the project…'));
  frame(h('div', { class: 'project-head' }, h('h1', null, project), tabs), body);
  let scope: Scope;
  try {
    scope = await api<Scope>('dashboard/scope', {}, signal);
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    clear(body);
    body.append(h('div', { class: 'state error', role: 'alert', 'data-state': 'error' }, h('p', null, explain(err)), err instanceof ApiError && err.status === 401 ? h('a', { href: '/login', 'data-link': '', onclick: () => forgetKey(project) }, 'Log in again') : null));
    return;
  }
  if (signal.aborted) return;
  const filter = filterFromUrl();
  filter.versions = filter.versions.filter((v) => scope.versions.some((s) => s.name === v));
  clear(body);
  const apply = (f: Filter) => navigate(`${location.pathname}${filterQuery(f)}`);
  body.append(filterBar(page, scope, filter, apply));
  if (page.intro) body.append(h('p', { class: 'intro' }, page.intro));
  if (!scope.total_exposures) {
    body.append(h('div', { class: 'state empty', 'data-state': 'empty' }, h('p', null, `Project '${project}' has no exposures yet. Log decisions with the SDK or POST /v1/events, or load files with loopguard ingest; this page fills in as they arrive.`)));
    return;
  }
  body.append(h('p', { class: 'muted asof' }, `${scope.total_exposures.toLocaleString('en-US')} exposures from ${scope.first_day} to ${scope.last_day}, ${scope.versions.length} policy version${scope.versions.length === 1 ? '' : 's'}, catalog of ${scope.catalog_size} items · summaries as of ${new Date(scope.computed_at).toLocaleTimeString()}`));
  const grid = h('div', { class: 'grid' });
  body.append(grid);
  const memo = new Map<string, Promise<unknown>>();
  const params = (extra: Record<string, string | undefined> = {}) => ({
    since: filter.since, until: filter.until, versions: filter.versions.length ? filter.versions.join(',') : undefined, ...extra,
  });
  const ctx: PanelContext = {
    project, filter, scope, api, signal, params,
    shared: <T>(key: string, load: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, load());
      return memo.get(key) as Promise<T>;
    },
    href: (p: string, hash?: string) => `/p/${encodeURIComponent(project)}/${p}${filterQuery(filter)}${hash ? `#${hash}` : ''}`,
  };
  await Promise.all(panelsOf(page.id).map(async (panel) => {
    const content = h('div', { class: 'panel-body' }, h('p', { class: 'loading' }, 'Loading…'));
    const section = h('section', { class: `panel${panel.wide ? ' wide' : ''}`, 'data-panel': panel.id, 'data-state': 'loading', 'aria-busy': 'true' },
      h('h2', null, panel.title), panel.help ? h('p', { class: 'help' }, panel.help) : null, content);
    grid.append(section);
    const target = h('div');
    try {
      const r = await panel.render(ctx, target);
      if (signal.aborted) return;
      clear(content);
      if (r && 'empty' in r) {
        section.dataset.state = 'empty';
        content.append(h('p', { class: 'state empty' }, r.empty));
      } else {
        section.dataset.state = 'ready';
        content.append(target);
        window.dispatchEvent(new Event('resize'));
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError' || signal.aborted) return;
      clear(content);
      section.dataset.state = 'error';
      content.append(h('p', { class: 'state error', role: 'alert' }, explain(err)));
    } finally {
      section.removeAttribute('aria-busy');
    }
  }));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: 'center' });
}

async function boot(): Promise<void> {
  const fragment = takeFragmentKeys();
  const rejected: string[] = [];
  let first: string | undefined;
  for (const key of fragment) {
    try {
      const project = await whoami(key);
      addKey({ project, key });
      first ??= project;
    } catch {
      rejected.push(`${key.slice(0, 6)}…`);
    }
  }
  if (rejected.length)
    pendingNotice = `${rejected.length} key${rejected.length > 1 ? 's' : ''} from the link ${rejected.length > 1 ? 'were' : 'was'} not accepted (${rejected.join(', ')}): unknown or revoked. Check the link, or enter a key below.`;
  // A link with keys opens the first key's project (the demo lists its main project's key first), unless it already
  // points at a page of a project.
  if (first && !location.pathname.startsWith('/p/')) history.replaceState(null, '', `/p/${encodeURIComponent(first)}/overview${location.search}`);
  await route();
  if (pendingNotice && keyring().length) {
    // Logged in with other keys: say it above the page instead.
    document.querySelector('main')?.prepend(h('p', { class: 'state error', role: 'alert' }, pendingNotice));
    pendingNotice = null;
  }
}

void boot();
