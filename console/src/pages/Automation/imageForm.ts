/**
 * The image automation forms' model: an ImageRepository, ImagePolicy or
 * ImageUpdateAutomation as flat field values keyed by path (the paths the server names in its
 * errors), their checks, and the request each makes.
 */
import { obj, str } from '../../api/json';
import type { ObjectRequest, ObjectView } from '../../api/types';
import { all, duration, objectName, required, validate, type Check } from '../../forms/validation';

/** The image automation kinds with a form. */
export type ImageKind = 'ImageRepository' | 'ImagePolicy' | 'ImageUpdateAutomation';

/** Whether `kind` has an image automation form. */
export const hasImageForm = (kind: string): kind is ImageKind =>
  kind === 'ImageRepository' || kind === 'ImagePolicy' || kind === 'ImageUpdateAutomation';

/** Field values by path. */
export type Values = Record<string, string>;

/** How an ImagePolicy orders tags. */
export type Order = 'semver' | 'alphabetical' | 'numerical';

/** An image without scheme, tag or digest. */
const imageName: Check = (v) => {
  if (v.includes('://')) return 'Give the image without a scheme, e.g. ghcr.io/org/app';
  const last = v.split('/').pop() ?? '';
  return last.includes(':') || last.includes('@') ? 'Give the image without a tag or digest' : undefined;
};

/** A regular expression JavaScript can read (Go's RE2 syntax is close enough to check). */
const regex: Check = (v) => {
  if (!v) return undefined;
  try {
    new RegExp(v.replace(/\(\?P</g, '(?<'));
    return undefined;
  } catch {
    return 'Not a regular expression';
  }
};

const email: Check = (v) => (/^[^@\s]+@[^@\s]+$/.test(v) ? undefined : 'Not an email address');

/** The form's values of an object (or a new one in `namespace`). */
export function imageValues(kind: ImageKind, namespace: string, o?: ObjectView): Values {
  const spec = obj(o?.spec);
  const meta = obj(o?.metadata);
  const base = { 'metadata.name': str(meta.name), 'metadata.namespace': str(meta.namespace) || namespace };
  if (kind === 'ImageRepository') {
    return {
      ...base,
      'spec.image': str(spec.image),
      'spec.interval': str(spec.interval) || '5m',
      'spec.insecure': spec.insecure === true ? 'true' : '',
      'credentials.username': '',
      'credentials.password': '',
    };
  }
  if (kind === 'ImagePolicy') {
    const policy = obj(spec.policy);
    const order = (['semver', 'alphabetical', 'numerical'] as const).find((k) => k in policy) ?? 'semver';
    return {
      ...base,
      'spec.imageRepositoryRef.name': str(obj(spec.imageRepositoryRef).name),
      order,
      'spec.policy.semver.range': str(obj(policy.semver).range) || (order === 'semver' ? '>=1.0.0' : ''),
      direction: str(obj(policy[order]).order) || 'asc',
      'spec.filterTags.pattern': str(obj(spec.filterTags).pattern),
      'spec.filterTags.extract': str(obj(spec.filterTags).extract),
    };
  }
  const git = obj(spec.git);
  const commit = obj(git.commit);
  return {
    ...base,
    'spec.sourceRef.name': str(obj(spec.sourceRef).name),
    'spec.git.checkout.ref.branch': str(obj(obj(git.checkout).ref).branch) || 'main',
    'spec.git.push.branch': str(obj(git.push).branch),
    'spec.git.commit.author.name': str(obj(commit.author).name) || 'Flux',
    'spec.git.commit.author.email': str(obj(commit.author).email),
    'spec.git.commit.messageTemplate': str(commit.messageTemplate),
    'spec.update.path': str(obj(spec.update).path) || './',
    'spec.interval': str(spec.interval) || '5m',
  };
}

/** Each field's problem, by path. */
export function imageErrors(kind: ImageKind, v: Values): Partial<Values> {
  const common: Record<string, Check> = { 'metadata.name': objectName, 'metadata.namespace': required };
  if (kind === 'ImageRepository') {
    return validate(v, { ...common, 'spec.image': all(required, imageName), 'spec.interval': all(required, duration) });
  }
  if (kind === 'ImagePolicy') {
    return validate(v, {
      ...common,
      'spec.imageRepositoryRef.name': required,
      ...(v.order === 'semver' ? { 'spec.policy.semver.range': required } : {}),
      'spec.filterTags.pattern': regex,
    });
  }
  return validate(v, {
    ...common,
    'spec.sourceRef.name': required,
    'spec.git.checkout.ref.branch': required,
    'spec.git.commit.author.email': all(required, email),
    'spec.update.path': required,
    'spec.interval': all(required, duration),
  });
}

/** An ImagePolicy's `policy` and `filterTags` from the form (for the save and the preview). */
export function policyOf(v: Values): { policy: Record<string, unknown>; filterTags?: Record<string, string> } {
  const order = (v.order as Order) || 'semver';
  const policy = order === 'semver' ? { semver: { range: v['spec.policy.semver.range'] ?? '' } } : { [order]: { order: v.direction || 'asc' } };
  const pattern = v['spec.filterTags.pattern'] ?? '';
  const extract = v['spec.filterTags.extract'] ?? '';
  return pattern ? { policy, filterTags: extract ? { pattern, extract } : { pattern } } : { policy };
}

/** The create or update request (`resourceVersion` for an update). */
export function imageRequest(kind: ImageKind, v: Values, resourceVersion?: string): ObjectRequest {
  const metadata = resourceVersion
    ? { name: v['metadata.name'], resourceVersion }
    : { name: v['metadata.name'] };
  if (kind === 'ImageRepository') {
    const req: ObjectRequest = {
      metadata,
      spec: { image: v['spec.image'], interval: v['spec.interval'], ...(v['spec.insecure'] === 'true' ? { insecure: true } : {}) },
    };
    // Credentials are written only when given (an edit keeps the stored ones otherwise).
    if (v['credentials.username']) {
      req.credentials = { type: 'basic', username: v['credentials.username'], password: v['credentials.password'] ?? '' };
    }
    return req;
  }
  if (kind === 'ImagePolicy') {
    return { metadata, spec: { imageRepositoryRef: { name: v['spec.imageRepositoryRef.name'] }, ...policyOf(v) } };
  }
  const push = v['spec.git.push.branch'];
  const template = v['spec.git.commit.messageTemplate'];
  return {
    metadata,
    spec: {
      interval: v['spec.interval'],
      sourceRef: { kind: 'GitRepository', name: v['spec.sourceRef.name'] },
      git: {
        checkout: { ref: { branch: v['spec.git.checkout.ref.branch'] } },
        commit: {
          author: { name: v['spec.git.commit.author.name'], email: v['spec.git.commit.author.email'] },
          ...(template ? { messageTemplate: template } : {}),
        },
        ...(push ? { push: { branch: push } } : {}),
      },
      update: { path: v['spec.update.path'], strategy: 'Setters' },
    },
  };
}
