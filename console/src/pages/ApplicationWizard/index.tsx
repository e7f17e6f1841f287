/**
 * Create or edit an application, step by step: basics and source, chart or path, base
 * configuration, targets with their per-cluster overrides, the server's preview (and, when
 * editing, the diff), then create or save. Each step checks its fields before moving on; the
 * server's field errors send the user back to the step that owns the field.
 */
import { Banner, Button, Loading, notify } from '@kubed/components';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError } from '../../api/client';
import {
  applicationRequest,
  useDiff,
  useApplication,
  usePreview,
  useSaveApplication,
} from '../../api/hooks';
import type { ApplicationView, Rendered, TargetDiff } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { ErrorNote, Page } from '../../components/Page';
import { BasicsStep, ChartStep, ConfigStep, type StepProps } from './FormSteps';
import type { FormBinding } from '../../components/Field';
import {
  emptyState,
  fieldValue,
  specToState,
  stateToSpec,
  STEP,
  stepOf,
  validateStep,
  withField,
  type WizardState,
} from './model';
import { PreviewStep } from './PreviewStep';
import { TargetsStep } from './TargetsStep';
import { Summary } from './Summary';
import { useTo } from '../../app/base';
import { useChartValues } from './chartValues';

const Indicator = styled.ol`
  display: flex;
  gap: 8px;
  list-style: none;
  padding: 0;
  margin: 0 0 16px;
  li {
    flex: 1;
  }
  button {
    width: 100%;
    display: flex;
    gap: 8px;
    align-items: center;
    border: none;
    border-top: 3px solid #e3e9ef;
    background: none;
    padding: 8px 0 0;
    font-size: 12px;
    color: #5f708a;
    text-align: left;
  }
  button:enabled {
    cursor: pointer;
  }
  .num {
    display: inline-flex;
    justify-content: center;
    align-items: center;
    width: 20px;
    height: 20px;
    border-radius: 50%;
    background: #eff4f9;
    font-weight: 600;
  }
  li[data-state='done'] button {
    border-top-color: #55bc8a;
    color: #36435c;
  }
  li[data-state='done'] .num {
    background: #55bc8a;
    color: #fff;
  }
  li[data-state='active'] button {
    border-top-color: #55bc8a;
    color: #242e42;
    font-weight: 600;
  }
  li[data-state='active'] .num {
    background: #242e42;
    color: #fff;
  }
`;

const Body = styled.div`
  background: #fff;
  border-radius: 4px;
  padding: 20px;
  min-height: 240px;
`;

const Footer = styled.div`
  display: flex;
  gap: 8px;
  justify-content: flex-end;
  margin-top: 16px;
`;

/** The field paths of `errors` that belong to `step`. */
function fieldsOf(errors: Record<string, string>, step: number): string[] {
  return Object.keys(errors).filter((f) => stepOf(f) === step);
}

/** Whether `field` is `path` or below it (`path.x`, `path[0]`). */
function within(field: string, path: string): boolean {
  return field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);
}

