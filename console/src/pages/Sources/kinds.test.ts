import { describe, expect, it } from 'vitest';
import type { ObjectView } from '../../api/types';
import { validate } from '../../forms/validation';
import {
  EXISTING,
  checksFor,
  emptyValues,
  endpoint,
  fieldNames,
  fromObject,
  kindOf,
  servesCharts,
  sourceKinds,
  toRequest,
  type SourceKind,
  type Values,
} from './kinds';

import { KINDS } from '../../test/kinds';

/** The source kind of `plural` in the API's answer. */
function kind(plural: string): SourceKind {
  const k = kindOf(KINDS, plural);
  if (!k) throw new Error(`no source kind ${plural}`);
  return k;
}

/** An ObjectView as the API returns it. */
function view(
  k: SourceKind,
  spec: Record<string, unknown>,
  auth?: { secretName: string; type: string },
): ObjectView {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: k.kind,
    cluster: 'host',
    metadata: {
      name: 'podinfo',
      namespace: 'apps',
      resourceVersion: '4711',
      labels: { team: 'a' },
      annotations: { note: 'kept' },
      uid: 'u-1',
    },
    spec,
    status: { artifact: { revision: 'main@sha1:abc' } },
    summary: { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true },
    credentialStatus: auth ? { auth: { ...auth, managed: true } } : {},
  };
}

const errorsOf = (k: SourceKind, v: Values, editing?: ObjectView) => validate(v, checksFor(k, v, editing));

describe('kinds', () => {
  it('takes the source kinds from the API, in its order', () => {
    expect(sourceKinds(KINDS).map((k) => k.plural)).toEqual([
      'gitrepositories',
      'helmrepositories',
      'helmcharts',
      'buckets',
      'ocirepositories',
    ]);
    expect(kindOf(KINDS, 'kustomizations')).toBeUndefined();
    expect(kindOf(KINDS, undefined)).toBeUndefined();
    expect(sourceKinds(KINDS).filter((k) => servesCharts(k.kind)).map((k) => k.kind)).toEqual([
      'GitRepository',
      'HelmRepository',
      'Bucket',
    ]);
  });

  it("takes a kind's defaults, credential types and TLS from the API", () => {
    expect(emptyValues(kind('buckets'), 'a')['spec.interval']).toBe('1m');
    expect(emptyValues(kind('helmrepositories'), 'a')['spec.interval']).toBe('5m');
    const bucket = { ...kind('buckets'), tls: false, defaultInterval: '7m' };
    expect(emptyValues(bucket, 'a')['spec.interval']).toBe('7m');
    expect(fieldNames(bucket, emptyValues(bucket, 'a'))).not.toContain('tls.ca');
    expect(fieldNames(kind('buckets'), emptyValues(kind('buckets'), 'a'))).toContain('tls.ca');
  });

  it('edits a source kind it has no code for with the fields every source has', () => {
    const other: SourceKind = {
      kind: 'ArtifactGenerator',
      group: 'source.extensions.fluxcd.io',
      version: 'v1beta1',
      plural: 'artifactgenerators',
      family: 'source',
      actions: ['reconcile'],
      credentialTypes: [],
      tls: false,
    };
    const v = { ...emptyValues(other, 'apps'), 'metadata.name': 'gen', 'spec.interval': '1m' };
    expect(fieldNames(other, v)).toEqual(['metadata.name', 'metadata.namespace', 'spec.interval', 'credentials.type']);
    expect(errorsOf(other, v)).toEqual({});
    expect(toRequest(other, v)).toEqual({ metadata: { name: 'gen' }, spec: { interval: '1m' } });
  });
});

