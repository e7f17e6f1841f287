/**
 * A workspace's view: the applications of its projects. KubeSphere authorises ksflux's API
 * per project (namespace-scoped paths), so the page lists one project at a time, picked
 * from the workspace's projects as KubeSphere lists them.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { NativeSelect } from '../components/Field';
import { ErrorNote } from '../components/Page';
import { Queries, Scoped } from './Root';

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
  const [picked, setPicked] = useState('');
  const names = projects.data ?? [];
  const project = picked && names.includes(picked) ? picked : (names[0] ?? '');
  return (
    <Scoped base={`/workspaces/${workspace}/fluxcd`} namespace={project}>
      <div data-testid="ksflux-extension">
        <Bar>
          <label>
            {t('Project')}{' '}
            <NativeSelect
              aria-label={t('Project')}
              name="project"
              value={project}
              onChange={(e) => setPicked(e.target.value)}
            >
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </NativeSelect>
          </label>
        </Bar>
        {projects.error ? <ErrorNote error={projects.error} /> : null}
        {project ? <Outlet /> : projects.isSuccess ? <p>{t('This workspace has no projects.')}</p> : null}
      </div>
    </Scoped>
  );
}
