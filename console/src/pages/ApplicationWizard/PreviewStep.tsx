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
import { DiffFrame as Block } from '../../components/DiffFrame';
import { DiffBlock } from '../../components/TargetDiff';


const LinkButton = styled.button`
  border: none;
  background: none;
  padding: 0;
  color: #3385ff;
  cursor: pointer;
  font-size: 12px;
`;

/** One target's rendered object, folded unless `open`. */
function RenderedBlock({ r, open, setOpen }: { r: Rendered; open: boolean; setOpen: (open: boolean) => void }) {
  const { t } = useTranslation();
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
  // Only the first target's YAML is unfolded at first: the rest stay one line each.
  const [opened, setOpened] = useState<Record<string, boolean>>({});
  const isOpen = (cluster: string, i: number) => opened[cluster] ?? i === 0;
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
          <h3 style={{ fontSize: 14, margin: '16px 0 10px', display: 'flex', gap: 12, alignItems: 'baseline' }}>
            {t('Flux objects per cluster')}
            {rendered.length > 1 && (
              <span style={{ fontWeight: 400, fontSize: 12 }}>
                <LinkButton
                  type="button"
                  data-testid="preview-expand-all"
                  onClick={() => setOpened(Object.fromEntries(rendered.map((r) => [r.cluster, true])))}
                >
                  {t('Expand all')}
                </LinkButton>
                {' · '}
                <LinkButton
                  type="button"
                  onClick={() => setOpened(Object.fromEntries(rendered.map((r) => [r.cluster, false])))}
                >
                  {t('Collapse all')}
                </LinkButton>
              </span>
            )}
          </h3>
          {rendered.map((r, i) => (
            <RenderedBlock
              key={r.cluster}
              r={r}
              open={isOpen(r.cluster, i)}
              setOpen={(o) => setOpened({ ...opened, [r.cluster]: o })}
            />
          ))}
        </>
      )}
    </div>
  );
}
