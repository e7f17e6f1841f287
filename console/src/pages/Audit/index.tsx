/**
 * The audit log: every write made through ksflux's API (who, when, which object, what
 * action and, for edits, which spec fields changed), newest first, in the namespace picked in
 * the header (or every namespace the user may list), filtered by kind, name and user.
 */
import { Input } from '@kubed/components';
import { useEffect, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useAudit } from '../../api/history';
import { useNamespace } from '../../app/namespace';
import { ErrorNote, Page, Table, Toolbar } from '../../components/Page';
import { Pager } from '../../components/Pager';
import { fmtTime } from '../ApplicationDetail/common';
import { ServerText, auditAction } from '../../i18n/server';

const LIMIT = 50;

/** The audit log page (`/audit`). */
export default function Audit() {
  const { t } = useTranslation();
  const { namespace } = useNamespace();
  const [kind, setKind] = useState('');
  const [name, setName] = useState('');
  const [user, setUser] = useState('');
  const [page, setPage] = useState(1);
  useEffect(() => setPage(1), [namespace, kind, name, user]);
  const audit = useAudit(namespace, { kind: kind.trim(), name: name.trim(), user: user.trim(), page, limit: LIMIT });
  const items = audit.data?.items ?? [];
  const pages = Math.max(1, Math.ceil((audit.data?.totalItems ?? 0) / LIMIT));
  const text = (set: (v: string) => void) => (e: ChangeEvent<HTMLInputElement>) => set(e.target.value);
  return (
    <Page
      title={t('Audit log')}
      description={
        namespace
          ? t('Every write made through ksflux in {{namespace}}, newest first.', { namespace })
          : t('Every write made through ksflux in the namespaces you may see, newest first.')
      }
    >
      <Toolbar>
        <Input name="kind" placeholder={t('Kind, e.g. Application')} value={kind} onChange={text(setKind)} width={200} />
        <Input name="name" placeholder={t('Object name')} value={name} onChange={text(setName)} width={200} />
        <Input name="user" placeholder={t('User')} value={user} onChange={text(setUser)} width={200} />
      </Toolbar>
      <ErrorNote error={audit.error} />
      <Table data-testid="audit-log">
        <thead>
          <tr>
            <th>{t('When')}</th>
            <th>{t('User')}</th>
            <th>{t('Action')}</th>
            <th>{t('Object')}</th>
            <th>{t('Cluster')}</th>
            <th>{t('Changes')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id} data-testid={`audit-${e.id}`}>
              <td>{fmtTime(new Date(e.at).toISOString())}</td>
              <td translate="no">{e.user}</td>
              <td>{auditAction(e.action, t)}</td>
              <td translate="no">
                {e.kind} {e.namespace}/{e.name}
              </td>
              <td translate="no">{e.cluster}</td>
              <td className="muted" style={{ wordBreak: 'break-word' }}>
                {e.summary ? <ServerText text={e.summary} /> : '–'}
              </td>
            </tr>
          ))}
          {audit.isSuccess && items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                {t('Nothing recorded yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
      <Pager page={page} pages={pages} onPage={setPage} />
    </Page>
  );
}
