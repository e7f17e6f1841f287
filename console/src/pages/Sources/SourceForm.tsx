import { Input, InputPassword, Modal, notify } from '@kubed/components';
import { useState, type ChangeEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { ApiError } from '../../api/client';
import { useKinds, useObjectList, useSave } from '../../api/hooks';
import { kindLabel, pluralOf } from '../../api/kinds';
import { nameOf } from '../../api/json';
import type { ObjectView } from '../../api/types';
import { CodeArea, Field, NativeSelect } from '../../components/Field';
import { validate } from '../../forms/validation';
import {
  BUCKET_PROVIDERS,
  CREDENTIAL_FIELDS,
  KEEP,
  checksFor,
  emptyValues,
  fieldNames,
  fromObject,
  hasUrl,
  refKeys,
  servesCharts,
  sourceKinds,
  toRequest,
  type SourceKind,
  type Values,
} from './kinds';

const Section = styled.fieldset`
  border: 0;
  border-top: 1px solid #e3e9ef;
  margin: 8px 0 0;
  padding: 12px 0 0;
  legend {
    font-weight: 600;
    font-size: 13px;
    color: #242e42;
    padding-right: 8px;
  }
  .current {
    font-size: 12px;
    color: #36435c;
    margin-bottom: 10px;
  }
`;

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
  ul {
    margin: 4px 0 0;
    padding-left: 18px;
  }
`;

type Change = ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>;

/**
 * Create or edit one source (`object` set = edit). Checks run as the user types; the
 * server's field errors appear next to their fields, others in a banner at the top.
 */
export function SourceForm({
  kind,
  cluster,
  namespace,
  object,
  onClose,
}: {
  kind: SourceKind;
  cluster: string;
  /** The namespace a new object goes to by default. */
  namespace: string;
  object?: ObjectView;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const save = useSave(kind.plural);
  const [values, setValues] = useState<Values>(() =>
    object ? fromObject(kind, object) : emptyValues(kind, namespace),
  );
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Record<string, string>>({});
  const [banner, setBanner] = useState<string[]>([]);

  const errors = validate(values, checksFor(kind, values, object));
  const errorOf = (name: string): string | undefined =>
    server[name] ?? (touched[name] || submitted ? errors[name] : undefined);

  const set = (name: string, value: string) => {
    setValues((v) => ({ ...v, [name]: value }));
    setTouched((x) => ({ ...x, [name]: true }));
    setServer((s) => {
      const { [name]: _gone, ...rest } = s;
      void _gone;
      return rest;
    });
  };
  /** The props binding an input to the field `name`. */
  const bind = (name: string) => ({
    id: name,
    name,
    value: values[name] ?? '',
    onChange: (e: Change) => set(name, e.target.value),
    onBlur: () => setTouched((x) => ({ ...x, [name]: true })),
  });
  const text = (name: string, labelText: ReactNode, help?: ReactNode, disabled?: boolean) => (
    <Field label={labelText} name={name} error={errorOf(name)} help={help}>
      <Input {...bind(name)} disabled={disabled} autoComplete="off" />
    </Field>
  );

  const kindName = kindLabel(t, kind.kind, 'singular');
  const auth = object?.credentialStatus?.auth;
  const tlsInfo = object?.credentialStatus?.tls;
  const credType = values['credentials.type'];

  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length > 0) return;
    setBanner([]);
    const req = toRequest(kind, values, object);
    save.mutate(
      { cluster, namespace: values['metadata.namespace'].trim(), create: !object, req },
      {
        onSuccess: () => {
          const name = values['metadata.name'];
          notify.success(
            object
              ? t('{{kind}} {{name}} saved', { kind: kindName, name })
              : t('{{kind}} {{name}} created', { kind: kindName, name }),
          );
          onClose();
        },
        onError: (e) => {
          if (!(e instanceof ApiError)) {
            setBanner([String(e)]);
            return;
          }
          if (e.status === 409 && e.reason !== 'AlreadyExists' && object) {
            setBanner([t('Someone else changed it; reload and try again')]);
            return;
          }
          if (e.status === 409) {
            setServer({ 'metadata.name': e.message });
            return;
          }
          const shown = new Set(fieldNames(kind, values));
          const mine: Record<string, string> = {};
          const other: string[] = [];
          for (const [field, message] of Object.entries(e.fieldErrors())) {
            if (shown.has(field)) mine[field] = message;
            else other.push(`${field}: ${message}`);
          }
          for (const c of e.causes) if (!c.field) other.push(c.message);
          setServer(mine);
          setBanner(other.length > 0 || Object.keys(mine).length === 0 ? [e.message, ...other] : []);
        },
      },
    );
  };

  const refs = refKeys(kind);
  const refLabels: Record<string, string> = {
    branch: t('Branch'),
    tag: t('Tag'),
    semver: t('Semver range'),
    name: t('Reference name'),
    commit: t('Commit'),
    digest: t('Digest'),
  };
  const ref = values['spec.ref'];

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
        data-testid="source-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {banner.length > 0 && (
          <Problems role="alert" data-testid="form-banner">
            <b>{banner[0]}</b>
            {banner.length > 1 && (
              <ul>
                {banner.slice(1).map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </Problems>
        )}
        <Row>
          {text('metadata.name', t('Name'), undefined, !!object)}
          {text('metadata.namespace', t('Namespace'), undefined, !!object)}
        </Row>

        {kind.kind === 'HelmRepository' && (
          <Field label={t('Repository type')} name="spec.type" error={errorOf('spec.type')}>
            <NativeSelect {...bind('spec.type')}>
              <option value="default">{t('HTTP(S) index')}</option>
              <option value="oci">{t('OCI registry')}</option>
            </NativeSelect>
          </Field>
        )}
        {hasUrl(kind) &&
          text(
            'spec.url',
            t('URL'),
            kind.kind === 'GitRepository'
              ? t('https://host/org/repo or ssh://git@host/org/repo')
              : kind.kind === 'OCIRepository' || values['spec.type'] === 'oci'
                ? t('oci://registry/path')
                : t('https://charts.example.com'),
          )}

        {refs.length > 0 && (
          <Row>
            <Field label={t('Revision')} name="spec.ref" error={errorOf('spec.ref')}>
              <NativeSelect {...bind('spec.ref')}>
                {refs.map((r) => (
                  <option key={r} value={r}>
                    {refLabels[r]}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            {text(
              `spec.ref.${ref}`,
              refLabels[ref] ?? ref,
              ref === 'semver' ? t('e.g. 1.2.x or >=1.0.0 <2.0.0') : undefined,
            )}
          </Row>
        )}

        {kind.kind === 'Bucket' && (
          <>
            <Row>
              {text('spec.endpoint', t('Endpoint'), t('host[:port], without a scheme'))}
              {text('spec.bucketName', t('Bucket name'))}
            </Row>
            <Row>
              <Field label={t('Provider')} name="spec.provider" error={errorOf('spec.provider')}>
                <NativeSelect {...bind('spec.provider')}>
                  {BUCKET_PROVIDERS.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </NativeSelect>
              </Field>
              {text('spec.region', t('Region'))}
            </Row>
            <Field label={t('Connection')} name="spec.insecure" error={errorOf('spec.insecure')}>
              <label style={{ fontSize: 12 }}>
                <input
                  type="checkbox"
                  id="spec.insecure"
                  name="spec.insecure"
                  checked={values['spec.insecure'] === 'true'}
                  onChange={(e) => set('spec.insecure', e.target.checked ? 'true' : '')}
                />{' '}
                {t('Insecure (plain HTTP)')}
              </label>
            </Field>
          </>
        )}

        {kind.kind === 'HelmChart' && (
          <ChartFields
            cluster={cluster}
            namespace={values['metadata.namespace']}
            text={text}
            bind={bind}
            errorOf={errorOf}
            sourceKind={values['spec.sourceRef.kind']}
          />
        )}

        {text('spec.interval', t('Interval'), t('How often to check for changes, e.g. 1m or 1h'))}

        <Section>
          <legend>{t('Credentials')}</legend>
          {auth && (
            <div className="current" data-testid="current-credentials">
              {t('Uses Secret {{name}} ({{type}})', { name: auth.secretName, type: auth.type })}
            </div>
          )}
          <Field
            label={t('Authentication')}
            name="credentials.type"
            error={errorOf('credentials.type')}
            help={
              kind.credentialTypes.length === 0
                ? t('A Helm chart uses the credentials of its source.')
                : undefined
            }
          >
            <NativeSelect {...bind('credentials.type')} disabled={kind.credentialTypes.length === 0}>
              {auth && <option value={KEEP}>{t('Keep current')}</option>}
              <option value="none">{auth ? t('None (remove them)') : t('None')}</option>
              {kind.credentialTypes.map((c) => (
                <option key={c} value={c}>
                  {c === 'basic'
                    ? t('User name and password')
                    : c === 'bearer'
                      ? t('Bearer token')
                      : c === 'ssh'
                        ? t('SSH key')
                        : c === 's3'
                          ? t('Access keys')
                          : c}
                </option>
              ))}
            </NativeSelect>
          </Field>
          {credType === 'basic' && (
            <Row>
              {text('credentials.username', t('User name'))}
              <Field
                label={t('Password')}
                name="credentials.password"
                error={errorOf('credentials.password')}
              >
                <InputPassword {...bind('credentials.password')} autoComplete="new-password" />
              </Field>
            </Row>
          )}
          {credType === 'bearer' && (
            <Field label={t('Token')} name="credentials.token" error={errorOf('credentials.token')}>
              <InputPassword {...bind('credentials.token')} autoComplete="new-password" />
            </Field>
          )}
          {credType === 'ssh' && (
            <>
              <Field
                label={t('Private key')}
                name="credentials.identity"
                error={errorOf('credentials.identity')}
                help={t('PEM, e.g. -----BEGIN OPENSSH PRIVATE KEY-----')}
              >
                <CodeArea {...bind('credentials.identity')} spellCheck={false} />
              </Field>
              <Field
                label={t('Known hosts')}
                name="credentials.knownHosts"
                error={errorOf('credentials.knownHosts')}
                help={t('The server key lines, e.g. from ssh-keyscan github.com')}
              >
                <CodeArea {...bind('credentials.knownHosts')} spellCheck={false} style={{ minHeight: 70 }} />
              </Field>
              <Field
                label={t('Key passphrase')}
                name="credentials.password"
                error={errorOf('credentials.password')}
                help={t('Only if the key has one')}
              >
                <InputPassword {...bind('credentials.password')} autoComplete="new-password" />
              </Field>
            </>
          )}
          {credType === 's3' && (
            <Row>
              {text('credentials.accessKey', t('Access key ID'))}
              <Field
                label={t('Secret access key')}
                name="credentials.secretKey"
                error={errorOf('credentials.secretKey')}
              >
                <InputPassword {...bind('credentials.secretKey')} autoComplete="new-password" />
              </Field>
            </Row>
          )}
          {CREDENTIAL_FIELDS[credType] === undefined && credType !== 'none' && credType !== KEEP && (
            <div className="current">{credType}</div>
          )}
        </Section>

        {kind.tls && (
          <Section>
            <legend>{t('TLS')}</legend>
            {tlsInfo && (
              <div className="current">
                {t('Uses Secret {{name}} ({{type}})', { name: tlsInfo.secretName, type: tlsInfo.type })}
              </div>
            )}
            <Field
              label={t('CA certificate')}
              name="tls.ca"
              error={errorOf('tls.ca')}
              help={
                object
                  ? t('PEM. Leave empty to keep the current one.')
                  : t('PEM, for a server whose certificate a private CA signed')
              }
            >
              <CodeArea {...bind('tls.ca')} spellCheck={false} style={{ minHeight: 90 }} />
            </Field>
          </Section>
        )}
      </form>
    </Modal>
  );
}

/** The HelmChart fields: chart, version and the source it comes from (names offered). */
function ChartFields({
  cluster,
  namespace,
  sourceKind,
  text,
  bind,
  errorOf,
}: {
  cluster: string;
  namespace: string;
  sourceKind: string;
  text: (name: string, label: ReactNode, help?: ReactNode) => ReactNode;
  bind: (name: string) => {
    id: string;
    name: string;
    value: string;
    onChange: (e: Change) => void;
    onBlur: () => void;
  };
  errorOf: (name: string) => string | undefined;
}) {
  const { t } = useTranslation();
  const kinds = useKinds().data?.items ?? [];
  const chartSources = sourceKinds(kinds).filter((k) => servesCharts(k.kind));
  const plural = pluralOf(kinds, sourceKind) ?? '';
  const sources = useObjectList(
    plural,
    cluster,
    namespace,
    { limit: 100 },
    { enabled: namespace.trim() !== '' && plural !== '' },
  );
  const names = (sources.data?.items ?? []).map((o) => nameOf(o).name);
  return (
    <>
      <Row>
        {text('spec.chart', t('Chart'), t('The chart name, or its path in a Git repository or bucket'))}
        {text('spec.version', t('Version'), t('A semver range; empty means the latest'))}
      </Row>
      <Row>
        <Field label={t('Source kind')} name="spec.sourceRef.kind" error={errorOf('spec.sourceRef.kind')}>
          <NativeSelect {...bind('spec.sourceRef.kind')}>
            {!chartSources.some((k) => k.kind === sourceKind) && <option value={sourceKind}>{sourceKind}</option>}
            {chartSources.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.kind}
              </option>
            ))}
          </NativeSelect>
        </Field>
        <Field label={t('Source name')} name="spec.sourceRef.name" error={errorOf('spec.sourceRef.name')}>
          <Input {...bind('spec.sourceRef.name')} list="source-names" autoComplete="off" />
          <datalist id="source-names">
            {names.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </Field>
      </Row>
    </>
  );
}
