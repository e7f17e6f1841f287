/**
 * Pure helpers of the application detail page: Flux inventory ids parsed into a tree, Helm
 * history and events in display order.
 */

/** One object of a Flux inventory, from its id `<namespace>_<name>_<group>_<Kind>`. */
export interface InventoryObject {
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** Empty for the core group. */
  group: string;
  kind: string;
  /** The API version Flux recorded (`v`). */
  version: string;
}

/** An inventory entry as Flux writes it in `status.inventory.entries`. */
export interface InventoryEntry {
  id: string;
  v?: string;
}

/**
 * Parses a Flux object id. Namespaces, groups and kinds never contain `_`; names may (RBAC
 * names, for one), so the name is everything between the namespace and the group.
 * Returns null when the id does not have the four parts.
 */
export function parseInventoryId(id: string, version = ''): InventoryObject | null {
  const parts = id.split('_');
  if (parts.length < 4) return null;
  const namespace = parts[0];
  const kind = parts[parts.length - 1];
  const group = parts[parts.length - 2];
  const name = parts.slice(1, parts.length - 2).join('_');
  if (!name || !kind) return null;
  return { namespace, name, group, kind, version };
}

/** The objects of one kind in one namespace. */
export interface KindNode {
  kind: string;
  group: string;
  /** `group/version`, or just the version for the core group. */
  apiVersion: string;
  names: string[];
}

/** One namespace ('' = cluster-scoped) and its kinds. */
export interface NamespaceNode {
  namespace: string;
  kinds: KindNode[];
  count: number;
}

/** The inventory as namespace → kind → names, sorted (cluster-scoped objects first). */
export function inventoryTree(entries: InventoryEntry[]): NamespaceNode[] {
  const byNs = new Map<string, Map<string, KindNode>>();
  for (const e of entries) {
    const o = parseInventoryId(e.id, e.v ?? '');
    if (!o) continue;
    let kinds = byNs.get(o.namespace);
    if (!kinds) {
      kinds = new Map();
      byNs.set(o.namespace, kinds);
    }
    const key = `${o.group}/${o.kind}`;
    let node = kinds.get(key);
    if (!node) {
      const apiVersion = o.group ? `${o.group}/${o.version}` : o.version;
      node = { kind: o.kind, group: o.group, apiVersion, names: [] };
      kinds.set(key, node);
    }
    if (!node.names.includes(o.name)) node.names.push(o.name);
  }
  return [...byNs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, kinds]) => {
      const list = [...kinds.values()].sort(
        (a, b) => a.kind.localeCompare(b.kind) || a.group.localeCompare(b.group),
      );
      for (const k of list) k.names.sort((a, b) => a.localeCompare(b));
      return { namespace, kinds: list, count: list.reduce((n, k) => n + k.names.length, 0) };
    });
}

/** The inventory entries of a rendered Flux object (`status.inventory.entries`), if any. */
export function inventoryEntries(object: unknown): InventoryEntry[] {
  const entries = dig(object, 'status', 'inventory', 'entries');
  if (!Array.isArray(entries)) return [];
  return entries.filter((e): e is InventoryEntry => isRecord(e) && typeof e.id === 'string');
}

/** One Helm release revision (`status.history[]` of a HelmRelease). */
export interface HelmSnapshot {
  version: number;
  name?: string;
  namespace?: string;
  chartName?: string;
  chartVersion?: string;
  appVersion?: string;
  status?: string;
  firstDeployed?: string;
  lastDeployed?: string;
  deleted?: string;
  digest?: string;
  configDigest?: string;
}

/** A HelmRelease's history, newest release version first. */
export function helmHistory(object: unknown): HelmSnapshot[] {
  const history = dig(object, 'status', 'history');
  if (!Array.isArray(history)) return [];
  return history
    .filter((h): h is HelmSnapshot => isRecord(h) && typeof h.version === 'number')
    .slice()
    .sort((a, b) => b.version - a.version);
}

/** A Kubernetes Event as the targets endpoint returns it. */
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

