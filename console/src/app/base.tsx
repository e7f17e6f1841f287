/**
 * Where the pages are mounted: at `/` in the standalone console, below a KubeSphere path in
 * the extension (`/fluxcd`, a project's `/…/projects/<ns>/fluxcd`). Pages link with `useTo()`,
 * never with bare absolute paths.
 */
import { createContext, useContext, type ReactNode } from 'react';

const Ctx = createContext('');

/** Mounts the pages below `base` (no trailing slash; empty for `/`). */
export function BaseProvider({ base, children }: { base: string; children: ReactNode }) {
  return <Ctx.Provider value={base.replace(/\/+$/, '')}>{children}</Ctx.Provider>;
}

/** `path` (absolute within the pages, e.g. `/applications`) below the current base. */
export function joinBase(base: string, path: string): string {
  if (path === '/' || path === '') return base || '/';
  return `${base}${path.startsWith('/') ? path : `/${path}`}`;
}

/** A function turning page paths (`/applications/ns/name`) into URLs below the base. */
export function useTo(): (path: string) => string {
  const base = useContext(Ctx);
  return (path) => joinBase(base, path);
}
