import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { tempDirectory } from '../agent/inputs';
import { logFinding } from '../agent/report';
import type { ConnectionOptions } from '../devops/connection';
import { normalizeFolder } from '../devops/repo-paths';
import type { ManifestObject } from '../manifests/model';
import { readReleaseBundle, releaseImageVariables, ReleaseBundle } from '../release/read-bundle';
import { countBySeverity, mergeFindings } from '../report/merge-findings';
import { InputError } from '../util/errors';
import { formatDuration } from '../util/time-budget';
import { DEFAULT_POLICY_SEVERITIES, PolicySeverities } from '../validate/policy';
import { VARIABLE_SYNTAXES, VariableSyntax } from '../render/substitute';
import { fillPlaceholders } from './placeholders';
import { deliverByPush } from './promote-commit';
import { connect, createPromotionContext, PromotionContext, promotionRecord, PromotionSteps, PromotionSubject } from './promote-context';
import { FluxAccess, preflightFlux, prepareFluxAccess } from './promote-flux';
import { checkTemplatesFolder, PromoteInputs, readPromoteInputs } from './promote-inputs';
import { environmentFiles, templateFiles } from './promote-layout';
import { checkKustomizationOverlap } from './promote-overlap';
import { deploymentFailure, finishPromotion, markRolledBack, reconcile, uploadPromotionSummary, verifyDeployment } from './promote-outcome';
import { deliverByPullRequest } from './promote-pull-request';
import type { PromotionRecord } from './promote-report';
import { rollbackSubject } from './promote-rollback';
import { resolveRepository } from '../devops/repository';
import { renderAndValidate } from './render-and-validate';
import { provideRenderTools } from './render-tools';

/**
 * GitOpsPromote@1: render the release bundle for one environment, validate it again, commit only
 * what changed into the GitOps repository's environment folder (through a pull request, or a
 * direct push), wait for the merge, then wait for Flux on the clusters to reconcile exactly that
 * commit, mirroring progress as commit statuses. Nothing reaches the repository unless the
 * rendering is valid; a re-run with the same release changes nothing twice.
 */
export async function promote(agent: Agent, version: string, inputs: PromoteInputs = readPromoteInputs(agent)): Promise<void> {
  if (inputs.action === 'rollback') return rollback(agent, inputs, version);
  const pinned = inputs.releaseDigest ? { digest: inputs.releaseDigest, inputName: 'releaseDigest' } : undefined;
  const bundle = readReleaseBundle(inputs.bundle, 'bundle', pinned);
  agent.info(
    pinned
      ? `Release digest ${bundle.digest} matches the releaseDigest input`
      : `Release digest ${bundle.digest} (not pinned: set the releaseDigest input to the CI run's releaseDigest output to refuse any other bundle)`,
  );
  const release = bundle.manifest;
  const names = { app: release.app, environment: inputs.environment, release: release.build.number };
  const folder = normalizeFolder(fillPlaceholders(inputs.targetFolder, names));
  if (folder === '')
    throw new InputError('targetFolder', 'must name a folder, not the repository root: the task owns the folder and deletes files it no longer renders');

  // 1. Render and validate, from the bundle's own files: nothing is sent unless this passes.
  agent.progress(0, `Rendering ${names.app} ${names.release} for ${names.environment}`);
  agent.group(`Rendering ${names.app} ${names.release} for ${names.environment}`);
  const substituted = new Map<string, string>();
  const objects = await renderRelease(agent, bundle, inputs, (file, text) => substituted.set(file, text));
  agent.endGroup();
  if (!objects) return;
  const files = environmentFiles(objects, inputs.layout, names.app);
  agent.info(`${objects.length} object(s) rendered into ${files.size} file(s) for /${folder}`);
  let templates: PromotionSubject['templates'];
  if (inputs.templatesFolder !== undefined) {
    checkTemplatesFolder(inputs.templatesFolder, inputs.targetFolder, names.environment, names.app);
    templates = { folder: normalizeFolder(fillPlaceholders(inputs.templatesFolder, names)), files: templateFiles(substituted) };
    agent.info(`${templates.files.size} substituted template file(s) for /${templates.folder}`);
  }

  // 2-3. The GitOps repository, then Flux.
  await deliverPromotion(agent, inputs, {
    names,
    sourceCommit: release.source.commit,
    sourceRepositoryUri: release.source.repositoryUri,
    releaseDigest: { digest: bundle.digest, pinned: pinned !== undefined },
    folder,
    files,
    ...(templates ? { templates } : {}),
    objects: objects.length,
    version,
  });
}

/**
 * Delivers rendered files to the GitOps repository and waits for Flux, then ends the task. The
 * summary tab is written in every case: on a failure it shows how far the promotion got. With
 * onFailure: rollback, a promotion whose Flux wait or verification fails is rolled back in the
 * same run, and the task still fails.
 */
