import { useEffect, type ReactNode } from 'react';
import styled, { createGlobalStyle, css } from 'styled-components';
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
    color: #5f708a;
    font-size: 12px;
  }
  .page-actions {
    display: flex;
    gap: 8px;
  }
`;

/**
 * Names the browser tab (its history and what a screen reader announces on arrival) after the
 * page: its `parts`, most specific first, then ksflux, e.g. "web · Applications · ksflux". The
 * parts are translated text or names; empty ones are left out. The title before it comes back
 * when the page goes.
 */
export function useDocumentTitle(...parts: (string | false | null | undefined)[]) {
  const title = [...parts.filter((p): p is string => !!p), 'ksflux'].join(' · ');
  useEffect(() => {
    const before = document.title;
    document.title = title;
    return () => {
      document.title = before;
    };
  }, [title]);
}

/**
 * Keyboard focus made visible: a ring on what has it (KubeSphere's styles remove the
 * browser's own). Buttons animate every property: the ring shows at once, not faded in.
 */
export const focusRing = css`
  button:focus-visible,
  a:focus-visible,
  select:focus-visible,
  summary:focus-visible,
  textarea:focus-visible,
  input:focus-visible,
  [role='tab']:focus-visible,
  [role='menuitem']:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid #3385ff;
    outline-offset: 2px;
    transition: none;
  }
  input:focus-visible,
  textarea:focus-visible,
  [role='menuitem']:focus-visible {
    outline-offset: 0;
  }
`;

/**
 * The ring everywhere in the standalone console, dialogs and notifications included (they
 * are mounted outside the layout). Inside KubeSphere each page carries it instead, leaving
 * the host's own controls alone.
 */
export const FocusStyle = createGlobalStyle`
  body {
    ${focusRing}
  }
`;

const Focus = styled.div`
  ${focusRing}
`;

/** A page: title, description, actions and content. */
export function Page({
  title,
  documentTitle,
  description,
  actions,
  children,
}: {
  title: ReactNode;
  /**
   * What the browser's title says of the page, most specific first (ksflux follows), when it
   * is not the title itself (a title with links, a page within a section).
   */
  documentTitle?: string | (string | false | null | undefined)[];
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const parts = documentTitle ?? (typeof title === 'string' ? title : undefined);
  useDocumentTitle(...(Array.isArray(parts) ? parts : [parts]));
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
    color: #5f708a;
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
    color: #5f708a;
  }
  td.row-actions {
    width: 1%;
    white-space: nowrap;
    padding-top: 4px;
    padding-bottom: 4px;
    vertical-align: middle;
  }
`;

/** Text for screen readers only (a header of a column of buttons, say). */
export const VisuallyHidden = styled.span`
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
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
    color: #5f708a;
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
