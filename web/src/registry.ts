/**
 * Pages and panels register themselves here; the shell renders a page from whatever is registered for it, so a new
 * analysis adds its panels (and, if it wants, its page) in its own file without touching the others.
 */
import type { projectApi, Scope } from './api.js';

export interface Filter {
  since?: string;
  until?: string;
  versions: string[];
  window: 'day' | 'week';
}

export interface PanelContext {
  project: string;
  filter: Filter;
  scope: Scope;
  api: ReturnType<typeof projectApi>;
  signal: AbortSignal;
  /** One request shared by every panel of a page render (e.g. the loop series several charts draw from). */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Query parameters of the filter, for the dashboard routes. */
  params(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  /** A link to another page of the project, keeping the filter. */
  href(page: string, hash?: string): string;
}

/** What a panel's render may return instead of drawing: a sentence saying why there is nothing to show. */
export interface Empty {
  empty: string;
}

export interface Panel {
  id: string;
  page: string;
  title: string;
  /** Lower first. */
  order: number;
  /** Spans the full width of the page. */
  wide?: boolean;
  /** One line under the title: what the panel shows and how to read it. */
  help?: string;
  render(ctx: PanelContext, body: HTMLElement): Promise<void | Empty>;
}

export interface Page {
  id: string;
  title: string;
  order: number;
  /** Which filters apply on this page. */
  filters: Array<'range' | 'versions' | 'window'>;
  intro?: string;
}

const pages = new Map<string, Page>();
const panels: Panel[] = [];

export function registerPage(p: Page): void {
  pages.set(p.id, p);
}

export function registerPanel(p: Panel): void {
  if (panels.some((x) => x.id === p.id)) throw new Error(`panel ${p.id} registered twice`);
  panels.push(p);
}

export function allPages(): Page[] {
  return [...pages.values()].sort((a, b) => a.order - b.order);
}

export function pageOf(id: string): Page | undefined {
  return pages.get(id);
}

export function panelsOf(page: string): Panel[] {
  return panels.filter((p) => p.page === page).sort((a, b) => a.order - b.order);
}
