/**
 * The namespace (project) the namespaced pages work in, chosen in the header and remembered.
 * Empty means all namespaces (needs the right to list across them).
 */
import { createContext, useContext, useState, type ReactNode } from 'react';

const KEY = 'ksflux.namespace';

interface NamespaceState {
  namespace: string;
  setNamespace: (ns: string) => void;
}

const Ctx = createContext<NamespaceState>({ namespace: '', setNamespace: () => undefined });

/**
 * The namespace of the pages below. Standalone it is remembered per browser; the KubeSphere
 * extension passes `fixed` (a project's pages work in that project only).
 */
export function NamespaceProvider({ children, fixed }: { children: ReactNode; fixed?: string }) {
  const [chosen, set] = useState(() => window.localStorage.getItem(KEY) ?? '');
  const namespace = fixed ?? chosen;
  const setNamespace = (ns: string) => {
    if (fixed !== undefined) return;
    window.localStorage.setItem(KEY, ns);
    set(ns);
  };
  return <Ctx.Provider value={{ namespace, setNamespace }}>{children}</Ctx.Provider>;
}

/** The current namespace and its setter. */
export function useNamespace(): NamespaceState {
  return useContext(Ctx);
}
