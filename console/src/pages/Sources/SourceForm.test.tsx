import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import i18n from '../../i18n';
import type { SourceKind } from './kinds';
import type { ObjectView } from '../../api/types';
import { SourceForm } from './SourceForm';
import { renderWithProviders } from '../../test/render';

import { KINDS } from '../../test/kinds';

const git: SourceKind = KINDS.find((k) => k.kind === 'GitRepository') ?? KINDS[0];
const API = '/kapis/fluxcd.kubesphere.io/v1alpha1';

type Reply = { status: number; body: unknown };
let replies: Reply[];
type FakeResponse = { ok: boolean; status: number; statusText: string; text: () => Promise<string> };
const fetchMock = vi.fn<(url: string, init?: RequestInit) => Promise<FakeResponse>>(async () => {
  const r = replies.shift() ?? { status: 500, body: { message: 'unexpected request' } };
  return {
    ok: r.status < 300,
    status: r.status,
    statusText: String(r.status),
    text: async () => JSON.stringify(r.body),
  };
});

/** The POST requests the form sent. */
const posts = () => fetchMock.mock.calls.filter(([, init]) => init?.method === 'POST');

beforeEach(async () => {
  replies = [];
  fetchMock.mockClear();
  vi.stubGlobal('fetch', fetchMock);
  await i18n.changeLanguage('en');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderForm(onClose = vi.fn(), object?: ObjectView) {
  renderWithProviders(
    <SourceForm kind={git} cluster="host" namespace="flux-system" object={object} onClose={onClose} />,
  );
  return onClose;
}

const input = (name: string) => document.querySelector(`[name="${name}"]`) as HTMLInputElement;
const errorFor = (name: string) => document.querySelector(`[data-error-for="${name}"]`);

/** Pastes `text` into the field `name`, as a user filling a form quickly would. */
async function fill(user: ReturnType<typeof userEvent.setup>, name: string, text: string) {
  await user.click(input(name));
  await user.paste(text);
}

// Rendering the kit's modal on every keystroke is slow on a busy machine.
describe('SourceForm (Git repository)', { timeout: 30_000 }, () => {
  it('shows the URL error as the user types, before any submit', async () => {
    const user = userEvent.setup({ delay: null });
    renderForm();
    expect(screen.getByText('Create Git repository')).toBeTruthy();
    expect(errorFor('spec.url')).toBeNull();
    await user.type(input('spec.url'), 'ftp://x');
    expect(errorFor('spec.url')?.textContent).toBe('The URL must start with http:// or https:// or ssh://');
    // an untouched field shows nothing yet
    expect(errorFor('metadata.name')).toBeNull();
    await user.clear(input('spec.url'));
    await fill(user, 'spec.url', 'https://github.com/org/repo');
    expect(errorFor('spec.url')).toBeNull();
  });

  it('shows every error on a submit with a missing name and sends nothing', async () => {
    const user = userEvent.setup({ delay: null });
    const onClose = renderForm();
    await fill(user, 'spec.url', 'https://github.com/org/repo');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    expect(errorFor('metadata.name')?.textContent).toBe('Required');
    expect(posts()).toHaveLength(0);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });

  it('POSTs the object with its ref and basic credentials', async () => {
    const user = userEvent.setup({ delay: null });
    replies.push({ status: 201, body: { metadata: { name: 'podinfo' } } });
    const onClose = renderForm();
    await fill(user, 'metadata.name', 'podinfo');
    await fill(user, 'spec.url', 'https://github.com/stefanprodan/podinfo');
    await user.selectOptions(input('credentials.type'), 'basic');
    await fill(user, 'credentials.username', 'bot');
    expect(errorFor('credentials.password')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Create' }));
    // the empty password blocks the submit
    expect(errorFor('credentials.password')?.textContent).toBe('Required');
    expect(posts()).toHaveLength(0);
    await fill(user, 'credentials.password', 's3cret');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts()).toHaveLength(1));
    const [url, init] = posts()[0];
    expect(url).toBe(`${API}/namespaces/flux-system/gitrepositories?cluster=host`);
    expect(JSON.parse(String(init?.body))).toEqual({
      metadata: { name: 'podinfo' },
      spec: {
        url: 'https://github.com/stefanprodan/podinfo',
        interval: '1m',
        ref: { branch: 'main' },
      },
      credentials: { type: 'basic', username: 'bot', password: 's3cret' },
    });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it('shows the server field errors next to their fields and the others in a banner', async () => {
    const user = userEvent.setup({ delay: null });
    replies.push({
      status: 422,
      body: {
        apiVersion: 'v1',
        kind: 'Status',
        status: 'Failure',
        code: 422,
        reason: 'Invalid',
        message: 'GitRepository "podinfo" is invalid',
        details: {
          causes: [
            { field: 'spec.url', message: 'the host does not resolve', reason: 'FieldValueInvalid' },
            { field: 'spec.secretRef', message: 'give either credentials or spec.secretRef', reason: 'x' },
          ],
        },
      },
    });
    const onClose = renderForm();
    await fill(user, 'metadata.name', 'podinfo');
    await fill(user, 'spec.url', 'https://nowhere.invalid/repo');
    await user.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(errorFor('spec.url')?.textContent).toBe('the host does not resolve'));
    const banner = screen.getByTestId('form-banner');
    expect(banner.textContent).toContain('spec.secretRef: give either credentials or spec.secretRef');
    expect(onClose).not.toHaveBeenCalled();
    // editing the field clears the server's message
    await user.type(input('spec.url'), 'x');
    expect(errorFor('spec.url')).toBeNull();
  });

  it('on edit keeps the credentials, sends the resourceVersion and explains a conflict', async () => {
    const user = userEvent.setup({ delay: null });
    const spec = {
      url: 'https://github.com/org/repo',
      ref: { branch: 'main' },
      secretRef: { name: 'podinfo-git-auth' },
    };
    const object: ObjectView = {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      cluster: 'host',
      metadata: { name: 'podinfo', namespace: 'apps', resourceVersion: '42' },
      spec: { ...spec, interval: '1m' },
      status: {},
      summary: { state: 'ready', ready: 'True', suspended: false, reconcileHandled: true },
      credentialStatus: { auth: { secretName: 'podinfo-git-auth', type: 'basic', managed: true } },
    };
    replies.push({
      status: 409,
      body: { code: 409, reason: 'Conflict', message: 'the object has been modified' },
    });
    const onClose = renderForm(vi.fn(), object);
    expect(screen.getByText('Edit Git repository')).toBeTruthy();
    expect(screen.getByTestId('current-credentials').textContent).toBe(
      'Uses Secret podinfo-git-auth (basic)',
    );
    expect(input('metadata.name').disabled).toBe(true);
    expect(input('credentials.type').value).toBe('keep');
    await user.clear(input('spec.interval'));
    await fill(user, 'spec.interval', '5m');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByTestId('form-banner').textContent).toBe(
      'Someone else changed it; reload and try again',
    ));
    const [url, init] = fetchMock.mock.calls[0];
    expect(init?.method).toBe('PUT');
    expect(url).toBe(`${API}/namespaces/apps/gitrepositories/podinfo?cluster=host`);
    expect(JSON.parse(String(init?.body))).toEqual({
      metadata: { name: 'podinfo', resourceVersion: '42' },
      spec: { ...spec, interval: '5m' },
    });
    expect(onClose).not.toHaveBeenCalled();
  });
});
