// FIXTURE — the ks-console server's client configuration (`globals.config`), written for the
// test host: only what the KubeSphere 4.1.1 core and console read when showing the pages the
// tests visit (navigations, languages, home page, preset roles). KubeSphere's real one is
// its console server's `configs/config.yaml`, which is not published on npm.

/** `globals.config` for the page. */
export function consoleConfig() {
  return {
    title: 'KubeSphere',
    description: '',
    version: { kubesphere: '4.1.1' },
    homePage: '/dashboard',
    documents: { en: { url: 'https://kubesphere.io/docs' }, zh: { url: 'https://kubesphere.io/zh/docs' } },
    supportLangs: [
      { label: '简体中文', value: 'zh' },
      { label: 'English', value: 'en' },
    ],
    defaultLang: 'en',
    topbarNavs: {
      name: 'topbar',
      children: [
        { name: 'extensions_marketplace', title: 'KUBESPHERE_MARKETPLACE', icon: 'PlugCircle' },
        { name: 'workbench', title: 'Workbench', icon: 'dashboard' },
      ],
    },
    globalNavs: {
      name: 'platform',
      children: [{ name: 'clusters', title: 'CLUSTER_MANAGEMENT', desc: 'CLUSTER_DESC', icon: 'cluster' }],
    },
    clusterNavs: {
      name: 'cluster',
      children: [
        { name: 'overview', title: 'OVERVIEW', icon: 'dashboard', showInDisable: true },
        { name: 'projects', title: 'PROJECT_PL', icon: 'project' },
      ],
    },
    accessNavs: {
      name: 'access',
      children: [
        { name: 'accounts', title: 'USER_PL', icon: 'human', authKey: 'users' },
        { name: 'roles', title: 'PLATFORM_ROLE_PL', icon: 'role' },
      ],
    },
    platformSettingsNavs: {
      name: 'platformsettings',
      children: [{ name: 'base-info', title: 'PLATFORM_INFORMATION', icon: 'home', authKey: 'platform-settings' }],
    },
    workspaceNavs: {
      name: 'workspace',
      children: [
        { name: 'overview', title: 'OVERVIEW', icon: 'dashboard', authKey: 'projects', order: 0 },
        {
          name: 'projects',
          title: 'PROJECT_PL',
          icon: 'project',
          order: 0.1,
          children: [{ name: 'projects', title: 'PROJECT_PL', skipAuth: true }],
        },
        {
          name: 'management',
          title: 'WORKSPACE_SETTINGS',
          icon: 'cogwheel',
          children: [{ name: 'base-info', title: 'Basic Info', skipAuth: true }],
        },
      ],
    },
    projectNavs: {
      name: 'project',
      children: [
        { name: 'overview', title: 'OVERVIEW', icon: 'dashboard', skipAuth: true },
        {
          name: 'app-workloads',
          title: 'APPLICATION_WORKLOAD_PL',
          icon: 'appcenter',
          children: [
            { name: 'services', title: 'SERVICE_PL', authKey: 'services' },
            { name: 'pods', title: 'POD_PL', authKey: 'pods' },
          ],
        },
      ],
    },
    federatedProjectNavs: { name: 'federatedproject', children: [] },
    devopsNavs: { name: 'devops', children: [] },
    toolboxNavs: { name: 'toolbox', children: [] },
    manageAppNavs: { name: 'manageapp', children: [] },
    systemWorkspace: 'system-workspace',
    systemWorkspaceRules: { projects: ['view'] },
    systemWorkspaceProjectRules: {},
    presetUsers: ['admin'],
    presetGlobalRoles: ['platform-admin', 'platform-regular'],
    presetClusterRoles: ['cluster-admin', 'cluster-viewer'],
    presetWorkspaceRoles: ['admin', 'regular', 'viewer', 'self-provisioner'],
    presetRoles: ['admin', 'operator', 'viewer'],
    preservedAnnotations: ['.*kubesphere.io/'],
    enableErrorNotify: true,
    disableAuthorization: false,
    enableKubeConfig: false,
    thirdPartyTools: [],
    supportGpuType: [],
    supportLinks: [],
    resourceDocs: {},
    notification: {},
  };
}
