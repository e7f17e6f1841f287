// The KubeSphere extension package (deploy/extension/ksflux) as a Multicluster extension,
// checked the way a KubeSphere admin would before installing it: the host release (`ksflux`,
// tags.extension=true, tags.agent=false) and the agent release each scheduled cluster gets
// (`ksflux-agent`, tags.extension=false, tags.agent=true) are rendered with `helm template`,
// linted, and their objects checked against permissions.yaml (what KubeSphere's
// helm-executor may do). Needs only Helm (HELM, else the testbed's): no cluster, no browser.
import assert from 'node:assert/strict';
import { realpathSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import {
  EXTENSION_DIR,
  EXTENSION_NAMESPACE,
  executorPermissions,
  lintRelease,
  permissionProblems,
  renderAgent,
  renderExtension,
  renderRelease,
} from './kubesphere/chart.mjs';

const AGENT_CHART = realpathSync(join(EXTENSION_DIR, '../../chart/ksflux-agent'));
const AGENT_LABELS = { 'app.kubernetes.io/name': 'ksflux-agent', 'app.kubernetes.io/instance': 'ksflux-agent' };
/** Kinds only the host release may have: ksflux itself and KubeSphere's side. */
const HOST_KINDS = ['Deployment', 'Service', 'PodDisruptionBudget', 'JSBundle', 'ExtensionEntry', 'APIService', 'RoleTemplate', 'Category', 'CustomResourceDefinition'];

const id = (o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const fromAgentChart = (o) => o.metadata?.labels?.['helm.sh/chart']?.startsWith('ksflux-agent-') || o.metadata?.labels?.['app.kubernetes.io/name'] === 'ksflux-agent';

let host;
let agent;
before(() => {
  host = renderExtension();
  agent = renderAgent();
});

test('extension.yaml: Multicluster, the agent chart linked and tagged agent, the host charts tagged extension', () => {
  const ext = parse(readFileSync(join(EXTENSION_DIR, 'extension.yaml'), 'utf8'));
  assert.equal(ext.installationMode, 'Multicluster');
  const tags = Object.fromEntries(ext.dependencies.map((d) => [d.name, d.tags]));
  assert.deepEqual(tags, { ksflux: ['extension'], frontend: ['extension'], 'ksflux-agent': ['agent'] });
  assert.equal(realpathSync(join(EXTENSION_DIR, 'charts/ksflux-agent')), AGENT_CHART, 'charts/ksflux-agent is deploy/chart/ksflux-agent');
  // The extension's values for the agent chart are values it has.
  const values = parse(readFileSync(join(EXTENSION_DIR, 'values.yaml'), 'utf8'))['ksflux-agent'];
  const known = Object.keys(parse(readFileSync(join(AGENT_CHART, 'values.yaml'), 'utf8')));
  assert.ok(values, 'values.yaml has a ksflux-agent key');
  for (const k of Object.keys(values)) assert.ok(known.includes(k), `ksflux-agent.${k} is not a value of the agent chart`);
});

test('host release (tags.agent=false) renders none of the agent chart', () => {
  assert.deepEqual(host.filter(fromAgentChart).map(id), []);
  assert.ok(!host.some((o) => o.metadata.name?.startsWith('ksflux-agent')), 'no object named ksflux-agent*');
  for (const kind of ['Deployment', 'JSBundle', 'APIService']) assert.ok(host.some((o) => o.kind === kind), `host has its ${kind}`);
});

test('agent release (tags.extension=false, tags.agent=true) renders exactly the agent identity', () => {
  assert.deepEqual(agent.map(id).sort(), [
    'ClusterRole/ksflux-agent',
    'ClusterRoleBinding/ksflux-agent',
    `Secret/${EXTENSION_NAMESPACE}/ksflux-agent-token`,
    `ServiceAccount/${EXTENSION_NAMESPACE}/ksflux-agent`,
  ]);
  for (const o of agent) {
    for (const [k, v] of Object.entries(AGENT_LABELS)) assert.equal(o.metadata.labels?.[k], v, `${id(o)} label ${k}`);
    assert.ok(!HOST_KINDS.includes(o.kind), `${id(o)} belongs to the host`);
  }
  const find = (kind) => agent.find((o) => o.kind === kind);
  const binding = find('ClusterRoleBinding');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ksflux-agent' });
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'ksflux-agent', namespace: EXTENSION_NAMESPACE }]);
  const secret = find('Secret');
  assert.equal(secret.type, 'kubernetes.io/service-account-token');
  assert.equal(secret.metadata.annotations['kubernetes.io/service-account.name'], 'ksflux-agent');
  const rules = find('ClusterRole').rules;
  // `bind` on the deployerRoles (default admin), and on no ClusterRole it does not name.
  assert.ok(
    rules.some((r) => r.verbs.includes('bind') && r.resources.includes('clusterroles') && JSON.stringify(r.resourceNames) === '["admin"]'),
    JSON.stringify(rules),
  );
  for (const r of rules) {
    assert.ok(!r.verbs.includes('escalate') && !r.verbs.includes('*'), JSON.stringify(r));
    if (r.verbs.includes('bind')) assert.ok(r.resourceNames?.length, `unrestricted bind: ${JSON.stringify(r)}`);
  }
});

