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