export async function deliverPromotion(agent: Agent, inputs: PromoteInputs, subject: PromotionSubject, connectionOptions?: ConnectionOptions): Promise<void> {
  const steps: PromotionSteps = {};
  let ctx: PromotionContext | undefined;
  let azure: FluxAccess | undefined;
  try {
    agent.progress(10, `Committing to ${inputs.repository}`);
    azure = inputs.flux ? prepareFluxAccess(agent, inputs.flux) : undefined;
    if (inputs.flux && azure) await preflightFlux(agent, inputs.flux, azure);
    ctx = await createPromotionContext(agent, inputs, subject, connectionOptions);
    await deliverAndVerify(ctx, azure, steps);
  } catch (err) {
    uploadPromotionSummary(agent, promotionRecord(subject, inputs.mode, steps, err));
    throw err;
  }
  const record = promotionRecord(subject, inputs.mode, steps);
  const failure = deploymentFailure(record);
  if (failure !== undefined && inputs.onFailure === 'rollback' && !subject.rollback && steps.delivery?.deployedCommit) {
    record.rolledBack = await rollBackAfterFailure(ctx, azure, failure);
    await markRolledBack(ctx, steps.delivery.deployedCommit, failure, record.rolledBack);
  }
  finishPromotion(agent, record, inputs.flux !== undefined);
}

/** The delivery (push or pull request), then Flux, then the smoke checks; each step's result in `steps`. */
async function deliverAndVerify(ctx: PromotionContext, azure: FluxAccess | undefined, steps: PromotionSteps): Promise<void> {
  const { agent, inputs } = ctx;
  steps.repository = { display: ctx.repo.display, url: ctx.repositoryUrl };
  await checkKustomizationOverlap(ctx);
  if (inputs.mode === 'push') {
    const pushed = await deliverByPush(ctx);
    steps.changes = pushed.changes;
    steps.commitId = pushed.commit.recordedCommitId;
    steps.delivery = pushed.delivery;
    agent.progress(50, pushed.delivery.outcome === 'pushed' ? `Pushed to ${inputs.targetBranch}` : `${inputs.targetBranch} already holds the release`);
  } else {
    steps.delivery = await deliverByPullRequest(ctx, steps);
  }
  const delivery = steps.delivery;
  if (delivery.deployedCommit !== undefined) {
    agent.setOutput('deployedCommitId', delivery.deployedCommit);
    steps.reconciliation = await reconcile(ctx, azure, { outcome: delivery.outcome, deployedCommit: delivery.deployedCommit });
    if (steps.reconciliation?.ok !== false) steps.verification = await verifyDeployment(ctx, delivery.deployedCommit);
  }
}

/**
 * onFailure: rollback: the folder goes back to its state before this promotion, through the same
 * delivery path, with Flux and the smoke checks awaited again. Its record (with its error, when
 * the rollback itself failed).
 */
async function rollBackAfterFailure(ctx: PromotionContext, azure: FluxAccess | undefined, failure: string): Promise<PromotionRecord> {
  const { agent, inputs } = ctx;
  agent.warning(`${ctx.names.app} ${ctx.names.release} failed on ${ctx.names.environment} (${failure.split('\n')[0]}): rolling back (onFailure: rollback)`);
  const steps: PromotionSteps = {};
  let subject: PromotionSubject | undefined;
  const started = ctx.conn.clock();
  try {
    subject = await rollbackSubject(ctx.conn, ctx.repo, {
      app: ctx.names.app,
      environment: ctx.names.environment,
      folder: ctx.folder,
      ...(ctx.templates ? { templatesFolder: ctx.templates.folder } : {}),
      branch: inputs.targetBranch,
      version: ctx.version,
      log: (line) => agent.info(line),
    });
    agent.group(`Rolling back ${ctx.names.app} on ${ctx.names.environment} to ${subject.names.release}`);
    try {
      await deliverAndVerify({ ...ctx, ...subject }, azure, steps);
    } finally {
      agent.endGroup();
    }
    const record = promotionRecord(subject, inputs.mode, steps);
    // The figure that matters after a failed release: how long the environment ran it before Flux had the release before again.
    record.rollbackElapsedMs = ctx.conn.clock() - started;
    agent.info(
      `Rolled back in ${formatDuration(record.rollbackElapsedMs)}: from the failure to ${steps.reconciliation?.ok ? 'Flux reconciled on' : 'the delivery of'} ${record.deployedCommit?.slice(0, 12) ?? 'nothing'}`,
    );
    return record;
  } catch (err) {
    agent.warning(`The rollback failed: ${(err as Error).message}`);
    return promotionRecord(subject ?? ctx, inputs.mode, steps, err);
  }
}

/**
 * action: rollback: the environment folder as it was before the most recent promotion of the app
 * (from the GitOps repository's history), through the same delivery, Flux wait and verification.
 */
