import { Card } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { useApplications, useClusters, useSummary } from '../../api/hooks';
import type { StateCounts } from '../../api/types';
import { ErrorNote, Page, Table } from '../../components/Page';
import { clusterHealthy } from '../Clusters/health';
import { StateTag } from '../../components/StateTag';
import { HOST } from '../../api/client';
import { degradedTargets } from './degraded';
import { useTo } from '../../app/base';
import { ServerReason, ServerText } from '../../i18n/server';
import { GettingStarted } from './GettingStarted';
import { ClusterLink } from '../Clusters/ClusterLink';

const Counts = styled.div`
  display: grid;
  grid-template-columns: repeat(5, 1fr);
  gap: 12px;
  margin-bottom: 16px;
  .count {
    background: #fff;
    border-radius: 4px;
    padding: 14px 16px;
  }
  .count b {
    display: block;
    font-size: 24px;
    line-height: 32px;
  }
  .count[data-kind='failed'] b {
    color: #ca2621;
  }
  .count[data-kind='ready'] b {
    color: #2e7d55;
  }
  .count[data-kind='progressing'] b {
    color: #b06f00;
  }
`;

const Grid = styled.div`
  display: grid;
  grid-template-columns: 2fr 1fr;
  gap: 16px;
  align-items: start;
`;

const STATES: (keyof StateCounts)[] = ['total', 'ready', 'failed', 'progressing', 'suspended'];
const STATE_LABELS: Record<string, string> = {
  total: 'All objects',
  ready: 'Ready',
  failed: 'Failed',
  progressing: 'Progressing',
  suspended: 'Suspended',
};

/**
 * The fleet at a glance: counts by state, what is failing first (Flux objects, then
 * application targets Flux applied but whose workloads fail), and each cluster's health.
 */
