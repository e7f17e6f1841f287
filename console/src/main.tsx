/**
 * The standalone console: login with a token, then the shell with every page. Runs on React
 * 17 (the KubeSphere 4 host's version) and 18.
 */
import { CssBaseline, KubedConfigProvider, Notify } from '@kubed/components';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, version } from 'react';
import ReactDOM from 'react-dom';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ApiError, getToken, setUnauthorizedHandler } from './api/client';
import { LiveProvider } from './api/live';
import { NamespaceProvider } from './app/namespace';
import { routes } from './app/routes';
import Shell from './app/Shell';
import { THEMES, THEME_TYPE } from './app/theme';
import { FocusStyle } from './components/Page';
import i18n, { loadLanguage } from './i18n';
import Login from './pages/Login';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: false,
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
});

setUnauthorizedHandler(() => {
  if (window.location.pathname !== '/login') {
    window.location.assign('/login');
  }
});

function RequireLogin() {
  const location = useLocation();
  if (!getToken()) return <Navigate to="/login" state={{ from: location.pathname }} replace />;
  return (
    <LiveProvider>
      <NamespaceProvider>
        <Shell />
      </NamespaceProvider>
    </LiveProvider>
  );
}

function renderRoutes(list: typeof routes) {
  return list.map((r, i) =>
    r.index ? <Route key={i} index element={r.element} /> : <Route key={i} path={r.path} element={r.element} />,
  );
}

// Which React runs the pages (the tests check it).
document.documentElement.dataset.react = version;

// The language's strings first (Chinese is a chunk of its own), then the pages.
document.documentElement.lang = i18n.language;
void loadLanguage(i18n.language)
  .catch(() => undefined)
  .then(() =>
  ReactDOM.render(
    <StrictMode>
      <KubedConfigProvider themes={THEMES} themeType={THEME_TYPE}>
        <CssBaseline />
        <FocusStyle />
        <Notify position="top-right" />
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<Login />} />
              <Route path="/" element={<RequireLogin />}>
                {renderRoutes(routes)}
              </Route>
            </Routes>
          </BrowserRouter>
        </QueryClientProvider>
      </KubedConfigProvider>
    </StrictMode>,
    document.getElementById('root'),
  ),
);
