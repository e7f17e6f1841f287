/**
 * The wizard's form state, and how it becomes an `ApplicationSpec` and back (empty fields are
 * left out), plus the client checks of each step and which step owns a field path. Pure: no
 * React, so it is unit-tested on its own.
 */
import { parse, stringify } from 'yaml';
import { ofFamilies } from '../../api/kinds';
import type { ApplicationSpec, Image, Json, KindView, Overrides, Patch, SourceKind, Target } from '../../api/types';
import {
  all,
  duration,
  label,
  objectName,
  relativePath,
  required,
  semverRange,
  yamlMap,
} from '../../forms/validation';
import { isMap } from './merge';
import { valuesProblems, type ChartDefaults } from './values';

/** Helm chart or Kustomize path. */
export type AppType = 'helm' | 'kustomize';

/** One substitution row. */
export interface KeyValue {
  key: string;
  value: string;
}

/** One Kustomize image row. */
export interface ImageRow {
  name: string;
  newName: string;
  newTag: string;
  digest: string;
}

/** One Kustomize patch: its text and the optional target selector (YAML map). */
export interface PatchRow {
  patch: string;
  target: string;
}

/** The Kustomize lists, edited as rows (the base's and each target's). */
export interface KustomizeRows {
  substitute: KeyValue[];
  images: ImageRow[];
  patches: PatchRow[];
}

/** One target being edited: where, and its overrides as the user types them. */
export interface TargetState extends KustomizeRows {
  cluster: string;
  namespace: string;
  suspend: boolean;
  /** Helm values override (YAML). */
  values: string;
  /** Helm version range override. */
  version: string;
  /** Kustomize path override. */
  path: string;
  /** Overrides the wizard does not edit (Helm `valuesFrom`, `timeout`, `test`, ...), kept as they are. */
  kept: Overrides;
}

/** Parts of a stored application the wizard does not edit but must keep. */
export interface Kept {
  dependsOn: string[];
  suspend?: boolean;
  /** Helm `valuesFrom`, `install`, `upgrade`, `rollback`, `uninstall`. */
  helm: Json;
  /** Kustomize fields the wizard does not edit (`wait`, `components`, `timeout`, ...). */
  kustomize: KustomizeKept;
  /** Clusters chosen by labels, and label layers (edited as YAML, kept by the wizard). */
  placement?: ApplicationSpec['placement'];
  layers?: ApplicationSpec['layers'];
  /** Image automation and the progressive rollout (set up on the application's page). */
  images?: ApplicationSpec['images'];
  rollout?: ApplicationSpec['rollout'];
}

/** The Kustomize part of a spec, as kept. */
type KustomizeKept = Omit<NonNullable<ApplicationSpec['kustomize']>, 'path' | 'prune' | 'patches' | 'images' | 'substitute'>;

/** The override keys the wizard edits per target. */
const EDITED_OVERRIDES = ['values', 'version', 'path', 'substitute', 'images', 'patches'] as const;

/** Everything the wizard edits. */
export interface WizardState extends KustomizeRows {
  name: string;
  namespace: string;
  type: AppType;
  sourceKind: SourceKind;
  sourceName: string;
  interval: string;
  /** Helm chart name (HelmRepository) or path (git, bucket). */
  chart: string;
  version: string;
  releaseName: string;
  /** Base Helm values (YAML). */
  values: string;
  /** Helm `timeout` (a Go duration; empty: Flux's default). */
  timeout: string;
  /** Helm `install.remediation.retries` (an integer; empty: Flux's default). */
  installRetries: string;
  /** Helm `upgrade.remediation.retries` (an integer; empty: Flux's default). */
  upgradeRetries: string;
  /** Kustomize path. */
  path: string;
  prune: boolean;
  targets: TargetState[];
  kept: Kept;
}

/** `kind` when an application can be built from a source of that kind. */
export function appSourceKind(kind: string): SourceKind | undefined {
  switch (kind) {
    case 'GitRepository':
    case 'OCIRepository':
    case 'Bucket':
    case 'HelmRepository':
      return kind;
    default:
      return undefined;
  }
}

/** Whether an application of `type` can use a source of `kind`: charts come from Helm
 * repositories, Git repositories and buckets; Kustomize paths from any source but a Helm
 * repository. */
