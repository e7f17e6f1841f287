/**
 * Create and edit forms for Providers, Alerts and Receivers. A Provider's fields follow its
 * type (`notify.ts`), its secret is given in friendly form and never read back; an Alert's
 * event sources are picked from the namespace's objects; a Receiver shows its webhook URL once
 * notification-controller has given it a path. Field errors from the server appear next to
 * their fields, others in a banner.
 */
import { Button, Modal, notify } from '@kubed/components';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { ApiError, HOST } from '../../api/client';
import { useReceiverWebhook } from '../../api/history';
import { useKinds, useObjectList, useSave } from '../../api/hooks';
import { kindLabel, pluralOf } from '../../api/kinds';
import { nameOf, obj, str } from '../../api/json';
import type { ObjectRequest, ObjectView } from '../../api/types';
import { bindValues, Field, FormField, NativeSelect, translateMessage } from '../../components/Field';
import { Code } from '../../components/Page';
import {
  alertErrors,
  alertRequest,
  emptyProvider,
  PROVIDER_TYPES,
  providerErrors,
  providerRequest,
  providerType,
  providerValues,
  randomToken,
  RECEIVER_TYPES,
  receiverErrors,
  receiverRequest,
  refsOf,
  refText,
  RESOURCE_KINDS,
  secretKinds,
  type Ref,
  type SecretKind,
  type Values,
} from './notify';

const Row = styled.div`
  display: flex;
  gap: 12px;
  > * {
    flex: 1;
    min-width: 0;
  }
`;

const Problems = styled.div`
  border: 1px solid #ca2621;
  background: #fff1f0;
  color: #ca2621;
  border-radius: 4px;
  padding: 8px 12px;
  margin-bottom: 12px;
  font-size: 12px;
`;

const Chips = styled.ul`
  list-style: none;
  padding: 0;
  margin: 6px 0 0;
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  li {
    background: #eff4f9;
    border-radius: 2px;
    padding: 2px 4px 2px 8px;
    font-size: 12px;
    display: flex;
    align-items: center;
    gap: 4px;
  }
  button {
    border: none;
    background: none;
    cursor: pointer;
    color: #5f708a;
  }
`;

/** The notification kinds this form edits. */
export type NotificationKind = 'Provider' | 'Alert' | 'Receiver';

/** Whether `kind` has a form here. */
export const hasForm = (kind: string): kind is NotificationKind =>
  kind === 'Provider' || kind === 'Alert' || kind === 'Receiver';

/** The initial values of a form. */
function initial(kind: NotificationKind, namespace: string, o?: ObjectView): Values {
  if (kind === 'Provider') return o ? providerValues(o) : emptyProvider(namespace);
  const spec = obj(o?.spec);
  const meta = obj(o?.metadata);
  const base = { 'metadata.name': str(meta.name), 'metadata.namespace': str(meta.namespace) || namespace };
  if (kind === 'Alert') {
    const list = (k: string) => (Array.isArray(spec[k]) ? (spec[k] as unknown[]).map(str).join('\n') : '');
    return {
      ...base,
      'spec.providerRef.name': str(obj(spec.providerRef).name),
      'spec.eventSeverity': str(spec.eventSeverity) || 'info',
      'spec.inclusionList': list('inclusionList'),
      'spec.exclusionList': list('exclusionList'),
    };
  }
  return {
    ...base,
    'spec.type': str(spec.type) || 'generic',
    'spec.events': Array.isArray(spec.events) ? (spec.events as unknown[]).map(str).join(', ') : '',
  };
}

