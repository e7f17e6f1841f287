import { describe, expect, it } from 'vitest';
import type { ApplicationSpec } from '../../api/types';
import { KINDS } from '../../test/kinds';
import {
  appSourceKind,
  emptyState,
  emptyTarget,
  fieldValue,
  hasOverrides,
  sourceChoices,
  specToState,
  stateToSpec,
  STEP,
  stepOf,
  validateStep,
  withField,
  type WizardState,
} from './model';

function helmState(): WizardState {
  const s = emptyState('team-a');
  return {
    ...s,
    name: 'web',
    sourceName: 'charts',
    chart: 'podinfo',
    version: '6.x',
    values: 'replicaCount: 1\nmessage: hello\n',
    targets: [
      emptyTarget('host', 'team-a'),
      { ...emptyTarget('member-1', 'team-a'), values: 'replicaCount: 3\n' },
      emptyTarget('member-2', 'apps'),
    ],
  };
}

describe('stateToSpec', () => {
  it('turns a member-1 override into targets[1].overrides.values and leaves empty fields out', () => {
    const spec = stateToSpec(helmState());
    expect(spec).toEqual({
      source: { kind: 'HelmRepository', name: 'charts' },
      helm: { chart: 'podinfo', version: '6.x', values: { replicaCount: 1, message: 'hello' } },
      targets: [
        { cluster: 'host', namespace: 'team-a' },
        { cluster: 'member-1', namespace: 'team-a', overrides: { values: { replicaCount: 3 } } },
        { cluster: 'member-2', namespace: 'apps' },
      ],
      interval: '5m',
    });
    expect(JSON.stringify(spec)).not.toMatch(/""|\[\]|\{\}|null/);
  });

  it('reads a spec back into the same state', () => {
    const s = helmState();
    expect(specToState('web', 'team-a', stateToSpec(s))).toEqual(s);
  });

  it('keeps the parts it does not edit, and gives the same spec back', () => {
    const spec: ApplicationSpec = {
      source: { kind: 'GitRepository', name: 'repo' },
      kustomize: {
        path: './deploy',
        prune: false,
        wait: true,
        patches: [{ patch: 'kind: Deployment', target: { kind: 'Deployment' } }],
        images: [{ name: 'app', newTag: '1.2.0' }],
        substitute: { greeting: 'hello' },
      },
      targets: [
        { cluster: 'host', namespace: 'team-a', suspend: true },
        {
          cluster: 'member-1',
          namespace: 'edge',
          overrides: {
            path: './edge',
            substitute: { color: 'blue' },
            images: [{ name: 'app', newName: 'mirror/app' }],
          },
        },
      ],
      dependsOn: ['database'],
      interval: '10m',
      suspend: true,
      placement: { clusterSelector: { matchLabels: { env: 'staging' } }, namespace: 'web' },
      layers: [{ name: 'eu', clusterSelector: { matchLabels: { region: 'eu' } }, overrides: { substitute: { zone: 'eu' } } }],
      images: [{ policy: 'app', image: 'app', manual: ['member-1'], tags: { 'member-1': '1.0.0' } }],
      rollout: { waves: [{ name: 'staging', clusters: ['host'] }], soak: '5m' },
    };
    const state = specToState('web', 'team-a', spec);
    expect(state.type).toBe('kustomize');
    expect(state.prune).toBe(false);
    expect(hasOverrides(state, 0)).toBe(false);
    expect(hasOverrides(state, 1)).toBe(true);
    expect(stateToSpec(state)).toEqual(spec);
  });

  it('keeps Helm settings it does not edit', () => {
    const spec = {
      source: { kind: 'HelmRepository', name: 'charts' },
      helm: {
        chart: 'podinfo',
        install: { remediation: { retries: 3 } },
        valuesFrom: [{ kind: 'Secret', name: 's' }],
      },
      targets: [
        { cluster: 'host', namespace: 'a', overrides: { valuesFrom: [{ kind: 'ConfigMap', name: 'm' }] } },
      ],
    } as ApplicationSpec;
    expect(stateToSpec(specToState('web', 'a', spec))).toEqual(spec);
  });

  it('keeps the Flux options and overrides it does not edit, Helm and Kustomize', () => {
    const helm: ApplicationSpec = {
      source: { kind: 'HelmRepository', name: 'charts' },
      helm: { chart: 'podinfo', timeout: '5m', test: { enable: true }, maxHistory: 3 },
      targets: [
        { cluster: 'host', namespace: 'a', overrides: { timeout: '10m', test: { enable: false }, values: { x: 1 } } },
      ],
    };
    expect(stateToSpec(specToState('web', 'a', helm))).toEqual(helm);
    const kustomize: ApplicationSpec = {
      source: { kind: 'GitRepository', name: 'demo' },
      kustomize: { path: './deploy', prune: true, wait: true, components: ['../c'], force: true, timeout: '2m' },
      targets: [{ cluster: 'host', namespace: 'a', overrides: { components: [], namePrefix: 'x-', path: './other' } }],
    };
    expect(stateToSpec(specToState('web', 'a', kustomize))).toEqual(kustomize);
  });

  it('drops the rows left empty and the fields of the other type', () => {
    const s: WizardState = {
      ...helmState(),
      type: 'kustomize',
      sourceKind: 'GitRepository',
      path: '',
      substitute: [{ key: '', value: '' }],
      images: [{ name: ' ', newName: '', newTag: '', digest: '' }],
      patches: [{ patch: '  ', target: '' }],
      targets: [{ ...emptyTarget('host', 'a'), values: 'x: 1' }],
    };
    expect(stateToSpec(s)).toEqual({
      source: { kind: 'GitRepository', name: 'charts' },
      kustomize: { prune: true },
      targets: [{ cluster: 'host', namespace: 'a' }],
      interval: '5m',
    });
  });
});

