/**
 * A workspace's view: the applications of its projects, all of them at once or one project's
 * (with the project's list: search, filters, create), picked from the workspace's projects
 * as KubeSphere lists them. KubeSphere authorises ksflux's API per project (namespace-scoped
 * paths), so every project is read on its own.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useMatch, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { NativeSelect } from '../components/Field';
import { ErrorNote } from '../components/Page';
import { Queries, Scoped } from './Root';
import { WorkspaceAll } from './WorkspaceAll';

/** The picker's value for every project. */
const ALL = '*';

interface NamespaceList {
  items?: { metadata: { name: string } }[];
}

/** The workspace's projects, from KubeSphere's tenant API. */
async function workspaceProjects(workspace: string): Promise<string[]> {
  const res = await fetch(`/kapis/tenant.kubesphere.io/v1beta1/workspaces/${encodeURIComponent(workspace)}/namespaces`, {
    headers: { Accept: 'application/json' },
  });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const list = (await res.json()) as NamespaceList;
  return (list.items ?? []).map((n) => n.metadata.name).sort();
}

const Bar = styled.div`
  display: flex;
  align-items: center;
  gap: 8px;
  margin-bottom: 12px;
  font-size: 12px;
`;

/** A workspace's view (KubeSphere's workspace navigation). */
export function WorkspaceRoot() {
  return (
    <Queries>
      <WorkspaceApplications />
    </Queries>
  );
}

function WorkspaceApplications() {
  const { t } = useTranslation();
  const { workspace = '' } = useParams();
  const projects = useQuery({ queryKey: ['kubesphere', 'workspace-projects', workspace], queryFn: () => workspaceProjects(workspace) });
  const [picked, setPicked] = useState(ALL);
  const names = projects.data ?? [];
  const all = picked === ALL || !names.includes(picked);
  const project = all ? (names[0] ?? '') : picked;
  const atList = useMatch('/workspaces/:workspace/fluxcd/applications') !== null;
  return (
    <Scoped base={`/workspaces/${workspace}/fluxcd`} namespace={project}>
      <div data-testid="ksflux-extension">
        <Bar>
          <label>
            {t('Project')}{' '}
            <NativeSelect
              aria-label={t('Project')}
              name="project"
              value={all ? ALL : project}
              onChange={(e) => setPicked(e.target.value)}
            >
              <option value={ALL}>{t('All projects')}</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </NativeSelect>
          </label>
        </Bar>
        {projects.error ? <ErrorNote error={projects.error} /> : null}
        {!project ? (
          projects.isSuccess ? (
            <p>{t('This workspace has no projects.')}</p>
          ) : null
        ) : all && atList ? (
          <WorkspaceAll projects={names} />
        ) : (
          <Outlet />
        )}
      </div>
    </Scoped>
  );
}
