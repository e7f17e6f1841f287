import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import '../i18n';
import { renderWithProviders } from '../test/render';
import { RowActions, type RowAction } from './RowActions';

const actions = (picked: (key: string) => void, n: number): RowAction[] =>
  ['Reconcile', 'Suspend', 'Edit', 'Delete'].slice(0, n).map((label) => ({
    key: label.toLowerCase(),
    label,
    onSelect: () => picked(label.toLowerCase()),
  }));

describe('row actions', () => {
  afterEach(cleanup);

  it('shows two actions as buttons, without a menu', () => {
    renderWithProviders(<RowActions actions={actions(() => undefined, 2)} name="web" />);
    expect(screen.getByRole('button', { name: 'Reconcile' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Suspend' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'More actions for web' })).toBeNull();
  });

  it('puts all but the first in a menu used by keyboard', async () => {
    const picked = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<RowActions actions={actions(picked, 4)} name="web" />);
    expect(screen.getByRole('button', { name: 'Reconcile' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    const more = screen.getByRole('button', { name: 'More actions for web' });
    expect(more.getAttribute('aria-haspopup')).toBe('menu');
    expect(more.getAttribute('aria-expanded')).toBe('false');

    // Down opens it on its first item; Down and Up move (round); Escape closes it onto its button.
    more.focus();
    await user.keyboard('{ArrowDown}');
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Suspend'));
    expect(more.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getAllByRole('menuitem').map((e) => e.textContent)).toEqual(['Suspend', 'Edit', 'Delete']);
    await user.keyboard('{ArrowDown}');
    expect(document.activeElement?.textContent).toBe('Edit');
    await user.keyboard('{ArrowUp}{ArrowUp}');
    expect(document.activeElement?.textContent).toBe('Delete');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(more);

    // Enter opens it; Enter on an item does it and closes the menu.
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Suspend'));
    await user.keyboard('{ArrowDown}{Enter}');
    expect(picked).toHaveBeenCalledWith('edit');
    expect(screen.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(more);
  });

  it('closes on a click elsewhere', async () => {
    const user = userEvent.setup();
    renderWithProviders(
      <>
        <p>elsewhere</p>
        <RowActions actions={actions(() => undefined, 3)} name="web" />
      </>,
    );
    await user.click(screen.getByRole('button', { name: 'More actions for web' }));
    expect(screen.getByRole('menu')).toBeTruthy();
    await user.click(screen.getByText('elsewhere'));
    expect(screen.queryByRole('menu')).toBeNull();
  });
});
