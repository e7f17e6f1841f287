/**
 * The console's pages, as route objects: the standalone shell mounts them under its layout,
 * and an extension build can hand the same list to the KubeSphere host.
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, type RouteObject } from 'react-router-dom';
import { Loading } from '@kubed/components';
import Overview from '../pages/Overview';
import Applications from '../pages/Applications';

const Clusters = lazy(() => import('../pages/Clusters'));
const Sources = lazy(() => import('../pages/Sources'));
const SourceDetail = lazy(() => import('../pages/SourceDetail'));
const ClusterDetail = lazy(() => import('../pages/ClusterDetail'));
const Automation = lazy(() => import('../pages/Automation'));
const ApplicationWizard = lazy(() => import('../pages/ApplicationWizard'));
const ApplicationDetail = lazy(() => import('../pages/ApplicationDetail'));
const Audit = lazy(() => import('../pages/Audit'));

const wait = (node: ReactNode) => <Suspense fallback={<Loading />}>{node}</Suspense>;

export const routes: RouteObject[] = [
  { index: true, element: <Overview /> },
  { path: 'clusters', element: wait(<Clusters />) },
  { path: 'clusters/:name', element: wait(<ClusterDetail />) },
  { path: 'sources', element: wait(<Sources />) },
  { path: 'sources/:kind', element: wait(<Sources />) },
  { path: 'sources/:kind/:namespace/:name', element: wait(<SourceDetail />) },
  { path: 'automation', element: wait(<Automation />) },
  { path: 'automation/:kind', element: wait(<Automation />) },
  { path: 'applications', element: <Applications /> },
  { path: 'applications/new', element: wait(<ApplicationWizard />) },
  { path: 'applications/:namespace/:name', element: wait(<ApplicationDetail />) },
  { path: 'applications/:namespace/:name/edit', element: wait(<ApplicationWizard />) },
  { path: 'audit', element: wait(<Audit />) },
  { path: '*', element: <Navigate to="/" replace /> },
];

/** The navigation: path and English label (a translation key). */
export const menu = [
  { path: '/', label: 'Overview' },
  { path: '/clusters', label: 'Clusters' },
  { path: '/sources', label: 'Sources' },
  { path: '/applications', label: 'Applications' },
  { path: '/automation', label: 'Automation' },
  { path: '/audit', label: 'Audit log' },
];
