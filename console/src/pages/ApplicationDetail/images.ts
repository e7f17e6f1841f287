/** Which images an application deploys, as the "automate an image" flow proposes them. */
import type { ApplicationView, TargetWorkloads } from '../../api/types';

/** An image the application deploys: its name (without tag) and the tag seen. */
export interface FoundImage {
  name: string;
  tag?: string;
}

/** A reference split into name and tag (a digest is no tag). */
export function splitImage(reference: string): FoundImage {
  const ref = reference.split('@')[0];
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref };
}

/** Maps with a `repository` string in Helm values (`image: {repository, tag}`). */
function valuesImages(v: unknown, out: FoundImage[]): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return;
  const m = v as Record<string, unknown>;
  if (typeof m.repository === 'string' && m.repository) {
    out.push({ name: m.repository, tag: typeof m.tag === 'string' ? m.tag : undefined });
  }
  for (const child of Object.values(m)) valuesImages(child, out);
}

/**
 * The images an application deploys, most likely first: from a Helm application's values,
 * then from what its workloads run; each name once, those not automated yet.
 */
export function imageSuggestions(app: ApplicationView, workloads: TargetWorkloads[] = []): FoundImage[] {
  const found: FoundImage[] = [];
  valuesImages(app.spec.helm?.values, found);
  for (const t of workloads) for (const w of t.workloads) for (const i of w.images) found.push(splitImage(i));
  const automated = new Set((app.spec.images ?? []).map((i) => i.image).filter(Boolean));
  const seen = new Set<string>();
  return found.filter((f) => !automated.has(f.name) && !seen.has(f.name) && (seen.add(f.name), true));
}

/** A semver range that takes every release from the running one on (`>=1.2.0`), else any. */
export function suggestedRange(tag?: string): string {
  const m = tag?.match(/^v?(\d+)\.(\d+)\.(\d+)$/);
  return m ? `>=${m[1]}.${m[2]}.${m[3]}` : '*';
}
