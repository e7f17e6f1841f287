/**
 * The kinds the Automation page lists (notification and image automation, from the API's
 * kinds) and the one line that says what each object does. Pure, so it is unit-tested.
 */
import { byPlural, ofFamilies } from '../../api/kinds';
import type { KindView, ObjectView } from '../../api/types';
import { obj, str } from '../../api/json';

/** The page's kinds: families `notification` and `image`, in the API's order. */
export function automationKinds(kinds: readonly KindView[]): KindView[] {
  return ofFamilies(kinds, 'notification', 'image');
}

/** The page's kind named by a route parameter, if the API serves it. */
export function automationKind(kinds: readonly KindView[], plural: string | undefined): KindView | undefined {
  return byPlural(automationKinds(kinds), plural);
}

const ref = (x: unknown): string => {
  const r = obj(x);
  return [str(r.kind), str(r.name)].filter(Boolean).join('/');
};

/**
 * What an object of `kind` does, in one line. A kind without its own line shows what most
 * Flux objects have: a type, a source reference, or the revision.
 */
export function describe(kind: string, o: ObjectView): string {
  const spec = obj(o.spec);
  const status = obj(o.status);
  switch (kind) {
    case 'Provider':
      return [str(spec.type), str(spec.channel) && `#${str(spec.channel)}`, str(spec.address)].filter(Boolean).join(' ');
    case 'Alert': {
      const sources = Array.isArray(spec.eventSources) ? spec.eventSources.map(ref).join(', ') : '';
      return `${sources} → ${str(obj(spec.providerRef).name)}${spec.eventSeverity ? ` (${str(spec.eventSeverity)})` : ''}`;
    }
    case 'Receiver':
      return [str(spec.type), str(status.webhookPath)].filter(Boolean).join(' ');
    case 'ImageRepository': {
      const tags = str(obj(status.lastScanResult).tagCount);
      return `${str(spec.image)}${tags ? ` · ${tags} tags` : ''}`;
    }
    case 'ImagePolicy': {
      const policy = obj(spec.policy);
      const rule =
        str(obj(policy.semver).range) || str(obj(policy.alphabetical).order) || str(obj(policy.numerical).order);
      const latest = obj(status.latestRef);
      const image = latest.tag ? `${str(latest.name)}:${str(latest.tag)}` : str(status.latestImage);
      return `${str(obj(spec.imageRepositoryRef).name)} ${rule}${image ? ` → ${image}` : ''}`;
    }
    case 'ImageUpdateAutomation': {
      const push = obj(obj(spec.git).push);
      const commit = str(status.lastPushCommit).slice(0, 12);
      return `${ref(spec.sourceRef)}${push.branch ? ` → ${str(push.branch)}` : ''}${commit ? ` · ${commit}` : ''}`;
    }
    default:
      return [str(spec.type), ref(spec.sourceRef), o.summary.revision ?? ''].filter(Boolean).join(' ');
  }
}
