/**
 * The one request wrapper: adds the login token, sends JSON, and turns every failure into an
 * `ApiError` carrying the server's Kubernetes `Status` (reason, message, field causes).
 */
import type { Cause, Status } from './types';

/** Where the API lives, relative to the page. */
export const API = '/kapis/fluxcd.kubesphere.io/v1alpha1';

const TOKEN_KEY = 'ksflux.token';

/** The login token of this browser tab's user, if any. */
export function getToken(): string | null {
  return window.localStorage.getItem(TOKEN_KEY);
}

/** Stores (or with `null` forgets) the login token. */
export function setToken(token: string | null): void {
  if (token === null) window.localStorage.removeItem(TOKEN_KEY);
  else window.localStorage.setItem(TOKEN_KEY, token);
}

/** A failed request: HTTP status, the `Status` reason and message, and field causes. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly causes: Cause[];

  constructor(status: number, reason: string, message: string, causes: Cause[] = []) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.causes = causes;
  }

  /** The server's messages per field path (e.g. `spec.url`). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.causes) {
      if (c.field && !(c.field in out)) out[c.field] = c.message;
    }
    return out;
  }
}

/** Called when the server says the token is no longer valid. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

/** Query parameters; `undefined` and empty values are left out. */
export type Params = Record<string, string | number | boolean | undefined | null>;

/** `path` (below `API`) with `params` as a query string. */
export function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return `${API}${path}${qs ? `?${qs}` : ''}`;
}

/** Sends a request and returns the parsed JSON body. */
export async function request<T>(
  method: string,
  path: string,
  opts: { params?: Params; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, opts.params), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NetworkError', `cannot reach ksflux: ${String(e)}`);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    const st = body as Partial<Status> | undefined;
    throw new ApiError(
      res.status,
      st?.reason ?? res.statusText,
      st?.message ?? (text || res.statusText),
      st?.details?.causes ?? [],
    );
  }
  return body as T;
}

export const get = <T>(path: string, params?: Params, signal?: AbortSignal) =>
  request<T>('GET', path, { params, signal });
export const post = <T>(path: string, body?: unknown, params?: Params) =>
  request<T>('POST', path, { body, params });
export const put = <T>(path: string, body: unknown, params?: Params) =>
  request<T>('PUT', path, { body, params });
export const del = <T>(path: string, params?: Params) => request<T>('DELETE', path, { params });

/** What went wrong, for a person: the server's message for API errors. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The host cluster's name: where ksflux runs, where applications live and where their Flux
 * objects are rendered (also the `origin` of that cluster's connection).
 */
export const HOST = 'host';
