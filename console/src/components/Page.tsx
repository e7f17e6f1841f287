import { useEffect, type ReactNode } from 'react';
import styled, { css } from 'styled-components';
import { Banner } from '@kubed/components';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

const Head = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  margin-bottom: 16px;
  h1 {
    font-size: 20px;
    line-height: 28px;
    margin: 0;
    color: #242e42;
  }
  .page-description {
    color: #79879c;
    font-size: 12px;
  }
  .page-actions {
    display: flex;
    gap: 8px;
  }
`;

/** A page: title, description, actions and content. */
/** Keyboard focus made visible: a ring on what has it (KubeSphere's styles remove the
 * browser's own). */
export const focusRing = css`
  button:focus-visible,
  a:focus-visible,
  select:focus-visible,
  summary:focus-visible,
  input[type='checkbox']:focus-visible,
  input[type='radio']:focus-visible {
    outline: 2px solid #3385ff;
    outline-offset: 2px;
  }
`;

const Focus = styled.div`
  ${focusRing}
`;

export function Page({
  title,
  description,
  actions,
  children,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  // The browser's title names the page (its tab, history and screen readers), then ksflux.
  useEffect(() => {
    if (typeof title !== 'string' || !title) return;
    const before = document.title;
    document.title = `${title} · ksflux`;
    return () => {
      document.title = before;
    };
  }, [title]);
  return (
    <Focus>
      <Head>
        <div>
          <h1>{title}</h1>
          {description && <div className="page-description">{description}</div>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </Head>
      {children}
    </Focus>
  );
}

/** A failed request, explained. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const message =
    error instanceof ApiError
      ? error.status === 403
        ? t('You are not allowed to see this: {{message}}', { message: error.message })
        : error.message
      : String(error);
  return (
    <Banner title={t('Request failed')} description={message} style={{ marginBottom: 12 }} role="alert" />
  );
}

/** A plain table styled like KubeSphere's lists. */
export const Table = styled.table`
  width: 100%;
  border-collapse: collapse;
  background: #fff;
  border-radius: 4px;
  font-size: 12px;
  th {
    text-align: left;
    color: #79879c;
    font-weight: 600;
    padding: 8px 12px;
    background: #f9fbfd;
    border-bottom: 1px solid #e3e9ef;
  }
  td {
    padding: 10px 12px;
    border-bottom: 1px solid #eff4f9;
    color: #242e42;
    vertical-align: top;
  }
  tr:hover td {
    background: #fbfcfe;
  }
  .muted {
    color: #79879c;
  }
`;

/** A row of controls above a list. */
export const Toolbar = styled.div`
  display: flex;
  gap: 8px;
  align-items: center;
  margin-bottom: 12px;
  flex-wrap: wrap;
`;

/** A code block (YAML). */
export const Code = styled.pre`
  background: #242e42;
  color: #e3e9ef;
  padding: 12px;
  border-radius: 4px;
  font-size: 12px;
  overflow: auto;
  max-height: 520px;
  margin: 0;
`;

/** A row of links between the kinds a page lists (the current one underlined). */
export const KindTabs = styled.nav`
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  margin-bottom: 12px;
  border-bottom: 1px solid #d8dee5;
  .group {
    color: #79879c;
    font-size: 12px;
    padding: 8px 6px 8px 14px;
  }
  a {
    padding: 8px 14px;
    font-size: 13px;
    color: #36435c;
    text-decoration: none;
    border-bottom: 2px solid transparent;
    margin-bottom: -1px;
  }
  a.active {
    color: #242e42;
    font-weight: 600;
    border-bottom-color: #55bc8a;
  }
`;
