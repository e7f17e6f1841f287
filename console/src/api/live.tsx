/**
 * One event stream for all tabs (`shared.ts`: one tab streams, the others listen). Each change updates the cached reads of its kind in its cluster
 * (see `changes.ts`): an object already shown gets its new summary in place, a deleted one
 * leaves the lists, and only a new object makes that kind's lists of that cluster be read
 * again (at most every 400 ms, with the fleet status views). Views that show more than the
 * summary are read again too (`refetchOnChange` of `useObjectList`). Applications are on the
 * stream as well: a change to one reads every application view again, since they show its
 * status (per-cluster targets), not only the summary; a change to a delivery object
 * (HelmRelease, Kustomization) in the host reads the applications' target details again.
 */
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { applicationsStale, patchWorkloads, planChange, touchesWorkloads } from './changes';
import { HOST } from './client';
import { subscribe } from './events';
import { subscribeShared } from './shared';
import { keys, REFETCH_ON_CHANGE, useKinds } from './hooks';
import { pluralOf } from './kinds';
import type { ObjectChange, TargetWorkloads } from './types';

interface Live {
  connected: boolean;
  /** Changes received so far (bumps on each batch). */
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
  /** Lists to read again: [plural, cluster]; `null` for every list (kinds not known yet). */
  const pending = useRef(new Map<string, [string, string] | null>());
  /** Single reads to read again, by their key as JSON. */
  const stale = useRef(new Map<string, QueryKey>());
  /** Application views to read again in the next batch. */
  const apps = useRef<'all' | 'targets' | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const lists = (plural: string, cluster: string) =>
      void qc.invalidateQueries({
        queryKey: ['flux', plural, cluster],
        predicate: (q) => q.queryKey[4] === 'list',
      });
    const flush = () => {
      timer.current = null;
      const batch = [...pending.current.values()];
      pending.current.clear();
      const reads = [...stale.current.values()];
      stale.current.clear();
      for (const key of reads) void qc.invalidateQueries({ queryKey: key, exact: true });
      if (apps.current === 'all') void qc.invalidateQueries(['flux', 'applications']);
      else if (apps.current === 'targets')
        void qc.invalidateQueries({ queryKey: ['flux', 'applications'], predicate: (q) => q.queryKey[6] === 'targets' || q.queryKey[6] === 'workloads' });
      apps.current = null;
      void qc.invalidateQueries(['status']);
      for (const p of batch) {
        if (p === null) void qc.invalidateQueries({ queryKey: ['flux'], predicate: (q) => q.queryKey[4] === 'list' });
        else lists(p[0], p[1]);
      }
      setLive((l) => ({ ...l, version: l.version + 1 }));
    };
    const schedule = () => {
      if (timer.current === null) timer.current = setTimeout(flush, 400);
    };
    const onChange = (c: ObjectChange) => {
      const known = kindsRef.current;
      const plural = known ? pluralOf(known, c.kind) : undefined;
      if (plural) {
        const entries = qc
          .getQueryCache()
          .findAll(['flux', plural, c.cluster])
          .map((q) => ({ key: q.queryKey, data: q.state.data, refetch: q.meta?.[REFETCH_ON_CHANGE] === true }));
        const plan = planChange(entries, c);
        for (const e of plan.set) qc.setQueryData(e.key, e.data);
        for (const key of plan.stale) stale.current.set(JSON.stringify(key), key);
        if (plan.newObject) pending.current.set(`${plural}/${c.cluster}`, [plural, c.cluster]);
      } else if (!known) {
        pending.current.set('', null);
      }
      const a = applicationsStale(c, known);
      if (a === 'all' || (a === 'targets' && apps.current === null)) apps.current = a;
      schedule();
    };
    const onResync = () => {
      void qc.invalidateQueries(['status']);
      void qc.invalidateQueries(['flux']);
    };
    const stop = subscribeShared(onChange, onResync, (connected) => setLive((l) => ({ ...l, connected })));
    return () => {
      stop();
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [qc]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

/**
 * While an application's workloads are shown: a second stream with the workloads' changes.
 * A change of a shown workload patches its replica counts in at once (a rollout shows as it
 * happens) and, at most every 300 ms, reads the workloads again for their pods' problems.
 * Returns whether the stream is connected.
 */
export function useWorkloadStream(namespace: string, name: string): boolean {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!name) return undefined;
    const key = keys.sub('applications', HOST, namespace, name, 'workloads');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const reread = () => void qc.invalidateQueries({ queryKey: key, exact: true });
    const onChange = (c: ObjectChange) => {
      const shown = qc.getQueryData<TargetWorkloads[]>(key);
      if (!shown || !touchesWorkloads(shown, c)) return;
      const patched = patchWorkloads(shown, c);
      if (patched) qc.setQueryData(key, patched);
      if (timer === null)
        timer = setTimeout(() => {
          timer = null;
          reread();
        }, 300);
    };
    const stop = subscribe(onChange, reread, setConnected, { workloads: true });
    return () => {
      stop();
      if (timer !== null) clearTimeout(timer);
    };
  }, [qc, namespace, name]);
  return connected;
}
