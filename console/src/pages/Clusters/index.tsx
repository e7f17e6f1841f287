import i18n from 'i18next';
import styled from 'styled-components';
import { Button, Modal, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { ApiError, HOST, messageOf } from '../../api/client';
import { useClusters, useRegisterCluster, useRemoveCluster } from '../../api/hooks';
import { clusterHealthy } from './health';
import { ClusterLink } from './ClusterLink';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { bindValues, FormField } from '../../components/Field';
import { ErrorNote, Page, Table, VisuallyHidden } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { ModeTag } from '../../components/ModeTag';
import { label, required, validate } from '../../forms/validation';
import { ServerText } from '../../i18n/server';
import type { ClusterView } from '../../api/types';

type Values = { name: string; kubeconfig: string };


/** The host and member clusters: reachability, versions, Flux; register or remove members. */
/** The label every cluster carries with its own name (not shown: the name is). */
const CLUSTER_NAME_LABEL = 'fluxcd.kubesphere.io/cluster';

const Labels = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  margin-top: 4px;
  span {
    font-size: 11px;
    line-height: 16px;
    padding: 0 6px;
    border-radius: 8px;
    background: #eff4f9;
    color: #36435c;
  }
`;

export default function Clusters() {
  const { t } = useTranslation();
  const clusters = useClusters({ refetchInterval: 10_000 });
  // `?register=1` (the overview's first step) opens the register dialog.
  const [params, setParams] = useSearchParams();
  const [registering, setRegistering] = useState(() => params.get('register') === '1');
  const closeRegister = () => {
    setRegistering(false);
    if (params.has('register')) setParams({}, { replace: true });
  };
  const [removing, setRemoving] = useState<string | null>(null);
  const remove = useRemoveCluster();

  return (
    <Page
      title={t('Clusters')}
      description={t('The host and member clusters ksflux deploys to, with their Flux.')}
      actions={
        <Button color="primary" onClick={() => setRegistering(true)}>
          {t('Register cluster')}
        </Button>
      }
    >
      <ErrorNote error={clusters.error} />
      <Table>
        <thead>
          <tr>
            <th>{t('Name')}</th>
            <th>{t('State')}</th>
            <th>{t('Kubernetes')}</th>
            <th>{t('Flux')}</th>
            <th>{t('Delivery mode')}</th>
            <th>{t('Tenancy')}</th>
            <th>{t('Source')}</th>
            <th>{t('Checked')}</th>
            <th>
              <VisuallyHidden>{t('Actions')}</VisuallyHidden>
            </th>
          </tr>
        </thead>
        <tbody>
          {clusters.data?.items.map((c) => {
            const h = c.health;
            const healthy = clusterHealthy(c);
            return (
              <tr key={c.name} data-testid={`cluster-${c.name}`}>
                <td>
                  <b data-testid={`cluster-link-${c.name}`}>
                    <ClusterLink name={c.name} />
                  </b>
                  <div className="muted">{c.server}</div>
                  <Labels data-testid={`cluster-labels-${c.name}`}>
                    {Object.entries(c.labels ?? {})
                      .filter(([k]) => k !== CLUSTER_NAME_LABEL)
                      .map(([k, v]) => (
                        <span key={k} title={t('Placements select clusters by these labels')}>
                          {k}={v}
                        </span>
                      ))}
                  </Labels>
                </td>
                <td data-testid={`cluster-state-${c.name}`}>
                  <StateTag state={healthy ? 'ready' : 'failed'} title={h.message} />
                  {!healthy && <div className="muted">{h.message}</div>}
                  {c.mode === 'agent' && c.agentBlocked && (
                    <div className="muted" data-testid={`cluster-agent-blocked-${c.name}`}>
                      <ServerText text={c.agentBlocked} />
                    </div>
                  )}
                </td>
                <td>{h.kubernetesVersion ?? '–'}</td>
                <td>
                  {h.fluxInstalled
                    ? (h.fluxVersion ?? t('installed'))
                    : c.origin === HOST
                      ? t('Flux not installed')
                      : t('Deployed to from the host')}
                  {h.fluxTooOld && <div className="muted">{t('too old for ksflux')}</div>}
                </td>
                <td>
                  <ModeTag mode={c.mode} testId={`cluster-mode-${c.name}`} />
                </td>
                <td data-testid={`cluster-lockdown-${c.name}`}>
                  <Lockdown lockdown={h.lockdown} />
                </td>
                <td>{t(c.origin)}</td>
                <td className="muted">{h.lastChecked ? new Date(h.lastChecked).toLocaleTimeString(i18n.language || undefined) : '–'}</td>
                <td>
                  {c.origin === 'secret' && (
                    <Button size="sm" variant="text" onClick={() => setRemoving(c.name)}>
                      {t('Remove')}
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      {registering && <RegisterCluster onClose={closeRegister} />}
      <ConfirmDelete
        kind={t('cluster')}
        name={removing ?? ''}
        consequence={t(
          'Applications stop deploying to {{name}} at once: their Flux objects for it are suspended and their kubeconfigs for it deleted (tokens already issued expire within an hour). Registering {{name}} again resumes them.',
          { name: removing ?? '' },
        )}
        visible={removing !== null}
        busy={remove.isLoading}
        onCancel={() => setRemoving(null)}
        onConfirm={() => {
          if (removing)
            remove.mutate(removing, {
              onSuccess: () => {
                notify.success(t('Cluster {{name}} removed', { name: removing }));
                setRemoving(null);
              },
              onError: (e) => notify.error(messageOf(e)),
            });
        }}
      />
    </Page>
  );
}

/**
 * Whether the cluster's Flux runs with its multi-tenancy lockdown (no cross-namespace
 * references, a default ServiceAccount to impersonate); members without Flux show a dash.
 */
function Lockdown({ lockdown }: { lockdown?: ClusterView['health']['lockdown'] }) {
  const { t } = useTranslation();
  if (!lockdown) return <>–</>;
  if (lockdown.enabled)
    return (
      <span title={t('Runs as ServiceAccount {{sa}} when none is named', { sa: lockdown.defaultServiceAccount ?? '' })}>
        {t('Locked down')}
      </span>
    );
  return (
    <>
      {t('Not locked down')}
      <div className="muted">
        {lockdown.noCrossNamespaceRefs
          ? t('no default ServiceAccount to impersonate')
          : t('cross-namespace references allowed')}
      </div>
    </>
  );
}

const CHECKS = { name: label(63), kubeconfig: required };

/** Register a member by pasting its kubeconfig; the server tries it before storing it. */
function RegisterCluster({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const register = useRegisterCluster();
  const [values, setValues] = useState<Values>({ name: '', kubeconfig: '' });
  const [touched, setTouched] = useState<Partial<Record<keyof Values, boolean>>>({});
  const [server, setServer] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const errors = validate(values, CHECKS);
  const errorOf = (k: keyof Values) => server[k] ?? (touched[k] ? errors[k] : undefined);

  const set = (k: keyof Values, v: string) => {
    setValues((x) => ({ ...x, [k]: v }));
    setTouched((x) => ({ ...x, [k]: true }));
    setServer(({ [k]: _gone, ...rest }) => {
      void _gone;
      return rest;
    });
  };

  const isField = (p: string): p is keyof Values => p === 'name' || p === 'kubeconfig';
  const form = bindValues(
    values,
    (p, v) => isField(p) && set(p, v),
    (p) => (isField(p) ? errorOf(p) : undefined),
  );

  const submit = () => {
    setTouched({ name: true, kubeconfig: true });
    if (Object.keys(errors).length > 0) return;
    setFailure(undefined);
    register.mutate(values, {
      onSuccess: () => {
        notify.success(t('Cluster {{name}} registered', { name: values.name }));
        onClose();
      },
      onError: (e) => {
        if (e instanceof ApiError && e.causes.length > 0) setServer(e.fieldErrors());
        else setFailure(messageOf(e));
      },
    });
  };

  return (
    <Modal
      visible
      title={t('Register cluster')}
      description={t('ksflux connects to the cluster with this kubeconfig before storing it.')}
      onCancel={onClose}
      onOk={submit}
      okText={t('Register')}
      cancelText={t('Cancel')}
      confirmLoading={register.isLoading}
      width={640}
    >
      {failure && <ErrorNote error={failure} />}
      <FormField form={form} path="name" label={t('Name')} />
      <FormField
        form={form}
        path="kubeconfig"
        label={t('Kubeconfig')}
        help={t('Self-contained: inline certificates and a token or client key.')}
        control="code"
      />
    </Modal>
  );
}
