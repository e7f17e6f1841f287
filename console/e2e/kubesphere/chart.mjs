// The KubeSphere extension package (deploy/extension/ksflux) as KubeSphere installs it:
// staged the way `ksbuilder package` does (Chart.yaml made from extension.yaml, the linked
// ksflux and ksflux-agent charts copied in, the icon inlined), rendered with `helm template`
// (the testbed's Helm) as the host release or the agent release, its KubeSphere resources
// checked against KubeSphere's CRD schemas (deploy/extension/test/crds, from
// kubesphere/kubesphere v4.1.3) and its objects against permissions.yaml.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

const repo = new URL('../../../', import.meta.url).pathname;
/** The extension's directory. */
export const EXTENSION_DIR = join(repo, 'deploy/extension/ksflux');
const CRD_DIR = join(repo, 'deploy/extension/test/crds');

/** The Helm binary: $HELM, else the testbed's. */
export function helmBinary() {
  return process.env.HELM ?? join(homedir(), '.cache/ksflux-testbed/bin/helm');
}

/** Chart.yaml of the extension, from extension.yaml (what `ksbuilder package` writes). */
export function chartYaml(ext) {
  return {
    apiVersion: 'v2',
    name: ext.name,
    version: ext.version,
    appVersion: ext.version,
    description: ext.description?.en,
    home: ext.home,
    keywords: ext.keywords,
    sources: ext.sources,
    kubeVersion: ext.kubeVersion,
    icon: ext.icon,
    dependencies: (ext.dependencies ?? []).map((d) => ({ name: d.name, tags: d.tags, version: d.version, condition: d.condition })),
  };
}

/** An icon file as a data URI (`ksbuilder package` puts a local icon in Chart.yaml so). */
function iconDataUri(file) {
  const types = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };
  const type = types[extname(file).toLowerCase()] ?? 'application/octet-stream';
  return `data:${type};base64,${readFileSync(file).toString('base64')}`;
}

/**
 * Copies the extension into a temporary directory as a plain chart (linked charts copied,
 * a local icon made a data URI); returns its path.
 */
