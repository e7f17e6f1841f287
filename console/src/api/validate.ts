/**
 * Runtime checks of JSON the API types leave open or that arrives outside a request: the
 * event stream's `ObjectChange`s and the target statuses in a target detail. Each schema is
 * checked at compile time against the generated type it stands for.
 */
import * as z from 'zod/mini';
import type { ObjectChange, State, Summary, TargetStatus } from './types';

/** Every `State`, in the order the API lists them. */
export const STATES = ['ready', 'progressing', 'failed', 'suspended', 'unknown'] as const satisfies readonly State[];

const text = z.string();
const optionalText = z.optional(z.string());
const nullableText = z.optional(z.nullable(z.string()));

const summary = z.object({
  state: z.enum(STATES),
  ready: text,
  suspended: z.boolean(),
  reconcileHandled: z.boolean(),
  reason: optionalText,
  message: optionalText,
  revision: nullableText,
  lastUpdateTime: nullableText,
  lastHandledReconcileAt: nullableText,
  reconcileRequestedAt: nullableText,
});

const objectChange = z.object({
  type: z.enum(['applied', 'deleted']),
  cluster: text,
  kind: text,
  namespace: text,
  name: text,
  resourceVersion: text,
  creationTimestamp: optionalText,
  summary,
  replicas: z.optional(
    z.nullable(z.object({ desired: z.number(), updated: z.number(), ready: z.number(), available: z.number() })),
  ),
});

const targetStatus = z.object({
  cluster: text,
  namespace: text,
  objectRef: text,
  ready: text,
  reason: optionalText,
  message: optionalText,
  lastAppliedRevision: optionalText,
  lastAttemptedRevision: optionalText,
  lastTransitionTime: optionalText,
  suspended: z.optional(z.boolean()),
  mode: optionalText,
  lastDrift: z.optional(z.object({ at: text, fields: z.array(text) })),
});

// The schemas give values of the generated types (and every State is listed).
type Gives<Schema extends z.ZodMiniType, T> = z.infer<Schema> extends T ? true : never;
const typed: [
  Gives<typeof summary, Summary>,
  Gives<typeof objectChange, ObjectChange>,
  Gives<typeof targetStatus, TargetStatus>,
  Exclude<State, (typeof STATES)[number]> extends never ? true : never,
] = [true, true, true, true];
void typed;

/** An `ObjectChange` parsed from an event's data, or `undefined` (logged) when it is not one. */
export function parseChange(data: string): ObjectChange | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    console.warn('event stream: data is not JSON; dropped', data.slice(0, 200));
    return undefined;
  }
  const r = objectChange.safeParse(json);
  if (!r.success) {
    console.warn('event stream: not an object change; dropped', z.prettifyError(r.error));
    return undefined;
  }
  return r.data;
}

/** `x` as a target status, when it is one. */
export function asTargetStatus(x: unknown): TargetStatus | undefined {
  const r = targetStatus.safeParse(x);
  return r.success ? r.data : undefined;
}