describe('validateStep', () => {
  it('checks the name (at most 53 characters), namespace, source and interval', () => {
    const s = { ...emptyState(''), name: 'a'.repeat(54), interval: '5 minutes' };
    expect(validateStep(s, STEP.basics)).toEqual({
      'metadata.name': 'At most 53 characters',
      'metadata.namespace': 'Required',
      'spec.source.name': 'Pick a source',
      'spec.interval': 'A duration such as 30s, 5m or 1h',
    });
    expect(validateStep(helmState(), STEP.basics)).toEqual({});
  });

  it('blocks the targets step on invalid override YAML and on no target', () => {
    const s = helmState();
    s.targets[1] = { ...s.targets[1], values: 'replicaCount: [' };
    expect(Object.keys(validateStep(s, STEP.targets))).toEqual(['spec.targets[1].overrides.values']);
    expect(validateStep({ ...s, targets: [] }, STEP.targets)).toEqual({
      'spec.targets': 'Pick at least one cluster',
    });
  });

  it('checks the chart version range and kustomize paths', () => {
    const latest = { ...helmState(), version: 'latest' };
    expect(validateStep(latest, STEP.chart)).toHaveProperty('spec.helm.version');
    const k = { ...helmState(), type: 'kustomize' as const, sourceKind: 'GitRepository' as const };
    expect(validateStep({ ...k, path: './deploy' }, STEP.chart)).toEqual({});
    k.path = '../x';
    expect(validateStep(k, STEP.chart)).toHaveProperty('spec.kustomize.path');
  });
});

describe('stepOf', () => {
  it('sends server errors to the step that owns the field', () => {
    expect(stepOf('metadata.name')).toBe(STEP.basics);
    expect(stepOf('spec.source.kind')).toBe(STEP.basics);
    expect(stepOf('spec.helm.chart')).toBe(STEP.chart);
    expect(stepOf('spec.kustomize.path')).toBe(STEP.chart);
    expect(stepOf('spec.helm.values')).toBe(STEP.config);
    expect(stepOf('spec.kustomize.patches[0].patch')).toBe(STEP.config);
    expect(stepOf('spec.targets[1].namespace')).toBe(STEP.targets);
    expect(stepOf('spec.targets[0].overrides.values')).toBe(STEP.targets);
  });
});

