// The KubeSphere test host of the extension tests: the real KubeSphere 4.1.1 console
// frontend (console/kshost, built by `scripts/kshost-deps --build`) behind the two fixtures
// (`ks-console.mjs`, `ks-apiserver.mjs`), with the extension's resources as `helm template`
// renders them from deploy/extension/ksflux, and ksflux (run with `--trusted-proxy`) behind
// the APIService.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startKsApiserver } from './ks-apiserver.mjs';
import { startKsConsole } from './ks-console.mjs';

const kshost = new URL('../../kshost/', import.meta.url).pathname;

/** A KubeSphere access token for `username` (a JWT as ks-apiserver issues; unsigned here). */
export function kubesphereToken(username) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ username, token_type: 'access_token', iss: 'kubesphere' })}.fixture`;
}

/**
 * Starts the host. `objects`: the rendered extension; `ksflux`: where ksflux listens (it
 * stands for the extension's Service); `users` and `workspaces` as `startKsApiserver` takes.
 */
export async function startKubeSphere({ objects, ksflux, users, workspaces, clusters }) {
  const hostDist = join(kshost, 'dist');
  if (!existsSync(join(hostDist, 'host.js'))) throw new Error('the KubeSphere host is not built: run scripts/kshost-deps --build');
  const service = objects.find((o) => o.kind === 'APIService').spec.url;
  const apiserver = await startKsApiserver({
    users,
    objects,
    workspaces,
    clusters,
    // In-cluster addresses of the extension (its Service) are ksflux's here.
    endpoint: (url) => url.replace(service, ksflux),
  });
  const console = await startKsConsole({
    apiserver: apiserver.url,
    hostDist,
    localesDir: join(kshost, 'node_modules/@ks-console/locales/dist'),
  });
  return {
    url: console.url,
    apiserver: apiserver.url,
    users: apiserver.users,
    close: async () => {
      await console.close();
      await apiserver.close();
    },
  };
}
