import { KubedConfigProvider } from '@kubed/components';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyState, emptyTarget, type AppType, type WizardState } from './model';
import { OverridesEditor } from './OverridesEditor';

const BASE = 'replicaCount: 1\nmessage: hello\nresources: {limits: {cpu: 100m}}\n';

function initial(values = BASE, type: AppType = 'helm'): WizardState {
  return {
    ...emptyState('team-a'),
    name: 'web',
    type,
    sourceKind: type === 'helm' ? 'HelmRepository' : 'GitRepository',
    sourceName: 'charts',
    chart: 'podinfo',
    values,
    targets: ['host', 'member-1', 'member-2'].map((c) => emptyTarget(c, 'team-a')),
  };
}

function Harness({ start, labels }: { start: WizardState; labels?: Record<string, Record<string, string>> }) {
  const [state, setState] = useState(start);
  return (
    <KubedConfigProvider>
      <OverridesEditor
        labels={labels}
        state={state}
        onChange={(i, t) => setState((s) => ({ ...s, targets: s.targets.map((x, j) => (j === i ? t : x)) }))}
      />
    </KubedConfigProvider>
  );
}

/** user-event reads `{` and `[` as key names; these type them literally. */
const literal = (s: string) => s.replace(/[{[]/g, (c) => c + c);

async function openTab(user: ReturnType<typeof userEvent.setup>, cluster: string) {
  await user.click(screen.getByTestId(`override-tab-${cluster}`));
}

const valuesField = (i: number) =>
  document.querySelector<HTMLTextAreaElement>(`textarea[name="spec.targets[${i}].overrides.values"]`);

describe('OverridesEditor', () => {
  afterEach(cleanup);

  it('shows the result for the cluster being edited and leaves the others on the base', async () => {
    const user = userEvent.setup();
    render(<Harness start={initial()} />);
    await openTab(user, 'member-1');
    const field = valuesField(1);
    expect(field).not.toBeNull();
    await user.type(field as HTMLTextAreaElement, 'replicaCount: 3');

    const member1 = screen.getByTestId('rendered-member-1').textContent ?? '';
    expect(member1).toContain('replicaCount: 3');
    expect(member1).toContain('message: hello');
    expect(member1).toContain('cpu: 100m');
    expect(member1).not.toContain('replicaCount: 1');
    expect(within(screen.getByTestId('override-tab-member-1')).getByText('overrides')).toBeTruthy();
    expect(within(screen.getByTestId('override-tab-member-2')).queryByText('overrides')).toBeNull();

    await openTab(user, 'member-2');
    const member2 = screen.getByTestId('rendered-member-2').textContent ?? '';
    expect(member2).toContain('replicaCount: 1');
    expect(member2).toContain('message: hello');
    expect(screen.queryByTestId('rendered-member-1')).toBeNull();
  });

  it('shows a YAML error under the override field', async () => {
    const user = userEvent.setup();
    render(<Harness start={initial()} />);
    await openTab(user, 'member-1');
    await user.type(valuesField(1) as HTMLTextAreaElement, literal('replicaCount: ['));
    const error = document.querySelector('[data-error-for="spec.targets[1].overrides.values"]');
    expect(error?.textContent).toMatch(/Not valid YAML/);
    expect(screen.getByTestId('rendered-member-1').textContent).not.toContain('replicaCount');
  });

  it('removes a key set to null from the result', async () => {
    const user = userEvent.setup();
    render(<Harness start={initial()} />);
    await openTab(user, 'member-1');
    await user.type(valuesField(1) as HTMLTextAreaElement, 'message: null');
    const member1 = screen.getByTestId('rendered-member-1').textContent ?? '';
    expect(member1).not.toContain('message');
    expect(member1).toContain('replicaCount: 1');
    expect(member1).toContain('cpu: 100m');
  });

  it('replaces lists instead of merging them', async () => {
    const user = userEvent.setup();
    render(<Harness start={initial('ports:\n  - 80\n  - 443\n')} />);
    await openTab(user, 'member-2');
    await user.type(valuesField(2) as HTMLTextAreaElement, literal('ports: [8080]'));
    const member2 = screen.getByTestId('rendered-member-2').textContent ?? '';
    expect(member2).toContain('8080');
    expect(member2).not.toContain('443');
    expect(member2).not.toMatch(/- 80\n/);
  });

  it('adds cluster_name and the target substitutions for Kustomize', async () => {
    const user = userEvent.setup();
    const start = {
      ...initial('', 'kustomize'),
      path: './deploy',
      substitute: [{ key: 'color', value: 'red' }],
    };
    render(<Harness start={start} />);
    await openTab(user, 'member-1');
    expect(screen.getByTestId('rendered-member-1').textContent).toContain('cluster_name: member-1');
    await user.click(screen.getByText('Add substitution'));
    const row = 'spec.targets[1].overrides.substitute[0]';
    const key = document.querySelector<HTMLInputElement>(`input[name="${row}.key"]`);
    const value = document.querySelector<HTMLInputElement>(`input[name="${row}.value"]`);
    await user.type(key as HTMLInputElement, 'color');
    await user.type(value as HTMLInputElement, 'blue');
    const out = screen.getByTestId('rendered-member-1').textContent ?? '';
    expect(out).toContain('color: blue');
    expect(out).not.toContain('color: red');
    expect(out).toContain('path: ./deploy');
  });

  it('shows the layers that apply to a cluster as columns, and placed clusters as tabs', async () => {
    const user = userEvent.setup();
    const start = initial();
    start.targets = [emptyTarget('member-1', 'team-a')];
    start.kept = {
      ...start.kept,
      placement: { clusterSelector: { matchLabels: { env: 'production' } }, namespace: 'web', exclude: ['member-3'] },
      layers: [
        { name: 'production', clusterSelector: { matchLabels: { env: 'production' } }, overrides: { values: { replicaCount: 3 } } },
        { name: 'eu', clusterSelector: { matchLabels: { region: 'eu' } }, overrides: { values: { message: 'eu hosts' } } },
      ],
    };
    const labels = {
      'member-1': { env: 'staging', region: 'eu' },
      'member-2': { env: 'production', region: 'eu' },
      'member-3': { env: 'production', region: 'us' },
      'member-4': { env: 'production', region: 'us' },
    };
    render(<Harness start={start} labels={labels} />);
    // member-1: explicit, only the eu layer applies.
    expect(screen.queryByTestId('override-layer-production')).toBeNull();
    expect(screen.getByTestId('override-layer-eu').textContent).toContain('region=eu');
    expect(screen.getByTestId('rendered-member-1').textContent).toContain('message: eu hosts');
    // Placed: member-2 and member-4 (member-3 is excluded), with both or one layer.
    expect(screen.queryByTestId('override-tab-member-3')).toBeNull();
    await openTab(user, 'member-2');
    expect(screen.getByTestId('override-layer-production')).toBeTruthy();
    expect(screen.getByTestId('override-layer-eu')).toBeTruthy();
    expect(screen.getByTestId('override-placed').textContent).toContain('fluxcd.kubesphere.io/cluster=member-2');
    const m2 = screen.getByTestId('rendered-member-2').textContent ?? '';
    expect(m2).toContain('replicaCount: 3');
    expect(m2).toContain('message: eu hosts');
    expect(m2).toContain('targetNamespace: web');
    await openTab(user, 'member-4');
    expect(screen.queryByTestId('override-layer-eu')).toBeNull();
    expect(screen.getByTestId('rendered-member-4').textContent).toContain('message: hello');
  });
});
