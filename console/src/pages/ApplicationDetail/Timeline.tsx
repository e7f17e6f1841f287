/**
 * An application's release timeline: one lane per cluster, each release a mark coloured by
 * outcome. Hovering a mark shows its revision, duration and message; clicking it opens its
 * details with what changed since the release before, and for Helm targets a rollback that
 * shows the diff first and applies it as an ordinary edit of the application.
 */
import { Button, Modal, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { useApplicationHistory, useRollbackProposal } from '../../api/history';
import { applicationRequest, useSaveApplication } from '../../api/hooks';
import { ApiError } from '../../api/client';
import type { ApplicationSpec, Release, RollbackProposal } from '../../api/types';
import { ErrorNote } from '../../components/Page';
import { DiffBlock } from '../../components/TargetDiff';
import { errorText, fmtTime, Mono } from './common';
import {
  canRollBackTo,
  formatDuration,
  layoutLanes,
  outcomeColor,
  previousOf,
  releaseChanges,
  shortRevision,
  type FieldChange,
} from './timeline';

const Lanes = styled.div`
  font-size: 12px;
  .lane {
    display: flex;
    align-items: center;
    gap: 12px;
    height: 34px;
    border-bottom: 1px dashed #e3e9ef;
  }
  .lane-name {
    width: 120px;
    flex: none;
    font-weight: 600;
    color: #36435c;
  }
  .track {
    position: relative;
    flex: 1;
    height: 100%;
    margin-right: 12px;
  }
  .track::before {
    content: '';
    position: absolute;
    left: 0;
    right: 0;
    top: 50%;
    border-top: 1px solid #ccd3db;
  }
  .mark {
    position: absolute;
    top: 50%;
    width: 14px;
    height: 14px;
    margin: -7px 0 0 -7px;
    border-radius: 50%;
    border: 2px solid #fff;
    box-shadow: 0 0 0 1px #ccd3db;
    padding: 0;
    cursor: pointer;
  }
  .mark:focus,
  .mark:hover {
    box-shadow: 0 0 0 2px #242e42;
    outline: none;
  }
  .axis {
    display: flex;
    justify-content: space-between;
    margin: 4px 12px 0 132px;
    color: #5f708a;
  }
  .legend {
    display: flex;
    gap: 12px;
    margin-top: 8px;
    color: #5f708a;
  }
  .legend i {
    display: inline-block;
    width: 10px;
    height: 10px;
    border-radius: 50%;
    margin-right: 4px;
    vertical-align: -1px;
  }
`;

const Tip = styled.div`
  position: absolute;
  z-index: 10;
  bottom: 22px;
  transform: translateX(-50%);
  width: 300px;
  background: #242e42;
  color: #fff;
  border-radius: 4px;
  padding: 8px 10px;
  font-size: 12px;
  line-height: 1.5;
  pointer-events: none;
  word-break: break-word;
  b {
    color: #abb4be;
    font-weight: 400;
    margin-right: 4px;
  }
`;

const Details = styled.dl`
  display: grid;
  grid-template-columns: 140px 1fr;
  gap: 6px 12px;
  font-size: 12px;
  margin: 0 0 12px;
  dt {
    color: #5f708a;
  }
  dd {
    margin: 0;
    word-break: break-word;
  }
`;

/** A release's identity on the timeline (kept across the history's reads). */
const markKey = (r: Release): string => `${r.id}-${r.kind}-${r.name}-${r.startedAt}`;

/** The label of an outcome. */
function useOutcomeLabel() {
  const { t } = useTranslation();
  return (o: Release['outcome']) =>
    o === 'succeeded' ? t('Succeeded') : o === 'failed' ? t('Failed') : t('In progress');
}

/** The label of a changed field. */
function useFieldLabel() {
  const { t } = useTranslation();
  return (f: FieldChange['field']) =>
    ({
      revision: t('Revision'),
      chartVersion: t('Chart version'),
      helmVersion: t('Helm release'),
      valuesDigest: t('Values digest'),
      outcome: t('Outcome'),
    })[f];
}

/** The release timeline of an application, with details and rollback. */
export function Timeline({
  namespace,
  name,
  clusters,
  helm,
}: {
  namespace: string;
  name: string;
  /** The application's target clusters, in the spec's order (each gets a lane). */
  clusters: string[];
  helm: boolean;
}) {
  const { t } = useTranslation();
  const history = useApplicationHistory(namespace, name);
  const outcomeLabel = useOutcomeLabel();
  const [hover, setHover] = useState<string | null>(null);
  const [open, setOpen] = useState<Release | null>(null);
  const releases = history.data?.items ?? [];
  // 2% of the axis: about 20 px on a wide screen, more than a mark's width.
  const lanes = layoutLanes(releases, clusters, 0.02);
  const starts = releases.map((r) => r.startedAt);
  const tipText = (r: Release) =>
    [shortRevision(r.revision), formatDuration(r.durationMs), outcomeLabel(r.outcome), r.message]
      .filter(Boolean)
      .join(' · ');

  return (
    <div data-testid="release-timeline">
      <ErrorNote error={history.error} />
      {history.isSuccess && releases.length === 0 && (
        <p className="muted">{t('No releases recorded yet. They appear here as Flux applies this application.')}</p>
      )}
      <Lanes>
        {lanes.map((lane) => (
          <div className="lane" key={lane.cluster} data-testid={`lane-${lane.cluster}`}>
            <span className="lane-name">{lane.cluster}</span>
            <div className="track">
              {lane.marks.map(({ release: r, x }) => (
                <span key={markKey(r)}>
                  <button
                    type="button"
                    className="mark"
                    data-testid={`release-${r.id}`}
                    data-outcome={r.outcome}
                    aria-label={tipText(r)}
                    style={{ left: `${x * 100}%`, background: outcomeColor(r.outcome) }}
                    onMouseEnter={() => setHover(markKey(r))}
                    onMouseLeave={() => setHover(null)}
                    onFocus={() => setHover(markKey(r))}
                    onBlur={() => setHover(null)}
                    onClick={() => setOpen(r)}
                  />
                  {hover === markKey(r) && (
                    <Tip
                      // Near an end of the axis the tip opens inwards, so it stays on the page.
                      style={{ left: `${x * 100}%`, transform: `translateX(${x < 0.15 ? -8 : x > 0.85 ? -92 : -50}%)` }}
                      role="tooltip"
                      data-testid="release-tip"
                    >
                      <div>
                        <b>{t('Revision')}</b>
                        {shortRevision(r.revision)}
                        {r.chartVersion && r.chartVersion !== r.revision && ` (${r.chartVersion})`}
                      </div>
                      <div>
                        <b>{t('Duration')}</b>
                        {formatDuration(r.durationMs) || t('not finished')}
                      </div>
                      <div>
                        <b>{outcomeLabel(r.outcome)}</b>
                        {fmtTime(new Date(r.startedAt).toISOString())}
                      </div>
                      {r.message && <div>{r.message.length > 300 ? `${r.message.slice(0, 297)}…` : r.message}</div>}
                    </Tip>
                  )}
                </span>
              ))}
            </div>
          </div>
        ))}
        {releases.length > 0 && (
          <div className="axis">
            <span>{fmtTime(new Date(Math.min(...starts)).toISOString())}</span>
            <span>{fmtTime(new Date(Math.max(...starts)).toISOString())}</span>
          </div>
        )}
        <div className="legend">
          {(['succeeded', 'failed', 'progressing'] as const).map((o) => (
            <span key={o}>
              <i style={{ background: outcomeColor(o) }} />
              {outcomeLabel(o)}
            </span>
          ))}
        </div>
      </Lanes>
      {open && (
        <ReleaseDetails
          namespace={namespace}
          name={name}
          release={open}
          previous={previousOf(open, releases)}
          helm={helm}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  );
}

/** One release: its facts, what changed since the release before, and (Helm) a rollback. */
function ReleaseDetails({
  namespace,
  name,
  release: r,
  previous,
  helm,
  onClose,
}: {
  namespace: string;
  name: string;
  release: Release;
  previous: Release | undefined;
  helm: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const outcomeLabel = useOutcomeLabel();
  const fieldLabel = useFieldLabel();
  const [rollingBack, setRollingBack] = useState(false);
  const target = r.target ?? r.cluster;
  const changes = releaseChanges(previous, r);
  return (
    <Modal
      visible
      title={t('Release in {{cluster}}', { cluster: target })}
      onCancel={onClose}
      footer={null}
      width={760}
    >
      <div data-testid="release-details">
        <Details>
          <dt>{t('Object')}</dt>
          <dd>
            {r.kind} {r.namespace}/{r.name}
          </dd>
          <dt>{t('Revision')}</dt>
          <dd>
            <Mono>{r.revision}</Mono>
          </dd>
          {r.chartVersion && (
            <>
              <dt>{t('Chart version')}</dt>
              <dd>{r.chartVersion}</dd>
            </>
          )}
          {r.helmVersion != null && (
            <>
              <dt>{t('Helm release')}</dt>
              <dd>{r.helmVersion}</dd>
            </>
          )}
          <dt>{t('Outcome')}</dt>
          <dd data-testid="release-outcome" style={{ color: outcomeColor(r.outcome) }}>
            {outcomeLabel(r.outcome)} ({r.reason})
          </dd>
          <dt>{t('Started')}</dt>
          <dd>{fmtTime(new Date(r.startedAt).toISOString())}</dd>
          <dt>{t('Finished')}</dt>
          <dd>{r.finishedAt ? fmtTime(new Date(r.finishedAt).toISOString()) : '-'}</dd>
          <dt>{t('Duration')}</dt>
          <dd>{formatDuration(r.durationMs) || '-'}</dd>
          <dt>{t('Message')}</dt>
          <dd data-testid="release-message">{r.message || '-'}</dd>
        </Details>
        <h3 style={{ fontSize: 13, margin: '0 0 6px' }}>
          {previous ? t('Changes since the release before') : t('The first release recorded')}
        </h3>
        <ul data-testid="release-changes" style={{ fontSize: 12, margin: '0 0 12px', paddingLeft: 18 }}>
          {changes.map((c) => (
            <li key={c.field}>
              {fieldLabel(c.field)}: <Mono>{c.before ? shortRevision(c.before) : '–'}</Mono> →{' '}
              <Mono>{c.after ? shortRevision(c.after) : '–'}</Mono>
            </li>
          ))}
          {previous && changes.length === 0 && <li>{t('Nothing changed')}</li>}
        </ul>
        {helm && canRollBackTo(r) && !rollingBack && (
          <Button variant="outline" onClick={() => setRollingBack(true)}>
            {t('Roll {{cluster}} back to this release', { cluster: target })}
          </Button>
        )}
        {rollingBack && (
          <Rollback namespace={namespace} name={name} target={target} release={r} onDone={onClose} />
        )}
      </div>
    </Modal>
  );
}

/** The rollback of one target: the proposed change, then Apply (an ordinary edit). */
function Rollback({
  namespace,
  name,
  target,
  release,
  onDone,
}: {
  namespace: string;
  name: string;
  target: string;
  release: Release;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const proposal = useRollbackProposal(namespace, name, target, release.id);
  const save = useSaveApplication();
  const [attempts, setAttempts] = useState(0);
  const p = proposal.data;
  const apply = (given: RollbackProposal | undefined = p, attempt = 0) => {
    if (!given) return;
    setAttempts(attempt);
    save.mutate(
      {
        namespace,
        create: false,
        req: applicationRequest(name, given.spec as unknown as ApplicationSpec, given.resourceVersion),
      },
      {
        onSuccess: () => {
          notify.success(t('{{cluster}} is rolling back to chart {{version}}', { cluster: target, version: release.chartVersion ?? '' }));
          onDone();
        },
        onError: async (e) => {
          // The application changed meanwhile (often only its status): propose again, and
          // apply by itself only when the change shown is still the same.
          if (e instanceof ApiError && e.status === 409 && attempt < 3) {
            const again = (await proposal.refetch()).data;
            if (again && JSON.stringify(again.diff) === JSON.stringify(given.diff)) return apply(again, attempt + 1);
            notify(t('The application changed meanwhile: review the changes again.'));
            return;
          }
          notify.error(t('Action failed: {{message}}', { message: errorText(e) }));
        },
      },
    );
  };
  return (
    <div data-testid="rollback" style={{ borderTop: '1px solid #e3e9ef', paddingTop: 12 }}>
      <h3 style={{ fontSize: 13, margin: '0 0 6px' }}>{t('What the rollback changes')}</h3>
      <ErrorNote error={proposal.error} />
      {proposal.isLoading && <p className="muted">{t('Loading…')}</p>}
      {p?.diff.map((d) => <DiffBlock key={d.cluster} d={d} />)}
      {p && (
        <Button
          color="primary"
          loading={save.isLoading || (attempts > 0 && proposal.isFetching)}
          onClick={() => apply()}
          data-testid="rollback-apply"
        >
          {t('Apply the rollback')}
        </Button>
      )}
    </div>
  );
}
