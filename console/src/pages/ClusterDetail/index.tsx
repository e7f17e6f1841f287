/**
 * One cluster: its health now (reachable, Kubernetes, Flux and the Flux APIs it serves) and
 * over time (the changes ksflux saw since it started), the application targets deploying to
 * it with their state, and its Flux objects counted by state.
 */
import { Loading, StatusDot } from '@kubed/components';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError, HOST } from '../../api/client';
import { useApplications, useCluster, useSummary } from '../../api/hooks';
import type { ClusterView, StateCounts } from '../../api/types';
import { useTo } from '../../app/base';
import { useNamespace } from '../../app/namespace';
import { ErrorNote, Page, Table } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { ServerReason, ServerText } from '../../i18n/server';
import { fmtTime, Mono, Panel } from '../ApplicationDetail/common';
import { clusterHealthy } from '../Clusters/health';
import { countTargets, durationParts, periods, TARGET_STATES, targetsOn, type Unit } from './model';
import { Facts } from '../../components/Facts';
import { ModeTag, modeText } from '../../components/ModeTag';
import { ModeSwitch } from './ModeSwitch';

const Strip = styled.div`
  display: flex;
  height: 12px;
  border-radius: 6px;
  overflow: hidden;
  background: #eff4f9;
  margin-bottom: 12px;
  span {
    min-width: 2px;
  }
  span[data-reachable='true'] {
    background: #55bc8a;
  }
  span[data-reachable='false'] {
    background: #ca2621;
  }
`;

const Counts = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: 8px 24px;
  margin-bottom: 12px;
  font-size: 12px;
  b {
    font-size: 18px;
    margin-right: 4px;
  }
`;

const Columns = styled.div`
  display: grid;
  grid-template-columns: 1fr 1fr;
  gap: 16px;
  align-items: start;
