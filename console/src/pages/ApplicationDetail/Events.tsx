import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { fmtTime } from './common';
import { sortEvents } from './inventory';
import { ServerReason, ServerText } from '../../i18n/server';

const Timeline = styled.ol`
  list-style: none;
  margin: 0;
  padding: 0 0 0 14px;
  border-left: 2px solid #e3e9ef;
  font-size: 12px;
  li {
    position: relative;
    margin: 0 0 12px;
  }
  li::before {
    content: '';
    position: absolute;
    left: -20px;
    top: 4px;
    width: 10px;
    height: 10px;
    border-radius: 50%;
    background: #55bc8a;
  }
  li.warning::before {
    background: #ca2621;
  }
  li.warning .reason,
  li.warning .message {
    color: #ca2621;
  }
  .reason {
    font-weight: 600;
    margin-right: 8px;
  }
  .when {
    color: #5f708a;
  }
  .message {
    margin-top: 2px;
    white-space: pre-wrap;
    word-break: break-word;
  }
`;

/** Kubernetes events of a target's Flux object as a timeline, newest first, warnings in red. */
export function Events({ events }: { events: unknown[] }) {
  const { t } = useTranslation();
  const list = sortEvents(events);
  if (list.length === 0) return <p className="muted">{t('No events')}</p>;
  return (
    <Timeline data-testid="events">
      {list.map((e, i) => {
        const warning = e.type === 'Warning';
        return (
          <li key={i} className={warning ? 'warning' : undefined} data-type={e.type}>
            <span className="reason" title={e.reason ?? undefined}>
              {e.reason ? <ServerReason reason={e.reason} /> : '-'}
            </span>
            <span className="when">
              {fmtTime(e.lastTimestamp ?? e.eventTime)}
              {e.count && e.count > 1 ? ` · ${t('{{count}} times', { count: e.count })}` : ''}
            </span>
            <div className="message">
              <ServerText text={e.message} />
            </div>
          </li>
        );
      })}
    </Timeline>
  );
}
