import { describe, expect, it } from 'vitest';
import type { ApplicationSpec } from '../../api/types';
import {
  layersFor,
  mergeImages,
  mergeSubstitute,
  mergeValues,
  renderTarget,
  selectorMatches,
  targetValues,
  withLayers,
} from './merge';

describe('mergeValues', () => {
  it('merges maps key by key, replaces lists and scalars, deletes on null', () => {
    const base = {
      replicas: 1,
      image: { tag: '1.0', pullPolicy: 'IfNotPresent' },
      ports: [80, 443],
      debug: true,
    };
    const over = { replicas: 3, image: { tag: '1.1' }, ports: [8080], debug: null, extra: { a: 1 } };
    expect(mergeValues(base, over)).toEqual({
      replicas: 3,
      image: { tag: '1.1', pullPolicy: 'IfNotPresent' },
      ports: [8080],
      extra: { a: 1 },
    });
  });

  it('never lets a null through', () => {
    expect(mergeValues({}, { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
    expect(mergeValues({ a: 1 }, { b: null })).toEqual({ a: 1 });
    expect(mergeValues({ a: null, b: 1 }, { c: 2 })).toEqual({ b: 1, c: 2 });
    expect(mergeValues({ l: [1] }, { l: [{ x: null, y: 1 }] })).toEqual({ l: [{ y: 1 }] });
  });

  it('lets a map replace a scalar and back', () => {
    expect(mergeValues({ a: 1 }, { a: { b: 2 } })).toEqual({ a: { b: 2 } });
    expect(mergeValues({ a: { b: 2 } }, { a: 'x' })).toEqual({ a: 'x' });
  });

  it('leaves its inputs alone and merging twice equals merging once', () => {
    const base = { a: { b: 1, c: [1, 2] } };
    const over = { a: { c: [3], d: null } };
    const once = mergeValues(base, over);
    expect(mergeValues(once, over)).toEqual(once);
    expect(base).toEqual({ a: { b: 1, c: [1, 2] } });
  });
});

describe('targetValues', () => {
  it('is undefined without values and strips nulls of the base alone', () => {
    expect(targetValues(undefined, undefined)).toBeUndefined();
    expect(targetValues({ x: 1, y: null }, undefined)).toEqual({ x: 1 });
    expect(targetValues(undefined, { values: { y: 2, z: null } })).toEqual({ y: 2 });
    expect(targetValues({ x: 1 }, { values: { x: null, y: 2 } })).toEqual({ y: 2 });
  });
});

describe('kustomize lists', () => {
  it('replaces images by name (last one wins) and appends new names', () => {
    const out = mergeImages(
      [
        { name: 'web', newTag: '1.0' },
        { name: 'api', newTag: '1.0' },
      ],
      [
        { name: 'api', newTag: '2.0' },
        { name: 'worker', newTag: '1.5' },
        { name: 'api', newTag: '2.1' },
      ],
    );
    expect(out).toEqual([
      { name: 'web', newTag: '1.0' },
      { name: 'api', newTag: '2.1' },
      { name: 'worker', newTag: '1.5' },
    ]);
  });

  it('merges substitutions with the target winning', () => {
    const out = mergeSubstitute({ color: 'red', size: 's' }, { color: 'blue' });
    expect(out).toEqual({ color: 'blue', size: 's' });
  });
});

describe('renderTarget', () => {
  it('gives a Helm target the merged values and its version override', () => {
    const spec: ApplicationSpec = {
      source: { kind: 'HelmRepository', name: 'charts' },
      helm: { chart: 'podinfo', version: '6.x', values: { replicaCount: 1, message: 'hello' } },
      targets: [
        { cluster: 'host', namespace: 'team-a' },
        {
          cluster: 'member-1',
          namespace: 'apps',
          overrides: { values: { replicaCount: 3 }, version: '6.5.x' },
        },
      ],
    };
    expect(renderTarget(spec, spec.targets[0])).toEqual({
      chart: 'podinfo',
      version: '6.x',
      targetNamespace: 'team-a',
      values: { replicaCount: 1, message: 'hello' },
    });
    expect(renderTarget(spec, spec.targets[1])).toEqual({
      chart: 'podinfo',
      version: '6.5.x',
      targetNamespace: 'apps',
      values: { replicaCount: 3, message: 'hello' },
    });
  });

  it('appends patches, replaces the path and sets cluster_name unless substitute has it', () => {
    const spec: ApplicationSpec = {
      source: { kind: 'GitRepository', name: 'repo' },
      kustomize: { path: './deploy', patches: [{ patch: 'p1' }], substitute: { greeting: 'hello' } },
      targets: [
        { cluster: 'host', namespace: 'a', suspend: true },
        {
          cluster: 'member-1',
          namespace: 'a',
          overrides: { path: './edge', patches: [{ patch: 'p2' }], substitute: { cluster_name: 'edge' } },
        },
      ],
    };
    const host = renderTarget(spec, spec.targets[0]);
    expect(host).toMatchObject({ path: './deploy', prune: true, suspend: true, patches: [{ patch: 'p1' }] });
    expect(host.substitute).toEqual({ greeting: 'hello', cluster_name: 'host' });
    const member = renderTarget(spec, spec.targets[1]);
    expect(member).toMatchObject({ path: './edge', patches: [{ patch: 'p1' }, { patch: 'p2' }] });
    expect(member.substitute).toEqual({ greeting: 'hello', cluster_name: 'edge' });
    expect(member.suspend).toBeUndefined();
  });

  it('replaces or appends the overridable Flux options per target', () => {
    const helm = {
      chart: 'podinfo',
      timeout: '5m',
      test: { enable: true },
      postRenderers: [{ kustomize: { patches: [{ patch: 'a' }] } }],
    };
    const spec = {
      source: { kind: 'HelmRepository', name: 'charts' },
      helm,
      targets: [
        { cluster: 'host', namespace: 'a' },
        {
          cluster: 'member-1',
          namespace: 'a',
          overrides: { timeout: '10m', maxHistory: 0, postRenderers: [{ kustomize: { images: [{ name: 'x' }] } }] },
        },
      ],
    } as unknown as ApplicationSpec;
    expect(renderTarget(spec, spec.targets[0])).toMatchObject({ timeout: '5m', test: { enable: true } });
    expect(renderTarget(spec, spec.targets[0]).maxHistory).toBeUndefined();
    expect(renderTarget(spec, spec.targets[1])).toMatchObject({
      timeout: '10m',
      test: { enable: true },
      maxHistory: 0,
      postRenderers: [{ kustomize: { patches: [{ patch: 'a' }] } }, { kustomize: { images: [{ name: 'x' }] } }],
    });
    const k = {
      source: { kind: 'GitRepository', name: 'repo' },
      kustomize: { components: ['../a'], namePrefix: 'p-' },
      targets: [{ cluster: 'host', namespace: 'a', overrides: { components: [], force: true } }],
    } as unknown as ApplicationSpec;
    const host = renderTarget(k, k.targets[0]);
    expect(host).toMatchObject({ namePrefix: 'p-', force: true });
    expect(host.components).toBeUndefined();
  });

  it('suspends every target of a suspended application', () => {
    const spec: ApplicationSpec = {
      source: { kind: 'GitRepository', name: 'repo' },
      kustomize: {},
      targets: [{ cluster: 'host', namespace: 'a' }],
      suspend: true,
    };
    expect(renderTarget(spec, spec.targets[0])).toMatchObject({ path: './', suspend: true });
  });
});

describe('label layers', () => {
  const spec: ApplicationSpec = {
    source: { kind: 'HelmRepository', name: 'charts' },
    helm: { chart: 'web', values: { replicaCount: 1, ingress: { hosts: ['a'] } } },
    targets: [{ cluster: 'm1', namespace: 'web', overrides: { values: { replicaCount: 5 } } }],
    layers: [
      { name: 'production', clusterSelector: { matchLabels: { env: 'production' } }, overrides: { values: { replicaCount: 3 } } },
      {
        clusterSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] },
        overrides: { values: { ingress: { hosts: ['eu-1', 'eu-2'] } } },
      },
    ],
  };
  const eu = { env: 'production', region: 'eu' };

  it('selects layers by labels in order, naming unnamed ones by position', () => {
    expect(layersFor(spec, eu).map((l) => l.name)).toEqual(['production', 'layers[1]']);
    expect(layersFor(spec, { env: 'production', region: 'us' }).map((l) => l.name)).toEqual(['production']);
    expect(selectorMatches({}, eu)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, eu)).toBe(true);
  });

  it('stacks layers under the target’s own overrides, as the server does', () => {
    const r = renderTarget(spec, withLayers(spec, spec.targets[0], eu));
    expect(r.values).toEqual({ replicaCount: 5, ingress: { hosts: ['eu-1', 'eu-2'] } });
    const us = renderTarget(spec, withLayers(spec, { cluster: 'm2', namespace: 'web' }, { env: 'production' }));
    expect(us.values).toEqual({ replicaCount: 3, ingress: { hosts: ['a'] } });
  });
});