export function usableBy(type: AppType, kind: SourceKind): boolean {
  return type === 'helm' ? kind !== 'OCIRepository' : kind !== 'HelmRepository';
}

/** The source kinds an application of `type` can use, among the kinds the API serves. */
export function sourceChoices(kinds: readonly KindView[], type: AppType): SourceKind[] {
  return ofFamilies(kinds, 'source').flatMap((k) => {
    const kind = appSourceKind(k.kind);
    return kind && usableBy(type, kind) ? [kind] : [];
  });
}

/** A new application in `namespace`. */
export function emptyState(namespace = ''): WizardState {
  return {
    name: '',
    namespace,
    type: 'helm',
    sourceKind: 'HelmRepository',
    sourceName: '',
    interval: '5m',
    chart: '',
    version: '*',
    releaseName: '',
    values: '',
    timeout: '',
    installRetries: '',
    upgradeRetries: '',
    path: './',
    prune: true,
    substitute: [],
    images: [],
    patches: [],
    targets: [],
    kept: { dependsOn: [], helm: {}, kustomize: {} },
  };
}

/** A new target in `cluster`, without overrides. */
export function emptyTarget(cluster: string, namespace: string): TargetState {
  return {
    cluster,
    namespace,
    suspend: false,
    values: '',
    version: '',
    path: '',
    substitute: [],
    images: [],
    patches: [],
    kept: {},
  };
}

/** The map a YAML text holds: `undefined` when empty (or not a map), `error` when it does not parse. */
export function parseYamlMap(text: string): { value?: Json; error?: string } {
  const error = yamlMap(parse)(text);
  if (error) return { error };
  if (text.trim() === '') return {};
  const v: unknown = parse(text);
  return isMap(v) ? { value: v } : {};
}

/** A map as YAML text (empty for nothing). */
export function toYaml(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (isMap(v) && Object.keys(v).length === 0) return '';
  return stringify(v);
}

function nonEmpty(v: Json | undefined): Json | undefined {
  return v && Object.keys(v).length ? v : undefined;
}

