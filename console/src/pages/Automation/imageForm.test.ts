import { describe, expect, it } from 'vitest';
import type { ObjectView } from '../../api/types';
import { imageErrors, imageRequest, imageValues, policyOf } from './imageForm';

const view = (spec: Record<string, unknown>) =>
  ({ metadata: { name: 'app', namespace: 'team-a', resourceVersion: '7' }, spec }) as unknown as ObjectView;

describe('image automation forms', () => {
  it('an ImageRepository round-trips, with credentials only when given', () => {
    const v = imageValues('ImageRepository', 'team-a', view({ image: 'reg/app', interval: '1m', insecure: true }));
    expect(v['spec.insecure']).toBe('true');
    expect(imageRequest('ImageRepository', v, '7')).toEqual({
      metadata: { name: 'app', resourceVersion: '7' },
      spec: { image: 'reg/app', interval: '1m', insecure: true },
    });
    const withCreds = imageRequest('ImageRepository', { ...v, 'credentials.username': 'u', 'credentials.password': 'p' });
    expect(withCreds.credentials).toEqual({ type: 'basic', username: 'u', password: 'p' });
    expect(imageErrors('ImageRepository', { ...v, 'spec.image': 'reg/app:1.0' })['spec.image']).toBe(
      'Give the image without a tag or digest',
    );
  });

  it('an ImagePolicy keeps its ordering and filter', () => {
    const v = imageValues(
      'ImagePolicy',
      'team-a',
      view({ imageRepositoryRef: { name: 'app' }, policy: { numerical: { order: 'desc' } }, filterTags: { pattern: '^b-(?P<n>\\d+)$', extract: '$n' } }),
    );
    expect(v.order).toBe('numerical');
    expect(policyOf(v)).toEqual({ policy: { numerical: { order: 'desc' } }, filterTags: { pattern: '^b-(?P<n>\\d+)$', extract: '$n' } });
    expect(imageErrors('ImagePolicy', v)).toEqual({});
    expect(imageErrors('ImagePolicy', { ...v, 'spec.filterTags.pattern': '(' })['spec.filterTags.pattern']).toBe(
      'Not a regular expression',
    );
    const fresh = imageValues('ImagePolicy', 'team-a');
    expect(policyOf(fresh)).toEqual({ policy: { semver: { range: '>=1.0.0' } } });
  });

  it('an ImageUpdateAutomation commits with the Setters strategy', () => {
    const v = {
      ...imageValues('ImageUpdateAutomation', 'team-a'),
      'metadata.name': 'web',
      'spec.sourceRef.name': 'samples',
      'spec.git.commit.author.email': 'flux@example.com',
      'spec.update.path': './base',
    };
    expect(imageErrors('ImageUpdateAutomation', v)).toEqual({});
    expect(imageRequest('ImageUpdateAutomation', v).spec).toEqual({
      interval: '5m',
      sourceRef: { kind: 'GitRepository', name: 'samples' },
      git: { checkout: { ref: { branch: 'main' } }, commit: { author: { name: 'Flux', email: 'flux@example.com' } } },
      update: { path: './base', strategy: 'Setters' },
    });
    expect(imageErrors('ImageUpdateAutomation', { ...v, 'spec.git.commit.author.email': 'x' })['spec.git.commit.author.email']).toBe(
      'Not an email address',
    );
  });
});
