// FIXTURE — stands in for ks-apiserver (KubeSphere's API server, a Go program that cannot be
// built here) for the KubeSphere console host of the extension tests. It does, for the
// requests the tests make, what ks-apiserver 4.1 does (read from the public
// kubesphere/kubesphere sources, not copied):
//
// - authenticates `Authorization: Bearer <token>` (KubeSphere's tokens are JWTs whose payload
//   names the user; here each user's token is known in advance and compared exactly);
// - parses the request like its RequestInfo (`/kapis/{group}/{version}[/workspaces/{w}]
//   [/namespaces/{n}]/{resource}[/{name}[/{subresource}]]`, verb from the method) and
//   authorises it with the rules of the RoleTemplates the user holds (global, workspace,
//   namespace scope), `*` for a platform-admin;
// - routes a request whose group/version an `extensions.kubesphere.io` APIService claims to
//   that APIService's endpoint with the original path and query, after removing any
//   `X-Remote-*` header the caller sent and setting `X-Remote-User` and one `X-Remote-Group`
//   per group, streaming the answer (server-sent events included); 503 when the APIService
//   is not `Available`;
// - serves a JSBundle at its `status.link` (`/dist/<extension>/index.js`) from its
//   `spec.rawFrom.url`;
// - answers the few KubeSphere APIs the console's server and core read while starting
//   (users, their role templates, workspaces, clusters, version, configz, extensions).
//
// Everything else is a 404 `Status`, so a page that needs more of KubeSphere shows it.
import { createServer, request as httpRequest } from 'node:http';

const json = (res, code, body) => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const status = (res, code, reason, message) =>
  json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/** ks-apiserver's request attributes of a `/kapis` or `/apis` path. */