async function rollback(agent: Agent, inputs: PromoteInputs, version: string): Promise<void> {
  const app = inputs.app ?? readReleaseBundle(inputs.bundle, 'bundle').manifest.app;
  const folder = normalizeFolder(fillPlaceholders(inputs.targetFolder, { app, environment: inputs.environment, release: '' }));
  if (folder === '') throw new InputError('targetFolder', 'must name a folder, not the repository root');
  let templatesFolder: string | undefined;
  if (inputs.templatesFolder !== undefined) {
    checkTemplatesFolder(inputs.templatesFolder, inputs.targetFolder, inputs.environment, app);
    templatesFolder = normalizeFolder(fillPlaceholders(inputs.templatesFolder, { app, environment: inputs.environment }));
  }
  agent.progress(0, `Reading the history of /${folder}`);
  const conn = connect(agent, inputs);
  const repo = await resolveRepository(conn, inputs.repository, agent.variable('System.TeamProject'));
  const subject = await rollbackSubject(conn, repo, {
    app,
    environment: inputs.environment,
    folder,
    ...(templatesFolder !== undefined ? { templatesFolder } : {}),
    branch: inputs.targetBranch,
    version,
    log: (line) => agent.info(line),
  });
  agent.info(`${subject.files.size} file(s), ${subject.objects} object(s) of ${app} ${subject.names.release} to restore in /${folder}`);
  if (subject.templates) agent.info(`${subject.templates.files.size} substituted template file(s) to restore in /${subject.templates.folder}`);
  await deliverPromotion(agent, inputs, subject);
}

/** Renders the environment with the release's settings; undefined (task failed, findings logged) when it does not validate. */
async function renderRelease(
  agent: Agent,
  bundle: ReleaseBundle,
  inputs: PromoteInputs,
  onSubstituted?: (file: string, text: string) => void,
): Promise<ManifestObject[] | undefined> {
  const release = bundle.manifest;
  const known = release.environments.map((e) => e.name);
  if (!known.includes(inputs.environment)) {
    throw new InputError('environment', `"${inputs.environment}" is not an environment of this release (it has ${known.join(', ') || 'none'})`);
  }
  const imageVars = releaseImageVariables(release);
  for (const name of inputs.variables.keys()) {
    if (imageVars.has(name)) throw new InputError('variables', `"${name}" is an image variable of the release; its value is fixed by GitOpsCiPublish@1`);
  }
  const variables = new Map([...Object.entries(release.render.variables ?? {}), ...inputs.variables, ...imageVars]);
  const policy: PolicySeverities = { ...DEFAULT_POLICY_SEVERITIES, ...((release.render.policy ?? {}) as Partial<PolicySeverities>) };
  const workDir = fs.mkdtempSync(path.join(tempDirectory(agent), 'gitops-promote-'));
  let objects: ManifestObject[] = [];
  const tools = agent.toolRunner();
  await provideRenderTools(
    agent,
    { repoRoot: bundle.sourceRoot, templates: release.render.templates, renderer: release.render.renderer as 'auto', environments: [inputs.environment] },
    tools,
  );
  try {
    const report = await renderAndValidate({
      repoRoot: bundle.sourceRoot,
      templates: release.render.templates,
      renderer: release.render.renderer as 'auto',
      environments: [inputs.environment],
      valuesFile: release.render.valuesFile ?? '',
      variables,
      helmValuesFiles: release.render.helmValuesFiles ?? [],
      releaseName: release.render.releaseName,
      namespace: release.render.namespace,
      kubernetesVersion: release.render.kubernetesVersion,
      policy,
      dockerfiles: [],
      tools,
      workDir,
      variableSyntax: releaseVariableSyntax(release.render.variableSyntax),
      kustomization: release.render.kustomization,
      helmOutput: release.render.helmOutput,
      // Offline: the chart dependencies are the archives CI validated and bundled; nothing is fetched.
      helmDependencies: { mode: 'bundled' },
      onRendered: (_env, rendered) => (objects = rendered),
      onSubstituted: onSubstituted && ((_env, file, text) => onSubstituted(file, text)),
    });
    const findings = mergeFindings(report);
    for (const f of findings) logFinding(agent, f);
    const { errors, warnings } = countBySeverity(findings);
    agent.info(`${inputs.environment}: ${objects.length} object(s), ${errors} error(s), ${warnings} warning(s)`);
    if (errors > 0) {
      agent.setResult('Failed', `The release does not render to valid manifests for ${inputs.environment} (${errors} error(s)); nothing was committed`);
      return undefined;
    }
    if (objects.length === 0)
      throw new InputError('environment', `the release renders no objects for "${inputs.environment}"; refusing to empty the GitOps folder`);
    return objects;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** The release's variable syntax (absent: flux, as releases written before the input existed). */
function releaseVariableSyntax(value: string | undefined): VariableSyntax {
  if (value === undefined || (VARIABLE_SYNTAXES as readonly string[]).includes(value)) return (value ?? 'flux') as VariableSyntax;
  throw new InputError('bundle', `release.json names the variable syntax "${value}", which this version does not know (${VARIABLE_SYNTAXES.join(', ')})`);
}
