import { Modal, notify } from '@kubed/components';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import styled from 'styled-components';
import { ApiError } from '../../api/client';
import { useKinds, useObjectList, useSave } from '../../api/hooks';
import { kindLabel, pluralOf } from '../../api/kinds';
import { nameOf } from '../../api/json';
import type { ObjectView } from '../../api/types';
import { bindValues, FormField, type FormBinding } from '../../components/Field';
import { validate } from '../../forms/validation';
import {
  BUCKET_PROVIDERS,
  CREDENTIAL_FIELDS,
  EXISTING,
  KEEP,
  checksFor,
  emptyValues,
  fieldNames,
  fromObject,
  hasUrl,
  refKeys,
  refLabels,
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
  const form = bindValues(values, set, errorOf, (name) => setTouched((x) => ({ ...x, [name]: true })));

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
  const refLabel = refLabels(t);
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
        style={{ padding: '20px 24px 8px' }}
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
          <FormField form={form} path="metadata.name" label={t('Name')} disabled={!!object} />
          <FormField form={form} path="metadata.namespace" label={t('Namespace')} disabled={!!object} />
        </Row>

        {kind.kind === 'HelmRepository' && (
          <FormField form={form} path="spec.type" label={t('Repository type')} control="select">
            <option value="default">{t('HTTP(S) index')}</option>
            <option value="oci">{t('OCI registry')}</option>
          </FormField>
        )}
        {hasUrl(kind) && (
          <FormField
            form={form}
            path="spec.url"
            label={t('URL')}
            help={
              kind.kind === 'GitRepository'
                ? t('https://host/org/repo or ssh://git@host/org/repo')
                : kind.kind === 'OCIRepository' || values['spec.type'] === 'oci'
                  ? t('oci://registry/path')
                  : t('https://charts.example.com')
            }
          />
        )}

        {refs.length > 0 && (
          <Row>
            <FormField form={form} path="spec.ref" label={t('Revision')} control="select">
              {refs.map((r) => (
                <option key={r} value={r}>
                  {refLabel[r]}
                </option>
              ))}
            </FormField>
            <FormField
              form={form}
              path={`spec.ref.${ref}`}
              label={refLabel[ref] ?? ref}
              help={ref === 'semver' ? t('e.g. 1.2.x or >=1.0.0 <2.0.0') : undefined}
            />
          </Row>
        )}

        {kind.kind === 'Bucket' && (
          <>
            <Row>
              <FormField
                form={form}
                path="spec.endpoint"
                label={t('Endpoint')}
                help={t('host[:port], without a scheme')}
              />
              <FormField form={form} path="spec.bucketName" label={t('Bucket name')} />
            </Row>
            <Row>
              <FormField form={form} path="spec.provider" label={t('Provider')} control="select">
                {BUCKET_PROVIDERS.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </FormField>
              <FormField form={form} path="spec.region" label={t('Region')} />
            </Row>
            <FormField
              form={form}
              path="spec.insecure"
              label={t('Connection')}
              control="check"
              check={t('Insecure (plain HTTP)')}
            />
          </>
        )}

        {kind.kind === 'HelmChart' && (
          <ChartFields
            form={form}
            cluster={cluster}
            namespace={values['metadata.namespace']}
            sourceKind={values['spec.sourceRef.kind']}
          />
        )}

        <FormField
          form={form}
          path="spec.interval"
          label={t('Interval')}
          help={t('How often to check for changes, e.g. 1m or 1h')}
        />

        <Section>
          <legend>{t('Credentials')}</legend>
          {auth && (
            <div className="current" data-testid="current-credentials">
              {t('Uses Secret {{name}} ({{type}})', { name: auth.secretName, type: auth.type })}
            </div>
          )}
          <FormField
            form={form}
            path="credentials.type"
            label={t('Authentication')}
            control="select"
            disabled={kind.credentialTypes.length === 0}
            help={
              kind.credentialTypes.length === 0
                ? t('A Helm chart uses the credentials of its source.')
                : undefined
            }
          >
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
            {kind.credentialTypes.length > 0 && <option value={EXISTING}>{t('An existing Secret')}</option>}
          </FormField>
          {credType === EXISTING && (
            <FormField
              form={form}
              path="spec.secretRef.name"
              label={t('Secret name')}
              help={t(
                'A Secret in the same namespace with the keys Flux reads (username and password, bearerToken, identity and known_hosts, or accesskey and secretkey); ksflux neither writes nor reads it.',
              )}
            />
          )}
          {credType === 'basic' && (
            <Row>
              <FormField form={form} path="credentials.username" label={t('User name')} />
              <FormField form={form} path="credentials.password" label={t('Password')} control="password" />
            </Row>
          )}
          {credType === 'bearer' && (
            <FormField form={form} path="credentials.token" label={t('Token')} control="password" />
          )}
          {credType === 'ssh' && (
            <>
              <FormField
                form={form}
                path="credentials.identity"
                label={t('Private key')}
                help={t('PEM, e.g. -----BEGIN OPENSSH PRIVATE KEY-----')}
                control="code"
              />
              <FormField
                form={form}
                path="credentials.knownHosts"
                label={t('Known hosts')}
                help={t('The server key lines, e.g. from ssh-keyscan github.com')}
                control="code"
                style={{ minHeight: 70 }}
              />
              <FormField
                form={form}
                path="credentials.password"
                label={t('Key passphrase')}
                help={t('Only if the key has one')}
                control="password"
              />
            </>
          )}
          {credType === 's3' && (
            <Row>
              <FormField form={form} path="credentials.accessKey" label={t('Access key ID')} />
              <FormField form={form} path="credentials.secretKey" label={t('Secret access key')} control="password" />
            </Row>
          )}
          {CREDENTIAL_FIELDS[credType] === undefined && !['none', KEEP, EXISTING].includes(credType) && (
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
            <FormField
              form={form}
              path="tls.ca"
              label={t('CA certificate')}
              help={
                object
                  ? t('PEM. Leave empty to keep the current one.')
                  : t('PEM, for a server whose certificate a private CA signed')
              }
              control="code"
              style={{ minHeight: 90 }}
            />
          </Section>
        )}
      </form>
    </Modal>
  );
}

/** The HelmChart fields: chart, version and the source it comes from (names offered). */
function ChartFields({
  form,
  cluster,
  namespace,
  sourceKind,
}: {
  form: FormBinding;
  cluster: string;
  namespace: string;
  sourceKind: string;
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
        <FormField
          form={form}
          path="spec.chart"
          label={t('Chart')}
          help={t('The chart name, or its path in a Git repository or bucket')}
        />
        <FormField
          form={form}
          path="spec.version"
          label={t('Version')}
          help={t('A semver range; empty means the latest')}
        />
      </Row>
      <Row>
        <FormField form={form} path="spec.sourceRef.kind" label={t('Source kind')} control="select">
          {!chartSources.some((k) => k.kind === sourceKind) && <option value={sourceKind}>{sourceKind}</option>}
          {chartSources.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.kind}
            </option>
          ))}
        </FormField>
        <FormField form={form} path="spec.sourceRef.name" label={t('Source name')} list="source-names">
          <datalist id="source-names">
            {names.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </FormField>
      </Row>
    </>
  );
}
