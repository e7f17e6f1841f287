/**
 * Step 4: the clusters to deploy to, each with its namespace and suspend switch, then the
 * per-cluster overrides editor.
 */
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { useClusters } from '../../api/hooks';
import { Field, FormField, type FormBinding } from '../../components/Field';
import { ErrorNote } from '../../components/Page';
import { emptyTarget, hasOverrides, type TargetState } from './model';
import { OverridesEditor } from './OverridesEditor';
import type { StepProps } from './FormSteps';
import { Marker } from './Marker';
import { FleetSettings } from './FleetSettings';
import { HOST } from '../../api/client';

const List = styled.div`
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  margin-bottom: 16px;
  .cluster {
    display: grid;
    grid-template-columns: 220px 1fr;
    gap: 12px;
    padding: 10px 12px;
    border-bottom: 1px solid #eff4f9;
    align-items: start;
  }
  .cluster:last-child {
    border-bottom: none;
  }
  .cluster[data-reachable='false'] .cluster-name {
    color: #5f708a;
  }
  .cluster-name {
    display: inline-flex;
    gap: 6px;
    align-items: center;
    font-weight: 600;
    font-size: 13px;
    cursor: pointer;
  }
  .reason {
    font-size: 12px;
    color: #ca2621;
    margin-top: 2px;
  }
  .settings {
    display: flex;
    gap: 16px;
    align-items: flex-start;
  }
  .settings > div:first-child {
    flex: 1;
  }
  .inline {
    margin-top: 22px;
  }
`;

/** Clusters to deploy to, and the overrides of each. */
export function TargetsStep({
  state,
  form,
  update,
  errorOf,
  serverErrors,
  chart,
}: StepProps & { serverErrors: Record<string, string> }) {
  const { t } = useTranslation();
  const clusters = useClusters();
  const known = clusters.data?.items ?? [];
  // Targets of a stored application whose cluster is no longer registered stay listed.
  const gone = state.targets.map((x) => x.cluster).filter((c) => !known.some((k) => k.name === c));
  const names = [...known.map((c) => c.name), ...gone];
  const indexOf = (cluster: string) => state.targets.findIndex((x) => x.cluster === cluster);

  const toggle = (cluster: string, on: boolean) => {
    const targets = on
      ? [...state.targets, emptyTarget(cluster, state.namespace)]
      : state.targets.filter((x) => x.cluster !== cluster);
    update({ targets }, 'spec.targets');
  };
  const setTarget = (i: number, target: TargetState) => {
    update({ targets: state.targets.map((x, j) => (j === i ? target : x)) }, `spec.targets[${i}]`);
  };
  // A target's namespace field also shows what the server says about its cluster.
  const targetForm: FormBinding = {
    ...form,
    error: (path) => form.error(path) ?? (path.endsWith('.namespace') ? form.error(path.replace(/namespace$/, 'cluster')) : undefined),
  };

  return (
    <div>
      <ErrorNote error={clusters.error} />
      <Field label={t('Clusters')} name="spec.targets" error={errorOf('spec.targets')}>
        <List>
          {names.map((name) => {
            const c = known.find((k) => k.name === name);
            const i = indexOf(name);
            const reachable = c ? c.health.reachable : false;
            const reason = !c
              ? t('This cluster is not registered.')
              : !c.health.reachable
                ? c.health.message || t('Unreachable')
                : // Members are deployed to by the host's Flux; only the host needs its own.
                  c.origin === HOST && !c.health.fluxInstalled
                  ? t('Flux is not installed')
                  : '';
            return (
              <div
                className="cluster"
                key={name}
                data-testid={`target-${name}`}
                data-reachable={String(reachable)}
              >
                <div>
                  <label className="cluster-name">
                    <input
                      type="checkbox"
                      id={`target-cluster-${name}`}
                      name={`target-cluster-${name}`}
                      checked={i >= 0}
                      onChange={(e) => toggle(name, e.target.checked)}
                    />
                    {name}
                    {i >= 0 && hasOverrides(state, i) && <Marker>{t('overrides')}</Marker>}
                  </label>
                  {reason && <div className="reason">{reason}</div>}
                </div>
                {i >= 0 ? (
                  <div className="settings">
                    <FormField
                      form={targetForm}
                      path={`spec.targets[${i}].namespace`}
                      label={t('Namespace in {{cluster}}', { cluster: name })}
                    />
                    <div className="inline">
                      <FormField form={form} path={`spec.targets[${i}].suspend`} control="check" check={t('Suspend')} />
                    </div>
                  </div>
                ) : (
                  <div />
                )}
              </div>
            );
          })}
          {names.length === 0 && (
            <div className="cluster">
              <span>{clusters.isLoading ? t('Loading…') : t('No clusters')}</span>
            </div>
          )}
        </List>
      </Field>
      <FleetSettings state={state} update={(patch) => update(patch, 'spec.fleet')} serverErrors={serverErrors} />
      {(state.targets.length > 0 || state.kept.placement) && (
        <>
          <h3 style={{ fontSize: 14, margin: '8px 0 10px' }}>{t('Per-cluster overrides')}</h3>
          <OverridesEditor
            state={state}
            onChange={setTarget}
            serverErrors={serverErrors}
            labels={Object.fromEntries(known.map((c) => [c.name, c.labels ?? {}]))}
            chart={chart?.defaults}
          />
        </>
      )}
    </div>
  );
}
