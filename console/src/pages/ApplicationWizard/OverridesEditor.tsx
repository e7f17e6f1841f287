/**
 * Per-cluster overrides: for the chosen target, the base configuration, the label layers that
 * apply to its cluster (one column each, in order), this cluster's overrides and the result for
 * that cluster side by side. The result is computed here with the documented merge rules
 * (`merge.ts`), as the user types. Clusters the placement chooses by labels have tabs too: they
 * have no overrides of their own (a layer selecting `fluxcd.kubesphere.io/cluster` gives them
 * some), so their middle column says so.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { stringify } from 'yaml';
import { FormField, type FormBinding } from '../../components/Field';
import { Code } from '../../components/Page';
import { layersFor, renderTarget, selectorMatches, withLayers, type Selector } from './merge';
import {
  hasOverrides,
  overrideErrors,
  fieldValue,
  parseYamlMap,
  stateToSpec,
  targetValuesProblems,
  withField,
  type TargetState,
  type WizardState,
} from './model';
import { ImageRows, PatchRows, SubstituteRows } from './Rows';
import { Marker } from './Marker';
import { ValuesField } from './CodeEditor';
import type { ChartDefaults } from './values';

const Tabs = styled.div`
  display: flex;
  gap: 4px;
  flex-wrap: wrap;
  margin-bottom: 10px;
  button {
    border: 1px solid #ccd3db;
    background: #fff;
    border-radius: 4px;
    padding: 4px 10px;
    font-size: 12px;
    cursor: pointer;
    color: #36435c;
  }
  button[aria-pressed='true'] {
    border-color: #55bc8a;
    background: #eef9f3;
    font-weight: 600;
  }
`;

const Columns = styled.div<{ $n: number }>`
  display: grid;
  grid-template-columns: repeat(${(p) => p.$n}, minmax(0, 1fr));
  overflow-x: auto;
  gap: 12px;
  align-items: start;
  h4 {
    margin: 0 0 6px;
    font-size: 12px;
    color: #36435c;
  }
  .note {
    font-size: 12px;
    color: #5f708a;
    margin-bottom: 6px;
  }
  .warn {
    font-size: 12px;
    color: #ca2621;
    margin-bottom: 6px;
  }
`;

/** The base configuration a target starts from, as YAML. */
function baseYaml(state: WizardState): string {
  const spec = stateToSpec(state);
  const base: Record<string, unknown> = {};
  if (spec.helm) {
    if (spec.helm.version) base.version = spec.helm.version;
    if (spec.helm.values) base.values = spec.helm.values;
  } else if (spec.kustomize) {
    const k = spec.kustomize;
    base.path = k.path ?? './';
    if (k.substitute) base.substitute = k.substitute;
    if (k.images) base.images = k.images;
    if (k.patches) base.patches = k.patches;
  }
  return Object.keys(base).length ? stringify(base) : '';
}

