/**
 * What the source page reads out of a Flux source: its artifact, its conditions, how it picks
 * its revision, and which applications use it. Pure, so it is unit-tested without a page.
 */
import { obj, str } from '../../api/json';
import type { ApplicationView } from '../../api/types';

/** The artifact a source produced (`status.artifact`). */
export interface Artifact {
  revision: string;
  digest: string;
  /** Bytes, when the controller reports them. */
  size?: number;
  lastUpdateTime: string;
}

/** The source's artifact, or `undefined` before it has one. */
export function artifactOf(status: unknown): Artifact | undefined {
  const a = obj(obj(status).artifact);
  if (Object.keys(a).length === 0) return undefined;
  return {
    revision: str(a.revision),
    digest: str(a.digest),
    size: typeof a.size === 'number' ? a.size : undefined,
    lastUpdateTime: str(a.lastUpdateTime),
  };
}

/** A status condition as shown. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** The conditions of a status, Ready first, then by type. */
export function conditionsOf(status: unknown): Condition[] {
  const list = obj(status).conditions;
  if (!Array.isArray(list)) return [];
  return list
    .map((c) => {
      const o = obj(c);
      return {
        type: str(o.type),
        status: str(o.status),
        reason: str(o.reason),
        message: str(o.message),
        lastTransitionTime: str(o.lastTransitionTime),
      };
    })
    .filter((c) => c.type !== '')
    .sort((a, b) => (a.type === 'Ready' ? -1 : b.type === 'Ready' ? 1 : a.type.localeCompare(b.type)));
}

/** A size in bytes for people: B, KiB, MiB, GiB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n >= 10 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

/** How the source picks its revision (`spec.ref`): the first set of its keys, most exact first. */
export function refOf(spec: unknown): { key: string; value: string } | undefined {
  const ref = obj(obj(spec).ref);
  for (const key of ['commit', 'digest', 'name', 'semver', 'tag', 'branch']) {
    const value = str(ref[key]);
    if (value) return { key, value };
  }
  return undefined;
}

/** The source kinds an application can be built from. */
export const APPLICATION_SOURCE_KINDS = ['GitRepository', 'OCIRepository', 'Bucket', 'HelmRepository'];

/**
 * The applications among `apps` built from source `kind`/`name` of `namespace` (an
 * application's source is in its own namespace), by name.
 */
export function applicationsUsing(
  apps: readonly ApplicationView[],
  kind: string,
  namespace: string,
  name: string,
): ApplicationView[] {
  return apps
    .filter(
      (a) =>
        a.metadata.namespace === namespace && a.spec.source.kind === kind && a.spec.source.name === name,
    )
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
}
