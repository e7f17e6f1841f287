/**
 * The extension's routes and menus for KubeSphere 4.1's console: the platform view under
 * `/fluxcd` (KubeSphere's global navigation), a workspace's applications and a project's
 * applications and sources, nested into KubeSphere's workspace and project layouts
 * (`parentRoute`). The pages are the standalone console's (`app/routes.tsx`).
 */
import { Navigate, type RouteObject } from 'react-router-dom';
import { routes as pages } from '../app/routes';
import { PLATFORM_BASE, PlatformRoot, ProjectRoot } from './Root';
import { WorkspaceRoot } from './Workspace';

/** A KubeSphere route: react-router's, plus where KubeSphere nests it. */
export type ExtensionRoute = RouteObject & { parentRoute?: string };

/** A KubeSphere menu entry (`ExtensionConfig.menus` of @ks-console/core). */
export interface ExtensionMenu {
  parent: 'global' | 'workspace' | 'project' | 'cluster' | 'access' | 'platformSettings' | 'topbar' | 'toolbox';
  name: string;
  link?: string;
  title: string;
  desc?: string;
  icon?: string;
  order?: number;
  authKey?: string;
  authAction?: string;
  skipAuth?: boolean;
  children?: Omit<ExtensionMenu, 'parent'>[];
}

/** The standalone console's page routes whose paths are in `paths`, in that order. */
function pick(...paths: string[]): RouteObject[] {
  return paths.map((p) => {
    const r = pages.find((x) => (p === '' ? x.index : x.path === p));
    if (!r) throw new Error(`no page route ${p}`);
    return r;
  });
}

const APPLICATION_PAGES = ['applications', 'applications/new', 'applications/:namespace/:name', 'applications/:namespace/:name/edit'];

/** The platform pages: everything the standalone console has. */
const platform: ExtensionRoute = {
  path: PLATFORM_BASE,
  element: <PlatformRoot />,
  children: [
    ...pages.filter((r) => r.path !== '*'),
    { path: '*', element: <Navigate to={PLATFORM_BASE} replace /> },
  ],
};

const WORKSPACE = '/workspaces/:workspace';
const workspace: ExtensionRoute = {
  path: `${WORKSPACE}/fluxcd`,
  parentRoute: WORKSPACE,
  element: <WorkspaceRoot />,
  children: [{ index: true, element: <Navigate to="applications" replace /> }, ...pick(...APPLICATION_PAGES)],
};

const PROJECT = '/:workspace/clusters/:cluster/projects/:namespace';
const project: ExtensionRoute = {
  path: `${PROJECT}/fluxcd`,
  parentRoute: PROJECT,
  element: <ProjectRoot />,
  children: [
    { index: true, element: <Navigate to="applications" replace /> },
    ...pick(...APPLICATION_PAGES, 'sources', 'sources/:kind', 'sources/:kind/:namespace/:name'),
  ],
};

export const routes: ExtensionRoute[] = [platform, workspace, project];

/**
 * Menu entries. `authKey`s are the modules of the extension's RoleTemplates
 * (`iam.kubesphere.io/role-template-rules`), so KubeSphere shows an entry only to users whose
 * roles hold the template. Workspace and project entries link to `<prefix>/<name>`.
 */
export const menus: ExtensionMenu[] = [
  {
    parent: 'global',
    name: 'fluxcd',
    link: PLATFORM_BASE,
    title: 'FLUXCD_TITLE',
    desc: 'FLUXCD_DESC',
    icon: 'cdn',
    order: 0,
    authKey: 'fluxcd',
  },
  {
    parent: 'global',
    name: 'fluxcd-clusters',
    link: `${PLATFORM_BASE}/clusters`,
    title: 'FLUXCD_CLUSTERS',
    desc: 'FLUXCD_CLUSTERS_DESC',
    icon: 'cluster',
    order: 1,
    authKey: 'fluxcd',
  },
  {
    parent: 'workspace',
    name: 'fluxcd/applications',
    title: 'FLUXCD_APPLICATIONS',
    icon: 'appcenter',
    order: 3,
    authKey: 'fluxcd-applications',
  },
  {
    parent: 'project',
    name: 'fluxcd',
    title: 'FLUXCD_TITLE',
    icon: 'cdn',
    order: 3,
    children: [
      { name: 'fluxcd/applications', title: 'FLUXCD_APPLICATIONS', authKey: 'fluxcd-applications' },
      { name: 'fluxcd/sources', title: 'FLUXCD_SOURCES', authKey: 'fluxcd-sources' },
    ],
  },
];
