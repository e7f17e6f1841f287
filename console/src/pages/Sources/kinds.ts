/**
 * Flux source kinds as the Sources page edits them: the form's values (a flat map keyed by
 * field path, the same paths the server names in its errors), the checks per kind, and the
 * conversions between an object and a request. The kinds come from the API; what is special
 * about one is code switched on its name, and a source kind without such code gets the
 * fields every source has. Pure, so it is tested without a page.
 */
import type { TFunction } from 'i18next';
import { byPlural, ofFamilies } from '../../api/kinds';
import type { Credentials, KindView, ObjectRequest, ObjectView } from '../../api/types';
import {
  all,
  duration,
  label,
  objectName,
  required,
  semverRange,
  urlWith,
  type Check,
} from '../../forms/validation';
import { obj, str, type JsonMap as Json } from '../../api/json';

/** A source kind, as the API describes it (`GET /kinds`, family `source`). */
export type SourceKind = KindView;

/** The source kinds, in the API's order. */
export function sourceKinds(kinds: readonly KindView[]): SourceKind[] {
  return ofFamilies(kinds, 'source');
}

/** The source kind named by a route's plural, if the API serves it. */
export function kindOf(kinds: readonly KindView[], plural: string | undefined): SourceKind | undefined {
  return byPlural(sourceKinds(kinds), plural);
}

/** The interval a new object of `k` gets. */
const defaultInterval = (k: SourceKind) => k.defaultInterval ?? '';

/** The form's values: field path → text (check boxes hold 'true' or ''). */
export type Values = Record<string, string>;

/** How a GitRepository picks its revision (`spec.ref.<key>`). */
export const GIT_REFS = ['branch', 'tag', 'semver', 'name', 'commit'] as const;
/** How an OCIRepository picks its artifact (`spec.ref.<key>`). */
export const OCI_REFS = ['tag', 'semver', 'digest'] as const;
/** Whether a HelmChart can take its chart from a source of `kind` (not from a chart, nor OCI). */
export function servesCharts(kind: string): boolean {
  return kind !== 'HelmChart' && kind !== 'OCIRepository';
}
/** Bucket providers. */
export const BUCKET_PROVIDERS = ['generic', 'aws', 'gcp', 'azure'] as const;
/** The fields each credential type has (`credentials.<key>`); optional ones are not checked. */
export const CREDENTIAL_FIELDS: Record<string, string[]> = {
  basic: ['username', 'password'],
  bearer: ['token'],
  ssh: ['identity', 'knownHosts', 'password'],
  s3: ['accessKey', 'secretKey'],
};
/** Credential type meaning "leave the current Secret alone" (edit only). */
export const KEEP = 'keep';
/**
 * Credential type meaning "use a Secret that already exists in the namespace"
 * (`spec.secretRef.name`): ksflux writes no Secret and reads none.
 */
export const EXISTING = 'existing';

/** The ways a source of `k` picks its revision (`spec.ref.<key>`), if it has a `spec.ref`. */
export const refKeys = (k: SourceKind): readonly string[] =>
  k.kind === 'GitRepository' ? GIT_REFS : k.kind === 'OCIRepository' ? OCI_REFS : [];

/** The names of the `spec.ref` keys, in the user's language. */
export const refLabels = (t: TFunction): Record<string, string> => ({
  branch: t('Branch'),
  tag: t('Tag'),
  semver: t('Semver range'),
  name: t('Reference name'),
  commit: t('Commit'),
  digest: t('Digest'),
});

/** Whether a source of `k` fetches from `spec.url`. */
export const hasUrl = (k: SourceKind): boolean =>
  k.kind === 'GitRepository' || k.kind === 'HelmRepository' || k.kind === 'OCIRepository';

/** The values of a new object of `kind` in `namespace`. */
export function emptyValues(k: SourceKind, namespace: string): Values {
  const v: Values = {
    'metadata.name': '',
    'metadata.namespace': namespace,
    'spec.interval': defaultInterval(k),
    'credentials.type': 'none',
    'tls.ca': '',
  };
  switch (k.kind) {
    case 'GitRepository':
      return { ...v, 'spec.url': '', 'spec.ref': 'branch', 'spec.ref.branch': 'main' };
    case 'HelmRepository':
      return { ...v, 'spec.url': '', 'spec.type': 'default' };
    case 'OCIRepository':
      return { ...v, 'spec.url': '', 'spec.ref': 'tag', 'spec.ref.tag': 'latest' };
    case 'Bucket':
      return {
        ...v,
        'spec.endpoint': '',
        'spec.bucketName': '',
        'spec.provider': 'generic',
        'spec.region': '',
        'spec.insecure': '',
      };
    case 'HelmChart':
      return {
        ...v,
        'spec.chart': '',
        'spec.version': '',
        'spec.sourceRef.kind': 'HelmRepository',
        'spec.sourceRef.name': '',
      };
    default:
      return v;
  }
}