/** When an event last happened, in milliseconds (0 if unknown). */
export function eventTime(e: KubeEvent): number {
  const s = e.lastTimestamp ?? e.eventTime;
  const ms = s ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Events newest first. */
export function sortEvents(events: unknown[]): KubeEvent[] {
  return events
    .filter((e): e is KubeEvent => isRecord(e))
    .slice()
    .sort((a, b) => eventTime(b) - eventTime(a));
}

/** Whether `v` is a plain object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at a path of object keys, or undefined. */
export function dig(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** A string at a path, or undefined. */
export function str(v: unknown, ...path: string[]): string | undefined {
  const s = dig(v, ...path);
  return typeof s === 'string' ? s : undefined;
}

/** A copy of a Kubernetes object without `metadata.managedFields`, for display. */
export function withoutManagedFields<T>(object: T): T {
  if (!isRecord(object) || !isRecord(object.metadata)) return object;
  const { managedFields: _drop, ...metadata } = object.metadata;
  void _drop;
  return { ...object, metadata } as T;
}

/** One object of a target's live inventory, as the inventory endpoint returns it. */
export interface LiveObject {
  id: string;
  namespace: string;
  name: string;
  group: string;
  kind: string;
  health: string;
  drifted?: boolean | null;
}

/** Which objects the tree shows. */
export type InventoryFilter = 'all' | 'unhealthy' | 'drifted';

/** Whether an object is not healthy (missing and unreadable count as unhealthy). */
export function unhealthy(o: LiveObject): boolean {
  return o.health !== 'healthy';
}

/** One kind in one namespace of the live tree, its objects sorted by name. */
export interface LiveKindNode<T extends LiveObject> {
  kind: string;
  group: string;
  objects: T[];
}

/** One namespace ('' = cluster-scoped) of the live tree. */
export interface LiveNamespaceNode<T extends LiveObject> {
  namespace: string;
  kinds: LiveKindNode<T>[];
}

/** The objects the filter keeps as namespace → kind → objects, sorted (cluster-scoped first). */
export function liveTree<T extends LiveObject>(objects: T[], filter: InventoryFilter): LiveNamespaceNode<T>[] {
  const keep = objects.filter((o) =>
    filter === 'unhealthy' ? unhealthy(o) : filter === 'drifted' ? o.drifted === true : true,
  );
  const byNs = new Map<string, Map<string, LiveKindNode<T>>>();
  for (const o of keep) {
    const kinds = byNs.get(o.namespace) ?? new Map<string, LiveKindNode<T>>();
    byNs.set(o.namespace, kinds);
    const key = `${o.group}/${o.kind}`;
    const node = kinds.get(key) ?? { kind: o.kind, group: o.group, objects: [] };
    kinds.set(key, node);
    node.objects.push(o);
  }
  return [...byNs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, kinds]) => ({
      namespace,
      kinds: [...kinds.values()]
        .sort((a, b) => a.kind.localeCompare(b.kind) || a.group.localeCompare(b.group))
        .map((k) => ({ ...k, objects: k.objects.slice().sort((a, b) => a.name.localeCompare(b.name)) })),
    }));
}

/** How many objects there are, how many are unhealthy and how many drifted. */
export function liveCounts(objects: LiveObject[]): { total: number; unhealthy: number; drifted: number } {
  return {
    total: objects.length,
    unhealthy: objects.filter(unhealthy).length,
    drifted: objects.filter((o) => o.drifted === true).length,
  };
}

/** One line of a unified diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** The most lines compared line by line; longer texts are shown whole, removed then added. */
const MAX_DIFF_LINES = 3000;

/**
 * A line diff of `before` → `after` (longest common subsequence), in order; texts longer than
 * 3,000 lines come back as all removed then all added.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) {
    return [...a.map((text) => ({ op: '-' as const, text })), ...b.map((text) => ({ op: '+' as const, text }))];
  }
  // lcs[i][j]: the common subsequence length of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: '-', text: a[i++] });
    } else {
      out.push({ op: '+', text: b[j++] });
    }
  }
  while (i < a.length) out.push({ op: '-', text: a[i++] });
  while (j < b.length) out.push({ op: '+', text: b[j++] });
  return out;
}

/**
 * The fields of `desired` kept from `live`, recursively, so a diff of the two shows only
 * what was applied (not defaults and status the cluster added), plus the fields at or under
 * `extra` paths (fields added outside Flux, as the drift names them: `a.b[name=x].c`). Lists
 * of named items are matched by name.
 */
export function projectOnto(desired: unknown, live: unknown, extra: string[] = [], at = ''): unknown {
  const wanted = (path: string) => extra.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`));
  if (isRecord(desired) && isRecord(live)) {
    const out: Record<string, unknown> = {};
    const path = (k: string) => (at ? `${at}.${k}` : k);
    // In the applied manifest's order, then what was added outside Flux.
    for (const k of Object.keys(desired)) {
      if (k !== 'status' && k in live) out[k] = projectOnto(desired[k], live[k], extra, path(k));
    }
    for (const k of Object.keys(live)) {
      if (k !== 'status' && !(k in desired) && wanted(path(k))) out[k] = projectOnto(undefined, live[k], extra, path(k));
    }
    return out;
  }
  if (desired === undefined && isRecord(live)) {
    // Under a field added outside Flux: keep what the drift names (or all of it when named itself).
    if (extra.includes(at)) return live;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(live)) {
      const path = `${at}.${k}`;
      if (wanted(path)) out[k] = projectOnto(undefined, live[k], extra, path);
    }
    return out;
  }
  if (Array.isArray(desired) && Array.isArray(live)) {
    const named = desired.every((d) => isRecord(d) && typeof d.name === 'string');
    if (named) {
      return desired.flatMap((d) => {
        const l = live.find((x) => isRecord(x) && isRecord(d) && x.name === d.name);
        return l === undefined ? [] : [projectOnto(d, l, extra, `${at}[name=${String((d as { name: string }).name)}]`)];
      });
    }
    return live.map((l, i) => (i < desired.length ? projectOnto(desired[i], l, extra, `${at}[${i}]`) : l));
  }
  return live;
}
