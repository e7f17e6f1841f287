/**
 * One application: what it deploys, its state in each target cluster with per-target
 * actions, and for a chosen target its revisions, inventory, Helm history, events,
 * dependencies and YAML. Everything refreshes from the live event stream.
 */
import { Button, Loading, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, HOST } from '../../api/client';
import { useApplication, useApplicationTargets, useDelete } from '../../api/hooks';
import type { ApplicationView as Application } from '../../api/types';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { NativeSelect } from '../../components/Field';
import { ErrorNote, Page, Toolbar } from '../../components/Page';
import { StateTag, targetState } from '../../components/StateTag';
import { errorText, fmtTime, Panel, useAppAction } from './common';
import { str } from './inventory';
import { TargetPanel } from './TargetPanel';
import { HelmRecovery } from './HelmRecovery';
import { ImagesPanel } from './Images';
import { targetRows, TargetsTable } from './Targets';
import { useTo } from '../../app/base';
import { NotifyMe } from './NotifyMe';
import { Timeline } from './Timeline';
import { RolloutPanel } from './Rollout';
import { messageText } from '../../i18n/server';
import { Facts } from '../../components/Facts';

/** What an application deploys, in one sentence. */
export function describeApplication(t: TFunction, app: Application): string {
  const source = `${app.spec.source.kind}/${app.spec.source.name}`;
  if (app.spec.helm) {
    return t('Helm chart {{chart}} version {{version}} from {{source}}', {
      chart: app.spec.helm.chart,
      version: app.spec.helm.version || '*',
      source,
    });
  }
  return t('Kustomize path {{path}} from {{source}}', { path: app.spec.kustomize?.path || './', source });
}