export default function Overview() {
  const to = useTo();
  const { t } = useTranslation();
  const summary = useSummary();
  const clusters = useClusters();
  const apps = useApplications('', { limit: 500 });
  const degraded = degradedTargets(apps.data?.items ?? []);
  const s = summary.data;

  return (
    <Page title={t('Overview')} description={t('Flux across all clusters, live.')}>
      <ErrorNote error={summary.error} />
      <Counts>
        {STATES.map((k) => (
          <div className="count" key={k} data-kind={k} data-testid={`count-${k}`}>
            <b>{s ? s.states[k] : '–'}</b>
            {t(STATE_LABELS[k])}
          </div>
        ))}
      </Counts>
      {s && s.workloads.total > 0 && (
        <Counts data-testid="workload-counts">
          <div className="count" data-kind="workloads">
            <b>{s.workloads.total}</b>
            {t('Workloads')}
          </div>
          <div className="count" data-kind="ready" data-testid="workloads-healthy">
            <b>{s.workloads.healthy}</b>
            {t('healthy')}
          </div>
          <div className="count" data-kind="progressing">
            <b>{s.workloads.progressing}</b>
            {t('progressing')}
          </div>
          <div className="count" data-kind="failed" data-testid="workloads-degraded">
            <b>{s.workloads.degraded}</b>
            {t('degraded')}
          </div>
        </Counts>
      )}
      <GettingStarted />
      <Grid>
        <Card sectionTitle={t('Needs attention')} data-testid="failing">
          {s && s.failing.length === 0 && s.degradedWorkloads.length === 0 ? (
            <p className="muted">{t('Everything is ready.')}</p>
          ) : (
            <Table>
              <thead>
                <tr>
                  <th>{t('State')}</th>
                  <th>{t('Kind')}</th>
                  <th>{t('Name')}</th>
                  <th>{t('Cluster')}</th>
                  <th>{t('Message')}</th>
                </tr>
              </thead>
              <tbody>
                {s?.failing.map((f) => (
                  <tr key={`${f.cluster}/${f.kind}/${f.namespace}/${f.name}`}>
                    <td>
                      <StateTag state={f.state} />
                    </td>
                    <td>{f.kind}</td>
                    <td>
                      {f.namespace}/{f.name}
                    </td>
                    <td>
                      <ClusterLink name={f.cluster} />
                    </td>
                    <td className="muted">
                      {f.reason && (
                        <>
                          <ServerReason reason={f.reason} />:{' '}
                        </>
                      )}
                      <ServerText text={f.message} />
                    </td>
                  </tr>
                ))}
                {s?.degradedWorkloads.map((f) => (
                  <tr key={`w/${f.cluster}/${f.kind}/${f.namespace}/${f.name}`} data-testid={`degraded-workload-${f.name}-${f.cluster}`}>
                    <td>
                      <StateTag state="degraded" />
                    </td>
                    <td>{f.kind}</td>
                    <td>
                      {f.namespace}/{f.name}
                    </td>
                    <td>
                      <ClusterLink name={f.cluster} />
                    </td>
                    <td className="muted">
                      <ServerText text={f.message} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {s && s.failingTotal > s.failing.length && (
            <p className="muted">{t('{{n}} more not shown', { n: s.failingTotal - s.failing.length })}</p>
          )}
        </Card>
        {degraded.length > 0 && (
          <Card sectionTitle={t('Degraded applications')} data-testid="degraded">
            <p className="muted">{t('Flux applied them, but their workloads fail.')}</p>
            <Table>
              <thead>
                <tr>
                  <th>{t('Application')}</th>
                  <th>{t('Cluster')}</th>
                  <th>{t('Message')}</th>
                </tr>
              </thead>
              <tbody>
                {degraded.map((d) => (
                  <tr key={`${d.namespace}/${d.name}/${d.cluster}`} data-testid={`degraded-${d.name}-${d.cluster}`}>
                    <td>
                      <Link to={to(`/applications/${d.namespace}/${d.name}`)}>
                        {d.namespace}/{d.name}
                      </Link>
                    </td>
                    <td>
                      <StateTag state="degraded" /> <ClusterLink name={d.cluster} />
                    </td>
                    <td className="muted">{d.message}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </Card>
        )}
        <Card sectionTitle={t('Clusters')}>
          <ErrorNote error={clusters.error} />
          {clusters.data?.items.map((c) => {
            const sync = s?.clusters.find((x) => x.name === c.name);
            const counts = s?.byCluster[c.name];
            return (
              <div key={c.name} data-testid={`overview-cluster-${c.name}`} style={{ marginBottom: 12 }}>
                <StateTag state={clusterHealthy(c) ? 'ready' : 'failed'} title={c.health.message} />{' '}
                <Link to={to(`/clusters/${encodeURIComponent(c.name)}`)} data-testid={`overview-cluster-link-${c.name}`}>
                  <b translate="no">{c.name}</b>
                </Link>{' '}
                <span className="muted">
                  {c.health.fluxVersion
                    ? `Flux ${c.health.fluxVersion}`
                    : c.origin === HOST
                      ? t('Flux not installed')
                      : t('Deployed to from the host')}
                  {sync && sync.state !== 'synced' ? ` · ${t(sync.state)}` : ''}
                </span>
                {counts && (
                  <div className="muted" style={{ fontSize: 12 }}>
                    {t('{{ready}} of {{total}} ready, {{failed}} failed', {
                      ready: counts.ready,
                      total: counts.total,
                      failed: counts.failed,
                    })}
                  </div>
                )}
                {s?.workloadsByCluster[c.name] && (
                  <div className="muted" style={{ fontSize: 12 }} data-testid={`overview-workloads-${c.name}`}>
                    {t('Workloads: {{healthy}} of {{total}} healthy, {{degraded}} degraded', {
                      healthy: s.workloadsByCluster[c.name].healthy,
                      total: s.workloadsByCluster[c.name].total,
                      degraded: s.workloadsByCluster[c.name].degraded,
                    })}
                  </div>
                )}
              </div>
            );
          })}
        </Card>
      </Grid>
      <Card sectionTitle={t('By kind')} style={{ marginTop: 16 }}>
        <Table>
          <thead>
            <tr>
              <th>{t('Kind')}</th>
              {STATES.map((k) => (
                <th key={k}>{t(STATE_LABELS[k])}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Object.entries(s?.byKind ?? {}).map(([kind, c]) => (
              <tr key={kind}>
                <td>{kind}</td>
                {STATES.map((k) => (
                  <td key={k}>{c[k]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
    </Page>
  );
}