describe('fromObject / toRequest round trip', () => {
  it('gives back the spec of a GitRepository, with metadata for the update', () => {
    const k = kind('gitrepositories');
    const spec = {
      url: 'ssh://git@github.com/org/repo',
      interval: '10m',
      ref: { tag: 'v1.2.3' },
      ignore: '/docs',
      secretRef: { name: 'podinfo-git-auth' },
      suspend: true,
    };
    const o = view(k, spec, { secretName: 'podinfo-git-auth', type: 'ssh' });
    const v = fromObject(k, o);
    expect(v['spec.ref']).toBe('tag');
    expect(v['spec.ref.tag']).toBe('v1.2.3');
    expect(v['credentials.type']).toBe('keep');
    expect(errorsOf(k, v, o)).toEqual({});
    const req = toRequest(k, v, o);
    expect(req).toEqual({
      metadata: {
        name: 'podinfo',
        resourceVersion: '4711',
        labels: { team: 'a' },
        annotations: { note: 'kept' },
      },
      spec,
    });
    expect('credentials' in req).toBe(false);
    expect('tls' in req).toBe(false);
  });

  it('keeps every kind the same when nothing is edited', () => {
    const specs: Record<string, Record<string, unknown>> = {
      helmrepositories: { url: 'oci://ghcr.io/org/charts', type: 'oci', interval: '5m', provider: 'generic' },
      ocirepositories: {
        url: 'oci://ghcr.io/org/app',
        interval: '1m',
        ref: { semver: '>=1.0.0 <2.0.0', semverFilter: '.*' },
      },
      buckets: {
        endpoint: 'minio:9000',
        bucketName: 'b',
        provider: 'aws',
        region: 'eu-1',
        insecure: false,
        interval: '2m',
      },
      helmcharts: {
        chart: 'podinfo',
        version: '6.x',
        sourceRef: { kind: 'HelmRepository', name: 'podinfo' },
        interval: '5m',
        reconcileStrategy: 'Revision',
      },
    };
    for (const [plural, spec] of Object.entries(specs)) {
      const k = kind(plural);
      const o = view(k, spec);
      const v = fromObject(k, o);
      expect(errorsOf(k, v, o), plural).toEqual({});
      expect(toRequest(k, v, o).spec, plural).toEqual(spec);
    }
  });

  it('applies edits: a new ref replaces the old one, "none" drops the Secret reference', () => {
    const k = kind('gitrepositories');
    const o = view(
      k,
      {
        url: 'https://x/y',
        interval: '1m',
        ref: { branch: 'main' },
        secretRef: { name: 'podinfo-git-auth' },
      },
      { secretName: 'podinfo-git-auth', type: 'basic' },
    );
    const v = {
      ...fromObject(k, o),
      'spec.ref': 'semver',
      'spec.ref.semver': '^1',
      'credentials.type': 'none',
    };
    const req = toRequest(k, v, o);
    expect(req.spec).toEqual({ url: 'https://x/y', interval: '1m', ref: { semver: '^1' } });
    expect(req.credentials).toEqual({ type: 'none' });
  });

  it('reuses an existing Secret: a reference to it, no credentials, its name checked', () => {
    const k = kind('gitrepositories');
    const v: Values = {
      ...emptyValues(k, 'team-a'),
      'metadata.name': 'app',
      'spec.url': 'https://git.example.com/app.git',
      'credentials.type': EXISTING,
      'spec.secretRef.name': '',
    };
    expect(fieldNames(k, v)).toContain('spec.secretRef.name');
    expect(validate(v, checksFor(k, v))['spec.secretRef.name']).toBe('Required');
    v['spec.secretRef.name'] = 'Git_Creds';
    expect(validate(v, checksFor(k, v))['spec.secretRef.name']).toMatch(/Lower-case/);
    v['spec.secretRef.name'] = 'git-creds';
    expect(validate(v, checksFor(k, v))).toEqual({});
    const req = toRequest(k, v);
    expect(req.spec.secretRef).toEqual({ name: 'git-creds' });
    expect(req.credentials).toBeUndefined();
    // Editing an object that uses a Secret ksflux did not write: its name is offered again.
    const o = view(k, { url: 'https://x/y', interval: '1m', ref: { branch: 'main' }, secretRef: { name: 'shared' } }, {
      secretName: 'shared',
      type: 'external',
    });
    expect(fromObject(k, o)['spec.secretRef.name']).toBe('shared');
    const moved = toRequest(k, { ...fromObject(k, o), 'credentials.type': EXISTING, 'spec.secretRef.name': 'other' }, o);
    expect(moved.spec.secretRef).toEqual({ name: 'other' });
    expect(moved.credentials).toBeUndefined();
  });

  it('sends new credentials without the old reference, and a CA as tls', () => {
    const k = kind('helmrepositories');
    const o = view(
      k,
      {
        url: 'https://charts.example.com',
        interval: '5m',
        secretRef: { name: 'external' },
        certSecretRef: { name: 'ca' },
      },
      { secretName: 'external', type: 'external' },
    );
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const v = {
      ...fromObject(k, o),
      'credentials.type': 'basic',
      'credentials.username': 'u',
      'credentials.password': 'p',
      'tls.ca': ca,
    };
    const req = toRequest(k, v, o);
    expect(req.spec).toEqual({ url: 'https://charts.example.com', interval: '5m', type: 'default' });
    expect(req.credentials).toEqual({ type: 'basic', username: 'u', password: 'p' });
    expect(req.tls).toEqual({ ca });
  });

  it('builds create requests from defaults', () => {
    const bucket = kind('buckets');
    const v = {
      ...emptyValues(bucket, 'apps'),
      'metadata.name': 'b',
      'spec.endpoint': 'minio.local:9000',
      'spec.bucketName': 'manifests',
      'spec.insecure': 'true',
      'credentials.type': 's3',
      'credentials.accessKey': 'AK',
      'credentials.secretKey': 'SK',
    };
    expect(errorsOf(bucket, v)).toEqual({});
    expect(toRequest(bucket, v)).toEqual({
      metadata: { name: 'b' },
      spec: {
        interval: '1m',
        endpoint: 'minio.local:9000',
        bucketName: 'manifests',
        provider: 'generic',
        insecure: true,
      },
      credentials: { type: 's3', accessKey: 'AK', secretKey: 'SK' },
    });
    const oci = kind('ocirepositories');
    const ociValues = { ...emptyValues(oci, 'apps'), 'metadata.name': 'o', 'spec.url': 'oci://r/x' };
    expect(toRequest(oci, ociValues)).toEqual({
      metadata: { name: 'o' },
      spec: { interval: '1m', url: 'oci://r/x', ref: { tag: 'latest' } },
    });
  });
});

