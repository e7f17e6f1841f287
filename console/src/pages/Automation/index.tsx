import { Button, Input, Loading, Modal } from '@kubed/components';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, useParams } from 'react-router-dom';
import { stringify } from 'yaml';
import { HOST } from '../../api/client';
import { useClusters, useKinds, useObjectList } from '../../api/hooks';
import { familyLabel, kindLabel } from '../../api/kinds';
import { nameOf } from '../../api/json';
import type { KindView, ObjectView } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { DeleteObject } from '../../components/DeleteObject';
import { NativeSelect } from '../../components/Field';
import { ObjectTable, stateColumn, type Column } from '../../components/ObjectTable';
import { Code, ErrorNote, Page, Toolbar, KindTabs } from '../../components/Page';
import { Pager } from '../../components/Pager';
import { automationKind, automationKinds, describe } from './kinds';
import { hasForm, NotificationForm, WebhookView } from './NotificationForm';
import { ImageForm } from './ImageForm';
import { hasImageForm } from './imageForm';
import { useTo } from '../../app/base';

const LIMIT = 20;

/** The object as YAML, without server bookkeeping. */
function yamlOf(o: ObjectView): string {
  const { managedFields: _managed, ...metadata } = o.metadata;
  void _managed;
  return stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec, status: o.status });
}

/** Notifications (Providers, Alerts, Receivers) and image automation, by kind: live state,
 * what each does, the kind's actions, YAML and delete. */
export default function Automation() {
  const to = useTo();
  const { t } = useTranslation();
  const params = useParams();
  const kinds = useKinds();
  const all = automationKinds(kinds.data?.items ?? []);
  const kind = automationKind(all, params.kind);
  if (kind) return <AutomationList kind={kind} all={all} />;
  if (all.length > 0) return <Navigate to={to(`/automation/${all[0].plural}`)} replace />;
  return (
    <Page title={t('Automation')} description={t('Notifications and image automation.')}>
      <ErrorNote error={kinds.error} />
      {kinds.isLoading && <Loading />}
    </Page>
  );
}

function AutomationList({ kind, all }: { kind: KindView; all: KindView[] }) {
  const to = useTo();
  const { t } = useTranslation();
  const { namespace } = useNamespace();
  const clusters = useClusters();
  const [cluster, setCluster] = useState(HOST);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [viewing, setViewing] = useState<ObjectView | null>(null);
  const [deleting, setDeleting] = useState<ObjectView | null>(null);
  const [editing, setEditing] = useState<ObjectView | 'new' | null>(null);
  const [webhook, setWebhook] = useState<ObjectView | null>(null);
  useEffect(() => setPage(1), [kind.plural, cluster, namespace, search]);
  // Notifications are written in the host (hub mode: notification-controller runs there).
  const editable = (hasForm(kind.kind) || hasImageForm(kind.kind)) && cluster === HOST;

  // What each object does is read from its status too: a live change reads the page again.
  const list = useObjectList(
    kind.plural,
    cluster,
    namespace,
    { name: search, page, limit: LIMIT, sortBy: 'name', ascending: true },
    { refetchOnChange: true },
  );
  const items = list.data?.items ?? [];
  const pages = Math.max(1, Math.ceil((list.data?.totalItems ?? 0) / LIMIT));

  const columns: Column[] = [
    stateColumn(t('State')),
    { header: t('What it does'), cell: (o) => describe(kind.kind, o) || '–', testId: (name) => `describe-${name}` },
    { header: t('Message'), cell: (o) => o.summary.message, className: 'muted' },
  ];

  return (
    <Page
      title={t('Automation')}
      documentTitle={[kindLabel(t, kind.kind, 'plural'), t('Automation')]}
      description={t('Notifications and image automation.')}
      actions={
        editable && (
          <Button color="primary" onClick={() => setEditing('new')} data-testid="create-object">
            {t('Create {{kind}}', { kind: kindLabel(t, kind.kind, 'singular') })}
          </Button>
        )
      }
    >
      <KindTabs aria-label={t('Kinds')}>
        {all.map((k, i) => (
          <span key={k.plural} style={{ display: 'contents' }}>
            {(i === 0 || all[i - 1].family !== k.family) && <span className="group">{familyLabel(t, k.family)}</span>}
            <NavLink to={to(`/automation/${k.plural}`)} data-testid={`kind-${k.plural}`}>
              {kindLabel(t, k.kind, 'plural')}
            </NavLink>
          </span>
        ))}
      </KindTabs>
      <Toolbar>
        <NativeSelect
          name="cluster"
          aria-label={t('Cluster')}
          style={{ width: 180 }}
          value={cluster}
          onChange={(e) => setCluster(e.target.value)}
        >
          {(clusters.data?.items ?? [{ name: HOST }]).map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </NativeSelect>
        <Input
          name="search"
          placeholder={t('Search by name')}
          value={search}
          width={240}
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => setSearch(e.target.value)}
        />
      </Toolbar>
      <ErrorNote error={list.error} />
      <ObjectTable
        kind={kind}
        cluster={cluster}
        items={items}
        columns={columns}
        rowTestId={(name) => `object-${name}`}
        more={(o) => [
          ...(editable ? [{ key: 'edit', label: t('Edit'), onSelect: () => setEditing(o) }] : []),
          ...(kind.kind === 'Receiver' ? [{ key: 'webhook', label: t('Webhook URL'), onSelect: () => setWebhook(o) }] : []),
          { key: 'yaml', label: t('YAML'), onSelect: () => setViewing(o) },
          { key: 'delete', label: t('Delete'), onSelect: () => setDeleting(o) },
        ]}
        empty={list.isSuccess ? t('Nothing here yet.') : undefined}
      />
      <Pager page={page} pages={pages} onPage={setPage} />
      <Modal
        visible={viewing !== null}
        title={viewing ? `${viewing.kind} ${nameOf(viewing).name}` : ''}
        onCancel={() => setViewing(null)}
        footer={null}
        width={800}
      >
        {viewing && <Code>{yamlOf(viewing)}</Code>}
      </Modal>
      {editing && hasForm(kind.kind) && (
        <NotificationForm
          key={editing === 'new' ? 'new' : nameOf(editing).name}
          kind={kind.kind}
          namespace={editing === 'new' ? namespace : nameOf(editing).namespace}
          object={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      {editing && hasImageForm(kind.kind) && (
        <ImageForm
          key={editing === 'new' ? 'new' : nameOf(editing).name}
          kind={kind.kind}
          namespace={editing === 'new' ? namespace : nameOf(editing).namespace}
          object={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <Modal
        visible={webhook !== null}
        title={webhook ? t('Webhook of {{name}}', { name: nameOf(webhook).name }) : ''}
        onCancel={() => setWebhook(null)}
        footer={null}
        width={720}
      >
        {webhook && <WebhookView namespace={nameOf(webhook).namespace} name={nameOf(webhook).name} />}
      </Modal>
      <DeleteObject
        resource={kind.plural}
        cluster={cluster}
        kind={kindLabel(t, kind.kind, 'singular')}
        object={deleting}
        deleted={(name) => t('{{name}} deleted', { name })}
        onClose={() => setDeleting(null)}
      />
    </Page>
  );
}
