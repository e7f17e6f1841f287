import { Button, Input, Modal, notify } from '@kubed/components';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, useParams } from 'react-router-dom';
import { stringify } from 'yaml';
import { useAction, useClusters, useObjectList, type Action } from '../../api/hooks';
import type { ObjectView } from '../../api/types';
import { useNamespace } from '../../app/namespace';
import { DeleteObject } from '../../components/DeleteObject';
import { NativeSelect } from '../../components/Field';
import { Code, ErrorNote, Page, Table, Toolbar, KindTabs } from '../../components/Page';
import { Pager } from '../../components/Pager';
import { StateTag } from '../../components/StateTag';
import { AUTOMATION_KINDS, automationKind, type AutomationKind } from './kinds';
import { nameOf } from '../../api/json';
import { HOST, messageOf } from '../../api/client';

const LIMIT = 20;



/** The object as YAML, without server bookkeeping. */
function yamlOf(o: ObjectView): string {
  const metadata = { ...(o.metadata as Record<string, unknown>) };
  delete metadata.managedFields;
  return stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec, status: o.status });
}

/** Notifications (Providers, Alerts, Receivers) and image automation, by kind: live state,
 * what each does, reconcile/suspend/resume, YAML and delete. */
export default function Automation() {
  const kind = automationKind(useParams().kind);
  if (!kind) return <Navigate to="/automation/providers" replace />;
  return <AutomationList kind={kind} />;
}

function AutomationList({ kind }: { kind: AutomationKind }) {
  const { t } = useTranslation();
  const { namespace } = useNamespace();
  const clusters = useClusters();
  const [cluster, setCluster] = useState(HOST);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [viewing, setViewing] = useState<ObjectView | null>(null);
  const [deleting, setDeleting] = useState<ObjectView | null>(null);
  useEffect(() => setPage(1), [kind.plural, cluster, namespace, search]);

  const list = useObjectList(kind.plural, cluster, namespace, { name: search, page, limit: LIMIT, sortBy: 'name', ascending: true });
  const action = useAction(kind.plural);
  const items = list.data?.items ?? [];
  const pages = Math.max(1, Math.ceil((list.data?.totalItems ?? 0) / LIMIT));

  const run = (o: ObjectView, a: Action) => {
    const { name, namespace: ns } = nameOf(o);
    action.mutate(
      { cluster, namespace: ns, name, action: a, wait: a === 'reconcile' ? 30 : undefined },
      {
        onSuccess: () => notify.success(t('{{action}}: {{name}}', { action: t(a), name })),
        onError: (e) => notify.error(messageOf(e)),
      },
    );
  };

  let group = '';
  return (
    <Page title={t('Automation')} description={t('Notifications and image automation.')}>
      <KindTabs aria-label={t('Kinds')}>
        {AUTOMATION_KINDS.map((k) => {
          const header = k.group !== group ? (group = k.group) : null;
          return (
            <span key={k.plural} style={{ display: 'contents' }}>
              {header && <span className="group">{t(header)}</span>}
              <NavLink to={`/automation/${k.plural}`} data-testid={`kind-${k.plural}`}>
                {t(k.title)}
              </NavLink>
            </span>
          );
        })}
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
      <Table>
        <thead>
          <tr>
            <th>{t('Name')}</th>
            <th>{t('Namespace')}</th>
            <th>{t('State')}</th>
            <th>{t('What it does')}</th>
            <th>{t('Message')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((o) => {
            const { name, namespace: ns } = nameOf(o);
            return (
              <tr key={`${ns}/${name}`} data-testid={`object-${name}`}>
                <td>
                  <b>{name}</b>
                </td>
                <td>{ns}</td>
                <td>
                  <StateTag state={o.summary.state} title={o.summary.message} />
                </td>
                <td data-testid={`describe-${name}`}>{kind.describe(o)}</td>
                <td className="muted">{o.summary.message}</td>
                <td style={{ whiteSpace: 'nowrap' }}>
                  <Button size="sm" variant="text" onClick={() => run(o, 'reconcile')}>
                    {t('Reconcile')}
                  </Button>
                  <Button size="sm" variant="text" onClick={() => run(o, o.summary.suspended ? 'resume' : 'suspend')}>
                    {o.summary.suspended ? t('Resume') : t('Suspend')}
                  </Button>
                  <Button size="sm" variant="text" onClick={() => setViewing(o)}>
                    {t('YAML')}
                  </Button>
                  <Button size="sm" variant="text" onClick={() => setDeleting(o)}>
                    {t('Delete')}
                  </Button>
                </td>
              </tr>
            );
          })}
          {list.isSuccess && items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t('Nothing here yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
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
      <DeleteObject
        resource={kind.plural}
        cluster={cluster}
        kind={deleting?.kind ?? ''}
        object={deleting}
        deleted={(name) => t('{{name}} deleted', { name })}
        onClose={() => setDeleting(null)}
      />
    </Page>
  );
}
