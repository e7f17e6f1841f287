/**
 * What the server writes, in the user's language: the reasons of Flux's and ksflux's
 * conditions and Events (`reason.<Reason>` in `locales/zh-CN/server.json`; English shows the
 * reason as written, as Flux users know it), and the messages ksflux writes (and Flux's most
 * common ones), each known shape matched and said again with its arguments. Anything else is
 * shown as written.
 */
import type { TFunction } from 'i18next';
import { createElement, type ReactElement } from 'react';
import i18n from './index';

/** A reason in the user's language; unknown reasons as written. */
export function reasonText(reason: string | null | undefined, t: TFunction): string {
  if (!reason) return '';
  const key = `reason.${reason}`;
  return i18n.exists(key) ? t(key) : reason;
}

type Shape = [RegExp, (m: RegExpMatchArray, t: TFunction) => string];

/** Known message shapes, most specific first. */
const SHAPES: Shape[] = [
  [/^(\d+)\/(\d+) targets ready$/, (m, t) => t('{{ready}}/{{total}} targets ready', { ready: m[1], total: m[2] })],
  [/^the Flux object is being created$/, (_, t) => t('the Flux object is being created')],
  [/^waits for rollout wave (.+)$/, (m, t) => t('waits for rollout wave {{wave}}', { wave: m[1] })],
  [/^wave (\S+) is progressing$/, (m, t) => t('wave {{wave}} is progressing', { wave: m[1] })],
  [/^revision (\S+) is on every target$/, (m, t) => t('revision {{revision}} is on every target', { revision: m[1] })],
  [
    /^wave (\S+) failed: (.+)$/s,
    (m, t) => t('wave {{wave}} failed: {{message}}', { wave: m[1], message: messageText(m[2], t) }),
  ],
  [
    /^cluster "(.+)" is not registered; its Flux objects are suspended until it is registered again$/,
    (m, t) =>
      t('cluster {{cluster}} is not registered; its Flux objects are suspended until it is registered again', {
        cluster: m[1],
      }),
  ],
  [/^cluster "(.+)" is not registered$/, (m, t) => t('cluster {{cluster}} is not registered', { cluster: m[1] })],
  [
    /^cluster (\S+) is unreachable \((.*)\); last known: (.*)$/s,
    (m, t) =>
      t('cluster {{cluster}} is unreachable ({{why}}); last known: {{last}}', {
        cluster: m[1],
        why: messageText(m[2], t),
        last: m[3],
      }),
  ],
  [/^unreachable: connection refused$/, (_, t) => t('unreachable: connection refused')],
  [/^unreachable: no answer within (\S+)$/, (m, t) => t('unreachable: no answer within {{time}}', { time: m[1] })],
  [/^unreachable: (.+)$/s, (m, t) => t('unreachable: {{why}}', { why: m[1] })],
  [
    /^not found in the cluster: Flux applies it again at its next reconciliation$/,
    (_, t) => t('not found in the cluster: Flux applies it again at its next reconciliation'),
  ],
  [/^you may not read this (\S+) there$/, (m, t) => t('you may not read this {{kind}} there', { kind: m[1] })],
  [/^(\d+)\/(\d+) ready$/, (m, t) => t('{{ready}}/{{total}} ready', { ready: m[1], total: m[2] })],
  [/^Applied revision: (.+)$/, (m, t) => t('Applied revision: {{revision}}', { revision: m[1] })],
  [/^stored artifact for revision '(.+)'$/, (m, t) => t('stored artifact for revision {{revision}}', { revision: m[1] })],
  [
    /^Helm (install|upgrade) succeeded for release (\S+) with chart (\S+)$/,
    (m, t) =>
      m[1] === 'install'
        ? t('Helm install succeeded for release {{release}} with chart {{chart}}', { release: m[2], chart: m[3] })
        : t('Helm upgrade succeeded for release {{release}} with chart {{chart}}', { release: m[2], chart: m[3] }),
  ],
  [/^[Rr]econciliation in progress$/, (_, t) => t('reconciliation in progress')],
  [/^dependency '(.+)' is not ready$/, (m, t) => t('dependency {{name}} is not ready', { name: m[1] })],
];

/** A message ksflux (or Flux) wrote, in the user's language; unknown ones as written. A
 *  target's `cluster: message` keeps its cluster and says the message again. */
export function messageText(message: string | null | undefined, t: TFunction): string {
  if (!message) return '';
  // English is what the server wrote.
  if (!i18n.language || i18n.language.startsWith('en')) return message;
  for (const [re, say] of SHAPES) {
    const m = message.match(re);
    if (m) return say(m, t);
  }
  const prefixed = message.match(/^([a-z0-9][a-z0-9-]*(?:\/[a-z0-9][a-z0-9-]*)?): (.+)$/s);
  if (prefixed) {
    const rest = messageText(prefixed[2], t);
    if (rest !== prefixed[2]) return t('{{cluster}}: {{message}}', { cluster: prefixed[1], message: rest });
  }
  return message;
}

/** A credential type (`basic`, `ssh`, ..., or `external`) in the user's language. */
export function credentialType(type: string, t: TFunction): string {
  // English says the type as the API does.
  if ((i18n.language ?? 'en').startsWith('en')) return type;
  const labels: Record<string, string> = {
    basic: t('basic auth'),
    bearer: t('bearer token'),
    token: t('token'),
    ssh: t('SSH key'),
    s3: t('S3 keys'),
    tls: t('TLS'),
    external: t('external'),
  };
  return labels[type] ?? type;
}

/** What the audit log's action says (`create`, `suspend`, `rollout pause`, ...), in the user's
 *  language; an unknown action as written. */
export function auditAction(action: string, t: TFunction): string {
  if ((i18n.language ?? 'en').startsWith('en')) return action;
  const labels: Record<string, string> = {
    create: t('create'),
    update: t('update'),
    patch: t('patch'),
    delete: t('delete'),
    reconcile: t('reconcile'),
    suspend: t('suspend'),
    resume: t('resume'),
    force: t('force'),
    reset: t('reset'),
  };
  const rollout = action.match(/^rollout (\w+)$/);
  if (rollout) return t('rollout: {{action}}', { action: labels[rollout[1]] ?? t(rollout[1]) });
  const target = action.match(/^(\w+) target (\S+)$/);
  if (target) return t('{{action}} target {{cluster}}', { action: labels[target[1]] ?? target[1], cluster: target[2] });
  return labels[action] ?? action;
}

/** A reason from the server in the user's language; a reason left as written is marked English
 *  (`lang="en"`), as it is. */
export function ServerReason({ reason }: { reason: string | null | undefined }): ReactElement | null {
  if (!reason) return null;
  const said = reasonText(reason, i18n.t.bind(i18n));
  const english = said === reason && !(i18n.language ?? 'en').startsWith('en');
  return createElement('span', english ? { lang: 'en' } : {}, said);
}

/** A message from the server, said again in the user's language when its shape is known; a
 *  message left as written is marked English (`lang="en"`), as it is. */
export function ServerText({ text }: { text: string | null | undefined }): ReactElement | null {
  if (!text) return null;
  const said = messageText(text, i18n.t.bind(i18n));
  const english = said === text && !(i18n.language ?? 'en').startsWith('en');
  return createElement('span', english ? { lang: 'en' } : {}, said);
}