`;

const COUNTED: (keyof StateCounts)[] = ['total', 'ready', 'failed', 'progressing', 'suspended', 'unknown'];
const COUNT_LABELS: Record<string, string> = {
  total: 'All objects',
  ready: 'Ready',
  failed: 'Failed',
  progressing: 'Progressing',
  suspended: 'Suspended',
  unknown: 'Unknown',
};

/** A duration for people, in the console's language. */
function durationText(t: TFunction, ms: number): string {
  const unit = (n: number, u: Unit) =>
    u === 'd'
      ? t('{{n}} d', { n })
      : u === 'h'
        ? t('{{n}} h', { n })
        : u === 'm'
          ? t('{{n}} min', { n })
          : t('{{n}} s', { n });
  return durationParts(ms)
    .map(([n, u]) => unit(n, u))
    .join(' ');
}

/** Where Flux comes from for this cluster, in a few words. */
function fluxText(t: TFunction, c: ClusterView): string {
  const h = c.health;
  if (h.fluxInstalled) return h.fluxVersion ? `Flux ${h.fluxVersion}` : t('installed');
  return c.origin === HOST ? t('Flux not installed') : t('Deployed to from the host');
}

export default function ClusterDetail() {
  const to = useTo();
  const { t } = useTranslation();
  const name = useParams().name ?? '';
  const { namespace } = useNamespace();
  const cluster = useCluster(name);
  const summary = useSummary({ cluster: name });
  const apps = useApplications(namespace, { target: name, limit: 500, sortBy: 'name', ascending: true });

  const back = (
    <Link to={to('/clusters')} style={{ fontSize: 12, fontWeight: 400, marginRight: 8 }}>
      {t('Clusters')}
    </Link>
  );
  if (cluster.error instanceof ApiError && cluster.error.status === 404) {
    return (
      <Page title={name} documentTitle={[name, t('Clusters')]}>
        <Panel role="alert" data-testid="not-found">
          <p>{t('This cluster is not registered')}</p>
          <Link to={to('/clusters')}>{t('Back to clusters')}</Link>
        </Panel>
      </Page>
    );
  }
  const c = cluster.data;
  const h = c?.health;
  const now = Date.now();
  const history = periods(c?.history, now);
  const rows = targetsOn(apps.data?.items ?? [], name);
  const byState = countTargets(rows);
  const s = summary.data;

  return (
    <Page
      documentTitle={[name, t('Clusters')]}
      title={
        <>
          {back}
          <span translate="no">{name}</span>
        </>
      }
      description={c && <span translate="no">{c.server}</span>}
    >
      <ErrorNote error={cluster.error} />
      {!c && cluster.isLoading && <Loading />}
      {c && h && (
        <Columns>
          <Panel data-testid="cluster-health">
            <h2>{t('Health')}</h2>
            <p data-testid="cluster-health-state">
              <StateTag state={clusterHealthy(c) ? 'ready' : 'failed'} title={h.message} />
            </p>
            <Facts>
              <div>
                <dt>{t('Reachable')}</dt>
                <dd data-testid="cluster-reachable">{h.reachable ? t('Yes') : t('No')}</dd>
              </div>
              <div>
                <dt>{t('Last checked')}</dt>
                <dd data-testid="cluster-last-checked">{fmtTime(h.lastChecked)}</dd>
              </div>
              <div>
                <dt>{t('Kubernetes')}</dt>
                <dd data-testid="cluster-kubernetes">
                  <span translate="no">{h.kubernetesVersion ?? '–'}</span>
                </dd>
              </div>
              <div>
                <dt>{t('Flux')}</dt>
                <dd data-testid="cluster-flux">
                  {fluxText(t, c)}
                  {h.fluxTooOld && <div className="muted">{t('too old for ksflux')}</div>}
                </dd>
              </div>
              <div>
                <dt>{t('Delivery mode')}</dt>
                <dd data-testid="cluster-mode">
                  <ModeTag mode={c.mode} /> <span className="muted">{modeText(c.mode, t)}</span>
                  {c.origin !== HOST && <ModeSwitch cluster={c} />}
                </dd>
              </div>
              <div>
                <dt>{t('Source')}</dt>
                <dd>{t(c.origin)}</dd>
              </div>
              {h.message && (
                <div>
                  <dt>{t('Message')}</dt>
                  <dd data-testid="cluster-message">
                    <ServerText text={h.message} />
                  </dd>
                </div>
              )}
            </Facts>
            {h.fluxInstalled && h.fluxApis.length > 0 && (
              <>
                <h2 style={{ marginTop: 16 }}>{t('Flux APIs served')}</h2>
                <Table data-testid="cluster-flux-apis">
                  <thead>
                    <tr>
                      <th>{t('Kind')}</th>
                      <th>{t('API group')}</th>
                      <th>{t('Served versions')}</th>
                      <th>{t('Needed')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {h.fluxApis.map((a) => (
                      <tr key={`${a.group}/${a.kind}`}>
                        <td>{a.kind}</td>
                        <td className="muted" translate="no">
                          {a.group}
                        </td>
                        <td translate="no">{a.servedVersions.join(', ')}</td>
                        <td translate="no">{a.requiredVersion}</td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </>
            )}
          </Panel>
          <Panel data-testid="cluster-history">
            <h2>{t('Health over time')}</h2>
            <p className="muted" style={{ fontSize: 12, marginTop: 0 }}>
              {t('Changes seen since ksflux started (the last 50).')}
            </p>
            {history.length > 0 && (
              <Strip aria-hidden>
                {history.map((p) => (
                  <span key={p.from} data-reachable={p.reachable} style={{ flexGrow: p.share, flexBasis: 0 }} />
                ))}
              </Strip>
            )}
            <Table>
              <thead>
                <tr>
                  <th>{t('Since')}</th>
                  <th>{t('State')}</th>
                  <th>{t('For')}</th>
                  <th>{t('Message')}</th>
                </tr>
              </thead>
              <tbody>
                {[...history].reverse().map((p) => (
                  <tr key={p.from} data-testid="cluster-transition" data-reachable={p.reachable}>
                    <td>{fmtTime(new Date(p.from).toISOString())}</td>
                    <td style={{ whiteSpace: 'nowrap' }}>
                      <StatusDot color={p.reachable ? 'success' : 'error'}>
                        {p.reachable ? t('Reachable') : t('Unreachable')}
                      </StatusDot>
                    </td>
                    <td className="muted">{durationText(t, p.to - p.from)}</td>
                    <td className="muted">
                      <ServerText text={p.message} />
                    </td>
                  </tr>
                ))}
                {history.length === 0 && (
                  <tr>
                    <td colSpan={4} className="muted" style={{ textAlign: 'center' }}>
                      {t('Not checked yet')}
                    </td>
                  </tr>
                )}
              </tbody>
            </Table>
          </Panel>
        </Columns>
      )}
      <Panel data-testid="cluster-targets">
        <h2>{t('Application targets')}</h2>
        <p className="muted" style={{ fontSize: 12, marginTop: 0 }}>
          {namespace ? (
            <>
              {t('Applications deploying to this cluster, in namespace')} <span translate="no">{namespace}</span>
            </>
          ) : (
            t('Applications deploying to this cluster, in every namespace you may list.')
          )}
        </p>
        <ErrorNote error={apps.error} />
        <Counts data-testid="cluster-target-counts">
          {TARGET_STATES.filter((st) => byState[st] > 0).map((st) => (
            <span key={st} data-state={st}>
              <b>{byState[st]}</b>
              <StateTag state={st} />
            </span>
          ))}
        </Counts>
        <Table>
          <thead>
            <tr>
              <th>{t('Application')}</th>
              <th>{t('Target namespace')}</th>
              <th>{t('State')}</th>
              <th>{t('Workloads')}</th>
              <th>{t('Revision')}</th>
              <th>{t('Message')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.namespace}/${r.application}`} data-testid={`cluster-target-${r.namespace}-${r.application}`}>
                <td>
                  <Link to={to(`/applications/${r.namespace}/${r.application}`)} translate="no">
                    {r.namespace}/{r.application}
                  </Link>
                </td>
                <td translate="no">{r.targetNamespace}</td>
                <td data-testid={`cluster-target-state-${r.application}`}>
                  <StateTag state={r.state} title={r.message} />
                  {r.since && <div className="muted">{fmtTime(r.since)}</div>}
                </td>
                <td className="muted">
                  {r.workloads ? t('{{ready}} of {{desired}} ready', { ready: r.workloads.ready, desired: r.workloads.desired }) : '–'}
                </td>
                <td>
                  <Mono translate="no">{r.revision || '–'}</Mono>
                </td>
                <td className="muted">
                  {r.reason && r.state !== 'ready' && (
                    <>
                      <ServerReason reason={r.reason} />:{' '}
                    </>
                  )}
                  {r.state !== 'ready' && <ServerText text={r.message} />}
                </td>
              </tr>
            ))}
            {rows.length === 0 && !apps.isLoading && (
              <tr>
                <td colSpan={6} className="muted" style={{ textAlign: 'center' }}>
                  {t('No application deploys to this cluster.')}
                </td>
              </tr>
            )}
          </tbody>
        </Table>
      </Panel>
      <Panel data-testid="cluster-objects">
        <h2>{t('Flux objects in this cluster')}</h2>
        <ErrorNote error={summary.error} />
        <Counts>
          {COUNTED.map((k) => (
            <span key={k} data-testid={`cluster-count-${k}`}>
              <b>{s ? s.states[k] : '–'}</b>
              {t(COUNT_LABELS[k])}
            </span>
          ))}
        </Counts>
        {s && Object.keys(s.byKind).length > 0 ? (
          <Table>
            <thead>
              <tr>
                <th>{t('Kind')}</th>
                {COUNTED.map((k) => (
                  <th key={k}>{t(COUNT_LABELS[k])}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {Object.entries(s.byKind).map(([kind, n]) => (
                <tr key={kind}>
                  <td>{kind}</td>
                  {COUNTED.map((k) => (
                    <td key={k}>{n[k]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </Table>
        ) : (
          s && (
            <p className="muted" style={{ fontSize: 12 }}>
              {c && c.origin !== HOST && c.mode !== 'agent'
                ? t('None: the host’s Flux deploys to this cluster.')
                : t('None yet.')}
            </p>
          )
        )}
      </Panel>
    </Page>
  );
}