/** Create (no `object`) or edit a Provider, Alert or Receiver in the host cluster. */
export function NotificationForm({
  kind,
  namespace,
  object,
  onClose,
}: {
  kind: NotificationKind;
  namespace: string;
  object?: ObjectView;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const kinds = useKinds();
  const plural = pluralOf(kinds.data?.items ?? [], kind) ?? `${kind.toLowerCase()}s`;
  const save = useSave(plural);
  const [values, setValues] = useState<Values>(() => initial(kind, namespace, object));
  const [refs, setRefs] = useState<Ref[]>(() =>
    refsOf(kind === 'Alert' ? obj(object?.spec).eventSources : obj(object?.spec).resources),
  );
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Values>({});
  const [banner, setBanner] = useState<string[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const ns = (values['metadata.namespace'] ?? '').trim();
  const hasSecret = !!object?.credentialStatus?.auth;

  const errors: Values = {
    ...(kind === 'Provider'
      ? providerErrors(values, !!object, hasSecret)
      : kind === 'Alert'
        ? alertErrors(values, refs)
        : receiverErrors(values, refs, !!object)),
    ...(ns ? {} : { 'metadata.namespace': 'Required' }),
  };
  const errorOf = (p: string): string | undefined => {
    const m = server[p] ?? (touched[p] || submitted ? errors[p] : undefined);
    return m === undefined ? undefined : translateMessage(t, m);
  };
  const set = (p: string, v: string) => {
    setValues((x) => ({ ...x, [p]: v }));
    setTouched((x) => ({ ...x, [p]: true }));
    setServer((s) => {
      const { [p]: _gone, ...rest } = s;
      void _gone;
      return rest;
    });
  };
  const form = bindValues(values, set, errorOf, (p) => setTouched((x) => ({ ...x, [p]: true })));
  const kindName = kindLabel(t, kind, 'singular');
  const resourceVersion = object ? str(obj(object.metadata).resourceVersion) : undefined;

  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    setBanner([]);
    const req: ObjectRequest =
      kind === 'Provider'
        ? providerRequest(values, resourceVersion)
        : kind === 'Alert'
          ? alertRequest(values, refs, resourceVersion)
          : receiverRequest(values, refs, resourceVersion);
    save.mutate(
      { cluster: HOST, namespace: ns, create: !object, req },
      {
        onSuccess: () => {
          const name = values['metadata.name'].trim();
          notify.success(
            object
              ? t('{{kind}} {{name}} saved', { kind: kindName, name })
              : t('{{kind}} {{name}} created', { kind: kindName, name }),
          );
          if (kind === 'Receiver' && !object) setCreated(name);
          else onClose();
        },
        onError: (e) => {
          if (!(e instanceof ApiError)) return setBanner([String(e)]);
          if (e.status === 409 && object) return setBanner([t('Someone else changed it; reload and try again')]);
          const mine: Values = {};
          const other: string[] = [];
          for (const [field, message] of Object.entries(e.fieldErrors())) {
            if (field in values || field === 'spec.eventSources' || field === 'spec.resources') mine[field] = message;
            else other.push(`${field}: ${message}`);
          }
          setServer(mine);
          setBanner(other.length > 0 || Object.keys(mine).length === 0 ? [e.message, ...other] : []);
        },
      },
    );
  };

  if (created) {
    return (
      <Modal visible title={t('Receiver {{name}} created', { name: created })} onCancel={onClose} footer={null} width={720}>
        <WebhookView namespace={ns} name={created} />
      </Modal>
    );
  }

  return (
    <Modal
      visible
      title={object ? t('Edit {{kind}}', { kind: kindName }) : t('Create {{kind}}', { kind: kindName })}
      onCancel={onClose}
      onOk={submit}
      okText={object ? t('Save') : t('Create')}
      cancelText={t('Cancel')}
      confirmLoading={save.isLoading}
      width={720}
    >
      <form
        noValidate
        data-testid="notification-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {banner.length > 0 && (
          <Problems role="alert" data-testid="form-banner">
            {banner.map((m) => (
              <div key={m}>{m}</div>
            ))}
          </Problems>
        )}
        <Row>
          <FormField form={form} path="metadata.name" label={t('Name')} disabled={!!object} />
          <FormField form={form} path="metadata.namespace" label={t('Namespace')} disabled={!!object} />
        </Row>
        {kind === 'Provider' && <ProviderFields form={form} values={values} editing={!!object} hasSecret={hasSecret} />}
        {kind === 'Alert' && (
          <AlertFields form={form} namespace={ns} refs={refs} setRefs={setRefs} error={errorOf('spec.eventSources')} />
        )}
        {kind === 'Receiver' && (
          <ReceiverFields
            form={form}
            values={values}
            namespace={ns}
            refs={refs}
            setRefs={setRefs}
            error={errorOf('spec.resources')}
            editing={!!object}
          />
        )}
        <button type="submit" hidden />
      </form>
    </Modal>
  );
}

type Form = ReturnType<typeof bindValues>;

