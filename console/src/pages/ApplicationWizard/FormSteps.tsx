/**
 * The form steps before the targets: basics and source, chart or path, base configuration.
 * Each step gets the wizard's state, its fields by path (`form`, for `FormField`), an `update`
 * that also names the fields it touches (so their server errors are cleared), and `errorOf`
 * for the message to show under a field.
 */
import { Input, Loading } from '@kubed/components';
import { useState, type ChangeEvent } from 'react';
import { ApiError, HOST, messageOf } from '../../api/client';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { useCharts, useKinds, useObjectList } from '../../api/hooks';
import { kindLabel as labelOf, pluralOf } from '../../api/kinds';
import type { SourceKind } from '../../api/types';
import { Field, FormField, NativeSelect, type FormBinding } from '../../components/Field';
import { StateTag } from '../../components/StateTag';
import { label } from '../../forms/validation';
import { appSourceKind, sourceChoices, type AppType, type WizardState } from './model';
import { ImageRows, PatchRows, SubstituteRows } from './Rows';
import type { ChartValuesState } from './chartValues';
import { CodeEditor, ValuesField } from './CodeEditor';
import { valuesProblems } from './values';

/** What every step receives. */
export interface StepProps {
  state: WizardState;
  /** The state's fields by path (values, setters that also clear their server errors, messages). */
  form: FormBinding;
  /** Applies `patch`; `fields` are the field paths it changes. */
  update: (patch: Partial<WizardState>, ...fields: string[]) => void;
  /** The message to show under a field, if any. */
  errorOf: (field: string) => string | undefined;
  /** Editing a stored application (name and namespace are fixed). */
  editing: boolean;
  /** The chosen chart's default values and schema (Helm repositories), as far as known. */
  chart?: ChartValuesState;
}

type OnInput = ChangeEvent<HTMLInputElement>;

const SourceList = styled.ul`
  list-style: none;
  margin: -6px 0 14px;
  padding: 0;
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  max-height: 220px;
  overflow: auto;
  li {
    display: flex;
    gap: 12px;
    align-items: center;
    padding: 6px 10px;
    font-size: 12px;
    cursor: pointer;
    border-bottom: 1px solid #eff4f9;
  }
  li:last-child {
    border-bottom: none;
  }
  li[data-selected='true'] {
    background: #eef9f3;
    font-weight: 600;
  }
  .name {
    min-width: 160px;
  }
  .msg {
    color: #5f708a;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;

const Check = styled.label`
  display: inline-flex;
  gap: 6px;
  align-items: center;
  font-size: 12px;
  cursor: pointer;
`;

const DependsList = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: 6px 16px;
  padding: 6px 10px;
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  font-size: 12px;
  max-height: 120px;
  overflow: auto;
  .none {
    color: #79879c;
  }
`;

/** The applications (of the same namespace) this one waits for, as check boxes. */
function DependsOn({ state, update, errorOf }: StepProps) {
  const { t } = useTranslation();
  const nsValid = !label(63)(state.namespace);
  const apps = useObjectList('applications', HOST, nsValid ? state.namespace : '', { limit: 1000 }, { enabled: nsValid });
  const names = (apps.data?.items ?? []).map((o) => String(o.metadata.name ?? '')).filter((n) => n && n !== state.name);
  // Names of a stored application that no longer exist stay listed, so they can be removed.
  const all = [...names, ...state.kept.dependsOn.filter((n) => !names.includes(n))];
  const set = (name: string, on: boolean) => {
    const dependsOn = on ? [...state.kept.dependsOn, name] : state.kept.dependsOn.filter((n) => n !== name);
    update({ kept: { ...state.kept, dependsOn } }, 'spec.dependsOn');
  };
  return (
    <Field
      label={t('Depends on')}
      name="spec.dependsOn"
      error={errorOf('spec.dependsOn')}
      help={t('Applications of this namespace that must be ready in a cluster before this one is deployed there.')}
    >
      <DependsList role="group" aria-label={t('Depends on')} data-testid="depends-on">
        {all.map((n) => (
          <Check key={n}>
            <input
              type="checkbox"
              name={`spec.dependsOn.${n}`}
              checked={state.kept.dependsOn.includes(n)}
              onChange={(e) => set(n, e.target.checked)}
            />
            <span translate="no">{n}</span>
          </Check>
        ))}
        {all.length === 0 && (
          <span className="none">
            {apps.isLoading && nsValid ? t('Loading…') : t('No other applications in this namespace')}
          </span>
        )}
      </DependsList>
    </Field>
  );
}

