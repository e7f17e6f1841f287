/**
 * The notification forms' rules: every Provider type notification-controller 1.9 supports with
 * the fields it needs (address, channel, user name) and its secret (a token, user name and
 * password, or the webhook address itself kept in a Secret); Receiver types with their secret
 * and the events their senders name; Alerts' event sources. Each form's values become an API
 * request here. Pure, so it is unit-tested (the type lists against the server's).
 */
import type { ObjectRequest, ObjectView } from '../../api/types';
import { obj, str } from '../../api/json';

/** Whether a field is asked for. */
export type Need = 'required' | 'optional' | 'none';

/** What a Provider type needs. */
export interface ProviderType {
  type: string;
  /** `spec.address`: what it means for this type is in `addressHelp`. */
  address: Need;
  /** The address is a webhook URL that carries its own credential: it may be kept in the Secret. */
  webhook: boolean;
  /** `spec.channel` (a channel, room, chat, topic, subject or routing key). */
  channel: Need;
  /** `spec.username` (the name messages are posted as). */
  username: boolean;
  /** The Secret's `token` (an API token, a bot token, an HMAC key). */
  token: Need;
  /** A user name and password may be the secret instead of a token. */
  basic: boolean;
  /** What the address is, in English (a translation key). */
  addressHelp: string;
  /** What the channel is, in English (a translation key), when there is one. */
  channelHelp?: string;
}

const webhookType = (type: string, extra: Partial<ProviderType> = {}): ProviderType => ({
  type,
  address: 'required',
  webhook: true,
  channel: 'none',
  username: false,
  token: 'none',
  basic: false,
  addressHelp: 'The incoming webhook URL',
  ...extra,
});

const gitType = (type: string, extra: Partial<ProviderType> = {}): ProviderType => ({
  type,
  address: 'required',
  webhook: false,
  channel: 'none',
  username: false,
  token: 'required',
  basic: false,
  addressHelp: 'The repository URL (commit statuses are set on it)',
  ...extra,
});

/** Every Provider type of notification-controller 1.9, in the server's order. */
export const PROVIDER_TYPES: ProviderType[] = [
  webhookType('slack', {
    address: 'optional',
    channel: 'optional',
    username: true,
    token: 'optional',
    addressHelp: 'The incoming webhook URL; leave it empty to post with a bot token to the channel',
    channelHelp: 'The channel to post to',
  }),
  webhookType('discord', { channel: 'optional', username: true, channelHelp: 'The channel to post to' }),
  webhookType('msteams'),
  webhookType('rocket', { channel: 'optional', username: true, channelHelp: 'The channel to post to' }),
  webhookType('generic', { addressHelp: 'The URL events are posted to as JSON' }),
  webhookType('generic-hmac', {
    token: 'required',
    addressHelp: 'The URL events are posted to as JSON, signed with the token (X-Signature)',
  }),
  gitType('github'),
  gitType('gitlab'),
  gitType('gitea'),
  gitType('bitbucketserver', { basic: true }),
  gitType('bitbucket', { addressHelp: 'The repository URL; the token is "user name:app password"' }),
  gitType('azuredevops'),
  webhookType('googlechat'),
  {
    type: 'googlepubsub',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'optional',
    basic: false,
    addressHelp: 'The Google Cloud project id',
    channelHelp: 'The Pub/Sub topic id',
  },
  {
    type: 'webex',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'required',
    basic: false,
    addressHelp: 'The Webex messages API URL',
    channelHelp: 'The room id',
  },
  webhookType('sentry', { addressHelp: 'The Sentry DSN', channel: 'optional', channelHelp: 'The Sentry environment' }),
  webhookType('azureeventhub', {
    token: 'optional',
    channel: 'optional',
    addressHelp: 'The Event Hub connection string',
    channelHelp: 'The Event Hub name',
  }),
  {
    type: 'telegram',
    address: 'optional',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'required',
    basic: false,
    addressHelp: 'The Telegram API URL (default https://api.telegram.org)',
    channelHelp: 'The chat id',
  },
  webhookType('lark'),
  {
    type: 'matrix',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'required',
    basic: false,
    addressHelp: 'The homeserver URL',
    channelHelp: 'The room id',
  },
  gitType('opsgenie', { addressHelp: 'The Opsgenie alerts API URL' }),
  webhookType('alertmanager', { basic: true, token: 'optional', addressHelp: 'The Alertmanager API URL' }),
  webhookType('grafana', { basic: true, token: 'optional', webhook: false, addressHelp: 'The Grafana annotations API URL' }),
  gitType('githubdispatch', { addressHelp: 'The repository URL (repository_dispatch events are sent to it)' }),
  {
    type: 'pagerduty',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'none',
    basic: false,
    addressHelp: 'The PagerDuty events API URL',
    channelHelp: 'The integration routing key',
  },
  gitType('datadog', { addressHelp: 'The Datadog API URL' }),
  {
    type: 'nats',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'optional',
    basic: true,
    addressHelp: 'The NATS server address',
    channelHelp: 'The subject',
  },
  {
    type: 'zulip',
    address: 'required',
    webhook: false,
    channel: 'required',
    username: false,
    token: 'none',
    basic: true,
    addressHelp: 'The Zulip API URL',
    channelHelp: 'The stream and topic ("stream.topic")',
  },
  webhookType('otel', { webhook: false, basic: true, token: 'optional', addressHelp: 'The OpenTelemetry collector URL' }),
];

