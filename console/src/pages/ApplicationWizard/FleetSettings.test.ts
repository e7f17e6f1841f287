import { describe, expect, it } from 'vitest';
import { fleetYaml, readFleetYaml } from './FleetSettings';
import { emptyState } from './model';

describe('fleet settings YAML', () => {
  it('reads placement, layers and rollout, and writes them back', () => {
    const text = 'placement:\n  clusterSelector: {matchLabels: {env: staging}}\n  namespace: web\nrollout:\n  waves: [{name: staging, clusters: [member-1]}]\n';
    const r = readFleetYaml(text);
    expect(r.error).toBeUndefined();
    expect(r.kept?.rollout?.waves[0].clusters).toEqual(['member-1']);
    expect(r.kept?.layers).toBeUndefined();
    const s = emptyState('team-a');
    const again = readFleetYaml(fleetYaml({ ...s, kept: { ...s.kept, ...r.kept } }));
    expect(again.kept).toEqual(r.kept);
  });

  it('says what is wrong with the text', () => {
    expect(readFleetYaml('rollout: [').error).toBeTruthy();
    expect(readFleetYaml('targets: []').error).toMatch(/not targets/);
    expect(readFleetYaml('').kept).toEqual({ placement: undefined, layers: undefined, rollout: undefined });
  });
});
