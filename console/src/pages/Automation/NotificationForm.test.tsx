import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n';
import { renderWithProviders } from '../../test/render';
import { KIND_LIST } from '../../test/kinds';
import { NotificationForm } from './NotificationForm';

type FakeResponse = { ok: boolean; status: number; statusText: string; text: () => Promise<string> };
const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<FakeResponse>>(async (url, init) => {
  const path = new URL(url, 'http://console').pathname;
  const body = init?.method === 'POST' ? { metadata: {}, spec: {} } : path.endsWith('/kinds') ? KIND_LIST : { items: [], totalItems: 0 };
  return { ok: true, status: init?.method === 'POST' ? 201 : 200, statusText: 'OK', text: async () => JSON.stringify(body) };
});
const posts = () => fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST');
const input = (name: string) => document.querySelector(`[name="${name}"]`) as HTMLInputElement | null;
const errorFor = (name: string) => document.querySelector(`[data-error-for="${name}"]`);

beforeEach(async () => {
  fetchMock.mockClear();
  vi.stubGlobal('fetch', fetchMock);
  await i18n.changeLanguage('en');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('NotificationForm (Provider)', { timeout: 30_000 }, () => {
  it("shows each type's fields and secret, and sends the webhook URL as a secret", async () => {
    const user = userEvent.setup({ delay: null });
    const onClose = vi.fn();
    renderWithProviders(<NotificationForm kind="Provider" namespace="team-a" onClose={onClose} />);
    // Slack by default: its webhook URL kept in a Secret, no address in the spec.
    expect(input('credentials.address')).not.toBeNull();
    expect(input('spec.address')).toBeNull();
    // Telegram: a chat and a bot token, no webhook.
    await user.selectOptions(input('spec.type') as unknown as HTMLSelectElement, 'telegram');
    expect(input('credentials.address')).toBeNull();
    expect(input('spec.channel')).not.toBeNull();
    expect(input('credentials.token')).not.toBeNull();
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(errorFor('spec.channel')?.textContent).toBe('Required');
    expect(errorFor('credentials.token')?.textContent).toBe('Required');
    expect(posts()).toHaveLength(0);

    await user.selectOptions(input('spec.type') as unknown as HTMLSelectElement, 'slack');
    await user.type(input('metadata.name') as HTMLInputElement, 'chat');
    await user.click(input('credentials.address') as HTMLInputElement);
    await user.paste('https://hooks.slack.com/services/x');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    const [url, init] = posts()[0];
    expect(url).toContain('/namespaces/team-a/providers');
    expect(JSON.parse(String(init?.body))).toEqual({
      metadata: { name: 'chat' },
      spec: { type: 'slack' },
      credentials: { type: 'token', token: '', address: 'https://hooks.slack.com/services/x' },
    });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });
});