/** What a Provider type needs (`undefined` for a type the console does not know). */
export function providerType(type: string): ProviderType | undefined {
  return PROVIDER_TYPES.find((p) => p.type === type);
}

/** A form's values by field path (check boxes: 'true' or ''). */
export type Values = Record<string, string>;

/** The secret kinds a Provider form offers for a type. */
export type SecretKind = 'none' | 'token' | 'address' | 'basic';

/** The secrets a type may have, the first being the default. */
export function secretKinds(p: ProviderType): SecretKind[] {
  if (p.token === 'required') return p.basic ? ['token', 'basic'] : ['token'];
  // Zulip signs in with the bot's e-mail and API key, nothing else.
  if (p.type === 'zulip') return ['basic'];
  const out: SecretKind[] = [];
  if (p.webhook) out.push('address');
  if (p.token === 'optional') out.push('token');
  if (p.basic) out.push('basic');
  out.push('none');
  return out;
}

/** A new Provider form. */
export function emptyProvider(namespace: string): Values {
  return { 'metadata.name': '', 'metadata.namespace': namespace, 'spec.type': 'slack', secret: 'address', 'spec.eventSeverity': 'info' };
}

/** An existing Provider as form values (secrets are never read back: left empty = kept). */
export function providerValues(o: ObjectView): Values {
  const spec = obj(o.spec);
  const meta = obj(o.metadata);
  const type = str(spec.type);
  const p = providerType(type);
  const had = o.credentialStatus?.auth?.type;
  const secret: SecretKind =
    had === 'basic' ? 'basic' : had ? (str(spec.address) || !p?.webhook ? 'token' : 'address') : 'none';
  return {
    'metadata.name': str(meta.name),
    'metadata.namespace': str(meta.namespace),
    'spec.type': type,
    'spec.address': str(spec.address),
    'spec.channel': str(spec.channel),
    'spec.username': str(spec.username),
    secret,
  };
}

const need = (v: Values, k: string) => !(v[k] ?? '').trim();

/** The form's problems by field path (English messages, translated by the form). */
export function providerErrors(v: Values, editing: boolean, hasSecret = false): Values {
  const e: Values = {};
  if (need(v, 'metadata.name')) e['metadata.name'] = 'Required';
  const p = providerType(v['spec.type'] ?? '');
  if (!p) {
    e['spec.type'] = 'Required';
    return e;
  }
  const secret = (v.secret ?? 'none') as SecretKind;
  const keep = editing && hasSecret;
  const addressInSecret = p.webhook && secret === 'address';
  if (addressInSecret) {
    if (need(v, 'credentials.address') && !keep) e['credentials.address'] = 'Required';
  } else if (p.address === 'required' && need(v, 'spec.address')) {
    e['spec.address'] = 'Required';
  }
  if (p.channel === 'required' && need(v, 'spec.channel')) e['spec.channel'] = 'Required';
  if (secret === 'token' && need(v, 'credentials.token') && !keep) e['credentials.token'] = 'Required';
  if (!secretKinds(p).includes(secret)) e.secret = 'Pick how this type authenticates';
  if (secret === 'basic' && !keep) {
    if (need(v, 'credentials.username')) e['credentials.username'] = 'Required';
    if (need(v, 'credentials.password')) e['credentials.password'] = 'Required';
  }
  // Slack posts either to a webhook or, with a bot token, to a channel.
  if (p.type === 'slack' && secret === 'none' && need(v, 'spec.address')) e['spec.address'] = 'Required';
  if (p.type === 'slack' && secret === 'token' && need(v, 'spec.channel')) e['spec.channel'] = 'Required';
  return e;
}

