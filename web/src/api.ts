/** The server's API, with the project's key from the keyring. Errors carry a sentence for people. */
import { keyFor } from './keys.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function request<T>(path: string, key: string | undefined, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {}, ...(signal ? { signal } : {}) });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The Loopguard server cannot be reached. Check that `loopguard serve` is running, then reload.');
  }
  const body = (await res.json().catch(() => null)) as { message?: string } | null;
  if (res.status === 401) throw new ApiError(401, 'This project\'s key was not accepted (unknown or revoked). Log in again with a valid key.');
  if (res.status === 403) throw new ApiError(403, 'This key belongs to another project.');
  if (!res.ok) throw new ApiError(res.status, body?.message ?? `The server answered ${res.status}.`);
  return body as T;
}

export function projectApi(project: string) {
  return <T>(path: string, params: Record<string, string | undefined> = {}, signal?: AbortSignal) => {
    const qs = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
    return request<T>(`/v1/projects/${encodeURIComponent(project)}/${path}${qs ? `?${qs}` : ''}`, keyFor(project), signal);
  };
}

export async function whoami(key: string): Promise<string> {
  return (await request<{ project: string }>('/v1/whoami', key)).project;
}

// Shapes of the responses (see src/analyses/result.ts and src/server/plugins/dashboard.ts).
export type Status = 'ok' | 'warn' | 'fail' | 'unknown';
export interface Metric { name: string; value: number | null; ci?: [number, number]; n?: number; group?: Record<string, string>; unit?: string }
export interface Verdict { check: string; status: Status; value?: number | null; threshold?: number; group?: Record<string, string>; message: string }
export interface Result { analysis: string; inputs: Record<string, unknown>; metrics: Metric[]; verdicts: Verdict[] }
export interface Scope {
  project: string; computed_at: string; total_exposures: number; catalog_size: number; catalog_source: string;
  first_day: string | null; last_day: string | null; versions: Array<{ name: string; first_day: string; last_day: string; exposures: number }>;
}
export interface LorenzCurve { policy_version: string; exposures: number; gini: number; x: number[]; y: Array<number | null> }
export interface Lorenz { computed_at: string; catalog_size: number; curves: LorenzCurve[]; pooled?: LorenzCurve }
export interface Cached { computed_at: string; result: Result }
