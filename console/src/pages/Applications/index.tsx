import { Button, Input } from '@kubed/components';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import styled from 'styled-components';
import { useApplications, useClusters } from '../../api/hooks';
import type { ApplicationView as Application, Target } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { NativeSelect } from '../../components/Field';
import { ErrorNote, Page, Table, Toolbar } from '../../components/Page';
import { Pager } from '../../components/Pager';
import { StateTag, targetState } from '../../components/StateTag';
import { useTo } from '../../app/base';

const PAGE_SIZE = 20;

const Chip = styled.span`
  display: inline-flex;
  align-items: center;
  gap: 4px;
  padding: 1px 8px;
  margin: 0 4px 4px 0;
  border-radius: 10px;
  font-size: 11px;
  border: 1px solid #d8dee5;
  background: #f9fbfd;
  &::before {
    content: '';
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: #abb4be;
  }
  &[data-state='ready']::before {
    background: #55bc8a;
  }
  &[data-state='failed']::before,
  &[data-state='degraded']::before {
    background: #ca2621;
  }
  &[data-state='progressing']::before {
    background: #f5a623;
  }
  &[data-state='suspended'] {
    color: #5f708a;
    border-style: dashed;
  }
`;

/**
 * The explicit targets, then the clusters the controller placed by labels (from the status),
 * as targets.
 */
export function placedTargets(app: Application): Target[] {
  const explicit = app.spec.targets ?? [];
  const placed = (app.status?.targets ?? [])
    .filter((s) => !explicit.some((t) => t.cluster === s.cluster))
    .map((s) => ({ cluster: s.cluster, namespace: s.namespace }));
  return [...explicit, ...placed];
}

/** One chip per target cluster, coloured by that target's state. */
export function TargetChips({ app }: { app: Application }) {
  const { t } = useTranslation();
  const statuses = app.status?.targets ?? [];
  return (
    <>
      {placedTargets(app).map((target) => {
        const st = statuses.find((s) => s.cluster === target.cluster);
        const state = st
          ? targetState(st.ready, st.suspended, st.reason)
          : target.suspend || app.spec.suspend
            ? 'suspended'
            : 'progressing';
        return (
          <Chip
            key={target.cluster}
            data-state={state}
            data-testid={`chip-${app.metadata.name}-${target.cluster}`}
            title={`${t(state)}${st?.message ? `: ${st.message}` : ''}`}
          >
            {target.cluster}
          </Chip>
        );
      })}
    </>
  );
}

/** What an application deploys, in a few words. */
function what(app: Application): string {
  const s = app.spec;
  if (s.helm) return `${s.helm.chart}${s.helm.version ? ` ${s.helm.version}` : ''}`;
  return s.kustomize?.path ?? '.';
}

/** Applications: search, filter by state, one row each with per-cluster status chips. */
export default function Applications() {
  const to = useTo();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { namespace } = useNamespace();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setQuery(search), 200);
    return () => clearTimeout(t);
  }, [search]);
  const [state, setState] = useState('');
  const [cluster, setCluster] = useState('');
  const clusters = useClusters();
  const [page, setPage] = useState(1);
  const list = useApplications(namespace, {
    name: query,
    state,
    target: cluster,
    page,
    limit: PAGE_SIZE,
    sortBy: 'name',
    ascending: true,
  });
  const items = list.data?.items ?? [];
  const total = list.data?.totalItems ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <Page
      title={t('Applications')}
      description={t('One Helm chart or Kustomize path, deployed to many clusters.')}
      actions={
        <Button color="primary" onClick={() => navigate(to('/applications/new'))}>
          {t('Create application')}
        </Button>
      }
    >
      <Toolbar>
        <Input
          name="search"
          placeholder={t('Search by name')}
          value={search}
          width={260}
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => {
            setSearch(e.target.value);
            setPage(1);
          }}
        />
        <NativeSelect
          name="state"
          aria-label={t('State')}
          style={{ width: 160 }}
          value={state}
          onChange={(e) => {
            setState(e.target.value);
            setPage(1);
          }}
        >
          <option value="">{t('All states')}</option>
          {['ready', 'progressing', 'failed', 'suspended'].map((s) => (
            <option key={s} value={s}>
              {t(s)}
            </option>
          ))}
        </NativeSelect>
        <NativeSelect
          name="cluster"
          aria-label={t('Cluster')}
          style={{ width: 180 }}
          value={cluster}
          onChange={(e) => {
            setCluster(e.target.value);
            setPage(1);
          }}
        >
          <option value="">{t('All clusters')}</option>
          {clusters.data?.items.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </NativeSelect>
        <span className="muted" data-testid="app-total">
          {t('{{n}} applications', { n: total })}
        </span>
      </Toolbar>
      <ErrorNote error={list.error} />
      <Table data-testid="applications">
        <thead>
          <tr>
            <th>{t('Name')}</th>
            <th>{t('Namespace')}</th>
            <th>{t('Deploys')}</th>
            <th>{t('Source')}</th>
            <th>{t('State')}</th>
            <th>{t('Clusters')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((app) => (
            <tr key={`${app.metadata.namespace}/${app.metadata.name}`} data-testid={`app-${app.metadata.name}`}>
              <td>
                <Link to={to(`/applications/${app.metadata.namespace}/${app.metadata.name}`)}>
                  <b>{app.metadata.name as string}</b>
                </Link>
              </td>
              <td>{app.metadata.namespace as string}</td>
              <td>
                {app.spec.helm ? 'Helm' : 'Kustomize'} <span className="muted">{what(app)}</span>
              </td>
              <td className="muted">
                {app.spec.source.kind}/{app.spec.source.name}
              </td>
              <td>
                <StateTag state={app.summary.state} title={app.summary.message} />{' '}
                <span className="muted">{app.status?.summary?.text}</span>
              </td>
              <td>
                <TargetChips app={app} />
              </td>
            </tr>
          ))}
          {list.isSuccess && items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t('No applications yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
      <Pager page={page} pages={pages} onPage={setPage} />
    </Page>
  );
}
