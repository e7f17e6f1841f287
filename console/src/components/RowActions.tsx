/**
 * A table row's actions on one line: the first (the row's primary action) as a button, the
 * others in a "more" menu. With two actions or fewer both show, no menu.
 *
 * The menu follows the WAI-ARIA menu button pattern: Enter, Space or Down opens it on its first
 * item (Up on its last), Up and Down (Home, End) move between the items, Enter picks one,
 * Escape closes it back onto its button, Tab leaves it, a click elsewhere closes it.
 */
import { Button } from '@kubed/components';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';

/** One action of a row. */
export interface RowAction {
  /** Stable and unique within the row. */
  key: string;
  /** What it does, translated. */
  label: string;
  onSelect: () => void;
  disabled?: boolean;
  /** Under way (shown on a visible button). */
  loading?: boolean;
  testId?: string;
}

const Wrap = styled.div`
  display: inline-flex;
  align-items: center;
  gap: 4px;
  white-space: nowrap;
  position: relative;
`;

const Trigger = styled.button`
  display: inline-flex;
  align-items: center;
  justify-content: center;
  width: 28px;
  height: 28px;
  padding: 0;
  border: 1px solid transparent;
  border-radius: 50%;
  background: transparent;
  color: #36435c;
  cursor: pointer;
  &:hover,
  &[aria-expanded='true'] {
    background: #e3e9ef;
  }
`;

const Menu = styled.div`
  position: absolute;
  top: calc(100% + 4px);
  right: 0;
  z-index: 20;
  min-width: 140px;
  padding: 4px;
  background: #fff;
  border: 1px solid #e3e9ef;
  border-radius: 4px;
  box-shadow: 0 4px 16px 0 rgba(36, 46, 66, 0.16);
  display: flex;
  flex-direction: column;
  button {
    display: block;
    width: 100%;
    padding: 7px 12px;
    border: 0;
    border-radius: 2px;
    background: transparent;
    text-align: left;
    font-size: 12px;
    font-weight: 600;
    line-height: 18px;
    color: #36435c;
    white-space: nowrap;
    cursor: pointer;
  }
  button:hover:not(:disabled),
  button:focus {
    background: #eff4f9;
  }
  button:disabled {
    color: #abb4be;
    cursor: not-allowed;
  }
`;

/** The items of `menu` that can be picked. */
const itemsOf = (menu: HTMLElement | null) => [
  ...(menu?.querySelectorAll<HTMLButtonElement>('[role=menuitem]:not(:disabled)') ?? []),
];

/** Three dots. */
function MoreIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <circle cx="3" cy="8" r="1.5" fill="currentColor" />
      <circle cx="8" cy="8" r="1.5" fill="currentColor" />
      <circle cx="13" cy="8" r="1.5" fill="currentColor" />
    </svg>
  );
}

/** The actions of the row of `name` (which the menu button's label names). */
export function RowActions({
  actions,
  name,
  size = 'sm',
  variant = 'text',
  testId,
}: {
  actions: RowAction[];
  name: string;
  size?: 'xs' | 'sm';
  variant?: 'text' | 'outline';
  /** The menu button's test id. */
  testId?: string;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<false | 'first' | 'last'>(false);
  const wrap = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const inline = actions.length <= 2 ? actions : actions.slice(0, 1);
  const more = actions.length <= 2 ? [] : actions.slice(1);

  // Opened: focus its first (or last) item; a click elsewhere closes it.
  useEffect(() => {
    if (!open) return;
    const all = itemsOf(menu.current);
    (open === 'last' ? all[all.length - 1] : all[0])?.focus();
    const outside = (e: MouseEvent) => {
      if (!wrap.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) trigger.current?.focus();
  };

  const onTriggerKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(e.key === 'ArrowUp' ? 'last' : 'first');
    }
  };

  const onMenuKey = (e: KeyboardEvent) => {
    const all = itemsOf(menu.current);
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => {
      e.preventDefault();
      all[(i + all.length) % all.length]?.focus();
    };
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(all.length - 1);
    else if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Tab') close(false);
  };

  const label = t('More actions for {{name}}', { name });
  return (
    <Wrap ref={wrap}>
      {inline.map((a) => (
        <Button
          key={a.key}
          size={size}
          variant={variant}
          loading={a.loading}
          disabled={a.disabled}
          onClick={a.onSelect}
          data-testid={a.testId}
        >
          {a.label}
        </Button>
      ))}
      {more.length > 0 && (
        <>
          <Trigger
            ref={trigger}
            type="button"
            aria-haspopup="menu"
            aria-expanded={!!open}
            aria-label={label}
            title={label}
            data-testid={testId}
            onClick={() => (open ? close(false) : setOpen('first'))}
            onKeyDown={onTriggerKey}
          >
            <MoreIcon />
          </Trigger>
          {open && (
            <Menu ref={menu} role="menu" aria-label={label} onKeyDown={onMenuKey}>
              {more.map((a) => (
                <button
                  key={a.key}
                  type="button"
                  role="menuitem"
                  tabIndex={-1}
                  disabled={a.disabled || a.loading}
                  data-testid={a.testId}
                  onClick={() => {
                    close(true);
                    a.onSelect();
                  }}
                >
                  {a.label}
                </button>
              ))}
            </Menu>
          )}
        </>
      )}
    </Wrap>
  );
}