function Wizard({
  initial,
  resourceVersion,
  onReload,
}: {
  initial: WizardState;
  /** Set when editing a stored application. */
  resourceVersion?: string;
  onReload: () => void;
}) {
  const to = useTo();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const editing = resourceVersion !== undefined;
  const [state, setState] = useState(initial);
  const [step, setStep] = useState<number>(STEP.basics);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [attempted, setAttempted] = useState<Set<number>>(new Set());
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [rendered, setRendered] = useState<Rendered[]>();
  const [diff, setDiff] = useState<TargetDiff[]>();
  const preview = usePreview();
  const diffing = useDiff();
  const save = useSaveApplication();
  const chart = useChartValues(state);

  const clientErrors = validateStep(state, step, chart.defaults);
  const errorOf = (field: string): string | undefined => {
    if (serverErrors[field]) return serverErrors[field];
    const e = clientErrors[field];
    if (!e) return undefined;
    // YAML is checked as it is typed; the other fields once touched or after "Next".
    const live = /values$|\.target$/.test(field);
    return live || attempted.has(step) || [...touched].some((p) => within(field, p)) ? e : undefined;
  };

  const update = (patch: Partial<WizardState>, ...fields: string[]) => {
    setState((s) => ({ ...s, ...patch }));
    setTouched((s) => new Set([...s, ...fields]));
    const hit = (f: string) => fields.some((p) => within(f, p) || within(p, f));
    if (Object.keys(serverErrors).some(hit)) {
      setServerErrors((e) => Object.fromEntries(Object.entries(e).filter(([f]) => !hit(f))));
    }
  };

  /** Shows a failed request: field errors go back to their step, a conflict asks for a reload. */
  const fail = (e: unknown) => {
    if (e instanceof ApiError && e.status === 409) {
      if (editing) {
        setConflict(true);
      } else {
        setServerErrors({ 'metadata.name': e.message });
        setStep(STEP.basics);
      }
      return;
    }
    if (e instanceof ApiError && e.causes.some((c) => c.field)) {
      const fields = e.fieldErrors();
      const steps = Object.keys(fields).map(stepOf);
      const first = Math.min(...steps);
      setServerErrors(fields);
      if (first < STEP.preview) {
        setStep(first);
        return;
      }
    }
    setFailure(e);
  };

  const runPreview = (spec = stateToSpec(state)) => {
    setRendered(undefined);
    setDiff(undefined);
    const args = { namespace: state.namespace, name: state.name, spec };
    preview.mutate(args, { onSuccess: setRendered, onError: fail });
    if (editing) diffing.mutate(args, { onSuccess: setDiff, onError: fail });
  };

  const next = () => {
    const errors = validateStep(state, step, chart.defaults);
    if (Object.keys(errors).length) {
      setAttempted((s) => new Set([...s, step]));
      return;
    }
    // Server messages of this step's fields are stale once its checks pass.
    const stale = fieldsOf(serverErrors, step);
    if (stale.length) {
      setServerErrors((e) => Object.fromEntries(Object.entries(e).filter(([f]) => !stale.includes(f))));
    }
    setFailure(null);
    const to = step + 1;
    if (to === STEP.preview) runPreview();
    setStep(to);
  };

  const back = () => {
    setFailure(null);
    setStep((s) => Math.max(0, s - 1));
  };

  const submit = () => {
    setFailure(null);
    setConflict(false);
    const spec = stateToSpec(state);
    save.mutate(
      {
        namespace: state.namespace,
        create: !editing,
        req: applicationRequest(state.name, spec, resourceVersion),
      },
      {
        onSuccess: () => {
          notify.success(
            editing
              ? t('Application {{name}} saved', { name: state.name })
              : t('Application {{name}} created', { name: state.name }),
          );
          navigate(to(`/applications/${encodeURIComponent(state.namespace)}/${encodeURIComponent(state.name)}`));
        },
        onError: fail,
      },
    );
  };

  const form: FormBinding = {
    value: (path) => fieldValue(state, path),
    set: (path, value) => update(withField(state, path, value), path),
    error: errorOf,
  };
  const props: StepProps = { state, form, update, errorOf, editing, chart };
  const titles = [
    t('Basics & source'),
    t('Chart or path'),
    t('Base configuration'),
    t('Targets'),
    t('Preview'),
    t('Apply'),
  ];
  const blocked = step === STEP.preview && (preview.isLoading || diffing.isLoading);

  return (
    <Page
      title={editing ? t('Edit application {{name}}', { name: state.name }) : t('Create application')}
      documentTitle={[
        editing ? t('Edit application {{name}}', { name: state.name }) : t('Create application'),
        t('Applications'),
      ]}
      description={t(
        'One Helm chart or Kustomize path deployed to many clusters, each with its own differences.',
      )}
    >
      <Indicator aria-label={t('Steps')}>
        {titles.map((title, i) => (
          <li
            key={i}
            data-state={i < step ? 'done' : i === step ? 'active' : 'todo'}
            data-testid={`step-${i}`}
          >
            <button
              type="button"
              disabled={i >= step}
              aria-current={i === step ? 'step' : undefined}
              onClick={() => setStep(i)}
            >
              <span className="num">{i + 1}</span>
              {title}
            </button>
          </li>
        ))}
      </Indicator>
      {conflict && (
        <Banner
          title={t('Someone else changed it; reload and try again')}
          description={
            <span>
              {t('Reloading replaces your edits with the stored application.')}{' '}
              <Button size="sm" onClick={onReload}>
                {t('Reload')}
              </Button>
            </span>
          }
          style={{ marginBottom: 12 }}
          role="alert"
        />
      )}
      <ErrorNote error={failure} />
      <Body data-testid="wizard-step" data-step={step}>
        {step === STEP.basics && <BasicsStep {...props} />}
        {step === STEP.chart && <ChartStep {...props} />}
        {step === STEP.config && <ConfigStep {...props} />}
        {step === STEP.targets && <TargetsStep {...props} serverErrors={serverErrors} />}
        {step === STEP.preview && (
          <PreviewStep
            loading={preview.isLoading || diffing.isLoading}
            rendered={rendered}
            diff={diff}
            editing={editing}
          />
        )}
        {step === STEP.apply && <Summary state={state} editing={editing} />}
      </Body>
      <Footer>
        <Button
          variant="text"
          onClick={() =>
            navigate(
              to(
                editing
                  ? `/applications/${encodeURIComponent(initial.namespace)}/${encodeURIComponent(initial.name)}`
                  : '/applications',
              ),
            )
          }
        >
          {t('Cancel')}
        </Button>
        {step > 0 && <Button onClick={back}>{t('Back')}</Button>}
        {step < STEP.apply && (
          <Button color="primary" onClick={next} disabled={blocked}>
            {t('Next')}
          </Button>
        )}
        {step === STEP.apply && (
          <Button color="primary" onClick={submit} loading={save.isLoading} disabled={save.isLoading}>
            {editing ? t('Save') : t('Create')}
          </Button>
        )}
      </Footer>
    </Page>
  );
}

/** The page: a new application, or the stored one at `/applications/:namespace/:name/edit`. */
export default function ApplicationWizard() {
  const { t } = useTranslation();
  const params = useParams();
  const { namespace } = useNamespace();
  const editNs = params.namespace ?? '';
  const editName = params.name ?? '';
  const editing = !!editNs && !!editName;
  const obj = useApplication(editNs, editName, editing);
  // The application as first loaded: later changes (live updates) must not reset the form.
  const [loaded, setLoaded] = useState<ApplicationView>();
  const app = loaded ?? obj.data;
  useEffect(() => {
    if (!loaded && obj.data) setLoaded(obj.data);
  }, [loaded, obj.data]);

  if (!editing) return <Wizard initial={emptyState(namespace)} onReload={() => undefined} />;
  if (!app) {
    return (
      <Page
        title={t('Edit application {{name}}', { name: editName })}
        documentTitle={[t('Edit application {{name}}', { name: editName }), t('Applications')]}
      >
        <ErrorNote error={obj.error} />
        {obj.isLoading && <Loading />}
      </Page>
    );
  }
  const rv = String(app.metadata.resourceVersion ?? '');
  return (
    <Wizard
      key={rv}
      initial={specToState(editName, editNs, app.spec)}
      resourceVersion={rv}
      onReload={() => {
        void obj.refetch().then((r) => {
          if (r.data) setLoaded(r.data);
        });
      }}
    />
  );
}