/** Step 1: name, namespace, type, source and interval. */
export function BasicsStep(props: StepProps) {
  const { state, form, update, editing } = props;
  const { t } = useTranslation();
  const nsValid = !label(63)(state.namespace);
  const all = useKinds().data?.items ?? [];
  const plural = pluralOf(all, state.sourceKind) ?? '';
  const sources = useObjectList(
    plural,
    HOST,
    nsValid ? state.namespace : '',
    { limit: 1000 },
    { enabled: nsValid && plural !== '' },
  );
  const items = nsValid ? (sources.data?.items ?? []) : [];
  const names = items.map((o) => String(o.metadata.name ?? ''));
  const choices = sourceChoices(all, state.type);
  // The current kind stays offered while the kinds load (and if the API stops serving it).
  const kinds = choices.includes(state.sourceKind) ? choices : [state.sourceKind, ...choices];
  const kindLabel = (k: SourceKind) => labelOf(t, k, 'singular');
  const stateLabel: Record<string, string> = {
    ready: t('Ready'),
    progressing: t('Progressing'),
    failed: t('Failed'),
    suspended: t('Suspended'),
    unknown: t('Unknown'),
  };

  const setType = (value: string) => {
    const type: AppType = value === 'kustomize' ? 'kustomize' : 'helm';
    const allowed = sourceChoices(all, type);
    const sourceKind = allowed.includes(state.sourceKind) || allowed.length === 0 ? state.sourceKind : allowed[0];
    update(
      { type, sourceKind, sourceName: sourceKind === state.sourceKind ? state.sourceName : '' },
      'type',
      'spec.source.kind',
      'spec.source.name',
    );
  };
  const setNamespace = (namespace: string) => {
    // Targets that deploy to the application's namespace follow it.
    const targets = state.targets.map((x) => (x.namespace === state.namespace ? { ...x, namespace } : x));
    update({ namespace, targets, sourceName: '' }, 'metadata.namespace', 'spec.source.name');
  };

  return (
    <div>
      <FormField
        form={form}
        path="metadata.name"
        label={t('Name')}
        help={t('Each cluster gets a Flux object named <name>-<cluster>.')}
        disabled={editing}
      />
      <FormField form={form} path="metadata.namespace" label={t('Namespace')} disabled={editing} onChange={setNamespace} />
      <FormField form={form} path="type" label={t('Type')} control="select" onChange={setType}>
        <option value="helm">{t('Helm chart')}</option>
        <option value="kustomize">{t('Kustomize')}</option>
      </FormField>
      <FormField
        form={form}
        path="spec.source.kind"
        label={t('Source kind')}
        control="select"
        onChange={(kind) =>
          update(
            { sourceKind: appSourceKind(kind) ?? state.sourceKind, sourceName: '' },
            'spec.source.kind',
            'spec.source.name',
          )
        }
      >
        {kinds.map((k) => (
          <option key={k} value={k}>
            {kindLabel(k)}
          </option>
        ))}
      </FormField>
      <FormField
        form={form}
        path="spec.source.name"
        label={t('Source')}
        control="select"
        help={
          nsValid && !sources.isLoading && items.length === 0
            ? t('No {{kind}} in this namespace yet.', { kind: kindLabel(state.sourceKind) })
            : undefined
        }
      >
        <option value="">{sources.isFetching && !items.length ? t('Loading…') : t('Pick a source')}</option>
        {state.sourceName && !names.includes(state.sourceName) && (
          <option value={state.sourceName}>{state.sourceName}</option>
        )}
        {items.map((o) => {
          const n = String(o.metadata.name ?? '');
          return (
            <option key={n} value={n}>
              {n} ({stateLabel[o.summary.state] ?? o.summary.state})
            </option>
          );
        })}
      </FormField>
      {items.length > 0 && (
        <SourceList aria-label={t('Sources')}>
          {items.map((o) => {
            const n = String(o.metadata.name ?? '');
            return (
              <li
                key={n}
                data-selected={n === state.sourceName}
                data-testid={`source-${n}`}
                onClick={() => update({ sourceName: n }, 'spec.source.name')}
              >
                <span className="name">{n}</span>
                <StateTag state={o.summary.state} title={o.summary.message} />
                <span className="msg" title={o.summary.message}>
                  {o.summary.revision ?? o.summary.message ?? ''}
                </span>
              </li>
            );
          })}
        </SourceList>
      )}
      <FormField
        form={form}
        path="spec.interval"
        label={t('Interval')}
        help={t('How often Flux reconciles each cluster, e.g. 5m.')}
        placeholder="5m"
      />
      <DependsOn {...props} />
    </div>
  );
}

