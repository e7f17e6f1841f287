/**
 * An application's progressive rollout as a picture: its waves left to right, each a column
 * of its target clusters coloured by state, the wave under way marked, arrows between them;
 * the rollout's phase and message, and its actions (pause, resume, promote the wave under
 * way, roll it back), each confirmed with what it does. It follows the live stream through
 * the application's query.
 */
import { Button, Modal, notify } from '@kubed/components';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { HOST, post } from '../../api/client';
import { keys, resourcePath } from '../../api/hooks';
import type { ApplicationView } from '../../api/types';
import { Actions, errorText, fmtTime, Mono } from './common';
import { str } from './inventory';
import { rolloutActions, STATE_LABELS, stateTone, waveCounts, type RolloutAction } from './rollout';
import { messageText } from '../../i18n/server';

const TONES = {
  ok: { border: '#55bc8a', bg: '#effaf4', fg: '#1c8f5a' },
  bad: { border: '#ca2621', bg: '#fff0ef', fg: '#ca2621' },
  busy: { border: '#f5a623', bg: '#fff8eb', fg: '#b06d00' },
  idle: { border: '#d8dee5', bg: '#f9fbfd', fg: '#5f708a' },
} as const;

const Lane = styled.ol`
  display: flex;
  align-items: stretch;
  gap: 0;
  list-style: none;
  padding: 0;
  margin: 0 0 12px;
  overflow-x: auto;
`;

const Column = styled.li<{ $tone: keyof typeof TONES; $current: boolean }>`
  flex: 0 0 200px;
  border: 2px solid ${(p) => TONES[p.$tone].border};
  background: ${(p) => TONES[p.$tone].bg};
  border-radius: 6px;
  padding: 10px;
  box-shadow: ${(p) => (p.$current ? '0 0 0 3px rgba(52, 148, 230, 0.35)' : 'none')};
  header {
    display: flex;
    justify-content: space-between;
    align-items: baseline;
    gap: 8px;
    margin-bottom: 6px;
  }
  h3 {
    font-size: 13px;
    margin: 0;
    color: #242e42;
  }
  .state {
    font-size: 12px;
    font-weight: 600;
    color: ${(p) => TONES[p.$tone].fg};
  }
  ul {
    list-style: none;
    padding: 0;
    margin: 6px 0 0;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
`;

const Chip = styled.li<{ $tone: keyof typeof TONES }>`
  display: flex;
  justify-content: space-between;
  gap: 6px;
  font-size: 12px;
  padding: 3px 6px;
  border-radius: 3px;
  background: #fff;
  border-left: 4px solid ${(p) => TONES[p.$tone].border};
  .s {
    color: ${(p) => TONES[p.$tone].fg};
  }
`;

const Arrow = styled.li`
  flex: 0 0 28px;
  display: flex;
  align-items: center;
  justify-content: center;
  color: #5f708a;
  font-size: 18px;
`;

/** What each action does, as the confirmation says it. */
const EXPLAIN: Record<RolloutAction, string> = {
  pause: 'No further target or wave takes the new revision until the rollout is resumed. Targets that already took it keep it.',
  resume: 'The wave under way takes the new revision again and the rollout goes on once its targets are healthy.',
  promote: 'Passes the wave under way by hand, without waiting for its health checks or soak time; the next wave starts.',
  rollback: 'Puts the targets of the wave under way back on the stable revision {{stable}}, and pauses the rollout.',
};

const LABEL: Record<RolloutAction, string> = {
  pause: 'Pause rollout',
  resume: 'Resume rollout',
  promote: 'Promote wave',
  rollback: 'Roll back wave',
};

const PHASES: Record<string, string> = {
  Progressing: 'Progressing',
  Paused: 'Paused',
  Completed: 'Completed',
};