function rowsToSubstitute(rows: KeyValue[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value;
  return Object.keys(out).length ? out : undefined;
}

function rowsToImages(rows: ImageRow[]): Image[] | undefined {
  const out: Image[] = rows
    .filter((r) => r.name.trim())
    .map((r) => {
      const i: Image = { name: r.name.trim() };
      if (r.newName.trim()) i.newName = r.newName.trim();
      if (r.newTag.trim()) i.newTag = r.newTag.trim();
      if (r.digest.trim()) i.digest = r.digest.trim();
      return i;
    });
  return out.length ? out : undefined;
}

function rowsToPatches(rows: PatchRow[]): Patch[] | undefined {
  const out: Patch[] = rows
    .filter((r) => r.patch.trim())
    .map((r) => {
      const target = nonEmpty(parseYamlMap(r.target).value);
      return target ? { patch: r.patch, target } : { patch: r.patch };
    });
  return out.length ? out : undefined;
}

function substituteToRows(m: Record<string, string> | undefined): KeyValue[] {
  return Object.entries(m ?? {}).map(([key, value]) => ({ key, value: String(value) }));
}

function imagesToRows(list: Image[] | undefined): ImageRow[] {
  return (list ?? []).map((i) => ({
    name: i.name,
    newName: i.newName ?? '',
    newTag: i.newTag ?? '',
    digest: i.digest ?? '',
  }));
}

function patchesToRows(list: Patch[] | undefined): PatchRow[] {
  return (list ?? []).map((p) => ({ patch: p.patch, target: toYaml(p.target) }));
}

/** The remediation retries of Helm `install` or `upgrade` settings. */
function retriesOf(settings: unknown): string {
  const r = isMap(settings) && isMap(settings.remediation) ? settings.remediation.retries : undefined;
  return typeof r === 'number' ? String(r) : '';
}

/** Helm `install` or `upgrade` settings with their remediation retries set to `text` (removed when empty). */
function withRetries(settings: unknown, text: string): Json | undefined {
  const out: Json = isMap(settings) ? { ...settings } : {};
  const remediation: Json = isMap(out.remediation) ? { ...out.remediation } : {};
  const n = text.trim();
  if (n !== '' && /^-?\d+$/.test(n)) remediation.retries = Number(n);
  else delete remediation.retries;
  if (Object.keys(remediation).length) out.remediation = remediation;
  else delete out.remediation;
  return Object.keys(out).length ? out : undefined;
}

/** Drops keys whose value is `undefined`. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A target's overrides for an application of `type` (`undefined` when it has none). */
export function targetOverrides(
  t: TargetState,
  type: AppType,
  sourceKind: SourceKind,
): Overrides | undefined {
  const o: Overrides =
    type === 'helm'
      ? compact({
          ...t.kept,
          values: nonEmpty(parseYamlMap(t.values).value),
          version: sourceKind === 'HelmRepository' && t.version.trim() ? t.version.trim() : undefined,
        })
      : compact({
          ...t.kept,
          path: t.path.trim() || undefined,
          substitute: rowsToSubstitute(t.substitute),
          images: rowsToImages(t.images),
          patches: rowsToPatches(t.patches),
        });
  return Object.keys(o).length ? o : undefined;
}

/** The spec the wizard's state describes, without empty fields. */
export function stateToSpec(s: WizardState): ApplicationSpec {
  const targets: Target[] = s.targets.map((t) =>
    compact({
      cluster: t.cluster,
      namespace: t.namespace.trim(),
      suspend: t.suspend ? true : undefined,
      overrides: targetOverrides(t, s.type, s.sourceKind),
    }),
  );
  const spec: ApplicationSpec = compact({
    source: { kind: s.sourceKind, name: s.sourceName },
    helm:
      s.type === 'helm'
        ? compact({
            ...s.kept.helm,
            chart: s.chart.trim(),
            version: s.sourceKind === 'HelmRepository' && s.version.trim() ? s.version.trim() : undefined,
            values: nonEmpty(parseYamlMap(s.values).value),
            releaseName: s.releaseName.trim() || undefined,
            timeout: s.timeout.trim() || undefined,
            install: withRetries(s.kept.helm.install, s.installRetries),
            upgrade: withRetries(s.kept.helm.upgrade, s.upgradeRetries),
          })
        : undefined,
    kustomize:
      s.type === 'kustomize'
        ? compact({
            ...s.kept.kustomize,
            path: s.path.trim() || undefined,
            prune: s.prune,
            patches: rowsToPatches(s.patches),
            images: rowsToImages(s.images),
            substitute: rowsToSubstitute(s.substitute),
          })
        : undefined,
    targets,
    dependsOn: s.kept.dependsOn.length ? s.kept.dependsOn : undefined,
    interval: s.interval.trim() || undefined,
    suspend: s.kept.suspend,
    placement: s.kept.placement,
    layers: s.kept.layers,
    images: s.kept.images,
    rollout: s.kept.rollout,
  });
  return spec;
}

/** A target's overrides the wizard does not edit. */
function keptOverrides(o: Overrides | undefined): Overrides {
  const kept: Overrides = { ...(o ?? {}) };
  for (const key of EDITED_OVERRIDES) delete kept[key];
  return kept;
}

/** The Kustomize fields the wizard does not edit. */
function keptKustomize(k: ApplicationSpec['kustomize']): KustomizeKept {
  if (!k) return {};
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { path, prune, patches, images, substitute, ...rest } = k;
  return rest;
}

/** The wizard's state for a stored application. */
export function specToState(name: string, namespace: string, spec: ApplicationSpec): WizardState {
  const h = spec.helm;
  const k = spec.kustomize;
  const helmKept: Json = {};
  if (h) {
    for (const [key, v] of Object.entries(h)) {
      if (!['chart', 'version', 'values', 'releaseName', 'timeout'].includes(key) && v !== undefined) helmKept[key] = v;
    }
  }
  const base = emptyState(namespace);
  return {
    ...base,
    name,
    type: h ? 'helm' : 'kustomize',
    sourceKind: spec.source.kind,
    sourceName: spec.source.name,
    interval: spec.interval ?? '',
    chart: h?.chart ?? '',
    version: h ? (h.version ?? '') : base.version,
    releaseName: h?.releaseName ?? '',
    values: toYaml(h?.values),
    timeout: h?.timeout ?? '',
    installRetries: retriesOf(h?.install),
    upgradeRetries: retriesOf(h?.upgrade),
    path: k ? (k.path ?? '') : base.path,
    prune: k?.prune ?? true,
    substitute: substituteToRows(k?.substitute),
    images: imagesToRows(k?.images),
    patches: patchesToRows(k?.patches),
    targets: spec.targets.map((t) => ({
      cluster: t.cluster,
      namespace: t.namespace,
      suspend: !!t.suspend,
      values: toYaml(t.overrides?.values),
      version: t.overrides?.version ?? '',
      path: t.overrides?.path ?? '',
      substitute: substituteToRows(t.overrides?.substitute),
      images: imagesToRows(t.overrides?.images),
      patches: patchesToRows(t.overrides?.patches),
      kept: keptOverrides(t.overrides),
    })),
    kept: compact({
      dependsOn: spec.dependsOn ?? [],
      suspend: spec.suspend,
      helm: helmKept,
      kustomize: keptKustomize(k),
      placement: spec.placement ?? undefined,
      layers: spec.layers?.length ? spec.layers : undefined,
      images: spec.images?.length ? spec.images : undefined,
      rollout: spec.rollout ?? undefined,
    }),
  };
}

/** The wizard's steps, in order. */
export const STEP = { basics: 0, chart: 1, config: 2, targets: 3, preview: 4, apply: 5 } as const;

/** The step whose form owns a field path (server errors jump back there). */
export function stepOf(field: string): number {
  if (/^(metadata\.|spec\.(source|interval|dependsOn)|spec\.(suspend|helm|kustomize)$|type$)/.test(field)) {
    return STEP.basics;
  }
  if (/^spec\.(helm\.(chart|version)|kustomize\.(path|prune))\b/.test(field)) return STEP.chart;
  if (/^spec\.(helm|kustomize)\./.test(field)) return STEP.config;
  if (/^spec\.(targets|placement|layers|rollout)/.test(field)) return STEP.targets;
  return STEP.preview;
}

/** A Flux substitution variable name. */
const SUBST_KEY = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** Messages of the checks that are not in `forms/validation.ts` (translation keys). */
export const MESSAGES = {
  name53: 'At most 53 characters',
  pickSource: 'Pick a source',
  pickCluster: 'Pick at least one cluster',
  substKey: 'Letters, digits and "_"; not starting with a digit',
  imageName: 'The image name is required',
  schema: "The values break the chart's schema",
  wholeNumber: 'A whole number (-1 retries forever)',
} as const;

function rowErrors(prefix: string, r: KustomizeRows, out: Record<string, string>) {
  r.substitute.forEach((row, i) => {
    const key = row.key.trim();
    if (key === '' && row.value === '') return;
    if (!SUBST_KEY.test(key)) out[`${prefix}.substitute[${i}].key`] = key ? MESSAGES.substKey : 'Required';
  });
  r.images.forEach((row, i) => {
    if (!row.name.trim() && (row.newName.trim() || row.newTag.trim() || row.digest.trim()))
      out[`${prefix}.images[${i}].name`] = MESSAGES.imageName;
  });
  r.patches.forEach((row, i) => {
    const m = yamlMap(parse)(row.target);
    if (m) out[`${prefix}.patches[${i}].target`] = m;
  });
}

/**
 * The problems of target `i`'s values override against the chart's schema: the chart's
 * defaults, the base values, then the override.
 */
export function targetValuesProblems(s: WizardState, i: number, chart: ChartDefaults | undefined) {
  const t = s.targets[i];
  if (!t) return [];
  const base = parseYamlMap(s.values).value;
  return valuesProblems(t.values, chart, base ? [base] : []);
}

/**
 * The client errors of target `i`'s overrides, by field path (with `chart`, values that break
 * its schema too).
 */
export function overrideErrors(s: WizardState, i: number, chart?: ChartDefaults): Record<string, string> {
  const t = s.targets[i];
  const out: Record<string, string> = {};
  if (!t) return out;
  const p = `spec.targets[${i}].overrides`;
  if (s.type === 'helm') {
    const v = yamlMap(parse)(t.values);
    if (v) out[`${p}.values`] = v;
    else if (targetValuesProblems(s, i, chart).length) out[`${p}.values`] = MESSAGES.schema;
    const r = semverRange(t.version);
    if (r) out[`${p}.version`] = r;
  } else {
    const r = relativePath(t.path.trim());
    if (r) out[`${p}.path`] = r;
    rowErrors(p, t, out);
  }
  return out;
}

/** A whole number, or empty. */
const wholeNumber = (v: string) => (v === '' || /^-?\d+$/.test(v) ? undefined : MESSAGES.wholeNumber);

/**
 * The client errors of a step, by field path (empty when the step may be left); with `chart`
 * (its default values and schema), Helm values that break its schema are errors too.
 */
export function validateStep(s: WizardState, step: number, chart?: ChartDefaults): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (field: string, msg: string | undefined) => {
    if (msg) out[field] = msg;
  };
  if (step === STEP.basics) {
    put('metadata.name', objectName(s.name) ?? (s.name.length > 53 ? MESSAGES.name53 : undefined));
    put('metadata.namespace', label(63)(s.namespace));
    if (!s.sourceName) put('spec.source.name', MESSAGES.pickSource);
    put('spec.interval', duration(s.interval.trim()));
  } else if (step === STEP.chart) {
    if (s.type === 'helm') {
      if (s.sourceKind === 'HelmRepository') {
        put('spec.helm.chart', required(s.chart));
        put('spec.helm.version', semverRange(s.version));
      } else {
        put('spec.helm.chart', all(required, relativePath)(s.chart.trim()));
      }
    } else {
      put('spec.kustomize.path', relativePath(s.path.trim()));
    }
  } else if (step === STEP.config) {
    if (s.type === 'helm') {
      put('spec.helm.values', yamlMap(parse)(s.values));
      if (!out['spec.helm.values'] && valuesProblems(s.values, chart).length) {
        put('spec.helm.values', MESSAGES.schema);
      }
      if (s.releaseName.trim()) put('spec.helm.releaseName', label(53)(s.releaseName.trim()));
      put('spec.helm.timeout', duration(s.timeout.trim()));
      put('spec.helm.install.remediation.retries', wholeNumber(s.installRetries.trim()));
      put('spec.helm.upgrade.remediation.retries', wholeNumber(s.upgradeRetries.trim()));
    } else {
      rowErrors('spec.kustomize', s, out);
    }
  } else if (step === STEP.targets) {
    if (s.targets.length === 0 && !s.kept.placement) put('spec.targets', MESSAGES.pickCluster);
    s.targets.forEach((t, i) => {
      put(`spec.targets[${i}].namespace`, label(63)(t.namespace.trim()));
      Object.assign(out, overrideErrors(s, i, chart));
    });
  }
  return out;
}

