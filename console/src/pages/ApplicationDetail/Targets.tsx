import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import type { ApplicationView as Application, TargetDetail, TargetDrift, TargetStatus } from '../../api/types';
import { Table } from '../../components/Page';
import { StateTag, targetState } from '../../components/StateTag';
import { fmtTime, Mono, useAppAction } from './common';
import { RowActions, type RowAction } from '../../components/RowActions';
import { asTargetStatus } from '../../api/validate';
import { useHelmRecovery } from './HelmRecovery';
import { STATE_LABELS } from './rollout';
import { messageText, ServerReason, ServerText } from '../../i18n/server';
import { ModeTag } from '../../components/ModeTag';

/** A warning under a target: its Flux object was edited in the cluster and put back. */
const DriftNote = styled.div`
  margin-top: 4px;
  padding: 2px 6px;
  border-left: 2px solid #f5a623;
  background: #fff8eb;
  color: #8a5500;
  font-size: 12px;
`;

/** The last edit made in an agent target's cluster to its Flux object, which ksflux put back. */
function Drift({ cluster, drift }: { cluster: string; drift: TargetDrift }) {
  const { t } = useTranslation();
  return (
    <DriftNote data-testid={`target-drift-${cluster}`}>
      {t('Flux object edited in the cluster at {{time}} and put back:', { time: fmtTime(drift.at) })}{' '}
      <Mono translate="no">{drift.fields.join(', ')}</Mono>
    </DriftNote>
  );
}

/** One target of an application: what the spec asks and what the controller reported. */
export interface TargetRow {
  cluster: string;
  namespace: string;
  /** The target (or the whole application) is suspended in the spec. */
  specSuspended: boolean;
  /** The target itself is suspended (what its Resume undoes). */
  ownSuspend?: boolean;
  /** Placed by labels (no entry of its own in the spec: suspend and resume do not apply). */
  placed?: boolean;
  status?: TargetStatus;
  detail?: TargetDetail;
  /** With a progressive rollout under way: the target's wave and its state there. */
  wave?: { name: string; state: string };
}

/** The status a target detail carries, when it has one. */
export function detailStatus(d: TargetDetail | undefined): TargetStatus | undefined {
  return d ? asTargetStatus(d.status) : undefined;
}

/** Every target: those in the spec, in its order, then any the status still reports. */
export function targetRows(app: Application, details: TargetDetail[] = []): TargetRow[] {
  const statuses = app.status?.targets ?? [];
  const rows: TargetRow[] = (app.spec?.targets ?? []).map((t) => {
    const detail = details.find((d) => d.cluster === t.cluster);
    return {
      cluster: t.cluster,
      namespace: t.namespace,
      specSuspended: !!t.suspend || !!app.spec.suspend,
      ownSuspend: !!t.suspend,
      status: statuses.find((s) => s.cluster === t.cluster) ?? detailStatus(detail),
      detail,
    };
  });
  for (const s of statuses) {
    if (!rows.some((r) => r.cluster === s.cluster)) {
      rows.push({
        cluster: s.cluster,
        namespace: s.namespace,
        specSuspended: !!app.spec.suspend,
        placed: true,
        status: s,
        detail: details.find((d) => d.cluster === s.cluster),
      });
    }
  }
  // Where a rollout stands for each target, while one is under way.
  const rollout = app.status?.rollout;
  if (rollout && rollout.phase !== 'Completed') {
    for (const r of rows) {
      for (const w of rollout.waves) {
        const t = w.targets.find((x) => x.cluster === r.cluster);
        if (t) r.wave = { name: w.name, state: t.state };
      }
    }
  }
  return rows;
}