const CUSTOM = '__range';

/** The chart and version picker of a HelmRepository (free text when the index cannot be read). */
function ChartPicker({ state, form, update, errorOf }: StepProps) {
  const { t } = useTranslation();
  const charts = useCharts(HOST, state.namespace, state.sourceName);
  const [custom, setCustom] = useState(false);
  if (charts.isLoading) {
    return (
      <div style={{ display: 'flex', gap: 8, alignItems: 'center', marginBottom: 14 }}>
        <Loading size="sm" /> {t('Reading the chart index…')}
      </div>
    );
  }
  const list = charts.data ?? [];
  const chart = list.find((c) => c.name === state.chart);
  const versions = chart?.versions ?? [];
  const inList =
    state.version === '' || state.version === '*' || versions.some((v) => v.version === state.version);
  const showRange = custom || !inList || !chart;

  return (
    <>
      {charts.isError && (
        <div className="field-help" role="status" style={{ fontSize: 12, color: '#5f708a', marginBottom: 8 }}>
          {t('The chart index could not be read; type the chart name.')}
        </div>
      )}
      <FormField
        form={form}
        path="spec.helm.chart"
        label={t('Chart')}
        help={chart?.description}
        control={list.length ? 'select' : 'text'}
        placeholder="podinfo"
        onChange={
          list.length
            ? (value) => {
                setCustom(false);
                update({ chart: value, version: '*' }, 'spec.helm.chart', 'spec.helm.version');
              }
            : undefined
        }
      >
        {list.length > 0 && (
          <>
            <option value="">{t('Pick a chart')}</option>
            {state.chart && !chart && <option value={state.chart}>{state.chart}</option>}
            {list.map((c) => (
              <option key={c.name} value={c.name}>
                {c.description ? `${c.name} — ${c.description.slice(0, 80)}` : c.name}
              </option>
            ))}
          </>
        )}
      </FormField>
      <Field
        label={t('Version')}
        name="spec.helm.version"
        error={errorOf('spec.helm.version')}
        help={t('A version, or a semver range such as 6.x or >=1.0.0 <2.0.0; * takes the newest.')}
      >
        {chart && (
          <NativeSelect
            id="spec.helm.version"
            name="spec.helm.version"
            value={showRange ? CUSTOM : state.version || '*'}
            onChange={(e) => {
              const v = e.target.value;
              setCustom(v === CUSTOM);
              update({ version: v === CUSTOM ? '' : v }, 'spec.helm.version');
            }}
            style={showRange ? { marginBottom: 6 } : undefined}
          >
            <option value="*">{t('* (any, newest)')}</option>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.appVersion
                  ? `${v.version} (${t('app {{version}}', { version: v.appVersion })})`
                  : v.version}
              </option>
            ))}
            <option value={CUSTOM}>{t('Semver range…')}</option>
          </NativeSelect>
        )}
        {showRange && (
          <Input
            id={chart ? 'spec.helm.version.range' : 'spec.helm.version'}
            name={chart ? 'spec.helm.version.range' : 'spec.helm.version'}
            aria-label={t('Version range')}
            value={state.version}
            placeholder="6.x"
            onChange={(e: OnInput) => update({ version: e.target.value }, 'spec.helm.version')}
          />
        )}
      </Field>
    </>
  );
}

