import { describe, expect, it } from 'vitest';
import type { ApplicationView, TargetWorkloads } from '../../api/types';
import { imageSuggestions, splitImage, suggestedRange } from './images';

const app = (spec: Record<string, unknown>) => ({ metadata: {}, spec }) as unknown as ApplicationView;

describe('images an application deploys', () => {
  it('splits references with registry ports and digests', () => {
    expect(splitImage('127.0.0.1:5000/demo/app:1.2.0')).toEqual({ name: '127.0.0.1:5000/demo/app', tag: '1.2.0' });
    expect(splitImage('127.0.0.1:5000/demo/app')).toEqual({ name: '127.0.0.1:5000/demo/app' });
    expect(splitImage('reg/app@sha256:00')).toEqual({ name: 'reg/app' });
  });

  it('finds values images first, then workload images, each once and not automated yet', () => {
    const helm = app({
      source: { kind: 'HelmRepository', name: 'demo' },
      helm: { chart: 'demo-app', values: { image: { repository: 'reg/app', tag: '1.0.0' }, side: { repository: 'reg/side' } } },
      images: [{ policy: 'p', image: 'reg/side' }],
    });
    const workloads = [
      { cluster: 'member-1', workloads: [{ images: ['reg/app:1.2.0', 'reg/other:3'] }] },
    ] as unknown as TargetWorkloads[];
    expect(imageSuggestions(helm, workloads)).toEqual([
      { name: 'reg/app', tag: '1.0.0' },
      { name: 'reg/other', tag: '3' },
    ]);
  });

  it('suggests a range from the running release', () => {
    expect(suggestedRange('1.2.0')).toBe('>=1.2.0');
    expect(suggestedRange('v2.0.1')).toBe('>=2.0.1');
    expect(suggestedRange('latest')).toBe('*');
    expect(suggestedRange()).toBe('*');
  });
});