export function requestInfo(method, url) {
  const u = new URL(url, 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  const info = { path: u.pathname, resourceRequest: false, verb: method.toLowerCase() };
  if (parts[0] === 'clusters' && parts.length > 2) parts.splice(0, 2);
  if (!['kapis', 'apis'].includes(parts[0]) || parts.length < 4) return info;
  let [, group, version, ...rest] = parts;
  if (rest[0] === 'workspaces' && rest.length > 2) {
    info.workspace = rest[1];
    rest = rest.slice(2);
  }
  if (rest[0] === 'namespaces' && rest.length > 2) {
    info.namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0) return info;
  const [resource, name, subresource] = rest;
  Object.assign(info, { resourceRequest: true, apiGroup: group, apiVersion: version, resource, name, subresource });
  const m = method.toUpperCase();
  info.verb =
    m === 'GET' || m === 'HEAD'
      ? u.searchParams.get('watch') === 'true'
        ? 'watch'
        : name
          ? 'get'
          : 'list'
      : m === 'POST'
        ? 'create'
        : m === 'PUT'
          ? 'update'
          : m === 'PATCH'
            ? 'patch'
            : m === 'DELETE'
              ? name
                ? 'delete'
                : 'deletecollection'
              : m.toLowerCase();
  return info;
}

/** Whether one RBAC PolicyRule allows the request. */
export function ruleAllows(rule, info) {
  const has = (list, v) => (list ?? []).includes('*') || (list ?? []).includes(v);
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return (
    has(rule.verbs, info.verb) &&
    has(rule.apiGroups, info.apiGroup) &&
    has(rule.resources, resource) &&
    (!rule.resourceNames?.length || rule.resourceNames.includes(info.name))
  );
}

/**
 * Starts the fixture. `users`: [{ name, token, groups?, lang?, globalRole?, global: [template
 * names], workspaces: { ws: [template names] }, namespaces: { ns: [template names] } }];
 * `objects`: the extension's rendered resources (APIService, JSBundle, ExtensionEntry,
 * RoleTemplate, ...); `workspaces`: { ws: [namespaces] }; `clusters`: names; `endpoint(url)`:
 * where an in-cluster URL of the objects is reached from here.
 */
export async function startKsApiserver({ users, objects, workspaces, clusters, endpoint }) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const templates = new Map(byKind('RoleTemplate').map((t) => [t.metadata.name, t]));
  const scopeOf = (t) => t.metadata.labels?.['iam.kubesphere.io/scope'];
  const userByToken = (req) => {
    const h = req.headers.authorization ?? '';
    const token = h.startsWith('Bearer ') ? h.slice(7).trim() : '';
    return users.find((u) => u.token === token);
  };
  const isAdmin = (u) => u.globalRole === 'platform-admin';
  const workspaceOf = (ns) => Object.entries(workspaces).find(([, list]) => list.includes(ns))?.[0];

  /**
   * The RoleTemplates a user holds for a scope: a platform-admin every one of it; everyone the
   * global ones KubeSphere aggregates into its `authenticated` role.
   */
  const heldTemplates = (user, scope, where) => {
    if (isAdmin(user)) return [...templates.values()].filter((t) => scopeOf(t) === scope);
    const everyone =
      scope === 'global'
        ? [...templates.values()].filter((t) => 'iam.kubesphere.io/aggregate-to-authenticated' in (t.metadata.labels ?? {}))
        : [];
    const names =
      scope === 'global'
        ? (user.global ?? [])
        : scope === 'workspace'
          ? (user.workspaces?.[where] ?? [])
          : scope === 'namespace'
            ? (user.namespaces?.[where] ?? [])
            : [];
    const own = names.map((n) => templates.get(n)).filter((t) => t && scopeOf(t) === scope);
    return [...new Set([...everyone, ...own])];
  };

  /** KubeSphere's authorisation: global rules, then the workspace's, then the namespace's. */
  const authorized = (user, info) => {
    if (isAdmin(user)) return true;
    const rules = [...heldTemplates(user, 'global').flatMap((t) => t.spec.rules ?? [])];
    const ws = info.workspace ?? (info.namespace ? workspaceOf(info.namespace) : undefined);
    if (ws) rules.push(...heldTemplates(user, 'workspace', ws).flatMap((t) => t.spec.rules ?? []));
    if (info.namespace) rules.push(...heldTemplates(user, 'namespace', info.namespace).flatMap((t) => t.spec.rules ?? []));
    return rules.some((r) => ruleAllows(r, info));
  };

  const proxy = (req, res, target, headers) => {
    const up = new URL(target);
    const out = httpRequest(
      { host: up.hostname, port: up.port, method: req.method, path: up.pathname + up.search, headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    out.on('error', (e) => {
      if (!res.headersSent) status(res, 502, 'ServiceUnavailable', `the extension's service did not answer: ${e.message}`);
      else res.destroy();
    });
    req.pipe(out);
    res.on('close', () => out.destroy());
  };

  const kubesphereApis = (req, res, user, u) => {
    // `/clusters/<name>/...` is that cluster's API (here: every cluster is this one).
    const p = u.pathname.replace(/^\/clusters\/[^/]+(?=\/)/, '');
    const list = (items) => json(res, 200, { items, totalItems: items.length });
    let m;
    if (p === '/version') return json(res, 200, { gitVersion: 'v4.1.3', kubernetes: { gitVersion: 'v1.36.3' } });
    if (p === '/kapis/config.kubesphere.io/v1alpha2/configs/configz')
      return json(res, 200, { multicluster: { clusterRole: 'host' }, authentication: {}, terminal: {} });
    if (p === '/kapis/config.kubesphere.io/v1alpha2/configs/theme') return json(res, 200, {});
    if ((m = p.match(/^\/kapis\/iam\.kubesphere\.io\/v1beta1\/users\/([^/]+)$/))) {
      if (m[1] !== user.name && !isAdmin(user)) return status(res, 403, 'Forbidden', 'forbidden');
      const who = users.find((x) => x.name === m[1]);
      if (!who) return status(res, 404, 'NotFound', `user ${m[1]} not found`);
      if (req.method === 'PUT' || req.method === 'PATCH') {
        return readBody(req).then((body) => {
          const lang = JSON.parse(body || '{}')?.spec?.lang;
          if (lang) who.lang = lang;
          json(res, 200, userObject(who));
        });
      }
      return json(res, 200, userObject(who));
    }
    if (p === '/kapis/iam.kubesphere.io/v1beta1/users')
      return isAdmin(user) ? list(users.map(userObject)) : status(res, 403, 'Forbidden', 'forbidden');
    if ((m = p.match(/^\/kapis\/iam\.kubesphere\.io\/v1beta1\/users\/([^/]+)\/roletemplates$/))) {
      if (m[1] !== user.name && !isAdmin(user)) return status(res, 403, 'Forbidden', 'forbidden');
      const scope = u.searchParams.get('scope') ?? 'global';
      const where = u.searchParams.get(scope === 'workspace' ? 'workspace' : 'namespace') ?? undefined;
      return list(heldTemplates(user, scope, where));
    }
    if (p === '/kapis/tenant.kubesphere.io/v1beta1/workspacetemplates' || p === '/kapis/tenant.kubesphere.io/v1beta1/workspaces') {
      const names = Object.keys(workspaces).filter((w) => isAdmin(user) || w in (user.workspaces ?? {}));
      return list(names.map((name) => ({ apiVersion: 'tenant.kubesphere.io/v1beta1', kind: 'WorkspaceTemplate', metadata: { name } })));
    }
    if ((m = p.match(/^\/kapis\/tenant\.kubesphere\.io\/v1beta1\/workspaces\/([^/]+)\/namespaces$/))) {
      const ws = m[1];
      if (!isAdmin(user) && !(ws in (user.workspaces ?? {})) && !(workspaces[ws] ?? []).some((n) => n in (user.namespaces ?? {})))
        return status(res, 403, 'Forbidden', `workspace ${ws} is not yours`);
      const names = (workspaces[ws] ?? []).filter((n) => isAdmin(user) || ws in (user.workspaces ?? {}) || n in (user.namespaces ?? {}));
      return list(names.map((name) => namespaceObject(ws, name)));
    }
    if ((m = p.match(/^\/kapis\/tenant\.kubesphere\.io\/v1beta1\/workspaces\/([^/]+)\/namespaces\/([^/]+)$/))) {
      const [, ws, ns] = m;
      if (!(workspaces[ws] ?? []).includes(ns)) return status(res, 404, 'NotFound', `namespaces "${ns}" not found`);
      if (!isAdmin(user) && !(ws in (user.workspaces ?? {})) && !(ns in (user.namespaces ?? {})))
        return status(res, 403, 'Forbidden', `namespace ${ns} is not yours`);
      return json(res, 200, namespaceObject(ws, ns));
    }
    if ((m = p.match(/^\/kapis\/(?:resources|tenant)\.kubesphere\.io\/v1(?:alpha3|beta1)\/workspace(?:s|templates)\/([^/]+)$/)) && m[1] in workspaces)
      return json(res, 200, {
        apiVersion: 'tenant.kubesphere.io/v1beta1',
        kind: 'WorkspaceTemplate',
        metadata: { name: m[1], annotations: { 'kubesphere.io/creator': 'admin' } },
        spec: { template: { spec: { manager: 'admin' } }, placement: { clusters: clusters.map((name) => ({ name })) } },
      });
    if ((m = p.match(/^\/kapis\/tenant\.kubesphere\.io\/v1beta1\/workspaces\/([^/]+)\/clusters$/)) && m[1] in workspaces)
      return list(clusters.map(clusterObject));
    if ((m = p.match(/^\/kapis\/resources\.kubesphere\.io\/v1alpha3\/clusters\/([^/]+)$/)) && clusters.includes(m[1]))
      return json(res, 200, clusterObject(m[1]));
    if (p === '/kapis/tenant.kubesphere.io/v1beta1/clusters' || p === '/kapis/cluster.kubesphere.io/v1alpha1/clusters')
      return list(clusters.map(clusterObject));
    if (p === '/apis/extensions.kubesphere.io/v1alpha1/jsbundles') return list(byKind('JSBundle'));
    if (p === '/apis/extensions.kubesphere.io/v1alpha1/extensionentries') return list(byKind('ExtensionEntry'));
    if (p === '/apis/extensions.kubesphere.io/v1alpha1/apiservices') return list(byKind('APIService'));
    if (p === '/apis/kubesphere.io/v1alpha1/extensions') {
      const names = [...new Set(objects.map((o) => o.metadata?.labels?.['kubesphere.io/extension-ref']).filter(Boolean))];
      return list(names.map((name) => ({ apiVersion: 'kubesphere.io/v1alpha1', kind: 'Extension', metadata: { name }, status: { enabled: true, state: 'Installed' } })));
    }
    return null;
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    // JSBundles are served without authentication (KubeSphere's `/dist/*` is public).
    const bundle = byKind('JSBundle').find((b) => b.status?.link === u.pathname);
    if (bundle) {
      if (bundle.status?.state !== 'Available') return status(res, 503, 'ServiceUnavailable', 'the extension is disabled');
      return proxy(req, res, endpoint(bundle.spec.rawFrom.url), { accept: '*/*' });
    }
    const user = userByToken(req);
    if (!user) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const info = requestInfo(req.method, req.url);
    const service = info.resourceRequest
      ? byKind('APIService').find((s) => s.spec.group === info.apiGroup && s.spec.version === info.apiVersion)
      : undefined;
    if (service) {
      if (!authorized(user, info)) {
        const where = info.namespace ? ` in the namespace "${info.namespace}"` : '';
        return status(res, 403, 'Forbidden', `user "${user.name}" cannot ${info.verb} resource "${info.resource}" in API group "${info.apiGroup}"${where}`);
      }
      if (service.status?.state !== 'Available') return status(res, 503, 'ServiceUnavailable', 'the extension is disabled');
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (!k.toLowerCase().startsWith('x-remote-') && k !== 'host' && k !== 'connection') headers[k] = v;
      }
      headers['x-remote-user'] = user.name;
      headers['x-remote-group'] = user.groups ?? ['system:authenticated'];
      return proxy(req, res, endpoint(service.spec.url) + u.pathname + u.search, headers);
    }
    const done = kubesphereApis(req, res, user, u);
    if (done === null) status(res, 404, 'NotFound', `the test host does not serve ${u.pathname}`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)), users };
}

function namespaceObject(workspace, name) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubesphere.io/workspace': workspace, 'kubesphere.io/namespace': name } },
    status: { phase: 'Active' },
  };
}

function clusterObject(name) {
  return {
    apiVersion: 'cluster.kubesphere.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: name === 'host' ? { 'cluster-role.kubesphere.io/host': '' } : {} },
    spec: { connection: { type: 'direct' } },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      kubernetesVersion: 'v1.36.3',
      kubeSphereVersion: 'v4.1.3',
    },
  };
}

function userObject(u) {
  return {
    apiVersion: 'iam.kubesphere.io/v1beta1',
    kind: 'User',
    metadata: {
      name: u.name,
      annotations: {
        'iam.kubesphere.io/globalrole': u.globalRole ?? 'platform-regular',
        'iam.kubesphere.io/uninitialized': 'false',
      },
    },
    spec: { email: `${u.name}@example.com`, lang: u.lang ?? 'en' },
    status: { state: 'Active', lastLoginTime: '2026-11-27T00:00:00Z' },
  };
}

function readBody(req) {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });
}
