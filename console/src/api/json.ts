/** Reading the open-ended JSON of Flux objects (specs and statuses) without `any`. */
import type { ObjectView } from './types';

/** A JSON object. */
export type JsonMap = Record<string, unknown>;

/** `x` when it is a JSON object, else an empty one. */
export const obj = (x: unknown): JsonMap =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as JsonMap) : {};

/** `x` as text: strings as they are, numbers and booleans written out, anything else ''. */
export const str = (x: unknown): string =>
  typeof x === 'string' ? x : typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';

/** The name and namespace of an object. */
export function nameOf(o: ObjectView): { name: string; namespace: string } {
  const m = obj(o.metadata);
  return { name: str(m.name), namespace: str(m.namespace) };
}
