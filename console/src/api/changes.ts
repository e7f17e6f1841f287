/**
 * What one live change does to the cached reads of its kind in its cluster: an object seen in
 * a cached list or detail gets the change's summary and resourceVersion in place; a deleted
 * one leaves the lists (its detail is read again); an applied object that no cached list holds
 * is new, so the caller reads that kind's lists of that cluster again. A view that shows more
 * than the summary asks to be read again as well (`refetch`). Pure: it gets the cached
 * entries and returns what to write, so it is unit-tested without a query client.
 */
import type { QueryKey } from '@tanstack/react-query';
import { HOST } from './client';
import { byKind } from './kinds';
import type { KindView, ObjectChange, Summary, TargetWorkloads } from './types';

/** One cached read: its key (`keys.list`, `keys.object`, `keys.sub` of `hooks.ts`) and data. */
export interface CacheEntry {
  key: QueryKey;
  data: unknown;
  /**
   * The view shows more of its objects than the summary (e.g. status fields): after the
   * summary is patched in, it is also read again.
   */
  refetch?: boolean;
}

/** What to do with the cache for one change. */
export interface ChangePlan {
  /** Cached reads with their new data. */
  set: CacheEntry[];
  /** Cached reads to read again: the detail of a deleted object, patched reads that ask for it. */
  stale: QueryKey[];
  /** An applied object no cached list holds: the kind's lists of the cluster are read again. */
  newObject: boolean;
}

/** What lists and details hold: objects with metadata and a summary. */
interface Item {
  metadata: Record<string, unknown>;
  summary: Summary;
}
interface List {
  items: Item[];
  totalItems: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isItem = (x: unknown): x is Item => isRecord(x) && isRecord(x.metadata) && isRecord(x.summary);
const isList = (x: unknown): x is List =>
  isRecord(x) && Array.isArray(x.items) && x.items.every(isItem) && typeof x.totalItems === 'number';

/** Whether `o` is the object the change is about. */
const isIt = (o: Item, c: ObjectChange) => o.metadata.name === c.name && o.metadata.namespace === c.namespace;

/** `o` with the change's summary and resourceVersion. */
function patched<T extends Item>(o: T, c: ObjectChange): T {
  return { ...o, summary: c.summary, metadata: { ...o.metadata, resourceVersion: c.resourceVersion } };
}

/**
 * The plan for change `c`, given the cached entries of its kind in its cluster (keys
 * `['flux', plural, c.cluster, ...]`).
 */
export function planChange(entries: readonly CacheEntry[], c: ObjectChange): ChangePlan {
  const plan: ChangePlan = { set: [], stale: [], newObject: false };
  let listed = false;
  for (const { key, data, refetch } of entries) {
    const [, , cluster, namespace, view, name] = key;
    if (cluster !== c.cluster) continue;
    if (view === 'list' && isList(data)) {
      const i = data.items.findIndex((o) => isIt(o, c));
      if (i < 0) continue;
      listed = true;
      const items =
        c.type === 'deleted'
          ? data.items.filter((_, j) => j !== i)
          : data.items.map((o, j) => (j === i ? patched(o, c) : o));
      const totalItems = c.type === 'deleted' ? Math.max(0, data.totalItems - 1) : data.totalItems;
      plan.set.push({ key, data: { ...data, items, totalItems } });
      // A deleted object leaves at once, and its list is read again after the batch: a read
      // already under way (a resync, another change) may answer from before the delete.
      if (refetch || c.type === 'deleted') plan.stale.push(key);
    } else if (view === 'object' && namespace === c.namespace && name === c.name && isItem(data)) {
      if (c.type === 'deleted') plan.stale.push(key);
      else {
        plan.set.push({ key, data: patched(data, c) });
        if (refetch) plan.stale.push(key);
      }
    }
  }
  plan.newObject = c.type === 'applied' && !listed;
  return plan;
}

/**
 * What the application views must read again after change `c`: all of them (an Application
 * changed: its controller wrote its status), their targets (a delivery object in the host
 * changed: a target's details), or nothing. `kinds` unknown: assume a delivery object.
 */
export function applicationsStale(c: ObjectChange, kinds: readonly KindView[] | undefined): 'all' | 'targets' | null {
  if (c.cluster !== HOST) return null;
  if (c.kind === 'Application') return 'all';
  return kinds === undefined || byKind(kinds, c.kind)?.family === 'delivery' ? 'targets' : null;
}

/** The kinds on the stream with `workloads=true`. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod']);

/**
 * Whether change `c` is about a workload or pod of one of `targets`: same cluster, and the
 * target's namespace or one of its workloads' namespaces.
 */
export function touchesWorkloads(targets: readonly TargetWorkloads[], c: ObjectChange): boolean {
  if (!WORKLOAD_KINDS.has(c.kind)) return false;
  return targets.some(
    (t) => t.cluster === c.cluster && (t.namespace === c.namespace || t.workloads.some((w) => w.namespace === c.namespace)),
  );
}

/**
 * `targets` with the replica counts of workload change `c` patched in, so a rollout shows as
 * it happens (the pods' problems come with the next read); `null` when no shown workload is
 * the one that changed.
 */
export function patchWorkloads(targets: readonly TargetWorkloads[], c: ObjectChange): TargetWorkloads[] | null {
  const r = c.replicas;
  if (!r || c.type !== 'applied') return null;
  let hit = false;
  const out = targets.map((t) => {
    if (t.cluster !== c.cluster) return t;
    const workloads = t.workloads.map((w) => {
      if (w.kind !== c.kind || w.namespace !== c.namespace || w.name !== c.name) return w;
      hit = true;
      return { ...w, desired: r.desired, updated: r.updated, ready: r.ready, available: r.available };
    });
    return { ...t, workloads };
  });
  return hit ? out : null;
}