/** The form's values for an existing object. */
export function fromObject(k: SourceKind, o: ObjectView): Values {
  const spec = obj(o.spec);
  const meta = obj(o.metadata);
  const v: Values = {
    ...emptyValues(k, str(meta.namespace)),
    'metadata.name': str(meta.name),
    'spec.interval': str(spec.interval),
    'credentials.type': o.credentialStatus?.auth ? KEEP : 'none',
    'spec.secretRef.name': str(obj(spec.secretRef).name),
  };
  const keys = refKeys(k);
  if (keys.length > 0) {
    const ref = obj(spec.ref);
    const set = keys.find((key) => str(ref[key]) !== '') ?? keys[0];
    for (const key of keys) v[`spec.ref.${key}`] = str(ref[key]);
    v['spec.ref'] = set;
  }
  switch (k.kind) {
    case 'GitRepository':
    case 'OCIRepository':
      v['spec.url'] = str(spec.url);
      break;
    case 'HelmRepository':
      v['spec.url'] = str(spec.url);
      v['spec.type'] = str(spec.type) || 'default';
      break;
    case 'Bucket':
      v['spec.endpoint'] = str(spec.endpoint);
      v['spec.bucketName'] = str(spec.bucketName);
      v['spec.provider'] = str(spec.provider) || 'generic';
      v['spec.region'] = str(spec.region);
      v['spec.insecure'] = spec.insecure === true ? 'true' : '';
      break;
    case 'HelmChart': {
      const src = obj(spec.sourceRef);
      v['spec.chart'] = str(spec.chart);
      v['spec.version'] = str(spec.version);
      v['spec.sourceRef.kind'] = str(src.kind) || 'HelmRepository';
      v['spec.sourceRef.name'] = str(src.name);
      break;
    }
  }
  return v;
}

const PEM_KEY = (v: string) =>
  v.trim() !== '' && !v.includes('PRIVATE KEY-----') ? 'Must be a PEM private key' : undefined;
const PEM = (v: string) => (v.trim() !== '' && !v.includes('-----BEGIN') ? 'Must be PEM' : undefined);

/** An S3 endpoint: `host[:port]` without a scheme (as the server checks it). */
export const endpoint: Check = (v) => {
  if (v === '') return 'Required';
  if (v.includes('://')) return 'Give the endpoint as host[:port], without a scheme';
  const i = v.lastIndexOf(':');
  const host = i < 0 ? v : v.slice(0, i);
  const port = i < 0 ? undefined : v.slice(i + 1);
  const hostOk = /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(host);
  const portOk = port === undefined || (/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536);
  return hostOk && portOk ? undefined : 'Not host[:port]';
};

/** The URL check for `spec.url` of a kind (and HelmRepository type). */
function urlCheck(k: SourceKind, v: Values): Check {
  if (k.kind === 'GitRepository') return urlWith('http', 'https', 'ssh');
  if (k.kind === 'OCIRepository') return urlWith('oci');
  return v['spec.type'] === 'oci' ? urlWith('oci') : urlWith('http', 'https');
}

/**
 * The checks of the fields the form shows for `values`, keyed by field path. `editing` is
 * the object being edited (its name cannot change; its credentials may be kept).
 */
export function checksFor(k: SourceKind, v: Values, editing?: ObjectView): Record<string, Check> {
  const c: Record<string, Check> = {
    'metadata.namespace': label(63),
    'spec.interval': k.kind === 'HelmRepository' ? duration : all(required, duration),
  };
  if (!editing) c['metadata.name'] = objectName;
  if (hasUrl(k)) c['spec.url'] = urlCheck(k, v);
  switch (k.kind) {
    case 'Bucket':
      c['spec.endpoint'] = endpoint;
      c['spec.bucketName'] = required;
      break;
    case 'HelmChart':
      c['spec.chart'] = required;
      c['spec.version'] = semverRange;
      c['spec.sourceRef.name'] = objectName;
      break;
  }
  const ref = v['spec.ref'];
  if (ref && refKeys(k).includes(ref)) {
    c[`spec.ref.${ref}`] = ref === 'semver' ? all(required, semverRange) : required;
  }
  const type = v['credentials.type'];
  switch (type) {
    case 'basic':
      c['credentials.username'] = required;
      c['credentials.password'] = required;
      break;
    case 'bearer':
      c['credentials.token'] = required;
      break;
    case 'ssh':
      c['credentials.identity'] = all(required, PEM_KEY);
      c['credentials.knownHosts'] = required;
      break;
    case 's3':
      c['credentials.accessKey'] = required;
      c['credentials.secretKey'] = required;
      break;
    case EXISTING:
      c['spec.secretRef.name'] = objectName;
      break;
  }
  if (k.tls) {
    // A GitRepository keeps its CA in the credentials Secret: writing a CA alone would
    // replace the credentials there.
    const ca =
      k.kind === 'GitRepository' && type === KEEP
        ? (s: string) => (s.trim() !== '' ? 'Enter the credentials again to change the CA' : undefined)
        : PEM;
    c['tls.ca'] = all(ca, PEM);
  }
  return c;
}

