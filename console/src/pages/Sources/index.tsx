import { Button, Input, Loading } from '@kubed/components';
import { useEffect, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError, HOST } from '../../api/client';
import { useClusters, useKinds, useObjectList } from '../../api/hooks';
import { kindLabel } from '../../api/kinds';
import type { ObjectView } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { DeleteObject } from '../../components/DeleteObject';
import { NativeSelect } from '../../components/Field';
import { ObjectTable, stateColumn, type Column } from '../../components/ObjectTable';
import { ErrorNote, Page, Toolbar, KindTabs } from '../../components/Page';
import { kindOf, sourceKinds, type SourceKind } from './kinds';
import { SourceForm } from './SourceForm';
import { nameOf, obj, str } from '../../api/json';
import { useTo } from '../../app/base';
import { credentialType } from '../../i18n/server';

const LIMIT = 20;


const Pager = styled.div`
  display: flex;
  align-items: center;
  justify-content: flex-end;
  gap: 8px;
  margin-top: 12px;
  font-size: 12px;
  color: #5f708a;
`;



/** Where a source fetches from, as one line. */
function whereFrom(kind: SourceKind, o: ObjectView): string {
  const spec = obj(o.spec);
  if (kind.kind === 'HelmChart') {
    const src = obj(spec.sourceRef);
    const version = str(spec.version);
    return `${str(spec.chart)}${version ? `@${version}` : ''} (${str(src.kind)}/${str(src.name)})`;
  }
  if (kind.kind === 'Bucket') return `${str(spec.endpoint)}/${str(spec.bucketName)}`;
  return str(spec.url);
}

/** The artifact revision, digests shortened. */
function revisionOf(o: ObjectView): string {
  const rev = o.summary.revision || str(obj(obj(o.status).artifact).revision);
  return rev.replace(/\b(sha1|sha256):([0-9a-f]{12})[0-9a-f]+/g, '$1:$2');
}

/** "3 minutes ago" in the current language. */
function ago(iso: string, language: string): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const s = Math.round((then - Date.now()) / 1000);
  const fmt = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const abs = Math.abs(s);
  if (abs < 60) return fmt.format(s, 'second');
  if (abs < 3600) return fmt.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return fmt.format(Math.round(s / 3600), 'hour');
  return fmt.format(Math.round(s / 86400), 'day');
}

/** Flux sources of one kind in one cluster: list, create, edit, reconcile, suspend, delete. */
export default function Sources() {
  const to = useTo();
  const { t } = useTranslation();
  const params = useParams();
  const kinds = useKinds();
  const all = sourceKinds(kinds.data?.items ?? []);
  const kind = kindOf(all, params.kind);
  if (kind) return <SourceList kind={kind} all={all} />;
  if (all.length > 0) return <Navigate to={to(`/sources/${all[0].plural}`)} replace />;
  return (
    <Page title={t('Sources')} description={t('Where Flux fetches manifests and charts from.')}>
      <ErrorNote error={kinds.error} />
      {kinds.isLoading && <Loading />}
    </Page>
  );
}

