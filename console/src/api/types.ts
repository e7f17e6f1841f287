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
export type NamespaceList = S['NamespaceList'];
export type StateCounts = S['StateCounts'];
export type Failing = S['Failing'];
export type ClusterView = S['ClusterView'];
export type ClusterList = S['ClusterList'];
/** A distributed source's state in one member cluster. */
export type ClusterSource = S['ClusterSource'];
/** How applications are delivered to a cluster: `hub` (the host's Flux reaches it) or `agent` (its own Flux). */
export type ClusterMode = ClusterView['mode'];
export type SetMode = S['SetMode'];
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
/** A target's detail; `object` is null until the Flux object is created (the schema omits that). */
export type TargetDetail = Omit<S['TargetDetail'], 'object'> & { object: Record<string, unknown> | null };
export type User = S['User'];
export type TargetWorkloads = S['TargetWorkloads'];
export type WorkloadHealth = S['WorkloadHealth'];

/** A JSON object whose shape the API leaves open (Flux specs and statuses). */
export type Json = { [key: string]: unknown };

/** A Kubernetes condition. */
export type Condition = NonNullable<ApplicationStatus['conditions']>[number];

/** The kinds the API serves (`GET /kinds`), each with its family, actions and form defaults. */
export type KindView = S['KindView'];
export type KindList = S['KindList'];
export type Family = S['Family'];
export type Action = S['Action'];

/** An Application as the API returns it, its list and its create/update request. */
export type ApplicationView = S['ApplicationView'];
export type ApplicationList = S['ApplicationList'];
export type ApplicationRequest = S['ApplicationRequest'];
/** The Application's spec and status (the CRD's schema). */
export type ApplicationSpec = S['ApplicationSpec'];
export type ApplicationStatus = S['ApplicationStatus'];
/** The kinds an application's source may be. */
export type SourceKind = ApplicationSpec['source']['kind'];
export type HelmSpec = NonNullable<ApplicationSpec['helm']>;
export type KustomizeSpec = NonNullable<ApplicationSpec['kustomize']>;
export type Patch = NonNullable<KustomizeSpec['patches']>[number];
export type Image = NonNullable<KustomizeSpec['images']>[number];
export type Target = ApplicationSpec['targets'][number];
export type Overrides = NonNullable<Target['overrides']>;
export type TargetStatus = NonNullable<ApplicationStatus['targets']>[number];
/** The last edit made in an agent target's cluster to its Flux object, which ksflux put back. */
export type TargetDrift = NonNullable<TargetStatus['lastDrift']>;
export type ImageChain = S['ImageChain'];
export type ImageSetupResult = S['ImageSetupResult'];
export type PromotionProposal = S['PromotionProposal'];
export type PolicyPreview = S['PolicyPreview'];

/** The release history and audit log. */
export type Release = S['Release'];
export type ReleaseList = S['ReleaseList'];
export type Outcome = S['Outcome'];
export type AuditEntry = S['AuditEntry'];
export type AuditList = S['AuditList'];
export type RollbackProposal = S['RollbackProposal'];
/** Where a Receiver listens: its path and, when ksflux knows the receiver's address, the URL. */
export type ReceiverWebhook = S['ReceiverWebhook'];
export type Inventory = S['Inventory'];
export type InventoryObject = S['InventoryObject'];
export type DriftField = S['DriftField'];
export type ObjectManifests = S['ObjectManifests'];