/** The API request of a Provider form. Secrets left empty while editing keep the Secret there is. */
export function providerRequest(v: Values, resourceVersion?: string): ObjectRequest {
  const p = providerType(v['spec.type']);
  const secret = (v.secret ?? 'none') as SecretKind;
  const spec: Record<string, unknown> = { type: v['spec.type'] };
  const addressInSecret = !!p?.webhook && secret === 'address';
  const set = (k: string, value: string | undefined) => {
    if (value?.trim()) spec[k] = value.trim();
  };
  if (!addressInSecret) set('address', v['spec.address']);
  if (p?.channel !== 'none') set('channel', v['spec.channel']);
  if (p?.username) set('username', v['spec.username']);
  const metadata: Record<string, unknown> = { name: v['metadata.name'].trim() };
  if (resourceVersion) metadata.resourceVersion = resourceVersion;
  const req: ObjectRequest = { metadata, spec };
  const val = (k: string) => (v[k] ?? '').trim();
  if (secret === 'address' && val('credentials.address')) {
    req.credentials = { type: 'token', token: val('credentials.token'), address: val('credentials.address') };
  } else if (secret === 'token' && val('credentials.token')) {
    req.credentials = { type: 'token', token: val('credentials.token') };
  } else if (secret === 'basic' && val('credentials.username')) {
    req.credentials = { type: 'basic', username: val('credentials.username'), password: v['credentials.password'] ?? '' };
  } else if (secret === 'none' && resourceVersion) {
    req.credentials = { type: 'none' };
  }
  return req;
}

/** The Receiver types of notification-controller 1.9 and the events their senders name. */
export const RECEIVER_TYPES: { type: string; events: string[]; help: string }[] = [
  { type: 'generic', events: [], help: 'Any POST to the URL reconciles the resources' },
  { type: 'generic-hmac', events: [], help: 'A POST signed with the token (X-Signature: sha256=…)' },
  { type: 'github', events: ['push', 'ping'], help: 'GitHub webhooks, signed with the token (X-Hub-Signature-256)' },
  { type: 'gitlab', events: ['Push Hook', 'Tag Push Hook'], help: 'GitLab webhooks, with the token as X-Gitlab-Token' },
  { type: 'bitbucket', events: ['repo:push'], help: 'Bitbucket Server webhooks, signed with the token' },
  { type: 'harbor', events: [], help: 'Harbor webhooks, with the token as the Authorization header' },
  { type: 'dockerhub', events: [], help: 'Docker Hub webhooks' },
  { type: 'quay', events: [], help: 'Quay notifications' },
  { type: 'gcr', events: [], help: 'Google Container Registry Pub/Sub pushes' },
  { type: 'nexus', events: [], help: 'Nexus webhooks, signed with the token' },
  { type: 'acr', events: [], help: 'Azure Container Registry webhooks' },
  { type: 'cdevents', events: [], help: 'CDEvents' },
];

/** The kinds a Receiver can reconcile and an Alert can watch. */
export const RESOURCE_KINDS = [
  'GitRepository',
  'OCIRepository',
  'HelmRepository',
  'HelmChart',
  'Bucket',
  'Kustomization',
  'HelmRelease',
  'ImageRepository',
  'ImagePolicy',
  'ImageUpdateAutomation',
];

/** `Kind/name` references (an Alert's event sources, a Receiver's resources). */
export interface Ref {
  kind: string;
  name: string;
}

/** `Kind/name` as text; `parseRef` reads it back. */
export const refText = (r: Ref): string => `${r.kind}/${r.name}`;
export function parseRef(s: string): Ref | undefined {
  const i = s.indexOf('/');
  return i > 0 && i < s.length - 1 ? { kind: s.slice(0, i), name: s.slice(i + 1) } : undefined;
}

