/**
 * A workspace's applications across all its projects, in one table: each project is read on
 * its own (KubeSphere authorises ksflux's API per project), live like every list.
 */
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useApplicationsIn } from '../api/hooks';
import { useTo } from '../app/base';
import { ErrorNote, Page, Table } from '../components/Page';
import { StateTag } from '../components/StateTag';
import { TargetChips } from '../pages/Applications';

const LIMIT = 100;

export function WorkspaceAll({ projects }: { projects: string[] }) {
  const { t } = useTranslation();
  const to = useTo();
  const results = useApplicationsIn(projects, { limit: LIMIT, sortBy: 'name', ascending: true });
  const apps = results
    .flatMap((r) => r.data?.items ?? [])
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  const done = results.every((r) => !r.isLoading);
  return (
    <Page title={t('Applications')} description={t('The Flux applications of every project in this workspace.')}>
      {results.map((r, i) => (r.error ? <ErrorNote key={projects[i]} error={r.error} /> : null))}
      <Table data-testid="applications">
        <thead>
          <tr>
            <th>{t('Name')}</th>
            <th>{t('Project')}</th>
            <th>{t('State')}</th>
            <th>{t('Clusters')}</th>
          </tr>
        </thead>
        <tbody>
          {apps.map((app) => (
            <tr key={`${app.metadata.namespace}/${app.metadata.name}`} data-testid={`app-${app.metadata.name}`}>
              <td>
                <Link to={to(`/applications/${app.metadata.namespace}/${app.metadata.name}`)}>
                  <b>{app.metadata.name as string}</b>
                </Link>
              </td>
              <td>{app.metadata.namespace as string}</td>
              <td>
                <StateTag state={app.summary.state} title={app.summary.message} />{' '}
                <span className="muted">{app.status?.summary?.text}</span>
              </td>
              <td>
                <TargetChips app={app} />
              </td>
            </tr>
          ))}
          {done && apps.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                {t('No applications yet.')}
              </td>
            </tr>
          )}
        </tbody>
      </Table>
    </Page>
  );
}
