/**
 * A light YAML editor: a text area with line numbers and an error gutter (the lines with
 * problems are marked, their messages in the mark's title), and the values field of the wizard
 * built on it, which lists the chart schema's violations by value path and line (a click goes
 * to the line). Plain DOM, no editor library: it stays in the wizard's chunk and costs little.
 */
import { useMemo, useRef, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import styled from 'styled-components';
import { Field, type FormBinding } from '../../components/Field';
import type { Problem } from './values';

const LINE = 18;

const Frame = styled.div`
  display: flex;
  border: 1px solid #ccd3db;
  border-radius: 4px;
  background: #f9fbfd;
  font-family: 'Roboto Mono', Menlo, Consolas, monospace;
  font-size: 12px;
  line-height: ${LINE}px;
  overflow: hidden;
  &:focus-within {
    border-color: #55bc8a;
  }
  &[data-invalid='true'] {
    border-color: #ca2621;
  }
  &[data-readonly='true'] {
    background: #f1f4f8;
  }
  .gutter {
    flex: none;
    min-width: 38px;
    padding: 8px 0;
    overflow: hidden;
    background: #eff4f9;
    color: #79879c;
    text-align: right;
    user-select: none;
  }
  .gutter > div {
    height: ${LINE}px;
    padding: 0 6px 0 4px;
  }
  .gutter > div[data-problem='true'] {
    background: #fae7e5;
    color: #ca2621;
    font-weight: 600;
    box-shadow: inset 3px 0 0 #ca2621;
  }
  textarea {
    flex: 1;
    min-width: 0;
    margin: 0;
    border: none;
    outline: none;
    padding: 8px;
    background: transparent;
    font: inherit;
    line-height: ${LINE}px;
    color: #242e42;
    white-space: pre;
    overflow: auto;
    resize: vertical;
  }
  /* The focus ring inside the frame, which clips what is outside it. */
  textarea:focus-visible {
    outline-offset: -2px;
  }
`;

/** The 0-based offsets of each line's start in `text`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** Selects line `line` (1-based) of the text area and scrolls to it. */
export function goToLine(area: HTMLTextAreaElement | null, line: number) {
  if (!area) return;
  const starts = lineStarts(area.value);
  const start = starts[Math.min(line, starts.length) - 1] ?? 0;
  const next = starts[line];
  const end = next === undefined ? area.value.length : next - 1;
  area.focus();
  area.setSelectionRange(start, end);
  area.scrollTop = Math.max(0, (line - 3) * LINE);
}

/** A problem as text, in the user's language. */
export function problemText(t: TFunction, p: Problem): string {
  return t(p.message, p.params ?? {});
}

/** The text area with line numbers; the lines of `problems` are marked in the gutter. */
export function CodeEditor({
  id,
  name,
  value,
  onChange,
  readOnly,
  problems = [],
  placeholder,
  ariaLabel,
  minRows = 8,
  maxRows = 24,
  areaRef,
  testId,
}: {
  id?: string;
  name?: string;
  value: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  problems?: Problem[];
  placeholder?: string;
  ariaLabel?: string;
  minRows?: number;
  maxRows?: number;
  areaRef?: RefObject<HTMLTextAreaElement>;
  testId?: string;
}) {
  const { t } = useTranslation();
  const gutter = useRef<HTMLDivElement>(null);
  const count = useMemo(() => value.split('\n').length, [value]);
  const byLine = useMemo(() => {
    const m = new Map<number, string[]>();
    for (const p of problems) {
      if (p.line === undefined) continue;
      const text = (p.path ? `${p.path}: ` : '') + problemText(t, p);
      m.set(p.line, [...(m.get(p.line) ?? []), text]);
    }
    return m;
  }, [problems, t]);
  const rows = Math.min(maxRows, Math.max(minRows, count + 1));
  return (
    <Frame data-invalid={problems.length > 0} data-readonly={!!readOnly} data-testid={testId}>
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: Math.max(count, 1) }, (_, i) => {
          const msgs = byLine.get(i + 1);
          return (
            <div
              key={i}
              data-problem={msgs ? 'true' : undefined}
              data-line={i + 1}
              title={msgs?.join('\n')}
            >
              {i + 1}
            </div>
          );
        })}
      </div>
      <textarea
        ref={areaRef}
        id={id}
        name={name}
        value={value}
        readOnly={readOnly}
        rows={rows}
        wrap="off"
        spellCheck={false}
        placeholder={placeholder}
        aria-label={ariaLabel}
        aria-invalid={problems.length > 0 || undefined}
        onChange={onChange ? (e) => onChange(e.target.value) : undefined}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
      />
    </Frame>
  );
}

const Problems = styled.ul`
  list-style: none;
  margin: 6px 0 0;
  padding: 0;
  font-size: 12px;
  color: #ca2621;
  li {
    display: flex;
    gap: 6px;
    align-items: baseline;
    margin: 0;
    padding: 1px 0;
  }
  button {
    border: none;
    background: #fae7e5;
    color: #ca2621;
    border-radius: 2px;
    padding: 0 4px;
    font-size: 11px;
    cursor: pointer;
  }
  code {
    font-family: 'Roboto Mono', Menlo, Consolas, monospace;
    font-weight: 600;
    color: #242e42;
    background: #f1f4f9;
    border-radius: 2px;
    padding: 0 3px;
  }
  /* The kit's global style quotes code in backticks; a path needs none. */
  code::before,
  code::after {
    content: none;
  }
`;

/**
 * A Helm values field of the wizard: the editor, the field's message (a YAML error, "breaks
 * the chart's schema" or the server's), and the schema's violations, each with its value path
 * and, when the text sets it, its line.
 */
export function ValuesField({
  form,
  path,
  label,
  help,
  placeholder,
  problems,
}: {
  form: FormBinding;
  path: string;
  label: string;
  help?: string;
  placeholder?: string;
  problems: Problem[];
}) {
  const { t } = useTranslation();
  const area = useRef<HTMLTextAreaElement>(null);
  const error = form.error(path);
  // Gutter marks show once the field's message does (YAML errors as typed).
  const shown = error ? problems : [];
  const schema = shown.filter((p) => p.path !== undefined);
  return (
    <Field label={label} name={path} error={error} help={help}>
      <CodeEditor
        id={path}
        name={path}
        value={form.value(path)}
        onChange={(v) => form.set(path, v)}
        problems={shown}
        placeholder={placeholder}
        areaRef={area}
      />
      {schema.length > 0 && (
        <Problems data-testid={`schema-problems-${path}`} aria-label={t("The chart's schema")}>
          {schema.map((p, i) => (
            <li key={i} data-path={p.path}>
              {p.line !== undefined && (
                <button type="button" onClick={() => goToLine(area.current, p.line ?? 1)}>
                  {t('Line {{n}}', { n: p.line })}
                </button>
              )}
              <span>
                <code translate="no">{p.path || t('(the values)')}</code>: {problemText(t, p)}
              </span>
            </li>
          ))}
        </Problems>
      )}
    </Field>
  );
}