function ProviderFields({
  form,
  values,
  editing,
  hasSecret,
}: {
  form: Form;
  values: Values;
  editing: boolean;
  hasSecret: boolean;
}) {
  const { t } = useTranslation();
  const p = providerType(values['spec.type']) ?? PROVIDER_TYPES[0];
  const kinds = secretKinds(p);
  const secret = values.secret as SecretKind;
  const secretLabel: Record<SecretKind, string> = {
    address: t('The webhook URL, kept in a Secret'),
    token: t('A token'),
    basic: t('A user name and password'),
    none: t('No secret'),
  };
  const keepHelp = editing && hasSecret ? t('Leave empty to keep the current secret.') : undefined;
  return (
    <>
      <FormField
        form={form}
        path="spec.type"
        label={t('Type')}
        control="select"
        onChange={(v) => {
          form.set('spec.type', v);
          // Each type starts with its usual secret.
          const next = providerType(v);
          if (next) form.set('secret', secretKinds(next)[0]);
        }}
      >
        {PROVIDER_TYPES.map((x) => (
          <option key={x.type} value={x.type}>
            {x.type}
          </option>
        ))}
      </FormField>
      <FormField form={form} path="secret" label={t('Secret')} control="select">
        {kinds.map((k) => (
          <option key={k} value={k}>
            {secretLabel[k]}
          </option>
        ))}
      </FormField>
      {!(p.webhook && secret === 'address') && p.address !== 'none' && (
        <FormField
          form={form}
          path="spec.address"
          label={p.address === 'required' ? t('Address') : t('Address (optional)')}
          help={t(p.addressHelp)}
        />
      )}
      {p.webhook && secret === 'address' && (
        <FormField
          form={form}
          path="credentials.address"
          label={t('Webhook URL')}
          control="password"
          help={keepHelp ?? t(p.addressHelp)}
        />
      )}
      {p.channel !== 'none' && (
        <FormField
          form={form}
          path="spec.channel"
          label={p.channel === 'required' ? t('Channel') : t('Channel (optional)')}
          help={p.channelHelp ? t(p.channelHelp) : undefined}
        />
      )}
      {p.username && <FormField form={form} path="spec.username" label={t('Post as (optional)')} />}
      {secret === 'token' && (
        <FormField form={form} path="credentials.token" label={t('Token')} control="password" help={keepHelp} />
      )}
      {secret === 'basic' && (
        <Row>
          <FormField form={form} path="credentials.username" label={t('User name')} help={keepHelp} />
          <FormField form={form} path="credentials.password" label={t('Password')} control="password" />
        </Row>
      )}
    </>
  );
}

/** Picks `Kind/name` references among the namespace's objects (`*`: every object of the kind). */
function RefPicker({
  namespace,
  refs,
  setRefs,
  allowAll,
  name,
  label,
  error,
}: {
  namespace: string;
  refs: Ref[];
  setRefs: (r: Ref[]) => void;
  allowAll: boolean;
  name: string;
  label: ReactNode;
  error?: string;
}) {
  const { t } = useTranslation();
  const kinds = useKinds();
  const [kind, setKind] = useState(RESOURCE_KINDS[0]);
  const [pick, setPick] = useState('');
  const plural = pluralOf(kinds.data?.items ?? [], kind);
  const list = useObjectList(plural ?? '', HOST, namespace, { limit: 500, sortBy: 'name', ascending: true }, {
    enabled: !!plural && !!namespace,
  });
  const names = (list.data?.items ?? []).map((o) => nameOf(o).name);
  const add = () => {
    const ref = { kind, name: pick || names[0] };
    if (!ref.name || refs.some((r) => refText(r) === refText(ref))) return;
    setRefs([...refs, ref]);
    setPick('');
  };
  return (
    <Field label={label} name={name} error={error}>
      <Row>
        <NativeSelect name={`${name}-kind`} aria-label={t('Kind')} value={kind} onChange={(e) => setKind(e.target.value)}>
          {RESOURCE_KINDS.filter((k) => pluralOf(kinds.data?.items ?? [], k)).map((k) => (
            <option key={k} value={k}>
              {kindLabel(t, k, 'singular')}
            </option>
          ))}
        </NativeSelect>
        <NativeSelect name={`${name}-name`} aria-label={t('Name')} value={pick} onChange={(e) => setPick(e.target.value)}>
          <option value="">{t('Pick one…')}</option>
          {allowAll && <option value="*">{t('* (every one in the namespace)')}</option>}
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </NativeSelect>
        <Button type="button" variant="outline" style={{ flex: 'none' }} onClick={add} disabled={!pick}>
          {t('Add')}
        </Button>
      </Row>
      <Chips data-testid={`${name}-chosen`}>
        {refs.map((r) => (
          <li key={refText(r)}>
            {refText(r)}
            <button
              type="button"
              aria-label={t('Remove {{name}}', { name: refText(r) })}
              onClick={() => setRefs(refs.filter((x) => refText(x) !== refText(r)))}
            >
              ×
            </button>
          </li>
        ))}
      </Chips>
    </Field>
  );
}

