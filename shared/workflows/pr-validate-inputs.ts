import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { boolInput, choiceInput, listInput, requiredInput, sourcesDirectory } from '../agent/inputs';
import type { RendererKind } from '../render/render';
import { VARIABLE_SYNTAXES, VariableSyntax } from '../render/variable-syntax';
import { InputError } from '../util/errors';
import type { DockerfileLintOptions, DockerfileRuleSeverity } from '../validate/dockerfile';
import { DEFAULT_POLICY_SEVERITIES, PolicySeverities } from '../validate/policy-settings';
import { parseKubernetesVersion } from '../validate/kubernetes-version';
import type { RenderAndValidateOptions } from './render-and-validate';
import { PreviewInputs, readPreviewInputs } from './pr-preview-inputs';
import { readReportingInputs, ReportingOptions } from './reporting-inputs';
import { repositoryRelative } from './repository-path';
import { readHelmDependencyInputs } from './helm-dependency-inputs';
import { readVariablesInput } from './variables-input';

const RENDERERS = ['auto', 'helm', 'kustomize', 'plain', 'helm-kustomize'] as const;
const SEVERITIES = ['error', 'warning', 'off'] as const;

/** The input names of each policy rule, in task.json order. */
export const POLICY_INPUTS: Record<keyof PolicySeverities, string> = {
  imageTag: 'policyImageTag',
  resources: 'policyResources',
  privileged: 'policyPrivileged',
  runAsRoot: 'policyRunAsRoot',
  hostPath: 'policyHostPath',
  probes: 'policyProbes',
};

/** Every input of GitOpsPrValidate@1, read and checked before anything is rendered. */
export interface PrValidateInputs {
  repoRoot: string;
  options: ReturnType<typeof readRenderAndValidateInputs>;
  reporting: ReportingOptions;
  preview: PreviewInputs | undefined;
}

/** Reads GitOpsPrValidate@1's inputs: the task reads them before it loads the code that renders and validates. */
export function readPrValidateInputs(agent: Agent): PrValidateInputs {
  const repoRoot = sourcesDirectory(agent);
  const options = readRenderAndValidateInputs(agent, repoRoot);
  const reporting = readReportingInputs(agent, repoRoot);
  const preview = readPreviewInputs(agent, options.environments);
  return { repoRoot, options, reporting, preview };
}

/** Reads the rendering and validation inputs shared by GitOpsPrValidate and GitOpsCiPublish. */
export function readRenderAndValidateInputs(agent: Agent, repoRoot: string): Omit<RenderAndValidateOptions, 'tools' | 'workDir' | 'onProgress'> {
  const variables = readVariablesInput(agent);
  const kubernetesVersion = agent.input('kubernetesVersion') || '1.32';
  try {
    parseKubernetesVersion(kubernetesVersion);
  } catch {
    throw new InputError('kubernetesVersion', `expected a Kubernetes version like 1.32, got "${kubernetesVersion}"`);
  }
  const policy = { ...DEFAULT_POLICY_SEVERITIES };
  for (const [rule, name] of Object.entries(POLICY_INPUTS) as [keyof PolicySeverities, string][]) {
    policy[rule] = choiceInput(agent, name, SEVERITIES, DEFAULT_POLICY_SEVERITIES[rule]);
  }
  const dockerfilePatterns = listInput(agent, 'dockerfiles');
  const renderer = choiceInput<'auto' | RendererKind>(agent, 'renderer', RENDERERS, 'auto');
  const kustomization = agent.input('kustomization');
  if (renderer === 'helm-kustomize' && kustomization === '')
    throw new InputError('kustomization', 'is required with renderer: helm-kustomize (the folder whose kustomization lists the Helm output)');
  const helmOutput = agent.input('helmOutput');
  if (helmOutput !== '' && (path.isAbsolute(helmOutput) || !/\.ya?ml$/i.test(helmOutput)))
    throw new InputError('helmOutput', `expected a YAML file name relative to the kustomization folder, e.g. manifests.yaml, got "${helmOutput}"`);
  return {
    repoRoot,
    templates: repositoryRelative(requiredInput(agent, 'templates'), repoRoot, 'templates'),
    renderer,
    environments: listInput(agent, 'environments'),
    valuesFile: agent.input('valuesFile'),
    variables,
    helmValuesFiles: listInput(agent, 'helmValuesFiles'),
    releaseName: agent.input('releaseName') || undefined,
    namespace: agent.input('namespace') || undefined,
    kubernetesVersion,
    allowEmpty: boolInput(agent, 'allowEmpty', false),
    policy,
    dockerfiles: agent.findFiles(repoRoot, dockerfilePatterns),
    dockerfileOptions: readDockerfileOptions(agent),
    variableSyntax: choiceInput<VariableSyntax>(agent, 'variableSyntax', VARIABLE_SYNTAXES, 'flux'),
    ...(renderer === 'helm-kustomize'
      ? { kustomization: repositoryRelative(kustomization, repoRoot, 'kustomization'), helmOutput: helmOutput || 'manifests.yaml' }
      : {}),
    helmDependencies: readHelmDependencyInputs(agent),
  };
}

function readDockerfileOptions(agent: Agent): DockerfileLintOptions {
  const severities: Record<string, DockerfileRuleSeverity> = {};
  for (const line of listInput(agent, 'dockerfileRules')) {
    const m = /^([A-Za-z0-9/_-]+)\s*=\s*(error|warning|off)$/i.exec(line);
    if (!m) throw new InputError('dockerfileRules', `expected RULE=error|warning|off (e.g. DL3007=error), got "${line}"`);
    severities[m[1]] = m[2].toLowerCase() as DockerfileRuleSeverity;
  }
  const trusted = listInput(agent, 'trustedRegistries');
  return { severities, ...(trusted.length > 0 ? { trustedRegistries: trusted } : {}) };
}
