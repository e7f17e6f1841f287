import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import styled from 'styled-components';

/** Translates a validation message, including the ones with a number or list in them. */
export function translateMessage(t: TFunction, msg: string): string {
  let m = /^At most (\d+) characters$/.exec(msg);
  if (m) return t('At most {{n}} characters', { n: m[1] });
  m = /^The URL must start with (.+)$/.exec(msg);
  if (m) return t('The URL must start with {{schemes}}', { schemes: m[1] });
  m = /^Not valid YAML: (.+)$/.exec(msg);
  if (m) return t('Not valid YAML: {{error}}', { error: m[1] });
  return t(msg);
}

const Wrap = styled.div`
  margin-bottom: 14px;
  label.field-label {
    display: block;
    font-weight: 600;
    font-size: 12px;
    margin-bottom: 4px;
    color: #36435c;
  }
  .field-help {
    font-size: 12px;
    color: #79879c;
    margin-top: 3px;
  }
  .field-error {
    font-size: 12px;
    color: #ca2621;
    margin-top: 3px;
  }
  &.has-error input,
  &.has-error textarea,
  &.has-error select {
    border-color: #ca2621;
  }
`;

/** A labelled form field with its help text and error (client check or the server's). */
export function Field({
  label,
  name,
  error,
  help,
  children,
}: {
  label: ReactNode;
  /** The field path, e.g. `spec.url` (tests and server errors use it). */
  name: string;
  error?: string;
  help?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <Wrap className={error ? 'has-error' : undefined} data-field={name}>
      <label className="field-label" htmlFor={name}>
        {label}
      </label>
      {children}
      {error ? (
        <div className="field-error" role="alert" data-error-for={name}>
          {translateMessage(t, error)}
        </div>
      ) : help ? (
        <div className="field-help">{help}</div>
      ) : null}
    </Wrap>
  );
}

/** A native select, styled like the kit's inputs (easy to drive by keyboard and in tests). */
export const NativeSelect = styled.select`
  width: 100%;
  height: 32px;
  padding: 0 8px;
  border: 1px solid #ccd3db;
  border-radius: 4px;
  background: #fff;
  font-size: 12px;
  color: #242e42;
  outline: none;
  &:focus {
    border-color: #55bc8a;
  }
`;

/** A monospace text area for YAML. */
export const CodeArea = styled.textarea`
  width: 100%;
  min-height: 140px;
  padding: 8px;
  border: 1px solid #ccd3db;
  border-radius: 4px;
  font-family: 'Roboto Mono', Menlo, Consolas, monospace;
  font-size: 12px;
  line-height: 1.5;
  color: #242e42;
  background: #f9fbfd;
  resize: vertical;
  outline: none;
  &:focus {
    border-color: #55bc8a;
  }
`;
