/**
 * The notification and image-automation kinds the Automation page lists, and the one line
 * that says what each object does. Pure, so it is unit-tested.
 */
import type { ObjectView } from '../../api/types';
import { obj, str } from '../../api/json';

/** A kind on the page: its plural (the API's resource), English name, and what it does. */
export interface AutomationKind {
  plural: string;
  title: string;
  group: 'Notifications' | 'Image automation';
  describe: (o: ObjectView) => string;
}

const ref = (x: unknown): string => {
  const r = obj(x);
  return [str(r.kind), str(r.name)].filter(Boolean).join('/');
};

export const AUTOMATION_KINDS: AutomationKind[] = [
  {
    plural: 'providers',
    title: 'Providers',
    group: 'Notifications',
    describe: (o) => {
      const s = obj(o.spec);
      return [str(s.type), str(s.channel) && `#${str(s.channel)}`, str(s.address)].filter(Boolean).join(' ');
    },
  },
  {
    plural: 'alerts',
    title: 'Alerts',
    group: 'Notifications',
    describe: (o) => {
      const s = obj(o.spec);
      const sources = Array.isArray(s.eventSources) ? s.eventSources.map(ref).join(', ') : '';
      return `${sources} → ${str(obj(s.providerRef).name)}${s.eventSeverity ? ` (${str(s.eventSeverity)})` : ''}`;
    },
  },
  {
    plural: 'receivers',
    title: 'Receivers',
    group: 'Notifications',
    describe: (o) => [str(obj(o.spec).type), str(obj(o.status).webhookPath)].filter(Boolean).join(' '),
  },
  {
    plural: 'imagerepositories',
    title: 'Image repositories',
    group: 'Image automation',
    describe: (o) => {
      const tags = str(obj(obj(o.status).lastScanResult).tagCount);
      return `${str(obj(o.spec).image)}${tags ? ` · ${tags} tags` : ''}`;
    },
  },
  {
    plural: 'imagepolicies',
    title: 'Image policies',
    group: 'Image automation',
    describe: (o) => {
      const spec = obj(o.spec);
      const policy = obj(spec.policy);
      const rule = str(obj(policy.semver).range) || str(obj(policy.alphabetical).order) || str(obj(policy.numerical).order);
      const latest = obj(obj(o.status).latestRef);
      const image = latest.tag ? `${str(latest.name)}:${str(latest.tag)}` : str(obj(o.status).latestImage);
      return `${str(obj(spec.imageRepositoryRef).name)} ${rule}${image ? ` → ${image}` : ''}`;
    },
  },
  {
    plural: 'imageupdateautomations',
    title: 'Image update automations',
    group: 'Image automation',
    describe: (o) => {
      const spec = obj(o.spec);
      const push = obj(obj(spec.git).push);
      const commit = str(obj(o.status).lastPushCommit).slice(0, 12);
      return `${ref(spec.sourceRef)}${push.branch ? ` → ${str(push.branch)}` : ''}${commit ? ` · ${commit}` : ''}`;
    },
  },
];

/** The kind named by a route parameter, if it is one of the page's. */
export function automationKind(plural: string | undefined): AutomationKind | undefined {
  return AUTOMATION_KINDS.find((k) => k.plural === plural);
}
