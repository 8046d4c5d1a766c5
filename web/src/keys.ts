/**
 * The keyring: API keys the person has entered, one per project, kept in sessionStorage (gone when the tab closes;
 * never in localStorage or cookies). A URL fragment `#keys=<k1>,<k2>` adds keys and is then removed from the address.
 */
export interface KeyEntry {
  project: string;
  key: string;
}

const STORE = 'loopguard.keys';

export function keyring(): KeyEntry[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORE) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((e): e is KeyEntry => typeof e?.project === 'string' && typeof e?.key === 'string') : [];
  } catch {
    return [];
  }
}

function save(list: KeyEntry[]): void {
  sessionStorage.setItem(STORE, JSON.stringify(list));
}

/** Adds a key, keeping the keyring's order (the order keys were entered or listed in a link); a project's new key replaces its old one in place. */
export function addKey(e: KeyEntry): void {
  const ring = keyring();
  const at = ring.findIndex((x) => x.project === e.project);
  if (at >= 0) ring[at] = e;
  else ring.push(e);
  save(ring);
}

export function forgetKey(project: string): void {
  save(keyring().filter((x) => x.project !== project));
}

export function keyFor(project: string): string | undefined {
  return keyring().find((x) => x.project === project)?.key;
}

/** Keys in the fragment (#keys=a,b), removed from the address bar at once so they do not linger in history. */
export function takeFragmentKeys(): string[] {
  const m = /(?:^#|&)keys=([^&]*)/.exec(location.hash);
  if (!m) return [];
  history.replaceState(history.state, '', location.pathname + location.search);
  return decodeURIComponent(m[1]!).split(',').map((k) => k.trim()).filter(Boolean);
}