/** The per-cluster status table with actions on each target. */
export function TargetsTable({
  namespace,
  name,
  rows,
  selected,
  onSelect,
  helm,
}: {
  namespace: string;
  name: string;
  rows: TargetRow[];
  selected?: string;
  onSelect?: (cluster: string) => void;
  /** A Helm application: rows offer Helm's Force and Reset. */
  helm?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Table data-testid="targets">
      <thead>
        <tr>
          <th>{t('Cluster')}</th>
          <th>{t('Namespace')}</th>
          <th>{t('State')}</th>
          <th>{t('Reason')}</th>
          <th>{t('Message')}</th>
          <th>{t('Applied revision')}</th>
          <th>{t('Last transition')}</th>
          <th>{t('Actions')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <td colSpan={8} className="muted">
              {t('No targets')}
            </td>
          </tr>
        )}
        {rows.map((r) => (
          <TargetLine
            key={r.cluster}
            namespace={namespace}
            name={name}
            row={r}
            selected={r.cluster === selected}
            onSelect={onSelect}
            helm={helm}
          />
        ))}
      </tbody>
    </Table>
  );
}

function TargetLine({
  namespace,
  name,
  row,
  selected,
  onSelect,
  helm,
}: {
  namespace: string;
  name: string;
  row: TargetRow;
  selected: boolean;
  onSelect?: (cluster: string) => void;
  helm?: boolean;
}) {
  const { t } = useTranslation();
  const { run, pending } = useAppAction(namespace, name);
  const s = row.status;
  const state = s ? targetState(s.ready, s.suspended, s.reason) : row.specSuspended ? 'suspended' : 'unknown';
  const recovery = useHelmRecovery({ namespace, name, clusters: [row.cluster] });
  // Reconcile shows; with Helm's Force and Reset the others are in a menu, so the row is one line.
  const actions: RowAction[] = [
    {
      key: 'reconcile',
      label: t('Reconcile'),
      loading: pending === 'reconcile',
      disabled: !!pending,
      onSelect: () => run('reconcile', row.cluster),
    },
  ];
  if (!row.placed) {
    const toggle = row.ownSuspend ? 'resume' : 'suspend';
    actions.push({
      key: toggle,
      label: row.ownSuspend ? t('Resume') : t('Suspend'),
      loading: pending === toggle,
      disabled: !!pending,
      onSelect: () => run(toggle, row.cluster),
    });
  }
  if (helm) actions.push(...recovery.actions);
  return (
    <tr
      data-testid={`target-${row.cluster}`}
      data-selected={selected}
      style={selected ? { background: '#f5fbf8' } : undefined}
    >
      <td style={{ whiteSpace: 'nowrap' }}>
        {onSelect ? (
          <a
            href={`#target-${row.cluster}`}
            onClick={(e) => {
              e.preventDefault();
              onSelect(row.cluster);
            }}
          >
            <b>{row.cluster}</b>
          </a>
        ) : (
          <b>{row.cluster}</b>
        )}
        {s?.mode === 'agent' && (
          <>
            {' '}
            <ModeTag mode="agent" testId={`target-mode-${row.cluster}`} />
          </>
        )}
      </td>
      <td>{row.namespace}</td>
      <td data-testid={`target-state-${row.cluster}`}>
        <StateTag state={state} title={messageText(s?.message, t)} />
        {s?.workloads && (
          <span className="muted" data-testid={`target-pods-${row.cluster}`} title={t('Ready replicas of its workloads')}>
            {' '}
            {s.workloads.ready}/{s.workloads.desired}
          </span>
        )}
        {row.wave && (
          <div className="muted" data-testid={`target-wave-${row.cluster}`} data-state={row.wave.state} style={{ fontSize: 12 }}>
            {t('Wave {{wave}}: {{state}}', { wave: row.wave.name, state: t(STATE_LABELS[row.wave.state] ?? row.wave.state) })}
          </div>
        )}
      </td>
      <td title={s?.reason}>{s?.reason ? <ServerReason reason={s.reason} /> : '-'}</td>
      <td style={{ maxWidth: 320, wordBreak: 'break-word' }}>
        {s?.message ? <ServerText text={s.message} /> : s ? '-' : t('Not reported yet')}
        {s?.lastDrift && <Drift cluster={row.cluster} drift={s.lastDrift} />}
      </td>
      <td>
        <Mono>{s?.lastAppliedRevision ?? '-'}</Mono>
      </td>
      <td>{fmtTime(s?.lastTransitionTime)}</td>
      <td className="row-actions">
        <RowActions actions={actions} name={row.cluster} size="xs" variant="outline" testId={`target-more-${row.cluster}`} />
        {recovery.dialog}
      </td>
    </tr>
  );
}