function AlertFields({
  form,
  namespace,
  refs,
  setRefs,
  error,
}: {
  form: Form;
  namespace: string;
  refs: Ref[];
  setRefs: (r: Ref[]) => void;
  error?: string;
}) {
  const { t } = useTranslation();
  const providers = useObjectList('providers', HOST, namespace, { limit: 500, sortBy: 'name', ascending: true }, {
    enabled: !!namespace,
  });
  return (
    <>
      <Row>
        <FormField form={form} path="spec.providerRef.name" label={t('Provider')} control="select">
          <option value="">{t('Pick one…')}</option>
          {(providers.data?.items ?? []).map((p) => (
            <option key={nameOf(p).name} value={nameOf(p).name}>
              {nameOf(p).name} ({str(obj(p.spec).type)})
            </option>
          ))}
        </FormField>
        <FormField form={form} path="spec.eventSeverity" label={t('Severity')} control="select">
          <option value="info">{t('info (successes and errors)')}</option>
          <option value="error">{t('error (errors only)')}</option>
        </FormField>
      </Row>
      <RefPicker
        namespace={namespace}
        refs={refs}
        setRefs={setRefs}
        allowAll
        name="spec.eventSources"
        label={t('Event sources')}
        error={error}
      />
      <Row>
        <FormField
          form={form}
          path="spec.inclusionList"
          label={t('Only messages matching')}
          control="code"
          help={t('One regular expression a line; empty: every message')}
          style={{ minHeight: 60 }}
        />
        <FormField
          form={form}
          path="spec.exclusionList"
          label={t('Never messages matching')}
          control="code"
          help={t('One regular expression a line')}
          style={{ minHeight: 60 }}
        />
      </Row>
    </>
  );
}

function ReceiverFields({
  form,
  values,
  namespace,
  refs,
  setRefs,
  error,
  editing,
}: {
  form: Form;
  values: Values;
  namespace: string;
  refs: Ref[];
  setRefs: (r: Ref[]) => void;
  error?: string;
  editing: boolean;
}) {
  const { t } = useTranslation();
  const type = RECEIVER_TYPES.find((r) => r.type === values['spec.type']);
  return (
    <>
      <Row>
        <FormField form={form} path="spec.type" label={t('Type')} control="select" help={type ? t(type.help) : undefined}>
          {RECEIVER_TYPES.map((r) => (
            <option key={r.type} value={r.type}>
              {r.type}
            </option>
          ))}
        </FormField>
        <FormField
          form={form}
          path="spec.events"
          label={t('Events (optional)')}
          help={type?.events.length ? t('Comma-separated, e.g. {{events}}', { events: type.events.join(', ') }) : undefined}
        />
      </Row>
      <RefPicker
        namespace={namespace}
        refs={refs}
        setRefs={setRefs}
        allowAll={false}
        name="spec.resources"
        label={t('Resources to reconcile')}
        error={error}
      />
      <Row>
        <FormField
          form={form}
          path="credentials.token"
          label={t('Token')}
          control="password"
          help={
            editing
              ? t('Leave empty to keep the current secret.')
              : t('The secret the sender signs with or sends; it also makes the URL unguessable.')
          }
        />
        <Field label={<span>&nbsp;</span>} name="generate">
          <Button
            type="button"
            variant="outline"
            onClick={() => form.set('credentials.token', randomToken((n) => crypto.getRandomValues(new Uint8Array(n))))}
          >
            {t('Generate a token')}
          </Button>
        </Field>
      </Row>
      {values['credentials.token'] && (
        <p className="muted" style={{ fontSize: 12 }} data-testid="token-note">
          {t('Copy the token now: ksflux never shows it again.')}{' '}
          <Code style={{ display: 'inline', padding: '0 4px' }} data-testid="token-value">
            {values['credentials.token']}
          </Code>
        </p>
      )}
    </>
  );
}

/** A Receiver's webhook URL (or its path, when ksflux does not know the receiver's address). */
export function WebhookView({ namespace, name }: { namespace: string; name: string }) {
  const { t } = useTranslation();
  const hook = useReceiverWebhook(namespace, name);
  const d = hook.data;
  return (
    <div data-testid="receiver-webhook">
      {!d?.path && <p className="muted">{t('Waiting for notification-controller to give the Receiver its path…')}</p>}
      {d?.url && (
        <>
          <p>{t('Paste this URL into the webhook settings of the git host or registry:')}</p>
          <Code data-testid="webhook-url">{d.url}</Code>
        </>
      )}
      {d?.path && !d.url && (
        <>
          <p>
            {t(
              'The receiver path is below; prefix it with the address where notification-controller receives webhooks (ksflux is not told it: --receiver-url).',
            )}
          </p>
          <Code data-testid="webhook-path">{d.path}</Code>
        </>
      )}
    </div>
  );
}
