/**
 * What an edit would change in one target, as the wizard and the rollback dialog show it: each
 * changed path with its value before and after side by side (as YAML, removed in red, added
 * in green); the block folds.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { stringify } from 'yaml';
import type { TargetDiff } from '../api/types';
import { DiffFrame } from './DiffFrame';

const ACTIONS: Record<string, string> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  unchanged: 'unchanged',
};

/** A value as the diff shows it: YAML for maps and lists, the text itself for a string. */
export function asYaml(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return stringify(v).trimEnd();
}

/** One target's changes: its action and each changed path, before and after side by side. */
export function DiffBlock({ d }: { d: TargetDiff }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(true);
  const label: Record<string, string> = {
    create: t('create'),
    update: t('update'),
    delete: t('delete'),
    unchanged: t('unchanged'),
  };
  return (
    <DiffFrame data-testid={`diff-${d.cluster}`}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        <b>{d.cluster}</b>
        <span className="action" data-action={ACTIONS[d.action] ?? d.action}>
          {label[d.action] ?? d.action}
        </span>
        <span className="muted">
          {d.kind} {d.name}
        </span>
      </button>
      {open && d.changes.length > 0 && (
        <table className="sides">
          <thead>
            <tr>
              <th>{t('Field')}</th>
              <th>{t('Before')}</th>
              <th>{t('After')}</th>
            </tr>
          </thead>
          <tbody>
            {d.changes.map((c) => (
              <tr key={c.path}>
                <td>
                  <code>{c.path}</code>
                </td>
                <td className="old">{c.old === undefined || c.old === null ? <i>{t('(none)')}</i> : <pre>{asYaml(c.old)}</pre>}</td>
                <td className="new">{c.new === undefined || c.new === null ? <i>{t('(none)')}</i> : <pre>{asYaml(c.new)}</pre>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </DiffFrame>
  );
}