/** Whether target `i` differs from the base (has overrides). */
export function hasOverrides(s: WizardState, i: number): boolean {
  const t = s.targets[i];
  return !!t && targetOverrides(t, s.type, s.sourceKind) !== undefined;
}

/** The text fields of the state, by the field path the server names them with. */
const TEXT_FIELDS = {
  'metadata.name': 'name',
  'metadata.namespace': 'namespace',
  'spec.source.name': 'sourceName',
  'spec.interval': 'interval',
  'spec.helm.chart': 'chart',
  'spec.helm.version': 'version',
  'spec.helm.releaseName': 'releaseName',
  'spec.helm.values': 'values',
  'spec.helm.timeout': 'timeout',
  'spec.helm.install.remediation.retries': 'installRetries',
  'spec.helm.upgrade.remediation.retries': 'upgradeRetries',
  'spec.kustomize.path': 'path',
} as const satisfies Record<string, keyof WizardState>;
type TextPath = keyof typeof TEXT_FIELDS;
const isTextPath = (p: string): p is TextPath => p in TEXT_FIELDS;

/** A target's text fields, by their path below `spec.targets[i]`. */
const TARGET_FIELDS = {
  namespace: 'namespace',
  'overrides.values': 'values',
  'overrides.version': 'version',
  'overrides.path': 'path',
} as const satisfies Record<string, keyof TargetState>;
type TargetPath = keyof typeof TARGET_FIELDS;
const isTargetPath = (p: string): p is TargetPath => p in TARGET_FIELDS;