/** Lines of a text area, trimmed, without empty ones. */
export const lines = (s: string | undefined): string[] =>
  (s ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** A random token for a Receiver (hex, 32 bytes), from the browser's CSPRNG. */
export function randomToken(bytes: (n: number) => Uint8Array): string {
  return [...bytes(32)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The API request of a Receiver form. */
export function receiverRequest(v: Values, resources: Ref[], resourceVersion?: string): ObjectRequest {
  const spec: Record<string, unknown> = {
    type: v['spec.type'],
    resources: resources.map((r) => ({ kind: r.kind, name: r.name })),
  };
  const events = (v['spec.events'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (events.length > 0) spec.events = events;
  const metadata: Record<string, unknown> = { name: v['metadata.name'].trim() };
  if (resourceVersion) metadata.resourceVersion = resourceVersion;
  const req: ObjectRequest = { metadata, spec };
  const token = (v['credentials.token'] ?? '').trim();
  if (token) req.credentials = { type: 'token', token };
  return req;
}

/** The Receiver form's problems by field path. */
export function receiverErrors(v: Values, resources: Ref[], editing: boolean): Values {
  const e: Values = {};
  if (need(v, 'metadata.name')) e['metadata.name'] = 'Required';
  if (!RECEIVER_TYPES.some((r) => r.type === v['spec.type'])) e['spec.type'] = 'Required';
  if (resources.length === 0) e['spec.resources'] = 'Pick at least one resource';
  if (!editing && need(v, 'credentials.token')) e['credentials.token'] = 'Required';
  return e;
}

/** The API request of an Alert form. */
export function alertRequest(v: Values, sources: Ref[], resourceVersion?: string): ObjectRequest {
  const spec: Record<string, unknown> = {
    providerRef: { name: v['spec.providerRef.name'] },
    eventSeverity: v['spec.eventSeverity'] || 'info',
    eventSources: sources.map((s) => ({ kind: s.kind, name: s.name })),
  };
  const inc = lines(v['spec.inclusionList']);
  const exc = lines(v['spec.exclusionList']);
  if (inc.length) spec.inclusionList = inc;
  if (exc.length) spec.exclusionList = exc;
  const metadata: Record<string, unknown> = { name: v['metadata.name'].trim() };
  if (resourceVersion) metadata.resourceVersion = resourceVersion;
  return { metadata, spec };
}

/** The Alert form's problems by field path (a bad regular expression names its line). */
export function alertErrors(v: Values, sources: Ref[]): Values {
  const e: Values = {};
  if (need(v, 'metadata.name')) e['metadata.name'] = 'Required';
  if (need(v, 'spec.providerRef.name')) e['spec.providerRef.name'] = 'Required';
  if (sources.length === 0) e['spec.eventSources'] = 'Pick at least one event source';
  for (const k of ['spec.inclusionList', 'spec.exclusionList']) {
    for (const l of lines(v[k])) {
      try {
        new RegExp(l);
      } catch {
        e[k] = 'Not a regular expression';
      }
    }
  }
  return e;
}

/** An existing Alert or Receiver's references (event sources or resources). */
export function refsOf(list: unknown): Ref[] {
  return Array.isArray(list) ? list.map((r) => ({ kind: str(obj(r).kind), name: str(obj(r).name) })) : [];
}

/** The label on Alerts made by "notify me about this application", naming the application. */
export const NOTIFY_LABEL = 'fluxcd.kubesphere.io/notify-application';

/**
 * The Alert "notify me about this application" creates: the application's Kustomizations or
 * HelmReleases (every target's, by ksflux's application label, so targets added later are
 * included) and its source, to `provider`.
 */
export function notifyMeRequest(
  app: { name: string; helm: boolean; source: { kind: string; name: string } },
  provider: string,
  severity: 'info' | 'error',
): ObjectRequest {
  const name = `${app.name}-${provider}`.slice(0, 63).replace(/-+$/, '');
  return {
    metadata: { name, labels: { [NOTIFY_LABEL]: app.name } },
    spec: {
      providerRef: { name: provider },
      eventSeverity: severity,
      eventSources: [
        {
          kind: app.helm ? 'HelmRelease' : 'Kustomization',
          name: '*',
          matchLabels: { 'fluxcd.kubesphere.io/application': app.name },
        },
        { kind: app.source.kind, name: app.source.name },
      ],
    },
  };
}