/** Step 2: the chart (Helm) or the path (Kustomize). */
export function ChartStep(props: StepProps) {
  const { t } = useTranslation();
  const { state, form } = props;
  if (state.type === 'helm') {
    if (state.sourceKind === 'HelmRepository') return <ChartPicker {...props} />;
    return (
      <FormField
        form={form}
        path="spec.helm.chart"
        label={t('Chart path')}
        help={t('The chart directory in the source, e.g. ./charts/app.')}
        placeholder="./charts/app"
      />
    );
  }
  return (
    <>
      <FormField
        form={form}
        path="spec.kustomize.path"
        label={t('Path')}
        help={t('The directory in the source to apply, e.g. ./deploy.')}
        placeholder="./deploy"
      />
      <FormField
        form={form}
        path="spec.kustomize.prune"
        label={t('Prune')}
        help={t('Delete objects that are removed from the source.')}
        control="check"
        check={t('Prune removed objects')}
      />
    </>
  );
}

/** Whether Helm waits for the release's workloads (Flux's default), from `install.disableWait`. */
function waits(state: WizardState): boolean {
  const install = state.kept.helm.install as { disableWait?: boolean } | undefined;
  return !install?.disableWait;
}

/** The kept Helm settings with `install`/`upgrade` `disableWait` set for `wait`. */
function withWait(state: WizardState, wait: boolean) {
  const helm = { ...state.kept.helm };
  for (const key of ['install', 'upgrade'] as const) {
    const current = { ...((helm[key] as Record<string, unknown> | undefined) ?? {}) };
    if (wait) delete current.disableWait;
    else current.disableWait = true;
    if (Object.keys(current).length > 0) helm[key] = current;
    else delete helm[key];
  }
  return { ...state.kept, helm };
}

const Split = styled.div`
  display: grid;
  grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
  gap: 16px;
  align-items: start;
  margin-bottom: 14px;
  .defaults-head {
    display: flex;
    gap: 8px;
    align-items: baseline;
    font-weight: 600;
    font-size: 12px;
    color: #36435c;
    margin-bottom: 4px;
  }
  .note {
    font-size: 12px;
    color: #5f708a;
    margin-top: 3px;
  }
`;

const Row = styled.div`
  display: grid;
  grid-template-columns: repeat(3, minmax(0, 1fr));
  gap: 12px;
`;

/** The chart's default values, read-only, or why they are not shown. */
function ChartDefaultsPanel({ state, chart }: { state: WizardState; chart?: ChartValuesState }) {
  const { t } = useTranslation();
  const q = chart?.query;
  const data = chart?.data;
  let body;
  if (!chart?.enabled) {
    body = <div className="note">{t('Pick a chart of a Helm repository to see its default values.')}</div>;
  } else if (q?.isLoading) {
    body = (
      <div className="note" style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
        <Loading size="sm" /> {t("Reading the chart's default values…")}
      </div>
    );
  } else if (q?.error) {
    body = (
      <div className="note" role="status" data-testid="chart-defaults-missing">
        {q.error instanceof ApiError && q.error.status === 404
          ? t(
              'Its default values are shown once a HelmChart or an application has pulled this version: ksflux reads charts only from Flux\'s storage.',
            )
          : messageOf(q.error)}
      </div>
    );
  } else if (data) {
    body = (
      <>
        <CodeEditor value={data.values} readOnly ariaLabel={t('Default values of the chart')} testId="chart-defaults" maxRows={30} />
        <div className="note">
          {data.schema
            ? t('The chart has a values schema; the values are checked against it as you type.')
            : data.schemaError
              ? t('The chart\'s values schema cannot be used: {{error}}', { error: data.schemaError })
              : t('The chart has no values schema.')}
        </div>
      </>
    );
  }
  return (
    <div data-testid="chart-defaults-panel">
      <div className="defaults-head">
        {t('Chart defaults')}
        {data && (
          <span translate="no" data-testid="chart-defaults-version" style={{ fontWeight: 400, color: '#5f708a' }}>
            {data.chart} {data.version}
          </span>
        )}
      </div>
      {body}
      {state.kept.helm.valuesFrom !== undefined && (
        <div className="note">{t('Values from ConfigMaps or Secrets (valuesFrom) are merged too; they are not checked here.')}</div>
      )}
    </div>
  );
}

