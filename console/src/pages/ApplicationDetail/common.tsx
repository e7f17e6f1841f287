import { notify } from '@kubed/components';
import i18n from 'i18next';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { ApiError, HOST } from '../../api/client';
import { useAction, type Action } from '../../api/hooks';

/** A timestamp as date and time in the console's language (local time zone), or a dash. */
export function fmtTime(s: string | null | undefined): string {
  if (!s) return '-';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(i18n.language || undefined);
}

/** The text of a failed request. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/**
 * Runs an action on the application (all targets) or, with `target`, on one target, and
 * says how it went. `pending` is the action under way, if any.
 */
export function useAppAction(namespace: string, name: string) {
  const { t } = useTranslation();
  const m = useAction('applications');
  const done = (action: Action, target?: string): string => {
    if (target) {
      if (action === 'suspend') return t('Suspended {{cluster}}', { cluster: target });
      if (action === 'resume') return t('Resumed {{cluster}}', { cluster: target });
      return t('Reconcile of {{cluster}} requested', { cluster: target });
    }
    if (action === 'suspend') return t('Suspended all targets');
    if (action === 'resume') return t('Resumed all targets');
    return t('Reconcile requested');
  };
  const run = (action: Action, target?: string) =>
    m.mutate(
      // A reconcile waits (up to 30 s) until the controller handled it, so the button's
      // progress means the work, not just the request.
      { cluster: HOST, namespace, name, action, target, wait: action === 'reconcile' ? 30 : undefined },
      {
        onSuccess: () => notify.success(done(action, target)),
        onError: (e) => notify.error(t('Action failed: {{message}}', { message: errorText(e) })),
      },
    );
  return { run, pending: m.isLoading ? m.variables?.action : undefined };
}

/** A white panel with a title. */
export const Panel = styled.section`
  background: #fff;
  border-radius: 4px;
  padding: 16px;
  margin-bottom: 16px;
  box-shadow: 0 4px 8px 0 rgba(36, 46, 66, 0.06);
  h2 {
    font-size: 14px;
    margin: 0 0 12px;
    color: #242e42;
  }
  .muted {
    color: #5f708a;
  }
`;

/** Monospace, wrapped text (revisions, digests). */
export const Mono = styled.span`
  font-family: 'Roboto Mono', Menlo, Consolas, monospace;
  font-size: 12px;
  word-break: break-all;
`;

/** A row of small buttons. */
export const Actions = styled.div`
  display: flex;
  gap: 6px;
  flex-wrap: wrap;
`;
