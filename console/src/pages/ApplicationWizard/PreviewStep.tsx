/**
 * Step 5: what the server renders for every target (one Flux object each) and, when editing,
 * what would change per target.
 */
import { Loading } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { stringify } from 'yaml';
import type { Rendered, TargetDiff } from '../../api/types';
import { Code } from '../../components/Page';
import { DiffFrame as Block } from '../../components/DiffFrame';
import { DiffBlock } from '../../components/TargetDiff';


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
