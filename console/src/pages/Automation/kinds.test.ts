import { describe, expect, it } from 'vitest';
import type { ObjectView } from '../../api/types';
import { automationKind } from './kinds';

const view = (spec: object, status: object = {}) => ({ spec, status }) as unknown as ObjectView;

describe('automation kinds', () => {
  it('shows the image a policy picked', () => {
    const k = automationKind('imagepolicies');
    expect(
      k?.describe(
        view(
          { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=1.0.0 <2.0.0' } } },
          { latestRef: { name: 'registry:5000/demo/app', tag: '1.2.0' } },
        ),
      ),
    ).toBe('app >=1.0.0 <2.0.0 → registry:5000/demo/app:1.2.0');
  });

  it("shows an alert's sources and provider, a repository's tag count, a receiver's hook", () => {
    expect(
      automationKind('alerts')?.describe(
        view({ eventSources: [{ kind: 'Kustomization', name: '*' }], providerRef: { name: 'slack' }, eventSeverity: 'error' }),
      ),
    ).toBe('Kustomization/* → slack (error)');
    expect(
      automationKind('imagerepositories')?.describe(view({ image: 'r/demo/app' }, { lastScanResult: { tagCount: 4 } })),
    ).toBe('r/demo/app · 4 tags');
    expect(automationKind('receivers')?.describe(view({ type: 'github' }, { webhookPath: '/hook/abc' }))).toBe(
      'github /hook/abc',
    );
  });

  it('knows only its own kinds', () => {
    expect(automationKind('gitrepositories')).toBeUndefined();
    expect(automationKind(undefined)).toBeUndefined();
  });
});
