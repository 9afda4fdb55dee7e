/**
 * Azure for the tasks: a credential from the AzureRM service connection, and the wait for Flux on
 * Arc/AKS clusters to reconcile a commit. Nothing here reads task inputs; @azure/identity and the
 * ARM SDK load only when a credential or a wait is asked for.
 */
export { AZURE_CLOUDS, AzureCloud, resolveCloud } from './clouds';
export { AzureCredential, AzureServiceConnection, createAzureCredential, CredentialOptions, PipelineJobContext, requestOidcToken } from './credential';
export { describeObject, evaluate, Evaluation, FluxStatus, ObjectView, parseRevision, Phase, revisionInMessage, selectObjects, Selection } from './flux-status';
export { checkSource, displayUrl, ExpectedSource, repositoryKey, sameRepository, SourcePhase } from './source';
export {
  ArmAccess,
  ClusterOutcome,
  ClusterRef,
  ClusterType,
  clusterLabel,
  createFluxConfigurationReader,
  FluxConfigurationReader,
  FluxRead,
  FluxReadError,
  parseClusterRef,
  PollPolicy,
  ProgressEvent,
  ReconciliationResult,
  WaitRequest,
  waitForReconciliation,
} from './wait';