describe('checksFor', () => {
  it('checks the URL by kind and Helm repository type', () => {
    const helm = kind('helmrepositories');
    const v = { ...emptyValues(helm, 'apps'), 'metadata.name': 'h', 'spec.url': 'oci://ghcr.io/x' };
    expect(errorsOf(helm, v)['spec.url']).toBe('The URL must start with http:// or https://');
    expect(errorsOf(helm, { ...v, 'spec.type': 'oci' })).toEqual({});
    const oci = kind('ocirepositories');
    expect(errorsOf(oci, { ...emptyValues(oci, 'a'), 'spec.url': 'https://x' })['spec.url']).toBe(
      'The URL must start with oci://',
    );
  });

  it('checks name, interval, ref and credentials', () => {
    const git = kind('gitrepositories');
    const v = {
      ...emptyValues(git, ''),
      'metadata.name': 'Bad_Name',
      'spec.url': 'https://x/y',
      'spec.interval': 'soon',
      'spec.ref': 'semver',
      'spec.ref.semver': 'latest',
      'credentials.type': 'ssh',
      'credentials.identity': 'not a key',
    };
    const e = errorsOf(git, v);
    expect(Object.keys(e).sort()).toEqual([
      'credentials.identity',
      'credentials.knownHosts',
      'metadata.name',
      'metadata.namespace',
      'spec.interval',
      'spec.ref.semver',
    ]);
    expect(e['credentials.identity']).toBe('Must be a PEM private key');
    // every field with a check is one the form shows, so its message has a place
    for (const f of Object.keys(e)) expect(fieldNames(git, v)).toContain(f);
  });

  it('checks a HelmChart and a Bucket', () => {
    const chart = kind('helmcharts');
    const e = errorsOf(chart, { ...emptyValues(chart, 'a'), 'spec.version': 'six' });
    expect(e).toEqual({
      'metadata.name': 'Required',
      'spec.chart': 'Required',
      'spec.version': 'Not a semver range, e.g. 1.2.x, ^1.0.0 or >=1.0.0 <2.0.0',
      'spec.sourceRef.name': 'Required',
    });
    const bucket = kind('buckets');
    const b = { ...emptyValues(bucket, 'a'), 'metadata.name': 'b', 'spec.endpoint': 'http://minio' };
    expect(errorsOf(bucket, b)).toEqual({
      'spec.endpoint': 'Give the endpoint as host[:port], without a scheme',
      'spec.bucketName': 'Required',
    });
  });

  it('does not check the name of an object being edited', () => {
    const git = kind('gitrepositories');
    const o = view(git, { url: 'https://x/y', interval: '1m', ref: { branch: 'main' } });
    expect(errorsOf(git, { ...fromObject(git, o), 'metadata.name': '' }, o)).toEqual({});
  });

  it('asks for the credentials again before a GitRepository CA changes', () => {
    const git = kind('gitrepositories');
    const spec = { url: 'https://x/y', interval: '1m', ref: { branch: 'main' } };
    const o = view(git, spec, { secretName: 's', type: 'basic' });
    const ca = '-----BEGIN CERTIFICATE-----\n';
    expect(errorsOf(git, { ...fromObject(git, o), 'tls.ca': ca }, o)['tls.ca']).toBe(
      'Enter the credentials again to change the CA',
    );
    const fresh = { ...emptyValues(git, 'a'), 'metadata.name': 'g', 'spec.url': 'https://x', 'tls.ca': 'x' };
    expect(errorsOf(git, fresh)).toEqual({
      'tls.ca': 'Must be PEM',
    });
  });
});

describe('endpoint', () => {
  it('takes host[:port] like the server', () => {
    for (const ok of ['127.0.0.1:9000', 's3.amazonaws.com', 'minio']) {
      expect(endpoint(ok), ok).toBeUndefined();
    }
    expect(endpoint('')).toBe('Required');
    expect(endpoint('minio:99999')).toBe('Not host[:port]');
    expect(endpoint('minio:')).toBe('Not host[:port]');
    expect(endpoint('-minio')).toBe('Not host[:port]');
  });
});
