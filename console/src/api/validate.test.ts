import { afterEach, describe, expect, it, vi } from 'vitest';
import { asTargetStatus, parseChange } from './validate';

const summary = { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true, revision: null };
const change = {
  type: 'applied',
  cluster: 'host',
  kind: 'GitRepository',
  namespace: 'apps',
  name: 'podinfo',
  resourceVersion: '7',
  creationTimestamp: '2024-05-01T10:00:00Z',
  summary,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseChange', () => {
  it('takes an ObjectChange as the server sends it', () => {
    expect(parseChange(JSON.stringify(change))).toEqual(change);
    // Unknown fields are left out; optional ones may be missing.
    const { creationTimestamp: _c, ...bare } = change;
    void _c;
    expect(parseChange(JSON.stringify({ ...bare, extra: 1 }))).toEqual(bare);
  });

  it('drops and logs what is not one', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parseChange('not json')).toBeUndefined();
    expect(parseChange(JSON.stringify({ ...change, type: 'patched' }))).toBeUndefined();
    expect(parseChange(JSON.stringify({ ...change, summary: { ...summary, state: 'green' } }))).toBeUndefined();
    expect(parseChange(JSON.stringify({ ...change, name: 3 }))).toBeUndefined();
    expect(parseChange(JSON.stringify([change]))).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(5);
  });
});

describe('asTargetStatus', () => {
  it('takes a target status and nothing else', () => {
    const s = { cluster: 'm1', namespace: 'web', objectRef: 'Kustomization/demo/web-m1', ready: 'True' };
    expect(asTargetStatus(s)).toEqual(s);
    expect(asTargetStatus({ cluster: 'm1' })).toBeUndefined();
    expect(asTargetStatus(null)).toBeUndefined();
  });

  it("keeps an agent target's mode and last drift", () => {
    const s = {
      cluster: 'm1',
      namespace: 'web',
      objectRef: 'HelmRelease/demo/web',
      ready: 'True',
      mode: 'agent',
      lastDrift: { at: '2024-05-01T10:08:00Z', fields: ['spec.values.message'] },
    };
    expect(asTargetStatus(s)).toEqual(s);
  });
});
