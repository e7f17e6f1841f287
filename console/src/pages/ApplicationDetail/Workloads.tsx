import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { useApplicationWorkloads } from '../../api/hooks';
import { useWorkloadStream } from '../../api/live';
import type { WorkloadHealth } from '../../api/types';
import { ErrorNote, Table } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { Mono } from './common';

const Bar = styled.span`
  display: inline-block;
  width: 80px;
  height: 6px;
  margin-right: 8px;
  border-radius: 3px;
  background: #e3e9ef;
  vertical-align: middle;
  overflow: hidden;
  span {
    display: block;
    height: 100%;
    background: #55bc8a;
  }
`;

const Problem = styled.li`
  color: #ca2621;
  font-size: 12px;
`;

const Events = styled.ul`
  margin: 4px 0 0;
  padding-left: 12px;
  color: #5f708a;
  list-style: none;
  li b {
    color: #36435c;
    font-weight: 600;
  }
`;

/** Ready of desired replicas, as a bar and numbers. */
function Replicas({ w }: { w: WorkloadHealth }) {
  const pct = w.desired > 0 ? Math.min(100, Math.round((w.ready / w.desired) * 100)) : 100;
  return (
    <span data-testid={`replicas-${w.name}`}>
      <Bar aria-hidden>
        <span style={{ width: `${pct}%` }} />
      </Bar>
      {w.ready}/{w.desired}
    </span>
  );
}

/**
 * The workloads one target applied (Deployments, StatefulSets, DaemonSets) in its cluster:
 * ready of desired replicas, updated and available, the rollout, and failing pods with their
 * reasons and their latest Events. Read as the user; replica counts move live with the
 * workloads' changes on the event stream.
 */
export function Workloads({ namespace, name, cluster }: { namespace: string; name: string; cluster: string }) {
  const { t } = useTranslation();
  const q = useApplicationWorkloads(namespace, name);
  const live = useWorkloadStream(namespace, name);
  if (q.error) return <ErrorNote error={q.error} />;
  const target = q.data?.find((x) => x.cluster === cluster);
  if (!target) return <p className="muted">{q.isLoading ? t('Loading…') : t('No workloads yet')}</p>;
  if (target.error) return <ErrorNote error={target.error} />;
  if (target.workloads.length === 0) return <p className="muted">{t('No workloads yet')}</p>;
  return (
    <Table data-testid={`workloads-${cluster}`} data-live={live ? 'true' : 'false'}>
      <thead>
        <tr>
          <th>{t('Workload')}</th>
          <th>{t('State')}</th>
          <th>{t('Ready')}</th>
          <th>{t('Up to date')}</th>
          <th>{t('Available')}</th>
          <th>{t('Problems')}</th>
        </tr>
      </thead>
      <tbody>
        {target.workloads.map((w) => (
          <tr key={`${w.kind}/${w.namespace}/${w.name}`} data-testid={`workload-${w.name}`}>
            <td>
              <span className="muted">{w.kind}</span> <Mono>{w.name}</Mono>
            </td>
            <td>
              <StateTag state={w.state} title={w.message ?? undefined} />
              {w.rollingOut && <div className="muted">{t('Rolling out')}</div>}
            </td>
            <td>
              <Replicas w={w} />
            </td>
            <td>{w.updated}</td>
            <td>{w.available}</td>
            <td>
              <ul style={{ margin: 0, paddingLeft: 16 }}>
                {w.podProblems.map((p) => (
                  <Problem key={p.reason} data-testid={`problem-${w.name}-${p.reason}`} title={p.pods.join(', ')}>
                    {t('{{count}} pods: {{reason}}', { count: p.count, reason: p.reason })}
                    {p.message ? ` — ${p.message}` : ''}
                    {p.events && p.events.length > 0 && (
                      <Events aria-label={t('Events of {{pod}}', { pod: p.pods[0] ?? '' })}>
                        {p.events.map((e, i) => (
                          <li key={i} data-testid={`event-${w.name}-${e.reason}`}>
                            <b>{e.reason}</b> {e.message}
                            {e.count > 1 ? ` (×${e.count})` : ''}
                          </li>
                        ))}
                      </Events>
                    )}
                  </Problem>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