/** The field paths the form shows for `values` (server errors on others go into a banner). */
export function fieldNames(k: SourceKind, v: Values): string[] {
  const names = ['metadata.name', 'metadata.namespace', 'spec.interval', 'credentials.type'];
  if (k.kind === 'Bucket')
    names.push('spec.endpoint', 'spec.bucketName', 'spec.provider', 'spec.region', 'spec.insecure');
  else if (k.kind === 'HelmChart')
    names.push('spec.chart', 'spec.version', 'spec.sourceRef.kind', 'spec.sourceRef.name');
  if (hasUrl(k)) names.push('spec.url');
  if (k.kind === 'HelmRepository') names.push('spec.type');
  if (refKeys(k).length > 0) names.push('spec.ref', `spec.ref.${v['spec.ref']}`);
  for (const f of CREDENTIAL_FIELDS[v['credentials.type']] ?? []) names.push(`credentials.${f}`);
  if (v['credentials.type'] === EXISTING) names.push('spec.secretRef.name', 'spec.secretRef');
  if (k.tls) names.push('tls.ca');
  return names;
}

/** Sets `key` to `value`, or removes it when `value` is empty. */
function setOrDrop(spec: Json, key: string, value: string) {
  if (value === '') delete spec[key];
  else spec[key] = value;
}

/** The credentials a request carries, or `undefined` to leave the current ones. */
function credentials(k: SourceKind, v: Values, base?: ObjectView): Credentials | undefined {
  const c = (f: string) => v[`credentials.${f}`] ?? '';
  switch (v['credentials.type']) {
    case 'basic':
      return { type: 'basic', username: c('username'), password: c('password') };
    case 'bearer':
      return { type: 'bearer', token: c('token') };
    case 'ssh':
      return c('password')
        ? { type: 'ssh', identity: c('identity'), knownHosts: c('knownHosts'), password: c('password') }
        : { type: 'ssh', identity: c('identity'), knownHosts: c('knownHosts') };
    case 's3':
      return { type: 's3', accessKey: c('accessKey'), secretKey: c('secretKey') };
    case 'none':
      // Only an edit of an object with credentials has something to remove.
      return base?.credentialStatus?.auth && k.credentialTypes.length > 0 ? { type: 'none' } : undefined;
    default:
      return undefined;
  }
}

/**
 * The create (no `base`) or update request for `values`. An update starts from the edited
 * object's spec, labels and annotations, so fields the form does not show are kept.
 */
export function toRequest(k: SourceKind, v: Values, base?: ObjectView): ObjectRequest {
  const spec: Json = { ...obj(base?.spec) };
  const val = (key: string) => (v[key] ?? '').trim();
  setOrDrop(spec, 'interval', val('spec.interval'));
  if (hasUrl(k)) spec.url = val('spec.url');
  switch (k.kind) {
    case 'HelmRepository':
      spec.type = val('spec.type') || 'default';
      break;
    case 'Bucket':
      spec.endpoint = val('spec.endpoint');
      spec.bucketName = val('spec.bucketName');
      spec.provider = val('spec.provider') || 'generic';
      setOrDrop(spec, 'region', val('spec.region'));
      if (v['spec.insecure'] === 'true') spec.insecure = true;
      else if ('insecure' in spec) spec.insecure = false;
      break;
    case 'HelmChart':
      spec.chart = val('spec.chart');
      setOrDrop(spec, 'version', val('spec.version'));
      spec.sourceRef = {
        ...obj(spec.sourceRef),
        kind: val('spec.sourceRef.kind'),
        name: val('spec.sourceRef.name'),
      };
      break;
  }
  const keys = refKeys(k);
  if (keys.length > 0) {
    const ref: Json = { ...obj(spec.ref) };
    for (const key of keys) delete ref[key];
    const chosen = v['spec.ref'] || keys[0];
    ref[chosen] = val(`spec.ref.${chosen}`);
    spec.ref = ref;
  }

  const creds = credentials(k, v, base);
  // The server sets the reference to the Secret it writes; "none" drops the reference.
  if (creds) delete spec.secretRef;
  if (v['credentials.type'] === EXISTING) spec.secretRef = { name: val('spec.secretRef.name') };
  const ca = v['tls.ca'] ?? '';
  const tls = k.tls && ca.trim() !== '' ? { ca } : undefined;
  if (tls && k.kind !== 'GitRepository') delete spec.certSecretRef;

  const meta = obj(base?.metadata);
  const metadata: Json = { name: base ? str(meta.name) : val('metadata.name') };
  if (base) {
    metadata.resourceVersion = str(meta.resourceVersion);
    if (meta.labels) metadata.labels = meta.labels;
    if (meta.annotations) metadata.annotations = meta.annotations;
  }
  const req: ObjectRequest = { metadata, spec };
  if (creds) req.credentials = creds;
  if (tls) req.tls = tls;
  return req;
}
