/** Names for the API's types, generated from `/openapi.json` into `schema.ts`. */
import type { components } from './schema';

type S = components['schemas'];
export type ObjectView = S['ObjectView'];
export type ObjectList = S['ObjectList'];
export type ObjectStatus = S['ObjectStatus'];
export type ObjectStatusList = S['ObjectStatusList'];
export type ObjectChange = S['ObjectChange'];
export type Summary = S['Summary'];
export type State = S['State'];
export type FleetSummary = S['FleetSummary'];
export type StateCounts = S['StateCounts'];
export type Failing = S['Failing'];
export type ClusterView = S['ClusterView'];
export type ClusterList = S['ClusterList'];
export type Health = S['Health'];
export type RegisterCluster = S['RegisterCluster'];
export type Credentials = S['Credentials'];
export type Tls = S['Tls'];
export type ObjectRequest = S['ObjectRequest'];
export type Status = S['Status'];
export type Cause = S['Cause'];
export type Chart = S['Chart'];
export type Rendered = S['Rendered'];
export type TargetDiff = S['TargetDiff'];
export type TargetDetail = S['TargetDetail'];
export type User = S['User'];

/** A JSON object whose shape the API leaves open (Flux specs and statuses). */
export type Json = { [key: string]: unknown };

/** A Kubernetes condition. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The Application's spec, as `crates/types/src/application.rs` defines it. */
export interface ApplicationSpec {
  source: { kind: SourceKind; name: string };
  helm?: HelmSpec;
  kustomize?: KustomizeSpec;
  targets: Target[];
  dependsOn?: string[];
  interval?: string;
  suspend?: boolean;
}
export type SourceKind = 'GitRepository' | 'OCIRepository' | 'Bucket' | 'HelmRepository';
export interface HelmSpec {
  chart: string;
  version?: string;
  values?: Json;
  valuesFrom?: Json[];
  releaseName?: string;
  /** HelmRelease `install` settings, e.g. `{ disableWait: true }`. */
  install?: Json;
  /** HelmRelease `upgrade` settings. */
  upgrade?: Json;
  rollback?: Json;
  uninstall?: Json;
}
export interface KustomizeSpec {
  path?: string;
  prune?: boolean;
  patches?: Patch[];
  images?: Image[];
  substitute?: Record<string, string>;
  wait?: boolean;
}
export interface Patch {
  patch: string;
  target?: Json;
}
export interface Image {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}
export interface Target {
  cluster: string;
  namespace: string;
  suspend?: boolean;
  overrides?: Overrides;
}
export interface Overrides {
  values?: Json;
  valuesFrom?: Json[];
  version?: string;
  patches?: Patch[];
  images?: Image[];
  substitute?: Record<string, string>;
  path?: string;
}
export interface TargetStatus {
  cluster: string;
  namespace: string;
  objectRef?: string;
  ready: string;
  reason?: string;
  message?: string;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastTransitionTime?: string;
  suspended?: boolean;
}
export interface ApplicationStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  targets?: TargetStatus[];
  summary?: { ready: number; total: number; text: string };
  lastHandledReconcileAt?: string;
}
