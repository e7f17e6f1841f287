/** What an edit would change in one target, as the wizard and the rollback dialog show it. */
import { useTranslation } from 'react-i18next';
import type { TargetDiff } from '../api/types';
import { DiffFrame } from './DiffFrame';

const ACTIONS: Record<string, string> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  unchanged: 'unchanged',
};

/** A value in one line. */
export function short(v: unknown): string {
  if (v === undefined || v === null) return '–';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** One target's changes: its action and each changed path, old → new. */
export function DiffBlock({ d }: { d: TargetDiff }) {
  const { t } = useTranslation();
  const label: Record<string, string> = {
    create: t('create'),
    update: t('update'),
    delete: t('delete'),
    unchanged: t('unchanged'),
  };
  return (
    <DiffFrame data-testid={`diff-${d.cluster}`}>
      <button type="button" tabIndex={-1}>
        <b>{d.cluster}</b>
        <span className="action" data-action={ACTIONS[d.action] ?? d.action}>
          {label[d.action] ?? d.action}
        </span>
        <span className="muted">
          {d.kind} {d.name}
        </span>
      </button>
      {d.changes.length > 0 && (
        <ul>
          {d.changes.map((c) => (
            <li key={c.path}>
              <code>{c.path}</code>: <code>{short(c.old)}</code> → <code>{short(c.new)}</code>
            </li>
          ))}
        </ul>
      )}
    </DiffFrame>
  );
}

