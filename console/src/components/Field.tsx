import { Input, InputPassword } from '@kubed/components';
import type { ChangeEvent, CSSProperties, ReactNode } from 'react';
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
    color: #5f708a;
    margin-top: 3px;
  }
  .field-error {
    font-size: 12px;
    color: #ca2621;
    margin-top: 3px;
  }
  &.bare {
    margin-bottom: 0;
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
  /** The label; none for a field in a row of fields (its control carries an aria-label). */
  label?: ReactNode;
  /** The field path, e.g. `spec.url` (tests and server errors use it). */
  name: string;
  error?: string;
  help?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const classes = [error ? 'has-error' : '', label === undefined ? 'bare' : ''].filter(Boolean).join(' ');
  return (
    <Wrap className={classes || undefined} data-field={name}>
      {label !== undefined && (
        <label className="field-label" htmlFor={name}>
          {label}
        </label>
      )}
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

/**
 * A form's fields by path (the paths the server names in its errors, e.g. `spec.url` or
 * `spec.targets[0].namespace`): each field's text, how to change it and its message.
 * Check boxes hold `'true'` or `''`.
 */
export interface FormBinding {
  value: (path: string) => string;
  set: (path: string, value: string) => void;
  error: (path: string) => string | undefined;
  /** Called when a field loses focus. */
  touch?: (path: string) => void;
}

/** A binding over a flat map of values keyed by path. */
export function bindValues(
  values: Record<string, string>,
  set: (path: string, value: string) => void,
  error: (path: string) => string | undefined,
  touch?: (path: string) => void,
): FormBinding {
  return { value: (p) => values[p] ?? '', set, error, touch };
}

type Change = ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>;

/**
 * The field at `path` of `form`: its control (named and identified by the path) shows the
 * path's value and sets it; its message is the form's error for the same path.
 */
export function FormField({
  form,
  path,
  label,
  help,
  control = 'text',
  name = path,
  onChange,
  disabled,
  placeholder,
  ariaLabel,
  autoComplete,
  style,
  list,
  check,
  children,
}: {
  form: FormBinding;
  path: string;
  /** The label; leave it out in a row of fields (then give `ariaLabel` or `placeholder`). */
  label?: ReactNode;
  help?: ReactNode;
  /** The control: a text input (default), a password, a YAML area, a select, a check box. */
  control?: 'text' | 'password' | 'code' | 'select' | 'check';
  /** The control's name, when it differs from the path. */
  name?: string;
  /** Sets the value instead of `form.set`, for fields whose change does more. */
  onChange?: (value: string) => void;
  disabled?: boolean;
  placeholder?: string;
  ariaLabel?: string;
  autoComplete?: string;
  style?: CSSProperties;
  /** The id of a datalist of suggestions (text inputs). */
  list?: string;
  /** The check box's own text. */
  check?: ReactNode;
  /** The options of a select; after a text input, its datalist. */
  children?: ReactNode;
}) {
  const value = form.value(path);
  const set = onChange ?? ((v: string) => form.set(path, v));
  const common = {
    id: path,
    name,
    disabled,
    'aria-label': ariaLabel,
    onBlur: form.touch ? () => form.touch?.(path) : undefined,
  };
  const onText = (e: Change) => set(e.target.value);
  let input: ReactNode;
  switch (control) {
    case 'password':
      input = <InputPassword {...common} value={value} onChange={onText} autoComplete={autoComplete ?? 'new-password'} />;
      break;
    case 'code':
      input = <CodeArea {...common} value={value} onChange={onText} placeholder={placeholder} style={style} spellCheck={false} />;
      break;
    case 'select':
      input = (
        <NativeSelect {...common} value={value} onChange={onText} style={style}>
          {children}
        </NativeSelect>
      );
      break;
    case 'check':
      input = (
        <CheckLabel>
          <input
            {...common}
            type="checkbox"
            checked={value === 'true'}
            onChange={(e) => set(e.target.checked ? 'true' : '')}
          />
          {check}
        </CheckLabel>
      );
      break;
    default:
      input = (
        <>
          <Input
            {...common}
            value={value}
            onChange={onText}
            placeholder={placeholder}
            autoComplete={autoComplete ?? 'off'}
            list={list}
            style={style}
          />
          {children}
        </>
      );
  }
  return (
    <Field label={label} name={path} error={form.error(path)} help={help}>
      {input}
    </Field>
  );
}

/** A check box with its text. */
const CheckLabel = styled.label`
  display: inline-flex;
  gap: 6px;
  align-items: center;
  font-size: 12px;
  cursor: pointer;
`;

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
