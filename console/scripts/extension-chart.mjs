// Checks the KubeSphere extension package (deploy/extension/ksflux): `helm template` renders
// it as KubeSphere installs it, and every KubeSphere resource in it (JSBundle, ExtensionEntry,
// APIService, RoleTemplate, Category) is valid for KubeSphere 4.1's CRD schemas; the
// APIService routes fluxcd.kubesphere.io/v1alpha1 to ksflux's Service, and ksflux's own chart
// is in it.
import { renderExtension, validateKubesphereObjects } from '../e2e/kubesphere/chart.mjs';

const objects = renderExtension();
const failures = [];
const results = validateKubesphereObjects(objects);
for (const r of results) {
  console.log(`${r.kind}/${r.name}: ${r.problems.length ? r.problems.join('; ') : 'valid'}`);
  if (r.problems.length) failures.push(`${r.kind}/${r.name}`);
}
const count = (kind) => objects.filter((o) => o.kind === kind).length;
for (const kind of ['JSBundle', 'ExtensionEntry', 'APIService', 'RoleTemplate', 'Category']) {
  if (!count(kind)) failures.push(`no ${kind}`);
}
const service = objects.find((o) => o.kind === 'Service' && o.metadata?.labels?.['app.kubernetes.io/name'] === 'ksflux');
const api = objects.find((o) => o.kind === 'APIService');
if (!service) failures.push('no ksflux Service (the ksflux chart is missing)');
else {
  const want = `http://${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`;
  if (api?.spec?.url !== want) failures.push(`APIService url ${api?.spec?.url}, want ${want}`);
  if (api?.spec?.group !== 'fluxcd.kubesphere.io' || api?.spec?.version !== 'v1alpha1') failures.push('APIService group/version');
}
for (const scope of ['global', 'workspace', 'namespace']) {
  if (!objects.some((o) => o.kind === 'RoleTemplate' && o.metadata.labels?.['iam.kubesphere.io/scope'] === scope))
    failures.push(`no ${scope} RoleTemplate`);
}
console.log(`rendered ${objects.length} objects: ${[...new Set(objects.map((o) => o.kind))].join(', ')}`);
if (failures.length) {
  console.error(`extension chart: ${failures.join(', ')}`);
  process.exit(1);
}