const TARGET = /^spec\.targets\[(\d+)\]\.(.+)$/;
const ROW_LISTS = ['substitute', 'images', 'patches'] as const satisfies readonly (keyof KustomizeRows)[];
const ROW = /^(substitute|images|patches)\[(\d+)\]\.(\w+)$/;

/** A row field of the Kustomize lists: which list, which row, which field. */
function rowField(rest: string): { list: keyof KustomizeRows; i: number; field: string } | undefined {
  const m = ROW.exec(rest);
  const list = m ? ROW_LISTS.find((l) => l === m[1]) : undefined;
  return m && list ? { list, i: Number(m[2]), field: m[3] } : undefined;
}

const rowText = (r: KustomizeRows, rest: string): string | undefined => {
  const f = rowField(rest);
  if (!f) return undefined;
  const row: unknown = r[f.list][f.i];
  if (typeof row !== 'object' || row === null) return undefined;
  const v: unknown = Object.entries(row).find(([k]) => k === f.field)?.[1];
  return typeof v === 'string' ? v : undefined;
};

function withRow<T extends KustomizeRows>(r: T, rest: string, value: string): T | undefined {
  const f = rowField(rest);
  if (!f) return undefined;
  const set = <R extends object>(rows: R[]): R[] | undefined => {
    const row = rows[f.i];
    if (!row || !(f.field in row)) return undefined;
    return rows.map((x, j) => (j === f.i ? { ...x, [f.field]: value } : x));
  };
  switch (f.list) {
    case 'substitute': {
      const rows = set(r.substitute);
      return rows && { ...r, substitute: rows };
    }
    case 'images': {
      const rows = set(r.images);
      return rows && { ...r, images: rows };
    }
    case 'patches': {
      const rows = set(r.patches);
      return rows && { ...r, patches: rows };
    }
  }
}

