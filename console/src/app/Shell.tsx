import { Button } from '@kubed/components';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import styled from 'styled-components';
import { setToken } from '../api/client';
import { useNamespaces, useSummary, useWhoami } from '../api/hooks';
import { useLive } from '../api/live';
import { NativeSelect } from '../components/Field';
import { focusRing } from '../components/Page';
import { LanguageSelect } from '../components/LanguageSelect';
import { useNamespace } from './namespace';
import { menu } from './routes';

const Layout = styled.div`
  ${focusRing}
  display: flex;
  min-height: 100vh;
  background: #eff4f9;
  > nav.side-nav {
    width: 200px;
    background: #242e42;
    color: #fff;
    padding: 16px 0;
    flex-shrink: 0;
  }
  nav.side-nav .brand {
    font-size: 18px;
    font-weight: 700;
    padding: 0 20px 16px;
  }
  nav.side-nav .brand small {
    display: block;
    font-size: 11px;
    font-weight: 400;
    color: #a7b3c4;
  }
  nav.side-nav > a {
    display: block;
    padding: 10px 20px;
    color: #d8dee5;
    text-decoration: none;
    font-size: 13px;
  }
  nav.side-nav > a.active {
    background: #36435c;
    color: #fff;
    border-left: 3px solid #55bc8a;
  }
  main {
    flex: 1;
    min-width: 0;
  }
  header.top-bar {
    display: flex;
    align-items: center;
    justify-content: flex-end;
    gap: 12px;
    height: 52px;
    padding: 0 20px;
    background: #fff;
    box-shadow: 0 4px 8px 0 rgba(36, 46, 66, 0.06);
    font-size: 12px;
  }
  header.top-bar select {
    width: auto;
  }
  .content {
    padding: 20px;
  }
  .live {
    color: #5f708a;
  }
  .live[data-connected='true']::before {
    content: '●';
    color: #55bc8a;
    margin-right: 4px;
  }
  .live[data-connected='false']::before {
    content: '●';
    color: #ca2621;
    margin-right: 4px;
  }
`;

/** The standalone layout: navigation, namespace and language pickers, the user and logout. */
export default function Shell() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const whoami = useWhoami();
  const live = useLive();
  const { namespace, setNamespace } = useNamespace();
  const summary = useSummary();
  const usable = useNamespaces();
  // Every namespace the user may use (Flux objects in it or not), and any that holds some.
  const namespaces = [...new Set([...(usable.data?.items ?? []), ...Object.keys(summary.data?.byNamespace ?? {})])].sort();
  if (namespace && !namespaces.includes(namespace)) namespaces.unshift(namespace);

  const logout = () => {
    setToken(null);
    qc.clear();
    navigate('/login');
  };

  return (
    <Layout>
      <nav className="side-nav">
        <div className="brand">
          ksflux<small>{t('Flux for KubeSphere')}</small>
        </div>
        {menu.map((m) => (
          <NavLink key={m.path} to={m.path} end={m.path === '/'}>
            {t(m.label)}
          </NavLink>
        ))}
      </nav>
      <main>
        <header className="top-bar">
          <span className="live" data-connected={live.connected} data-testid="live">
            {live.connected ? t('Live') : t('Reconnecting')}
          </span>
          <label>
            {t('Namespace')}{' '}
            <NativeSelect
              aria-label={t('Namespace')}
              name="namespace"
              value={namespace}
              onChange={(e) => setNamespace(e.target.value)}
            >
              <option value="">{t('All namespaces')}</option>
              {namespaces.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </NativeSelect>
          </label>
          <LanguageSelect />
          <span data-testid="user">{whoami.data?.name ?? ''}</span>
          <Button size="sm" variant="outline" onClick={logout}>
            {t('Log out')}
          </Button>
        </header>
        <div className="content">
          <Outlet />
        </div>
      </main>
    </Layout>
  );
}
