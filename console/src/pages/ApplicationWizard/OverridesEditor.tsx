/**
 * Per-cluster overrides: for the chosen target, the base configuration, this cluster's
 * overrides and the result for that cluster side by side. The result is computed here with
 * the documented merge rules (`merge.ts`), as the user types.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { stringify } from 'yaml';
import { FormField, type FormBinding } from '../../components/Field';
import { Code } from '../../components/Page';
import { renderTarget } from './merge';
import {
  hasOverrides,
  overrideErrors,
  fieldValue,
  parseYamlMap,
  stateToSpec,
  withField,
  type TargetState,
  type WizardState,
} from './model';
import { ImageRows, PatchRows, SubstituteRows } from './Rows';
import { Marker } from './Marker';

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

const Columns = styled.div`
  display: grid;
  grid-template-columns: 1fr 1fr 1fr;
  gap: 12px;
  align-items: start;
  h4 {
    margin: 0 0 6px;
    font-size: 12px;
    color: #36435c;
  }
  .note {
    font-size: 12px;
    color: #79879c;
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

/** The overrides editor of the targets step. */
export function OverridesEditor({
  state,
  onChange,
  serverErrors = {},
}: {
  state: WizardState;
  /** Called with a target's index and its new state. */
  onChange: (i: number, target: TargetState) => void;
  /** The server's messages by field path. */
  serverErrors?: Record<string, string>;
}) {
  const { t } = useTranslation();
  // Start on the first target the server found fault with, if any.
  const [active, setActive] = useState(() => {
    const i = state.targets.findIndex((_, j) =>
      Object.keys(serverErrors).some((f) => f.startsWith(`spec.targets[${j}].overrides`)),
    );
    return Math.max(i, 0);
  });
  if (state.targets.length === 0) return null;
  const i = Math.min(active, state.targets.length - 1);
  const target = state.targets[i];
  const p = `spec.targets[${i}].overrides`;
  const errors = { ...overrideErrors(state, i), ...serverErrors };
  const set = (patch: Partial<TargetState>) => onChange(i, { ...target, ...patch });
  // This target's fields, by path; its messages are the checks' and the server's.
  const form: FormBinding = {
    value: (path) => fieldValue(state, path),
    set: (path, value) => onChange(i, withField(state, path, value).targets[i]),
    error: (path) => errors[path],
  };
  const helm = state.type === 'helm';
  const baseInvalid = helm && !!parseYamlMap(state.values).error;
  const invalid = Object.keys(overrideErrors(state, i)).length > 0;
  const spec = stateToSpec(state);
  const rendered = spec.targets[i] ? stringify(renderTarget(spec, spec.targets[i])) : '';
  const base = baseYaml(state);

  return (
    <div data-testid="overrides-editor">
      <Tabs role="group" aria-label={t('Clusters')}>
        {state.targets.map((x, j) => (
          <button
            key={x.cluster}
            type="button"
            data-testid={`override-tab-${x.cluster}`}
            aria-pressed={j === i}
            onClick={() => setActive(j)}
          >
            {x.cluster}
            {hasOverrides(state, j) && <Marker>{t('overrides')}</Marker>}
          </button>
        ))}
      </Tabs>
      <Columns>
        <div>
          <h4>{t('Base')}</h4>
          {baseInvalid && <div className="warn">{t('The base values are not valid YAML')}</div>}
          <Code data-testid="override-base">{base || t('(nothing)')}</Code>
        </div>
        <div>
          <h4>{t('Overrides for {{cluster}}', { cluster: target.cluster })}</h4>
          {helm ? (
            <>
              <FormField
                form={form}
                path={`${p}.values`}
                label={t('Values')}
                help={t('Merged over the base: maps merge, lists replace, null deletes a key.')}
                control="code"
                placeholder="replicaCount: 3"
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
          <h4>{t('Result in {{cluster}}', { cluster: target.cluster })}</h4>
          {invalid ? (
            <div className="warn" data-testid={`rendered-${target.cluster}`}>
              {t('Fix the overrides to see the result.')}
            </div>
          ) : (
            <Code data-testid={`rendered-${target.cluster}`}>{rendered}</Code>
          )}
        </div>
      </Columns>
    </div>
  );
}
