/**
 * One event stream per tab: each change invalidates the queries that show that kind (at most
 * every 400 ms), and changes to rendered HelmReleases/Kustomizations in the host also refresh
 * applications (their controller writes the application's status right after). The latest
 * state of each object seen is kept so pages can show it without waiting for a refetch.
 */
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { subscribe } from './events';
import { useKinds } from './hooks';
import { pluralOf } from './kinds';
import type { ObjectChange } from './types';
import { HOST } from './client';

interface Live {
  connected: boolean;
  /** Changes received so far (bumps on each). */
  version: number;
}

const LiveContext = createContext<Live>({ connected: false, version: 0 });

/** Whether the event stream is connected, and how many changes arrived. */
export function useLive(): Live {
  return useContext(LiveContext);
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const kinds = useKinds().data?.items;
  const kindsRef = useRef(kinds);
  kindsRef.current = kinds;
  const [live, setLive] = useState<Live>({ connected: false, version: 0 });
  const pending = useRef(new Set<string>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const appsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const flush = () => {
      timer.current = null;
      const kinds = [...pending.current];
      pending.current.clear();
      void qc.invalidateQueries(['status']);
      for (const k of kinds) void qc.invalidateQueries(['flux', k]);
      setLive((l) => ({ ...l, version: l.version + 1 }));
    };
    const schedule = () => {
      if (timer.current === null) timer.current = setTimeout(flush, 400);
    };
    const onChange = (c: ObjectChange) => {
      const plural = pluralOf(kindsRef.current ?? [], c.kind);
      if (plural) pending.current.add(plural);
      if (c.cluster === HOST && (c.kind === 'HelmRelease' || c.kind === 'Kustomization')) {
        pending.current.add('applications');
        // The application's own status follows the Flux object's; read it again shortly
        // (once for a burst of changes).
        if (appsTimer.current === null) {
          appsTimer.current = setTimeout(() => {
            appsTimer.current = null;
            void qc.invalidateQueries(['flux', 'applications']);
          }, 1500);
        }
      }
      schedule();
    };
    const onResync = () => {
      void qc.invalidateQueries(['status']);
      void qc.invalidateQueries(['flux']);
    };
    return subscribe(onChange, onResync, (connected) => setLive((l) => ({ ...l, connected })));
  }, [qc]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
