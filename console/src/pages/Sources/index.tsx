import { Button, Input, notify } from '@kubed/components';
import { useEffect, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError, HOST, messageOf } from '../../api/client';
import { useAction, useClusters, useObjectList, type Action } from '../../api/hooks';
import type { ObjectView } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { DeleteObject } from '../../components/DeleteObject';
import { NativeSelect } from '../../components/Field';
import { ErrorNote, Page, Table, Toolbar, KindTabs } from '../../components/Page';
import { StateTag } from '../../components/StateTag';
import { kindOf, SOURCE_KINDS, type SourceKind } from './kinds';
import { SourceForm } from './SourceForm';
import { nameOf, obj, str } from '../../api/json';

const LIMIT = 20;


const Pager = styled.div`
  display: flex;
  align-items: center;
  justify-content: flex-end;
  gap: 8px;
  margin-top: 12px;
  font-size: 12px;
  color: #79879c;
`;

const Actions = styled.div`
  display: flex;
  gap: 4px;
  flex-wrap: wrap;
`;



/** Where a source fetches from, as one line. */
function whereFrom(kind: SourceKind, o: ObjectView): string {
  const spec = obj(o.spec);
  if (kind.plural === 'helmcharts') {
    const src = obj(spec.sourceRef);
    const version = str(spec.version);
    return `${str(spec.chart)}${version ? `@${version}` : ''} (${str(src.kind)}/${str(src.name)})`;
  }
  if (kind.plural === 'buckets') return `${str(spec.endpoint)}/${str(spec.bucketName)}`;
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
  const params = useParams();
  const kind = kindOf(params.kind);
  if (!kind) return <Navigate to="/sources/gitrepositories" replace />;
  return <SourceList kind={kind} />;
}

function SourceList({ kind }: { kind: SourceKind }) {
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
  const action = useAction(kind.plural);
  const items = list.data?.items ?? [];
  const total = list.data?.totalItems ?? 0;
  const pages = Math.max(1, Math.ceil(total / LIMIT));
  const kindLabel = t(kind.singular);

  const run = (o: ObjectView, a: Action) => {
    const { name, namespace: ns } = nameOf(o);
    action.mutate(
      // A reconcile waits (up to 30 s) until source-controller handled it.
      { cluster, namespace: ns, name, action: a, wait: a === 'reconcile' ? 30 : undefined },
      {
        onSuccess: () =>
          notify.success(
            a === 'reconcile'
              ? t('Reconcile of {{name}} requested', { name })
              : a === 'suspend'
                ? t('{{name}} suspended', { name })
                : t('{{name}} resumed', { name }),
          ),
        onError: (e) => notify.error(messageOf(e)),
      },
    );
  };
  const busy = (o: ObjectView, a: Action) =>
    action.isLoading &&
    action.variables?.name === nameOf(o).name &&
    action.variables?.namespace === nameOf(o).namespace &&
    action.variables?.action === a;

  const forbidden = list.error instanceof ApiError && list.error.status === 403;
  const clusterNames = clusters.data?.items.map((c) => c.name) ?? [];
  if (!clusterNames.includes(cluster)) clusterNames.unshift(cluster);

  return (
    <Page
      title={t('Sources')}
      description={t('Where Flux fetches manifests and charts from.')}
      actions={
        <Button color="primary" onClick={() => setEditing('new')}>
          {t('Create {{kind}}', { kind: kindLabel })}
        </Button>
      }
    >
      <KindTabs aria-label={t('Source kinds')}>
        {SOURCE_KINDS.map((k) => (
          <NavLink key={k.plural} to={`/sources/${k.plural}`} data-testid={`kind-${k.plural}`}>
            {t(k.title)}
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
        <span className="muted" style={{ fontSize: 12, color: '#79879c' }}>
          {namespace ? t('Namespace {{namespace}}', { namespace }) : t('All namespaces')}
        </span>
        <Input
          name="search"
          placeholder={t('Search by name')}
          aria-label={t('Search by name')}
          value={search}
          onChange={(e: ChangeEvent<HTMLInputElement>) => setSearch(e.target.value)}
          style={{ width: 240, marginLeft: 'auto' }}
        />
      </Toolbar>
      <ErrorNote error={list.error} />
      {forbidden && !namespace && (
        <p className="muted" role="note" style={{ fontSize: 12, marginTop: -4 }}>
          {t('You may not list every namespace: pick a namespace in the header.')}
        </p>
      )}
      <Table>
        <thead>
          <tr>
            <th>{t('Name')}</th>
            <th>{t('Namespace')}</th>
            <th>{kind.plural === 'helmcharts' ? t('Chart') : t('URL')}</th>
            <th>{t('State')}</th>
            <th>{t('Revision')}</th>
            <th>{t('Credentials')}</th>
            <th>{t('Updated')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((o) => {
            const { name, namespace: ns } = nameOf(o);
            const suspended = o.summary.suspended || obj(o.spec).suspend === true;
            const auth = o.credentialStatus?.auth;
            const tls = o.credentialStatus?.tls;
            const updated = o.summary.lastUpdateTime;
            return (
              <tr key={`${ns}/${name}`} data-testid={`source-${name}`}>
                <td>
                  <b>{name}</b>
                </td>
                <td>{ns}</td>
                <td style={{ wordBreak: 'break-all' }}>{whereFrom(kind, o)}</td>
                <td data-testid={`source-state-${name}`}>
                  <StateTag state={o.summary.state} title={o.summary.message} />
                  {o.summary.state === 'failed' && o.summary.message && (
                    <div className="muted">{o.summary.message}</div>
                  )}
                </td>
                <td className="muted" style={{ wordBreak: 'break-all' }}>
                  {revisionOf(o) || '–'}
                </td>
                <td>
                  {auth ? `${auth.secretName} (${auth.type})` : '–'}
                  {tls && <div className="muted">{`${tls.secretName} (${tls.type})`}</div>}
                </td>
                <td className="muted" title={updated ? new Date(updated).toLocaleString() : undefined}>
                  {updated ? ago(updated, i18n.language) : '–'}
                </td>
                <td>
                  <Actions>
                    <Button
                      size="sm"
                      variant="text"
                      loading={busy(o, 'reconcile')}
                      disabled={suspended}
                      onClick={() => run(o, 'reconcile')}
                    >
                      {t('Reconcile')}
                    </Button>
                    {suspended ? (
                      <Button
                        size="sm"
                        variant="text"
                        loading={busy(o, 'resume')}
                        onClick={() => run(o, 'resume')}
                      >
                        {t('Resume')}
                      </Button>
                    ) : (
                      <Button
                        size="sm"
                        variant="text"
                        loading={busy(o, 'suspend')}
                        onClick={() => run(o, 'suspend')}
                      >
                        {t('Suspend')}
                      </Button>
                    )}
                    <Button size="sm" variant="text" onClick={() => setEditing(o)}>
                      {t('Edit')}
                    </Button>
                    <Button size="sm" variant="text" onClick={() => setDeleting(o)}>
                      {t('Delete')}
                    </Button>
                  </Actions>
                </td>
              </tr>
            );
          })}
          {items.length === 0 && !list.isLoading && (
            <tr>
              <td colSpan={8} className="muted" style={{ textAlign: 'center' }}>
                {search ? t('No {{kind}} matches the search.', { kind: t(kind.title) }) : t('None yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
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
        kind={kindLabel}
        object={deleting}
        deleted={(name) => t('{{kind}} {{name}} deleted', { kind: kindLabel, name })}
        onClose={() => setDeleting(null)}
      />
    </Page>
  );
}