export function stageExtension() {
  const dir = mkdtempSync(join(tmpdir(), 'ksflux-extension-'));
  const chart = join(dir, 'ksflux');
  cpSync(EXTENSION_DIR, chart, { recursive: true, dereference: true });
  const ext = parse(readFileSync(join(EXTENSION_DIR, 'extension.yaml'), 'utf8'));
  const meta = chartYaml(ext);
  if (meta.icon && !/^(https?:\/\/|data:image)/.test(meta.icon)) meta.icon = iconDataUri(join(EXTENSION_DIR, meta.icon));
  writeFileSync(join(chart, 'Chart.yaml'), stringify(JSON.parse(JSON.stringify(meta))));
  return { dir, chart, ext, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The extension's namespace (`extension-<name>`, extension.yaml names none). */
export const EXTENSION_NAMESPACE = 'extension-ksflux';

/**
 * The releases KubeSphere's InstallPlan controller installs: `host`, release `ksflux` on the
 * host (the `extension` tag on, the `agent` tag off); `agent`, release `ksflux-agent` on
 * each scheduled cluster (the other way round). Both in the extension's namespace.
 */
export const RELEASES = {
  host: { release: 'ksflux', set: ['tags.extension=true', 'tags.agent=false', 'global.clusterInfo.name=host', 'global.clusterInfo.role=host'] },
  agent: {
    release: 'ksflux-agent',
    set: ['tags.extension=false', 'tags.agent=true', 'global.clusterInfo.name=member-1', 'global.clusterInfo.role=member'],
  },
};

/**
 * `helm template` of one of the RELEASES with `set` values (and the CRDs of crds/
 * directories with `crds`); returns the rendered objects.
 */
export function renderRelease(which, set = [], { crds = false } = {}) {
  const { release, set: base } = RELEASES[which];
  const staged = stageExtension();
  try {
    const out = execFileSync(
      helmBinary(),
      [
        'template', release, staged.chart,
        '--namespace', EXTENSION_NAMESPACE,
        ...(crds ? ['--include-crds'] : []),
        ...[...base, ...set].flatMap((s) => ['--set', s]),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
  } finally {
    staged.cleanup();
  }
}

/**
 * `helm template` of the extension as KubeSphere installs it on the host (release `ksflux`
 * in `extension-ksflux`, the `extension` tag on, the `agent` tag off, KubeSphere's globals),
 * with `set` values; returns the rendered objects.
 */
export function renderExtension(set = []) {
  return renderRelease('host', set);
}

/**
 * `helm template` of the agent part as KubeSphere installs it on a member (release
 * `ksflux-agent` in `extension-ksflux`, the `agent` tag on, the `extension` tag off,
 * `global.clusterInfo.role=member`), with `set` values; returns the rendered objects.
 */
export function renderAgent(set = []) {
  return renderRelease('agent', set);
}

/** `helm lint` of the staged extension with a release's values: its exit status and output. */
export function lintRelease(which, set = []) {
  const staged = stageExtension();
  try {
    const args = ['lint', staged.chart, '--namespace', EXTENSION_NAMESPACE, ...[...RELEASES[which].set, ...set].flatMap((s) => ['--set', s])];
    try {
      return { status: 0, output: execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  } finally {
    staged.cleanup();
  }
}

/** KubeSphere's CRDs: `kind` -> the served version's OpenAPI schema, with group and version. */
export function kubesphereCrds() {
  const out = new Map();
  for (const f of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, f), 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions) {
        if (v.served) out.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, { crd, schema: v.schema.openAPIV3Schema });
      }
    }
  }
  return out;
}

/**
 * Checks `value` against a Kubernetes structural schema (types, required fields, enums,
 * formats `byte`/`int32`, and no field the schema does not know: what the apiserver prunes
 * or, with strict field validation, rejects). Returns the problems, by path.
 */
export function validate(schema, value, path = '') {
  const problems = [];
  const at = path || '.';
  if (value === null || value === undefined) {
    if (!schema.nullable) problems.push(`${at}: null`);
    return problems;
  }
  const type = schema.type;
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema['x-kubernetes-int-or-string']) {
    if (!['integer', 'string'].includes(actual)) problems.push(`${at}: want integer or string, got ${actual}`);
    return problems;
  }
  if (type && !(type === actual || (type === 'number' && actual === 'integer'))) {
    problems.push(`${at}: want ${type}, got ${actual}`);
    return problems;
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not one of ${schema.enum.join(', ')}`);
  if (schema.format === 'byte' && typeof value === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) problems.push(`${at}: not base64`);
  if (type === 'array' && schema.items) value.forEach((v, i) => problems.push(...validate(schema.items, v, `${path}[${i}]`)));
  if (type === 'object') {
    for (const r of schema.required ?? []) if (!(r in value)) problems.push(`${path}.${r}: required`);
    if (path === '.metadata' || path === 'metadata') return problems;
    for (const [k, v] of Object.entries(value)) {
      const p = `${path}.${k}`;
      if (schema.properties?.[k]) problems.push(...validate(schema.properties[k], v, p));
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') problems.push(...validate(schema.additionalProperties, v, p));
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && !(schema.additionalProperties === true)) problems.push(`${p}: unknown field`);
    }
  }
  return problems;
}

/** The rendered objects of KubeSphere's groups, each checked against its CRD's schema. */
export function validateKubesphereObjects(objects) {
  const crds = kubesphereCrds();
  const results = [];
  for (const o of objects) {
    if (!/kubesphere\.io\//.test(o.apiVersion ?? '') || o.apiVersion.startsWith('fluxcd.kubesphere.io/')) continue;
    const key = `${o.apiVersion}/${o.kind}`;
    const found = crds.get(key);
    const problems = found ? validate(found.schema, o, '').map((p) => p.replace(/^\./, '')) : [`no KubeSphere CRD serves ${key}`];
    if (found && found.crd.spec.scope === 'Cluster' && o.metadata?.namespace) problems.push('metadata.namespace: the kind is cluster-scoped');
    results.push({ kind: o.kind, name: o.metadata?.name, problems });
  }
  return results;
}

/**
 * The groups KubeSphere grants the helm-executor in the extension's namespace beside
 * permissions.yaml's Role (all verbs).
 */
export const NAMESPACE_GROUPS = ['', 'apps', 'batch', 'policy', 'networking.k8s.io', 'autoscaling', 'metrics.k8s.io'];

/**
 * What KubeSphere lets the helm-executor do on a cluster, from permissions.yaml (or `text`):
 * `cluster`, the ClusterRole's rules (bound cluster-wide); `namespace`, the Role's rules in
 * the extension's namespace plus NAMESPACE_GROUPS.
 */
export function executorPermissions(text = readFileSync(join(EXTENSION_DIR, 'permissions.yaml'), 'utf8')) {
  const docs = parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  const rules = (kind) => docs.find((d) => d.kind === kind)?.rules ?? [];
  return { cluster: rules('ClusterRole'), namespace: [...rules('Role'), { apiGroups: NAMESPACE_GROUPS, resources: ['*'], verbs: ['*'] }] };
}

/** Built-in kinds a chart may render: `group/Kind` -> [resource, namespaced]. */
const BUILTIN_KINDS = {
  '/ConfigMap': ['configmaps', true],
  '/Namespace': ['namespaces', false],
  '/PersistentVolumeClaim': ['persistentvolumeclaims', true],
  '/Secret': ['secrets', true],
  '/Service': ['services', true],
  '/ServiceAccount': ['serviceaccounts', true],
  'apps/DaemonSet': ['daemonsets', true],
  'apps/Deployment': ['deployments', true],
  'apps/StatefulSet': ['statefulsets', true],
  'batch/CronJob': ['cronjobs', true],
  'batch/Job': ['jobs', true],
  'policy/PodDisruptionBudget': ['poddisruptionbudgets', true],
  'networking.k8s.io/Ingress': ['ingresses', true],
  'networking.k8s.io/NetworkPolicy': ['networkpolicies', true],
  'autoscaling/HorizontalPodAutoscaler': ['horizontalpodautoscalers', true],
  'rbac.authorization.k8s.io/ClusterRole': ['clusterroles', false],
  'rbac.authorization.k8s.io/ClusterRoleBinding': ['clusterrolebindings', false],
  'rbac.authorization.k8s.io/Role': ['roles', true],
  'rbac.authorization.k8s.io/RoleBinding': ['rolebindings', true],
  'apiextensions.k8s.io/CustomResourceDefinition': ['customresourcedefinitions', false],
  'apiregistration.k8s.io/APIService': ['apiservices', false],
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': ['mutatingwebhookconfigurations', false],
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': ['validatingwebhookconfigurations', false],
  'scheduling.k8s.io/PriorityClass': ['priorityclasses', false],
};

const RBAC = 'rbac.authorization.k8s.io';
/** What the helm-executor does to each object over install, upgrade and uninstall. */
export const HELM_VERBS = ['get', 'create', 'update', 'patch', 'delete'];

const groupOf = (apiVersion) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const lists = (list, v) => (list ?? []).includes('*') || (list ?? []).includes(v);

/** Whether `rules` allow `verb` on `group`/`resource` (named `name`). */
function allows(rules, { group, resource, verb, name }) {
  return rules.some(
    (r) =>
      lists(r.apiGroups, group) &&
      lists(r.resources, resource) &&
      lists(r.verbs, verb) &&
      // resourceNames never match create (the name is not known when it is authorised).
      (!r.resourceNames?.length || (verb !== 'create' && r.resourceNames.includes(name))),
  );
}

/** Whether `rules` allow everything `granted` (a Role's or ClusterRole's rules) grants. */
function holds(rules, granted) {
  return (granted ?? []).every((g) => {
    if (g.nonResourceURLs?.length) return false;
    const names = g.resourceNames?.length ? g.resourceNames : [undefined];
    return g.apiGroups.every((group) =>
      g.resources.every((resource) =>
        g.verbs.every((verb) => names.every((name) => allows(rules, { group, resource, verb, name }))),
      ),
    );
  });
}

/**
 * What the helm-executor, with `permissions` (executorPermissions()), could not do to the
 * rendered `objects` of a release in `namespace`: every object needs HELM_VERBS on its
 * resource (cluster-scoped ones from the ClusterRole, namespaced ones in `namespace` from
 * the Role or the ClusterRole, elsewhere from the ClusterRole); a ClusterRole or Role needs
 * `escalate` unless the executor holds what it grants; a binding needs `bind` on the role it
 * names unless the executor holds what that role (rendered with it) grants. Kinds come from
 * KubeSphere's CRDs, CRDs among `objects` and the built-in kinds. Returns the problems.
 */
export function permissionProblems(objects, permissions, namespace = EXTENSION_NAMESPACE) {
  const kinds = new Map(Object.entries(BUILTIN_KINDS).map(([k, [resource, namespaced]]) => [k, { resource, namespaced }]));
  const crds = [...[...kubesphereCrds().values()].map((c) => c.crd), ...objects.filter((o) => o.kind === 'CustomResourceDefinition')];
  for (const crd of crds) kinds.set(`${crd.spec.group}/${crd.spec.names.kind}`, { resource: crd.spec.names.plural, namespaced: crd.spec.scope === 'Namespaced' });
  const rulesIn = (ns) => (ns === namespace ? [...permissions.cluster, ...permissions.namespace] : permissions.cluster);
  const problems = [];
  for (const o of objects) {
    const group = groupOf(o.apiVersion ?? '');
    const name = o.metadata?.name;
    const what = `${o.kind}/${name}`;
    const kind = kinds.get(`${group}/${o.kind}`);
    if (!kind) {
      problems.push(`${what}: kind ${group}/${o.kind} unknown to the check`);
      continue;
    }
    const ns = kind.namespaced ? (o.metadata?.namespace ?? namespace) : undefined;
    const rules = kind.namespaced ? rulesIn(ns) : permissions.cluster;
    const missing = HELM_VERBS.filter((verb) => !allows(rules, { group, resource: kind.resource, verb, name }));
    if (missing.length) problems.push(`${what}: no ${missing.join(', ')} on ${group || 'core'}/${kind.resource}${ns ? ` in ${ns}` : ''}`);
    if (group === RBAC && (o.kind === 'ClusterRole' || o.kind === 'Role')) {
      const resource = o.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      const held = o.kind === 'ClusterRole' ? permissions.cluster : rules;
      if (!allows(rules, { group: RBAC, resource, verb: 'escalate', name }) && (o.aggregationRule || !holds(held, o.rules)))
        problems.push(`${what}: grants what the executor does not hold, and no escalate on ${resource}`);
    }
    if (group === RBAC && (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
      const ref = o.roleRef ?? {};
      const resource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      const role = objects.find((r) => r.kind === ref.kind && r.metadata?.name === ref.name && (ref.kind === 'ClusterRole' || (r.metadata?.namespace ?? namespace) === ns));
      const held = o.kind === 'ClusterRoleBinding' ? permissions.cluster : rules;
      if (!allows(rules, { group: RBAC, resource, verb: 'bind', name: ref.name }) && !(role && !role.aggregationRule && holds(held, role.rules)))
        problems.push(`${what}: no bind on ${resource} ${ref.name}, and the executor does not hold what it grants`);
    }
  }
  return problems;
}
