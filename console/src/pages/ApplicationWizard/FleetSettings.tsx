/**
 * The fleet settings of an application as YAML: `placement` (clusters chosen by labels),
 * `layers` (overrides by labels) and `rollout` (waves with health gates, soak, blackout
 * windows). The text is checked as the user types; a valid map is kept in the wizard's state
 * and saved with the application, and the server's messages on those fields show here.
 */
import { useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { stringify } from 'yaml';
import { CodeArea, Field } from '../../components/Field';
import { parseYamlMap, type WizardState } from './model';

/** The keys this editor owns. */
const KEYS = ['placement', 'layers', 'rollout'] as const;

/** The fleet settings of `state` as YAML (empty when it has none). */
export function fleetYaml(state: WizardState): string {
  const v: Record<string, unknown> = {};
  for (const k of KEYS) if (state.kept[k] !== undefined) v[k] = state.kept[k];
  return Object.keys(v).length ? stringify(v) : '';
}

/** Reads fleet settings YAML: the kept fields to set, or what is wrong with the text. */
export function readFleetYaml(text: string): { kept?: Pick<WizardState['kept'], (typeof KEYS)[number]>; error?: string } {
  const parsed = parseYamlMap(text);
  if (parsed.error) return { error: parsed.error };
  const v = parsed.value ?? {};
  const unknown = Object.keys(v).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length) return { error: `Only placement, layers and rollout go here (not ${unknown.join(', ')})` };
  return {
    kept: {
      placement: v.placement as WizardState['kept']['placement'],
      layers: v.layers as WizardState['kept']['layers'],
      rollout: v.rollout as WizardState['kept']['rollout'],
    },
  };
}

const PLACEHOLDER = `placement:
  clusterSelector: {matchLabels: {env: production}}
  namespace: web
rollout:
  waves:
    - {name: staging, clusterSelector: {matchLabels: {env: staging}}}
    - {name: production, clusterSelector: {matchLabels: {env: production}}}
  soak: 10m
`;

/** The fleet settings editor of the targets step. */
export function FleetSettings({
  state,
  update,
  serverErrors,
}: {
  state: WizardState;
  update: (patch: Partial<WizardState>) => void;
  serverErrors: Record<string, string>;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => fleetYaml(state));
  const [error, setError] = useState<string | undefined>();
  const server = Object.entries(serverErrors).filter(([f]) => /^spec\.(placement|layers|rollout)\b/.test(f));
  const onChange = (e: ChangeEvent<HTMLTextAreaElement>) => {
    setText(e.target.value);
    const r = readFleetYaml(e.target.value);
    setError(r.error);
    if (r.kept) update({ kept: { ...state.kept, ...r.kept } });
  };
  // Folded away until used: most applications name their clusters.
  return (
    <details open={text.trim() !== '' || server.length > 0} data-testid="fleet-settings" style={{ marginBottom: 14 }}>
      <summary style={{ cursor: 'pointer', fontSize: 12, fontWeight: 600, color: '#36435c', marginBottom: 8 }}>
        {t('Fleet settings: clusters by labels, label layers, rollout waves')}
      </summary>
      <Field
      label={t('Fleet: placement, layers and rollout (YAML)')}
      name="spec.fleet"
      error={error ? t('Not valid YAML: {{error}}', { error }) : undefined}
      help={t('Clusters chosen by labels, overrides by labels, and waves with health gates; see the documentation of applications.')}
    >
      <CodeArea
        id="spec.fleet"
        name="spec.fleet"
        rows={Math.min(20, Math.max(6, text.split('\n').length + 1))}
        value={text}
        placeholder={PLACEHOLDER}
        onChange={onChange}
        spellCheck={false}
      />
      {server.map(([f, m]) => (
        <div key={f} className="field-error" data-testid="fleet-server-error">
          {f}: {m}
        </div>
      ))}
      </Field>
    </details>
  );
}
