import { describe as suite, expect, it } from 'vitest';
import type { ObjectView } from '../../api/types';
import { KINDS } from '../../test/kinds';
import { automationKind, automationKinds, describe } from './kinds';

/** An object with `spec` and `status`, as the API returns it. */
const view = (kind: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): ObjectView => ({
  apiVersion: 'v1',
  kind,
  cluster: 'host',
  metadata: { name: 'x', namespace: 'a' },
  spec,
  status,
  summary: { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true },
  credentialStatus: {},
});

suite('automation kinds', () => {
  it('lists the notification and image kinds the API serves, in its order', () => {
    expect(automationKinds(KINDS).map((k) => k.kind)).toEqual([
      'Provider',
      'Alert',
      'Receiver',
      'ImageRepository',
      'ImagePolicy',
      'ImageUpdateAutomation',
    ]);
    expect(automationKind(KINDS, 'alerts')?.actions).toEqual(['suspend', 'resume']);
    expect(automationKind(KINDS, 'gitrepositories')).toBeUndefined();
    expect(automationKind(KINDS, undefined)).toBeUndefined();
  });

  it('shows the image a policy picked', () => {
    expect(
      describe(
        'ImagePolicy',
        view(
          'ImagePolicy',
          { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=1.0.0 <2.0.0' } } },
          { latestRef: { name: 'registry:5000/demo/app', tag: '1.2.0' } },
        ),
      ),
    ).toBe('app >=1.0.0 <2.0.0 → registry:5000/demo/app:1.2.0');
  });

  it("shows an alert's sources and provider, a repository's tag count, a receiver's hook", () => {
    expect(
      describe(
        'Alert',
        view('Alert', {
          eventSources: [{ kind: 'Kustomization', name: '*' }],
          providerRef: { name: 'slack' },
          eventSeverity: 'error',
        }),
      ),
    ).toBe('Kustomization/* → slack (error)');
    expect(
      describe('ImageRepository', view('ImageRepository', { image: 'r/demo/app' }, { lastScanResult: { tagCount: 4 } })),
    ).toBe('r/demo/app · 4 tags');
    expect(describe('Receiver', view('Receiver', { type: 'github' }, { webhookPath: '/hook/abc' }))).toBe(
      'github /hook/abc',
    );
  });

  it('says something sensible about a kind it has no line for', () => {
    const o = view('Notifier', { type: 'generic', sourceRef: { kind: 'GitRepository', name: 'app' } });
    expect(describe('Notifier', o)).toBe('generic GitRepository/app');
    expect(describe('Notifier', view('Notifier', {}))).toBe('');
  });
});
