/**
 * How a target's overrides combine with an application's base configuration, computed in the
 * browser for the wizard's "rendered" column. The rules are those of `docs/applications.md`
 * (implemented on the server in `applications/merge.rs`; both run the shared vectors of
 * `applications/merge-vectors.json`); the preview step shows the server's own rendering.
 */
import type { ApplicationSpec, HelmSpec, Image, Json, KustomizeSpec, Overrides, Patch, Target } from '../../api/types';

/**
 * The Flux options a target can override besides values, versions, paths, patches, images and
 * substitutions (whole-value or appended; see `mergeReplace` and `mergeAppend`).
 */
export interface OverridableOptions {
  timeout?: string;
  test?: Json;
  driftDetection?: Json;
  maxHistory?: number;
  postRenderers?: Json[];
  components?: string[];
  force?: boolean;
  namePrefix?: string;
  nameSuffix?: string;
  substituteFrom?: Json[];
}

/** The substitution variable set to the target's cluster unless the application sets it. */
export const CLUSTER_NAME_VAR = 'cluster_name';

/** Whether `v` is a map (a plain object, not a list or null). */
export function isMap(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` without `null` members of maps, also inside lists (a null means "no such key"). */
export function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isMap(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/**
 * Deep-merges `over` into `base`: maps merge key by key (recursively); lists and scalars in
 * `over` replace the base value; a `null` in `over` deletes the key. Nulls never reach the
 * result.
 */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (isMap(base) && isMap(over)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(base)) if (v !== null) out[k] = stripNulls(v);
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else if (k in out) out[k] = mergeValues(out[k], v);
      else out[k] = stripNulls(v);
    }
    return out;
  }
  return stripNulls(over);
}

/** The Helm values of a target (`undefined` when neither the base nor the target has any). */
export function targetValues(base: Json | undefined, over: Overrides | undefined): Json | undefined {
  const o = over?.values;
  if (base === undefined && o === undefined) return undefined;
  if (o === undefined) return stripNulls(base) as Json;
  return mergeValues(base ?? {}, o) as Json;
}

/**
 * The Kustomize images of a target: a base entry is replaced by the target's entry of the same
 * name (the last one wins if a name repeats); new names are appended.
 */
export function mergeImages(base: Image[], over: Image[]): Image[] {
  const lastOf = (name: string) => [...over].reverse().find((o) => o.name === name);
  const out = base.map((b) => lastOf(b.name) ?? b);
  for (const o of over) {
    if (!out.some((i) => i.name === o.name)) out.push(lastOf(o.name) ?? o);
  }
  return out;
}

/** Substitutions: the base merged with the target's, the target winning for a key in both. */
export function mergeSubstitute(
  base: Record<string, string> | undefined,
  over: Record<string, string> | undefined,
): Record<string, string> {
  return { ...(base ?? {}), ...(over ?? {}) };
}

/** Patches: the base ones, then the target's. */
export function mergePatches(base: Patch[] | undefined, over: Patch[] | undefined): Patch[] {
  return mergeAppend(base, over);
}

/**
 * A field whose target value replaces the base value as a whole (`timeout`, `test`,
 * `driftDetection`, `maxHistory`, `components`, `force`, `namePrefix`, `nameSuffix`): the
 * target's when it sets one, else the base's.
 */
export function mergeReplace<T>(base: T | undefined, over: T | undefined): T | undefined {
  return over !== undefined ? over : base;
}

/** A list the target extends (`valuesFrom`, `postRenderers`, `substituteFrom`): base, then target. */
export function mergeAppend<T>(base: T[] | undefined, over: T[] | undefined): T[] {
  return [...(base ?? []), ...(over ?? [])];
}

/** Sets `out[key]` to the merged option when there is one (an empty list counts as none). */
function setOption(out: Json, key: keyof OverridableOptions, v: unknown) {
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return;
  out[key] = v;
}

/**
 * What one target of `spec` gets after its overrides are applied: for Helm the chart,
 * version range, release name, values and the overridable options; for Kustomize the path,
 * prune, patches, images, substitutions (with `cluster_name`) and the overridable options.
 * Also the target namespace and whether it is suspended.
 */
export function renderTarget(spec: ApplicationSpec, target: Target): Json {
  const over = target.overrides as (Overrides & OverridableOptions) | undefined;
  const suspend = !!target.suspend || !!spec.suspend;
  if (spec.helm) {
    const h = spec.helm;
    const out: Json = { chart: h.chart };
    const version = over?.version ?? h.version;
    if (version !== undefined) out.version = version;
    if (h.releaseName) out.releaseName = h.releaseName;
    out.targetNamespace = target.namespace;
    if (suspend) out.suspend = true;
    const values = targetValues(h.values, over);
    if (values !== undefined) out.values = values;
    const valuesFrom = [...(h.valuesFrom ?? []), ...(over?.valuesFrom ?? [])];
    if (valuesFrom.length) out.valuesFrom = valuesFrom;
    const o = h as HelmSpec & OverridableOptions;
    for (const key of ['test', 'timeout', 'driftDetection', 'maxHistory'] as const) {
      setOption(out, key, mergeReplace<unknown>(o[key], over?.[key]));
    }
    setOption(out, 'postRenderers', mergeAppend(o.postRenderers, over?.postRenderers));
    return out;
  }
  const k: KustomizeSpec & OverridableOptions = spec.kustomize ?? {};
  const out: Json = {
    path: over?.path ?? k.path ?? './',
    prune: k.prune ?? true,
    targetNamespace: target.namespace,
  };
  if (suspend) out.suspend = true;
  const patches = mergePatches(k.patches, over?.patches);
  if (patches.length) out.patches = patches;
  const images = mergeImages(k.images ?? [], over?.images ?? []);
  if (images.length) out.images = images;
  const substitute = mergeSubstitute(k.substitute, over?.substitute);
  if (!(CLUSTER_NAME_VAR in substitute)) substitute[CLUSTER_NAME_VAR] = target.cluster;
  out.substitute = substitute;
  setOption(out, 'substituteFrom', mergeAppend(k.substituteFrom, over?.substituteFrom));
  for (const key of ['components', 'timeout', 'force', 'namePrefix', 'nameSuffix'] as const) {
    setOption(out, key, mergeReplace<unknown>(k[key], over?.[key]));
  }
  return out;
}

/** A label selector of the API: every `matchLabels` entry and `matchExpressions` requirement. */
export type Selector = NonNullable<ApplicationSpec['placement']>['clusterSelector'];

/** Whether `labels` satisfy `sel` (never, for an empty selector), as the server decides. */
export function selectorMatches(sel: Selector | undefined, labels: Record<string, string>): boolean {
  const ml = Object.entries(sel?.matchLabels ?? {});
  const me = sel?.matchExpressions ?? [];
  if (ml.length === 0 && me.length === 0) return false;
  return (
    ml.every(([k, v]) => labels[k] === v) &&
    me.every((e) => {
      const v = labels[e.key];
      const values = e.values ?? [];
      switch (e.operator) {
        case 'In':
          return v !== undefined && values.includes(v);
        case 'NotIn':
          return v === undefined || !values.includes(v);
        case 'Exists':
          return v !== undefined;
        case 'DoesNotExist':
          return v === undefined;
        default:
          return false;
      }
    })
  );
}

function stackValues(lower: unknown, upper: unknown): unknown {
  if (isMap(lower) && isMap(upper)) {
    const out: Json = { ...lower };
    for (const [k, v] of Object.entries(upper)) out[k] = k in out ? stackValues(out[k], v) : v;
    return out;
  }
  return upper;
}

/**
 * One set of overrides equivalent to `lower` then `upper` (a label layer, then the next layer
 * or the target's own overrides), as the server stacks them (`merge::stack`).
 */
export function stackOverrides(lower: Overrides, upper: Overrides): Overrides {
  const l = lower as Overrides & OverridableOptions;
  const u = upper as Overrides & OverridableOptions;
  const out: Json = {};
  const values = l.values !== undefined && u.values !== undefined ? stackValues(l.values, u.values) : (u.values ?? l.values);
  if (values !== undefined) out.values = values;
  const substitute = { ...(l.substitute ?? {}), ...(u.substitute ?? {}) };
  if (Object.keys(substitute).length) out.substitute = substitute;
  const images = mergeImages(l.images ?? [], u.images ?? []);
  if (images.length) out.images = images;
  for (const key of ['valuesFrom', 'postRenderers', 'patches', 'substituteFrom'] as const) {
    const list = mergeAppend<unknown>(l[key] as unknown[] | undefined, u[key] as unknown[] | undefined);
    if (list.length) out[key] = list;
  }
  for (const key of [
    'version',
    'path',
    'test',
    'driftDetection',
    'maxHistory',
    'timeout',
    'components',
    'force',
    'namePrefix',
    'nameSuffix',
  ] as const) {
    const v = mergeReplace<unknown>(l[key], u[key]);
    if (v !== undefined) out[key] = v;
  }
  return out as Overrides;
}

/** The layers of `spec` that apply to a cluster with `labels`, in order, with their names. */
export function layersFor(
  spec: ApplicationSpec,
  labels: Record<string, string>,
): { name: string; layer: NonNullable<ApplicationSpec['layers']>[number] }[] {
  return (spec.layers ?? []).flatMap((layer, i) =>
    selectorMatches(layer.clusterSelector, labels) ? [{ name: layer.name ?? `layers[${i}]`, layer }] : [],
  );
}

/** A target with its applicable layers stacked under its own overrides. */
export function withLayers(spec: ApplicationSpec, target: Target, labels: Record<string, string>): Target {
  const layers = layersFor(spec, labels);
  if (layers.length === 0) return target;
  const stacked = [...layers.map((l) => l.layer.overrides), target.overrides ?? {}].reduce((a, b) => stackOverrides(a, b));
  return { ...target, overrides: stacked };
}