function SourceList({ kind, all }: { kind: SourceKind; all: SourceKind[] }) {
  const to = useTo();
  const { t, i18n } = useTranslation();
  const { namespace } = useNamespace();
  const clusters = useClusters();
  const [cluster, setCluster] = useState(HOST);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<ObjectView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ObjectView | null>(null);

  useEffect(() => setPage(1), [kind.plural, cluster, namespace, search]);

  const list = useObjectList(kind.plural, cluster, namespace, { name: search, page, limit: LIMIT });
  const items = list.data?.items ?? [];
  const total = list.data?.totalItems ?? 0;
  const pages = Math.max(1, Math.ceil(total / LIMIT));
  const kindLabelOne = kindLabel(t, kind.kind, 'singular');

  const forbidden = list.error instanceof ApiError && list.error.status === 403;
  const clusterNames = clusters.data?.items.map((c) => c.name) ?? [];
  if (!clusterNames.includes(cluster)) clusterNames.unshift(cluster);

  const columns: Column[] = [
    {
      header: kind.kind === 'HelmChart' ? t('Chart') : t('URL'),
      cell: (o) => whereFrom(kind, o),
      style: { wordBreak: 'break-all' },
    },
    stateColumn(t('State'), { testId: (name) => `source-state-${name}`, message: true }),
    {
      header: t('Revision'),
      cell: (o) => revisionOf(o) || '–',
      className: 'muted',
      style: { wordBreak: 'break-all' },
    },
    {
      header: t('Credentials'),
      cell: (o) => {
        const auth = o.credentialStatus?.auth;
        const tls = o.credentialStatus?.tls;
        return (
          <>
            {auth ? (
              <>
                <span translate="no">{auth.secretName}</span> ({credentialType(auth.type, t)})
              </>
            ) : (
              '–'
            )}
            {tls && (
              <div className="muted">
                <span translate="no">{tls.secretName}</span> ({credentialType(tls.type, t)})
              </div>
            )}
          </>
        );
      },
    },
    {
      header: t('Updated'),
      className: 'muted',
      cell: (o) => {
        const updated = o.summary.lastUpdateTime;
        return (
          <span title={updated ? new Date(updated).toLocaleString(i18n.language || undefined) : undefined}>
            {updated ? ago(updated, i18n.language) : '–'}
          </span>
        );
      },
    },
  ];

  return (
    <Page
      title={t('Sources')}
      documentTitle={[kindLabel(t, kind.kind, 'plural'), t('Sources')]}
      description={t('Where Flux fetches manifests and charts from.')}
      actions={
        <Button color="primary" onClick={() => setEditing('new')}>
          {t('Create {{kind}}', { kind: kindLabelOne })}
        </Button>
      }
    >
      <KindTabs aria-label={t('Source kinds')}>
        {all.map((k) => (
          <NavLink key={k.plural} to={to(`/sources/${k.plural}`)} data-testid={`kind-${k.plural}`}>
            {kindLabel(t, k.kind, 'plural')}
          </NavLink>
        ))}
      </KindTabs>
      <Toolbar>
        <label htmlFor="cluster" style={{ fontSize: 12 }}>
          {t('Cluster')}
        </label>
        <NativeSelect
          id="cluster"
          name="cluster"
          value={cluster}
          onChange={(e) => setCluster(e.target.value)}
          style={{ width: 180 }}
        >
          {clusterNames.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </NativeSelect>
        <span className="muted" style={{ fontSize: 12, color: '#5f708a' }}>
          {namespace ? t('Namespace {{namespace}}', { namespace }) : t('All namespaces')}
        </span>
        <div style={{ marginLeft: 'auto' }}>
          <Input
            name="search"
            type="search"
            placeholder={t('Search by name')}
            aria-label={t('Search by name')}
            value={search}
            width={240}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setSearch(e.target.value)}
          />
        </div>
      </Toolbar>
      <ErrorNote error={list.error} />
      {forbidden && !namespace && (
        <p className="muted" role="note" style={{ fontSize: 12, marginTop: -4 }}>
          {t('You may not list every namespace: pick a namespace in the header.')}
        </p>
      )}
      <ObjectTable
        kind={kind}
        cluster={cluster}
        items={items}
        columns={columns}
        rowTestId={(name) => `source-${name}`}
        nameLink={(o) => {
          const { name, namespace: ns } = nameOf(o);
          const at = cluster === HOST ? '' : `?cluster=${encodeURIComponent(cluster)}`;
          return to(`/sources/${kind.plural}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}${at}`);
        }}
        more={(o) => [
          { key: 'edit', label: t('Edit'), onSelect: () => setEditing(o) },
          { key: 'delete', label: t('Delete'), onSelect: () => setDeleting(o) },
        ]}
        empty={
          list.isLoading
            ? undefined
            : search
              ? t('No {{kind}} matches the search.', { kind: kindLabel(t, kind.kind, 'plural') })
              : t('None yet.')
        }
      />
      <Pager>
        <span data-testid="total">{t('{{count}} in total', { count: total })}</span>
        <Button size="sm" variant="outline" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
          {t('Previous')}
        </Button>
        <span>{t('Page {{page}} of {{pages}}', { page, pages })}</span>
        <Button size="sm" variant="outline" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
          {t('Next page')}
        </Button>
      </Pager>
      {editing && (
        <SourceForm
          key={editing === 'new' ? 'new' : `${nameOf(editing).namespace}/${nameOf(editing).name}`}
          kind={kind}
          cluster={cluster}
          namespace={namespace}
          object={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <DeleteObject
        resource={kind.plural}
        cluster={cluster}
        kind={kindLabelOne}
        object={deleting}
        deleted={(name) => t('{{kind}} {{name}} deleted', { kind: kindLabelOne, name })}
        onClose={() => setDeleting(null)}
      />
    </Page>
  );
}
