/**
 * Step 5: what the server renders for every target (one Flux object each) and, when editing,
 * what would change per target.
 */
import { Loading } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { stringify } from 'yaml';
import type { Rendered, TargetDiff } from '../../api/types';
import { Code } from '../../components/Page';

const Block = styled.div`
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  margin-bottom: 10px;
  background: #fff;
  > button {
    display: flex;
    width: 100%;
    gap: 10px;
    align-items: center;
    padding: 8px 12px;
    border: none;
    background: #f9fbfd;
    cursor: pointer;
    font-size: 12px;
    text-align: left;
    color: #242e42;
  }
  .muted {
    color: #79879c;
  }
  .action {
    padding: 0 6px;
    border-radius: 2px;
    font-weight: 600;
    background: #eff4f9;
  }
  .action[data-action='create'] {
    background: #e3f6ec;
    color: #2a8a5c;
  }
  .action[data-action='update'] {
    background: #fff4e0;
    color: #b86e00;
  }
  .action[data-action='delete'] {
    background: #fde8e8;
    color: #ca2621;
  }
  ul {
    margin: 0;
    padding: 8px 12px 8px 28px;
    font-size: 12px;
  }
  li {
    margin-bottom: 4px;
    word-break: break-all;
  }
  code {
    font-family: 'Roboto Mono', Menlo, Consolas, monospace;
  }
`;

const ACTIONS: Record<string, string> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  unchanged: 'unchanged',
};

/** A value in one line. */
function short(v: unknown): string {
  if (v === undefined || v === null) return '–';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

function RenderedBlock({ r }: { r: Rendered }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(true);
  const meta = (r.object.metadata ?? {}) as { name?: string };
  return (
    <Block data-testid={`preview-${r.cluster}`}>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        <b>{r.cluster}</b>
        <span className="muted">
          {String(r.object.kind ?? '')} {meta.name ?? ''} →{' '}
          {t('namespace {{namespace}}', { namespace: r.namespace })}
        </span>
      </button>
      {open && <Code style={{ borderRadius: 0 }}>{stringify(r.object)}</Code>}
    </Block>
  );
}

function DiffBlock({ d }: { d: TargetDiff }) {
  const { t } = useTranslation();
  const label: Record<string, string> = {
    create: t('create'),
    update: t('update'),
    delete: t('delete'),
    unchanged: t('unchanged'),
  };
  return (
    <Block data-testid={`diff-${d.cluster}`}>
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
    </Block>
  );
}

/** The rendered objects and, when editing, the changes per target. */
export function PreviewStep({
  loading,
  rendered,
  diff,
  editing,
}: {
  loading: boolean;
  rendered?: Rendered[];
  diff?: TargetDiff[];
  editing: boolean;
}) {
  const { t } = useTranslation();
  if (loading) {
    return (
      <div style={{ display: 'flex', gap: 8, alignItems: 'center', padding: 24 }} role="status">
        <Loading size="sm" /> {t('Rendering…')}
      </div>
    );
  }
  return (
    <div>
      {editing && diff && (
        <>
          <h3 style={{ fontSize: 14, margin: '0 0 10px' }}>{t('Changes')}</h3>
          {diff.map((d) => (
            <DiffBlock key={d.cluster} d={d} />
          ))}
        </>
      )}
      {rendered && (
        <>
          <h3 style={{ fontSize: 14, margin: '16px 0 10px' }}>{t('Flux objects per cluster')}</h3>
          {rendered.map((r) => (
            <RenderedBlock key={r.cluster} r={r} />
          ))}
        </>
      )}
    </div>
  );
}