describe('source choices', () => {
  it("offers the API's source kinds an application type can build from, in its order", () => {
    expect(sourceChoices(KINDS, 'helm')).toEqual(['GitRepository', 'HelmRepository', 'Bucket']);
    expect(sourceChoices(KINDS, 'kustomize')).toEqual(['GitRepository', 'Bucket', 'OCIRepository']);
    // Only kinds the API serves are offered.
    const noBuckets = KINDS.filter((k) => k.kind !== 'Bucket');
    expect(sourceChoices(noBuckets, 'helm')).toEqual(['GitRepository', 'HelmRepository']);
    expect(sourceChoices([], 'helm')).toEqual([]);
  });

  it('knows which kinds an application can name as its source', () => {
    expect(appSourceKind('OCIRepository')).toBe('OCIRepository');
    expect(appSourceKind('HelmChart')).toBeUndefined();
    expect(appSourceKind('Kustomization')).toBeUndefined();
  });
});

describe('fields by path', () => {
  const base = (): WizardState => ({
    ...emptyState('team-a'),
    type: 'kustomize',
    substitute: [{ key: 'greeting', value: 'hello' }],
    targets: [emptyTarget('host', 'team-a'), { ...emptyTarget('member-1', 'web'), images: [{ name: 'app', newName: '', newTag: '1.0', digest: '' }] }],
  });

  it('reads the field a server path names', () => {
    const s = base();
    expect(fieldValue(s, 'metadata.namespace')).toBe('team-a');
    expect(fieldValue(s, 'type')).toBe('kustomize');
    expect(fieldValue(s, 'spec.kustomize.prune')).toBe('true');
    expect(fieldValue(s, 'spec.kustomize.substitute[0].value')).toBe('hello');
    expect(fieldValue(s, 'spec.targets[1].namespace')).toBe('web');
    expect(fieldValue(s, 'spec.targets[1].suspend')).toBe('');
    expect(fieldValue(s, 'spec.targets[1].overrides.images[0].newTag')).toBe('1.0');
    for (const none of ['spec.targets[5].namespace', 'spec.kustomize.substitute[3].key', 'spec.nothing', 'kept']) {
      expect(fieldValue(s, none), none).toBe('');
    }
  });

  it('sets it, leaving everything else as it was', () => {
    const s = base();
    expect(withField(s, 'metadata.name', 'web').name).toBe('web');
    expect(withField(s, 'spec.kustomize.prune', '').prune).toBe(false);
    expect(withField(s, 'spec.kustomize.substitute[0].key', 'hi').substitute).toEqual([{ key: 'hi', value: 'hello' }]);
    const t = withField(s, 'spec.targets[1].overrides.images[0].newTag', '2.0');
    expect(t.targets[1].images[0].newTag).toBe('2.0');
    expect(t.targets[0]).toBe(s.targets[0]);
    expect(withField(s, 'spec.targets[0].suspend', 'true').targets[0].suspend).toBe(true);
    expect(withField(s, 'spec.targets[0].overrides.values', 'a: 1').targets[0].values).toBe('a: 1');
    expect(withField(s, 'spec.source.kind', 'OCIRepository').sourceKind).toBe('OCIRepository');
    // Paths naming nothing (or a value the field cannot hold) change nothing.
    for (const [path, value] of [
      ['spec.source.kind', 'HelmChart'],
      ['type', 'jsonnet'],
      ['spec.targets[9].namespace', 'x'],
      ['spec.kustomize.images[0].name', 'x'],
      ['spec.kustomize.substitute[0].nope', 'x'],
    ]) {
      expect(withField(s, path, value), path).toBe(s);
    }
  });
});