/** Step 3: base values (Helm) or substitutions, images and patches (Kustomize). */
export function ConfigStep({ state, form, update, errorOf, chart }: StepProps) {
  const { t } = useTranslation();
  if (state.type === 'helm') {
    const repository = state.sourceKind === 'HelmRepository';
    const values = (
      <ValuesField
        form={form}
        path="spec.helm.values"
        label={t('Values')}
        help={
          repository
            ? t("YAML; every cluster starts from these values, merged over the chart's defaults.")
            : t('YAML; every cluster starts from these values.')
        }
        placeholder="replicaCount: 2"
        problems={valuesProblems(state.values, chart?.defaults)}
      />
    );
    return (
      <>
        <FormField
          form={form}
          path="spec.helm.releaseName"
          label={t('Release name')}
          help={t('Optional; defaults to the application name.')}
          placeholder={state.name}
        />
        {repository ? (
          <Split>
            <ChartDefaultsPanel state={state} chart={chart} />
            {values}
          </Split>
        ) : (
          values
        )}
        <Row>
          <FormField
            form={form}
            path="spec.helm.timeout"
            label={t('Timeout')}
            help={t('For each Helm action, e.g. 10m; Flux waits 5m by default.')}
            placeholder="5m"
          />
          <FormField
            form={form}
            path="spec.helm.install.remediation.retries"
            label={t('Install retries')}
            help={t('Attempts after a failed install; -1 retries forever.')}
            placeholder="0"
          />
          <FormField
            form={form}
            path="spec.helm.upgrade.remediation.retries"
            label={t('Upgrade retries')}
            help={t('Attempts after a failed upgrade; -1 retries forever.')}
            placeholder="0"
          />
        </Row>
        <Field
          label={t('Wait')}
          name="spec.helm.install.disableWait"
          help={t("Helm waits for the release's workloads to become ready before it reports success.")}
        >
          <Check>
            <input
              type="checkbox"
              id="spec.helm.install.disableWait"
              name="spec.helm.wait"
              checked={waits(state)}
              onChange={(e) => update({ kept: withWait(state, e.target.checked) })}
            />
            {t('Wait for workloads to become ready')}
          </Check>
        </Field>
      </>
    );
  }
  const fieldError = errorOf('spec.kustomize');
  return (
    <>
      {fieldError && (
        <Field label="" name="spec.kustomize" error={fieldError}>
          {null}
        </Field>
      )}
      <SubstituteRows
        form={form}
        prefix="spec.kustomize"
        rows={state.substitute}
        onChange={(substitute) => update({ substitute }, 'spec.kustomize.substitute')}
      />
      <ImageRows
        form={form}
        prefix="spec.kustomize"
        rows={state.images}
        onChange={(images) => update({ images }, 'spec.kustomize.images')}
      />
      <PatchRows
        form={form}
        prefix="spec.kustomize"
        rows={state.patches}
        onChange={(patches) => update({ patches }, 'spec.kustomize.patches')}
      />
    </>
  );
}