/** A label selector in one line: `env=production, region in (eu, us)`. */
export function selectorText(sel: Selector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(', ')})`);
  }
  return parts.join(', ');
}

/** The overrides editor of the targets step. */
export function OverridesEditor({
  state,
  onChange,
  serverErrors = {},
  labels = {},
  chart,
}: {
  state: WizardState;
  /** Called with a target's index and its new state. */
  onChange: (i: number, target: TargetState) => void;
  /** The server's messages by field path. */
  serverErrors?: Record<string, string>;
  /** Every registered cluster's labels (layers and the placement select by them). */
  labels?: Record<string, Record<string, string>>;
  /** The chart's default values and schema, when known (target values are checked against it). */
  chart?: ChartDefaults;
}) {
  const { t } = useTranslation();
  // Start on the first target the server found fault with, if any.
  const [active, setActive] = useState(() => {
    const i = state.targets.findIndex((_, j) =>
      Object.keys(serverErrors).some((f) => f.startsWith(`spec.targets[${j}].overrides`)),
    );
    return Math.max(i, 0);
  });
  const spec = stateToSpec(state);
  // Clusters the placement chooses, beyond the explicit targets.
  const placed = spec.placement
    ? Object.keys(labels).filter(
        (c) =>
          !state.targets.some((x) => x.cluster === c) &&
          !(spec.placement?.exclude ?? []).includes(c) &&
          selectorMatches(spec.placement?.clusterSelector, labels[c] ?? {}),
      )
    : [];
  const tabs = [...state.targets.map((x) => x.cluster), ...placed];
  if (tabs.length === 0) return null;
  const i = Math.min(active, tabs.length - 1);
  const cluster = tabs[i];
  const explicit = i < state.targets.length;
  const clusterLabels = { ...(labels[cluster] ?? {}), 'fluxcd.kubesphere.io/cluster': cluster };
  const layers = layersFor(spec, clusterLabels);
  const p = `spec.targets[${i}].overrides`;
  const errors = explicit ? { ...overrideErrors(state, i, chart), ...serverErrors } : {};
  const target = explicit ? state.targets[i] : undefined;
  const set = (patch: Partial<TargetState>) => target && onChange(i, { ...target, ...patch });
  // This target's fields, by path; its messages are the checks' and the server's.
  const form: FormBinding = {
    value: (path) => fieldValue(state, path),
    set: (path, value) => onChange(i, withField(state, path, value).targets[i]),
    error: (path) => errors[path],
  };
  const helm = state.type === 'helm';
  const baseInvalid = helm && !!parseYamlMap(state.values).error;
  const invalid = explicit && Object.keys(overrideErrors(state, i)).length > 0;
  const problems = explicit ? targetValuesProblems(state, i, chart) : [];
  const own = explicit ? spec.targets[i] : { cluster, namespace: spec.placement?.namespace ?? '' };
  const rendered = own ? stringify(renderTarget(spec, withLayers(spec, own, clusterLabels))) : '';
  const base = baseYaml(state);

  return (
    <div data-testid="overrides-editor">
      <Tabs role="group" aria-label={t('Clusters')}>
        {tabs.map((c, j) => (
          <button
            key={c}
            type="button"
            data-testid={`override-tab-${c}`}
            aria-pressed={j === i}
            onClick={() => setActive(j)}
          >
            {c}
            {j < state.targets.length && hasOverrides(state, j) && <Marker>{t('overrides')}</Marker>}
            {j >= state.targets.length && <Marker>{t('by labels')}</Marker>}
          </button>
        ))}
      </Tabs>
      <Columns $n={3 + layers.length}>
        <div>
          <h4>{t('Base')}</h4>
          {baseInvalid && <div className="warn">{t('The base values are not valid YAML')}</div>}
          <Code data-testid="override-base">{base || t('(nothing)')}</Code>
        </div>
        {layers.map(({ name, layer }) => (
          <div key={name} data-testid={`override-layer-${name}`}>
            <h4>{t('Layer {{name}}', { name })}</h4>
            <div className="note">{selectorText(layer.clusterSelector)}</div>
            <Code>{stringify(layer.overrides)}</Code>
          </div>
        ))}
        <div>
          <h4>{t('Overrides for {{cluster}}', { cluster })}</h4>
          {!target ? (
            <div className="note" data-testid="override-placed">
              {t(
                'Chosen by the placement, so it has no overrides of its own: give it some with a layer selecting fluxcd.kubesphere.io/cluster={{cluster}}.',
                { cluster },
              )}
            </div>
          ) : helm ? (
            <>
              <ValuesField
                form={form}
                path={`${p}.values`}
                label={t('Values')}
                help={t('Merged over the base: maps merge, lists replace, null deletes a key.')}
                placeholder="replicaCount: 3"
                problems={problems}
              />
              {state.sourceKind === 'HelmRepository' && (
                <FormField
                  form={form}
                  path={`${p}.version`}
                  label={t('Version')}
                  help={t('Replaces the base version range when set.')}
                  placeholder={state.version || '*'}
                />
              )}
            </>
          ) : (
            <>
              <FormField
                form={form}
                path={`${p}.path`}
                label={t('Path')}
                help={t('Replaces the base path when set.')}
                placeholder={state.path || './'}
              />
              <SubstituteRows form={form} prefix={p} rows={target.substitute} onChange={(substitute) => set({ substitute })} />
              <ImageRows form={form} prefix={p} rows={target.images} onChange={(images) => set({ images })} />
              <PatchRows form={form} prefix={p} rows={target.patches} onChange={(patches) => set({ patches })} />
            </>
          )}
        </div>
        <div>
          <h4>{t('Result in {{cluster}}', { cluster })}</h4>
          {invalid ? (
            <div className="warn" data-testid={`rendered-${cluster}`}>
              {t('Fix the overrides to see the result.')}
            </div>
          ) : (
            <Code data-testid={`rendered-${cluster}`}>{rendered}</Code>
          )}
        </div>
      </Columns>
    </div>
  );
}