/** The rollout panel of an application with `spec.rollout` (nothing otherwise). */
export function RolloutPanel({ app }: { app: ApplicationView }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const namespace = str(app.metadata, 'namespace') ?? '';
  const name = str(app.metadata, 'name') ?? '';
  const [asking, setAsking] = useState<RolloutAction | null>(null);
  const m = useMutation((action: RolloutAction) =>
    post<ApplicationView>(resourcePath('applications', namespace, name, 'rollout'), { action }),
  );
  const r = app.status?.rollout;
  if (!app.spec.rollout) return null;
  const actions = rolloutActions(r);
  const current = r?.waves[r.currentWave];
  const confirm = (action: RolloutAction) =>
    m.mutate(action, {
      onSuccess: (updated) => {
        qc.setQueryData(keys.object('applications', HOST, namespace, name), updated);
        setAsking(null);
        notify.success(t('Rollout: {{action}} requested', { action: t(LABEL[action]) }));
      },
      onError: (e) => {
        setAsking(null);
        notify.error(t('Action failed: {{message}}', { message: errorText(e) }));
      },
    });
  const stateLabel = (s: string) => t(STATE_LABELS[s] ?? s);
  return (
    <section data-testid="rollout" data-phase={r?.phase ?? 'Pending'}>
      <h2 style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
        {t('Rollout')}
        <span data-testid="rollout-phase" className="muted" style={{ fontWeight: 400 }}>
          {r ? t(PHASES[r.phase] ?? r.phase) : t('Waiting for the controller')}
        </span>
      </h2>
      {r && (
        <p className="muted" style={{ margin: '0 0 8px', fontSize: 12 }}>
          {t('Revision')} <Mono>{r.revision}</Mono>
          {r.stableRevision && r.stableRevision !== r.revision && (
            <>
              {' · '}
              {t('stable')} <Mono>{r.stableRevision}</Mono>
            </>
          )}
          {r.startedAt && ` · ${t('started {{time}}', { time: fmtTime(r.startedAt) })}`}
        </p>
      )}
      {r?.message && (
        <p data-testid="rollout-message" style={{ margin: '0 0 12px', fontSize: 12 }}>
          {messageText(r.message, t)}
        </p>
      )}
      <Lane aria-label={t('Waves')}>
        {(r?.waves ?? []).map((w, i) => {
          const tone = stateTone(w.state);
          const { healthy, total } = waveCounts(w);
          return (
            <Fragment key={w.name}>
              {i > 0 && <Arrow aria-hidden>→</Arrow>}
              <Column
                $tone={tone}
                $current={r?.phase !== 'Completed' && i === r?.currentWave}
                data-testid={`wave-${w.name}`}
                data-state={w.state}
                aria-current={r?.phase !== 'Completed' && i === r?.currentWave ? 'step' : undefined}
              >
                <header>
                  <h3>
                    {i + 1}. {w.name}
                  </h3>
                  <span className="state">{stateLabel(w.state)}</span>
                </header>
                <div className="muted" style={{ fontSize: 12 }}>
                  {t('{{healthy}}/{{total}} updated and healthy', { healthy, total })}
                  {w.promoted && ` · ${t('promoted by hand')}`}
                </div>
                {w.message && (
                  <div style={{ fontSize: 12, marginTop: 4, wordBreak: 'break-word' }} title={messageText(w.message, t)}>
                    {w.message.length > 160 ? `${messageText(w.message, t).slice(0, 160)}…` : messageText(w.message, t)}
                  </div>
                )}
                <ul>
                  {w.targets.map((tg) => (
                    <Chip
                      key={tg.cluster}
                      $tone={stateTone(tg.state)}
                      data-testid={`wave-target-${tg.cluster}`}
                      data-state={tg.state}
                      title={tg.message || undefined}
                    >
                      <span>{tg.cluster}</span>
                      <span className="s">{stateLabel(tg.state)}</span>
                    </Chip>
                  ))}
                </ul>
              </Column>
            </Fragment>
          );
        })}
      </Lane>
      {actions.length > 0 && (
        <Actions>
          {actions.map((a) => (
            <Button
              key={a}
              size="sm"
              variant="outline"
              color={a === 'rollback' ? 'error' : undefined}
              disabled={m.isLoading}
              onClick={() => setAsking(a)}
              data-testid={`rollout-${a}`}
            >
              {t(LABEL[a])}
            </Button>
          ))}
        </Actions>
      )}
      <Modal
        visible={asking !== null}
        title={asking ? t(LABEL[asking]) : ''}
        onCancel={() => setAsking(null)}
        onOk={() => asking && confirm(asking)}
        okText={asking ? t(LABEL[asking]) : ''}
        cancelText={t('Cancel')}
        confirmLoading={m.isLoading}
        destroyOnClose
      >
        {asking && (
          <div data-testid="rollout-confirm" style={{ padding: '4px 0' }}>
            <p style={{ marginBottom: 8 }}>{t(EXPLAIN[asking], { stable: r?.stableRevision ?? '' })}</p>
            {current && (
              <p className="muted">
                {t('Wave under way: {{wave}} ({{clusters}})', {
                  wave: current.name,
                  clusters: current.targets.map((x) => x.cluster).join(', '),
                })}
              </p>
            )}
          </div>
        )}
      </Modal>
    </section>
  );
}
