/**
 * The extension's pages inside KubeSphere: the providers the standalone console has (query
 * cache, live event stream, namespace, base path), with KubeSphere's language and user.
 * KubeSphere's own layout (header, workspace and project navigation) stays around them.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useParams } from 'react-router-dom';
import styled from 'styled-components';
import { ApiError } from '../api/client';
import { LiveProvider, useLive } from '../api/live';
import { BaseProvider, joinBase } from '../app/base';
import { NamespaceProvider } from '../app/namespace';
import { menu } from '../app/routes';
import i18n from '../i18n';
import { hostLanguage } from './host';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: false,
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
});

/** Follows KubeSphere's language (KubeSphere reloads the page when the user changes it). */
function useHostLanguage() {
  const lang = hostLanguage();
  if (i18n.language !== lang) void i18n.changeLanguage(lang);
  useEffect(() => {
    document.documentElement.dataset.ksfluxLang = lang;
  }, [lang]);
}

/** The extension's query cache, shared by every scope. */
export function Queries({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}

/** The providers every scope shares, inside `Queries`. */
export function Scoped({ base, namespace, children }: { base: string; namespace?: string; children: ReactNode }) {
  useHostLanguage();
  return (
    <LiveProvider>
      <NamespaceProvider fixed={namespace}>
        <BaseProvider base={base}>{children}</BaseProvider>
      </NamespaceProvider>
    </LiveProvider>
  );
}

/** Query cache and the scope's providers. */
export function Providers(props: { base: string; namespace?: string; children: ReactNode }) {
  return (
    <Queries>
      <Scoped {...props} />
    </Queries>
  );
}

/** Where the platform pages live in KubeSphere. */
export const PLATFORM_BASE = '/fluxcd';

const PlatformLayout = styled.div`
  display: flex;
  gap: 20px;
  padding: 88px 20px 20px;
  min-height: 100vh;
  background: #eff4f9;
  > nav {
    width: 220px;
    flex-shrink: 0;
    align-self: flex-start;
    background: #fff;
    border-radius: 4px;
    padding: 12px 0;
    box-shadow: 0 4px 8px 0 rgba(36, 46, 66, 0.06);
  }
  > nav .title {
    padding: 4px 20px 12px;
    font-weight: 600;
    font-size: 14px;
    color: #242e42;
  }
  > nav .title small {
    display: block;
    font-weight: 400;
    font-size: 12px;
    color: #5f708a;
  }
  > nav a {
    display: block;
    padding: 8px 20px;
    font-size: 13px;
    color: #36435c;
    text-decoration: none;
  }
  > nav a.active {
    color: #00aa72;
    font-weight: 600;
    background: #eff4f9;
  }
  > main {
    flex: 1;
    min-width: 0;
  }
`;

function LiveState() {
  const { t } = useTranslation();
  const live = useLive();
  return (
    <small data-testid="live" data-connected={live.connected}>
      {live.connected ? t('Live') : t('Reconnecting')}
    </small>
  );
}

/** The platform view (KubeSphere's global navigation): fleet overview and every page. */
export function PlatformRoot() {
  const { t } = useTranslation();
  return (
    <Providers base={PLATFORM_BASE}>
      <PlatformLayout data-testid="ksflux-extension">
        <nav aria-label="ksflux">
          <div className="title">
            {t('Flux for KubeSphere')}
            <LiveState />
          </div>
          {menu.map((m) => (
            <NavLink key={m.path} to={joinBase(PLATFORM_BASE, m.path)} end={m.path === '/'}>
              {t(m.label)}
            </NavLink>
          ))}
        </nav>
        <main>
          <Outlet />
        </main>
      </PlatformLayout>
    </Providers>
  );
}

const ScopedLayout = styled.div`
  padding: 0 0 20px;
`;

/** A project's view: its applications and sources, inside KubeSphere's project layout. */
export function ProjectRoot() {
  const { workspace, cluster, namespace } = useParams();
  return (
    <Providers base={`/${workspace}/clusters/${cluster}/projects/${namespace}/fluxcd`} namespace={namespace}>
      <ScopedLayout data-testid="ksflux-extension">
        <Outlet />
      </ScopedLayout>
    </Providers>
  );
}