/** The application detail page (`/applications/:namespace/:name`). */
export default function ApplicationDetail() {
  const to = useTo();
  const { t } = useTranslation();
  const params = useParams();
  const namespace = params.namespace ?? '';
  const name = params.name ?? '';
  const navigate = useNavigate();
  const appQuery = useApplication(namespace, name);
  const targetsQuery = useApplicationTargets(namespace, name);
  const { run, pending } = useAppAction(namespace, name);
  const remove = useDelete('applications');
  const [deleting, setDeleting] = useState(false);
  const [chosen, setChosen] = useState<string | undefined>();

  if (appQuery.isLoading) return <Loading />;
  if (appQuery.error instanceof ApiError && appQuery.error.status === 404) {
    return (
      <Page title={name} documentTitle={[name, t('Applications')]}>
        <Panel role="alert" data-testid="not-found">
          <p>{t('This application does not exist')}</p>
          <Link to={to('/applications')}>{t('Back to applications')}</Link>
        </Panel>
      </Page>
    );
  }
  if (appQuery.error || !appQuery.data) {
    return (
      <Page title={name} documentTitle={[name, t('Applications')]}>
        <ErrorNote error={appQuery.error ?? t('No data')} />
        <Link to={to('/applications')}>{t('Back to applications')}</Link>
      </Page>
    );
  }

  const app = appQuery.data;
  const rows = targetRows(app, targetsQuery.data);
  const readyCond = app.status?.conditions?.find((c) => c.type === 'Ready');
  const state = targetState(readyCond?.status, app.spec.suspend, readyCond?.reason);
  const summary = app.status?.summary;
  const readyCount = summary?.ready ?? rows.filter((r) => r.status?.ready === 'True').length;
  const total = summary?.total ?? rows.length;
  const suspendedCount = rows.filter((r) => r.specSuspended || r.status?.suspended).length;
  const selected = rows.find((r) => r.cluster === chosen) ?? rows[0];

  const actions = (
    <>
      <Button
        variant="outline"
        loading={pending === 'reconcile'}
        disabled={!!pending}
        onClick={() => run('reconcile')}
      >
        {t('Reconcile')}
      </Button>
      {app.spec.suspend ? (
        <Button
          variant="outline"
          loading={pending === 'resume'}
          disabled={!!pending}
          onClick={() => run('resume')}
        >
          {t('Resume')}
        </Button>
      ) : (
        <Button
          variant="outline"
          loading={pending === 'suspend'}
          disabled={!!pending}
          onClick={() => run('suspend')}
        >
          {t('Suspend')}
        </Button>
      )}
      <NotifyMe app={app} />
      <Button as={Link} to={to(`/applications/${namespace}/${name}/edit`)} variant="outline">
        {t('Edit')}
      </Button>
      <Button color="error" onClick={() => setDeleting(true)}>
        {t('Delete')}
      </Button>
    </>
  );

  return (
    <Page
      documentTitle={[name, t('Applications')]}
      title={
        <>
          <Link to={to('/applications')} style={{ fontSize: 12, fontWeight: 400, marginRight: 8 }}>
            {t('Applications')}
          </Link>
          {name}
        </>
      }
      description={describeApplication(t, app)}
      actions={actions}
    >
      <Panel>
        <Facts data-testid="application-facts">
          <div>
            <dt>{t('Namespace')}</dt>
            <dd>{namespace}</dd>
          </div>
          <div>
            <dt>{t('Type')}</dt>
            <dd>{app.spec.helm ? t('Helm') : t('Kustomize')}</dd>
          </div>
          <div>
            <dt>{t('Deploys')}</dt>
            <dd>{describeApplication(t, app)}</dd>
          </div>
          <div>
            <dt>{t('Ready')}</dt>
            <dd data-testid="application-state">
              <StateTag state={state} title={messageText(readyCond?.message, t)} />
              {readyCond?.message && <div className="muted">{messageText(readyCond.message, t)}</div>}
            </dd>
          </div>
          <div>
            <dt>{t('Targets')}</dt>
            <dd data-testid="application-summary">
              {t('{{ready}}/{{total}} targets ready', { ready: readyCount, total })}
              {suspendedCount > 0 && !app.spec.suspend && (
                <span data-testid="application-suspended">
                  {' · '}
                  {t('{{n}} suspended', { n: suspendedCount })}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>{t('Interval')}</dt>
            <dd>{app.spec.interval ?? '5m'}</dd>
          </div>
          <div>
            <dt>{t('Created')}</dt>
            <dd>{fmtTime(str(app.metadata, 'creationTimestamp'))}</dd>
          </div>
          {(app.spec.dependsOn?.length ?? 0) > 0 && (
            <div>
              <dt>{t('Depends on')}</dt>
              <dd>{app.spec.dependsOn?.join(', ')}</dd>
            </div>
          )}
        </Facts>
      </Panel>

      <Panel>
        <h2>{t('Clusters')}</h2>
        {targetsQuery.error ? <ErrorNote error={targetsQuery.error} /> : null}
        {app.spec.helm && rows.length > 1 && (
          <Toolbar data-testid="helm-all">
            <HelmRecovery namespace={namespace} name={name} clusters={rows.map((r) => r.cluster)} size="sm" all />
          </Toolbar>
        )}
        <TargetsTable
          helm={!!app.spec.helm}
          namespace={namespace}
          name={name}
          rows={rows}
          selected={selected?.cluster}
          onSelect={setChosen}
        />
      </Panel>

      {app.spec.rollout && (
        <Panel>
          <RolloutPanel app={app} />
        </Panel>
      )}

      <Panel>
        <ImagesPanel app={app} clusters={rows.map((r) => r.cluster)} />
      </Panel>

      <Panel>
        <h2>{t('Release history')}</h2>
        <Timeline namespace={namespace} name={name} clusters={rows.map((r) => r.cluster)} helm={!!app.spec.helm} />
      </Panel>

      {selected && (
        <Panel>
          <h2 style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
            <label htmlFor="target-cluster">{t('Target')}</label>
            <NativeSelect
              id="target-cluster"
              name="target-cluster"
              style={{ width: 'auto', minWidth: 160 }}
              value={selected.cluster}
              onChange={(e) => setChosen(e.target.value)}
            >
              {rows.map((r) => (
                <option key={r.cluster} value={r.cluster}>
                  {r.cluster} / {r.namespace}
                </option>
              ))}
            </NativeSelect>
            {targetsQuery.isLoading && <span className="muted">{t('Loading…')}</span>}
          </h2>
          <TargetPanel key={selected.cluster} app={app} row={selected} />
        </Panel>
      )}

      <ConfirmDelete
        kind={t('application')}
        name={name}
        visible={deleting}
        busy={remove.isLoading}
        onCancel={() => setDeleting(false)}
        onConfirm={() =>
          remove.mutate(
            { cluster: HOST, namespace, name },
            {
              onSuccess: () => {
                setDeleting(false);
                notify.success(t('Deleted {{name}}', { name }));
                navigate(to('/applications'));
              },
              onError: (e) => notify.error(t('Action failed: {{message}}', { message: errorText(e) })),
            },
          )
        }
      />
    </Page>
  );
}