test('ksflux-agent values reach the agent release: deployerRoles, tokenSecret', () => {
  const roles = renderAgent(['ksflux-agent.deployerRoles={admin,edit}']);
  const bind = roles.find((o) => o.kind === 'ClusterRole').rules.find((r) => r.verbs.includes('bind') && r.resourceNames?.includes('admin'));
  assert.deepEqual(bind.resourceNames, ['admin', 'edit']);
  const noToken = renderAgent(['ksflux-agent.tokenSecret=false']);
  assert.deepEqual(noToken.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'ServiceAccount']);
});

test('host and agent releases on one cluster (the host scheduled too) share no object', () => {
  // Both releases live in the extension's namespace: a kind and name is one object.
  const key = (o) => `${o.kind}/${o.metadata.name}`;
  const hostKeys = new Set(host.map(key));
  assert.deepEqual(agent.map(key).filter((k) => hostKeys.has(k)), []);
});

test('permissions.yaml covers every object of the host and agent releases', () => {
  const permissions = executorPermissions();
  const hostWithCrds = renderRelease('host', [], { crds: true });
  assert.ok(hostWithCrds.some((o) => o.kind === 'CustomResourceDefinition'), 'the host release installs its CRD');
  assert.deepEqual(permissionProblems(hostWithCrds, permissions), []);
  assert.deepEqual(permissionProblems(agent, permissions), []);
});

test('the permissions check finds what the executor may not do', () => {
  // No RBAC at all: the agent's ClusterRole and binding cannot be made.
  const none = executorPermissions('kind: ClusterRole\nrules: []\n---\nkind: Role\nrules: []\n');
  const problems = permissionProblems(agent, none);
  assert.ok(problems.some((p) => p.startsWith('ClusterRole/ksflux-agent: no get, create')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('ClusterRoleBinding/ksflux-agent: no get, create')), problems.join('\n'));
  assert.ok(!problems.some((p) => p.startsWith('ServiceAccount/') || p.startsWith('Secret/')), 'core objects in the namespace are granted by KubeSphere');
  // Writing ClusterRoles without escalate and bind: the agent's rights (impersonate, ...) are
  // not the executor's, so neither the role nor its binding can be made.
  const plain = executorPermissions(
    'kind: ClusterRole\nrules:\n  - apiGroups: [rbac.authorization.k8s.io]\n    resources: [clusterroles, clusterrolebindings]\n    verbs: [get, list, create, update, patch, delete]\n',
  );
  assert.deepEqual(permissionProblems(agent, plain), [
    'ClusterRole/ksflux-agent: grants what the executor does not hold, and no escalate on clusterroles',
    'ClusterRoleBinding/ksflux-agent: no bind on clusterroles ksflux-agent, and the executor does not hold what it grants',
  ]);
});

test('helm lint passes for the staged extension with the agent and with the host tags', () => {
  for (const which of ['agent', 'host']) {
    const { status, output } = lintRelease(which);
    assert.equal(status, 0, `${which}: ${output}`);
    assert.ok(!output.includes('[ERROR]'), `${which}: ${output}`);
  }
});
