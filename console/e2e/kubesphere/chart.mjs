// The KubeSphere extension package (deploy/extension/ksflux) as KubeSphere installs it:
// staged the way `ksbuilder package` does (Chart.yaml made from extension.yaml, the linked
// ksflux chart copied in), rendered with `helm template` (the testbed's Helm), and its
// KubeSphere resources checked against KubeSphere's CRD schemas
// (deploy/extension/test/crds, from kubesphere/kubesphere v4.1.3).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Copies the extension into a temporary directory as a plain chart; returns its path. */
export function stageExtension() {
  const dir = mkdtempSync(join(tmpdir(), 'ksflux-extension-'));
  const chart = join(dir, 'ksflux');
  cpSync(EXTENSION_DIR, chart, { recursive: true, dereference: true });
  const ext = parse(readFileSync(join(EXTENSION_DIR, 'extension.yaml'), 'utf8'));
  writeFileSync(join(chart, 'Chart.yaml'), stringify(JSON.parse(JSON.stringify(chartYaml(ext)))));
  return { dir, chart, ext, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `helm template` of the extension as KubeSphere installs it on the host (release `ksflux`
 * in `extension-ksflux`, the `extension` tag on, the `agent` tag off, KubeSphere's globals),
 * with `set` values; returns the rendered objects.
 */
export function renderExtension(set = []) {
  const staged = stageExtension();
  try {
    const out = execFileSync(
      helmBinary(),
      [
        'template', 'ksflux', staged.chart,
        '--namespace', 'extension-ksflux',
        '--set', 'tags.extension=true', '--set', 'tags.agent=false',
        '--set', 'global.clusterInfo.name=host', '--set', 'global.clusterInfo.role=host',
        ...set.flatMap((s) => ['--set', s]),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
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
