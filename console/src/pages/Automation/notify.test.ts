import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObjectView } from '../../api/types';
import {
  alertErrors,
  alertRequest,
  notifyMeRequest,
  PROVIDER_TYPES,
  providerErrors,
  providerRequest,
  providerType,
  providerValues,
  RECEIVER_TYPES,
  receiverErrors,
  receiverRequest,
  randomToken,
  secretKinds,
} from './notify';

/** A list of strings from the server's source (`pub const NAME: &[&str] = &[...]`). */
function serverList(name: string): string[] {
  const src = readFileSync(join(__dirname, '../../../../crates/ksflux/src/notifications.rs'), 'utf8');
  const m = new RegExp(`pub const ${name}: &\\[&str\\] = &\\[([^\\]]*)\\]`).exec(src);
  if (!m) throw new Error(`${name} not found`);
  return [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
}

describe('provider types', () => {
  it('are exactly the ones the server accepts, in its order', () => {
    expect(PROVIDER_TYPES.map((p) => p.type)).toEqual(serverList('PROVIDER_TYPES'));
  });

  it('offer a secret each type can use, a required token first', () => {
    expect(secretKinds(providerType('slack')!)).toEqual(['address', 'token', 'none']);
    expect(secretKinds(providerType('github')!)).toEqual(['token']);
    expect(secretKinds(providerType('bitbucketserver')!)).toEqual(['token', 'basic']);
    expect(secretKinds(providerType('zulip')!)).toEqual(['basic']);
    expect(secretKinds(providerType('generic')!)).toEqual(['address', 'none']);
    for (const p of PROVIDER_TYPES) expect(secretKinds(p).length).toBeGreaterThan(0);
  });
});

describe('provider form', () => {
  const base = { 'metadata.name': 'chat', 'metadata.namespace': 'team-a' };

  it('keeps a Slack webhook URL in the Secret, not in the spec', () => {
    const v = { ...base, 'spec.type': 'slack', secret: 'address', 'credentials.address': 'https://hooks.slack.com/x' };
    expect(providerErrors(v, false)).toEqual({});
    expect(providerRequest(v)).toEqual({
      metadata: { name: 'chat' },
      spec: { type: 'slack' },
      credentials: { type: 'token', token: '', address: 'https://hooks.slack.com/x' },
    });
  });

  it('asks each type for its required fields', () => {
    expect(Object.keys(providerErrors({ ...base, 'spec.type': 'github', secret: 'token' }, false)).sort()).toEqual([
      'credentials.token',
      'spec.address',
    ]);
    expect(Object.keys(providerErrors({ ...base, 'spec.type': 'telegram', secret: 'token' }, false)).sort()).toEqual([
      'credentials.token',
      'spec.channel',
    ]);
    expect(Object.keys(providerErrors({ ...base, 'spec.type': 'slack', secret: 'none' }, false))).toEqual([
      'spec.address',
    ]);
    expect(providerErrors({ ...base, 'spec.type': 'github', secret: 'none', 'spec.address': 'https://x' }, false).secret).toBe(
      'Pick how this type authenticates',
    );
  });

  it('keeps the Secret there is when editing with empty secret fields', () => {
    const v = { ...base, 'spec.type': 'github', secret: 'token', 'spec.address': 'https://github.com/o/r' };
    expect(providerErrors(v, true, true)).toEqual({});
    expect(providerRequest(v, '42')).toEqual({
      metadata: { name: 'chat', resourceVersion: '42' },
      spec: { type: 'github', address: 'https://github.com/o/r' },
    });
  });

  it('reads an existing Provider back without its secret', () => {
    const o = {
      metadata: { name: 'chat', namespace: 'team-a' },
      spec: { type: 'slack', channel: 'ops' },
      credentialStatus: { auth: { secretName: 'chat-provider-auth', type: 'token', managed: true } },
    } as unknown as ObjectView;
    expect(providerValues(o)).toMatchObject({ 'spec.type': 'slack', 'spec.channel': 'ops', secret: 'address' });
  });
});

describe('receivers', () => {
  it('are exactly the types the server accepts', () => {
    expect(RECEIVER_TYPES.map((r) => r.type)).toEqual(serverList('RECEIVER_TYPES'));
  });

  it('need resources and, when created, a token', () => {
    expect(Object.keys(receiverErrors({ 'metadata.name': 'r', 'spec.type': 'github' }, [], false)).sort()).toEqual([
      'credentials.token',
      'spec.resources',
    ]);
    const v = { 'metadata.name': 'r', 'spec.type': 'github', 'spec.events': 'push, ping', 'credentials.token': 't' };
    expect(receiverRequest(v, [{ kind: 'GitRepository', name: 'app' }])).toEqual({
      metadata: { name: 'r' },
      spec: { type: 'github', events: ['push', 'ping'], resources: [{ kind: 'GitRepository', name: 'app' }] },
      credentials: { type: 'token', token: 't' },
    });
  });

  it('generates 64 hex digits of token', () => {
    expect(randomToken((n) => new Uint8Array(n).fill(171))).toBe('ab'.repeat(32));
  });
});

describe('alerts', () => {
  it('build event sources, severity and the inclusion and exclusion lists', () => {
    const v = {
      'metadata.name': 'a',
      'spec.providerRef.name': 'chat',
      'spec.eventSeverity': 'error',
      'spec.inclusionList': '.*failed.*\n',
      'spec.exclusionList': '',
    };
    expect(alertRequest(v, [{ kind: 'Kustomization', name: 'app' }])).toEqual({
      metadata: { name: 'a' },
      spec: {
        providerRef: { name: 'chat' },
        eventSeverity: 'error',
        eventSources: [{ kind: 'Kustomization', name: 'app' }],
        inclusionList: ['.*failed.*'],
      },
    });
    expect(alertErrors({ ...v, 'spec.exclusionList': '(' }, [{ kind: 'Kustomization', name: 'app' }])).toEqual({
      'spec.exclusionList': 'Not a regular expression',
    });
    expect(alertErrors({ ...v, 'spec.providerRef.name': '' }, [])).toEqual({
      'spec.providerRef.name': 'Required',
      'spec.eventSources': 'Pick at least one event source',
    });
  });

  it('scope "notify me" to the application objects and its source', () => {
    const req = notifyMeRequest(
      { name: 'shop', helm: false, source: { kind: 'GitRepository', name: 'shop-src' } },
      'team-chat',
      'error',
    );
    expect(req.metadata).toEqual({ name: 'shop-team-chat', labels: { 'fluxcd.kubesphere.io/notify-application': 'shop' } });
    expect(req.spec.eventSources).toEqual([
      { kind: 'Kustomization', name: '*', matchLabels: { 'fluxcd.kubesphere.io/application': 'shop' } },
      { kind: 'GitRepository', name: 'shop-src' },
    ]);
    expect(req.spec.eventSeverity).toBe('error');
  });
});