/**
 * The text of the field at `path` (a field path as the server names it, e.g. `metadata.name`,
 * `spec.targets[1].overrides.values` or `spec.kustomize.substitute[0].key`); check boxes give
 * `'true'` or `''`, a path that names no field ''.
 */
export function fieldValue(s: WizardState, path: string): string {
  if (isTextPath(path)) return s[TEXT_FIELDS[path]];
  if (path === 'type') return s.type;
  if (path === 'spec.source.kind') return s.sourceKind;
  if (path === 'spec.kustomize.prune') return s.prune ? 'true' : '';
  if (path.startsWith('spec.kustomize.')) return rowText(s, path.slice('spec.kustomize.'.length)) ?? '';
  const m = TARGET.exec(path);
  const t = m ? s.targets[Number(m[1])] : undefined;
  if (!m || !t) return '';
  const rest = m[2];
  if (isTargetPath(rest)) return t[TARGET_FIELDS[rest]];
  if (rest === 'suspend') return t.suspend ? 'true' : '';
  if (rest.startsWith('overrides.')) return rowText(t, rest.slice('overrides.'.length)) ?? '';
  return '';
}

/** `s` with the field at `path` set to `value` (`s` itself when the path names no field). */
export function withField(s: WizardState, path: string, value: string): WizardState {
  if (isTextPath(path)) return { ...s, [TEXT_FIELDS[path]]: value };
  if (path === 'type') return value === 'helm' || value === 'kustomize' ? { ...s, type: value } : s;
  if (path === 'spec.source.kind') {
    const kind = appSourceKind(value);
    return kind ? { ...s, sourceKind: kind } : s;
  }
  if (path === 'spec.kustomize.prune') return { ...s, prune: value === 'true' };
  if (path.startsWith('spec.kustomize.')) return withRow(s, path.slice('spec.kustomize.'.length), value) ?? s;
  const m = TARGET.exec(path);
  const i = m ? Number(m[1]) : -1;
  const t = s.targets[i];
  if (!m || !t) return s;
  const rest = m[2];
  let next: TargetState | undefined;
  if (isTargetPath(rest)) next = { ...t, [TARGET_FIELDS[rest]]: value };
  else if (rest === 'suspend') next = { ...t, suspend: value === 'true' };
  else if (rest.startsWith('overrides.')) next = withRow(t, rest.slice('overrides.'.length), value);
  return next ? { ...s, targets: s.targets.map((x, j) => (j === i ? next : x)) } : s;
}
