import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { tempDirectory } from '../agent/inputs';
import { IMAGE_VARIABLE_SUFFIXES } from '../images/image-list';
import { imageVariables, TaggedImage, tagImages } from '../images/tags';
import { collectSourceFiles, completeBundle, discardBundle, resolveBundleFolder, stageBundle } from '../release/bundle';
import { bundleHelmDependencies, ReleaseDependency } from '../release/bundle-dependencies';
import { bundleDigest } from '../release/release-digest';
import type { BundledKustomizeChart } from '../render/kustomize-helm-charts';
import type { VendoredRemote } from '../render/kustomize-vendor';
import { ReleaseManifest, RELEASE_FILE, RELEASE_KIND, ReleaseImage } from '../release/release-manifest';
import { countBySeverity, mergeFindings } from '../report/merge-findings';
import { InputError } from '../util/errors';
import { forEnvironment, toPosix } from '../util/paths';
import { lintDockerfile } from '../validate/dockerfile';
import { previousImages } from './ci-previous-release';
import { BuildContext, CiPublishInputs, PublishInputs, readCiPublishInputs } from './ci-publish-inputs';
import { bundleKustomizeRemotes } from './ci-publish-kustomize';
import { reportValidation } from './pr-validate-report';
import { renderAndValidate, ValidationReport } from './render-and-validate';
import { provideRenderTools } from './render-tools';
import { repositoryRelative } from './repository-path';

/**
 * GitOpsCiPublish@1: compute the image tags, render and validate every environment from the
 * release bundle's own copy of the templates (so what is validated is exactly what ships), then
 * complete the bundle (images.yaml, release.json), publish it and set the output variables.
 * Nothing is left behind when anything fails. The task's entry reads the inputs first
 * (readCiPublishInputs) and passes them in.
 */
export async function ciPublish(agent: Agent, version: string, inputs: CiPublishInputs = readCiPublishInputs(agent)): Promise<void> {
  const { build, options, reporting, publish } = inputs;
  const repoRoot = build.sourcesDirectory;
  const templates = repositoryRelative(options.templates, repoRoot, 'templates');
  const valuesFile = repositoryRelative(options.valuesFile, repoRoot, 'valuesFile');
  const helmValuesFiles = options.helmValuesFiles.map((f) => repositoryRelative(f, repoRoot, 'helmValuesFiles'));
  const bundleFolder = resolveBundleFolder(publish.bundleFolder, build.stagingDirectory);
  const tools = agent.toolRunner();

  // Image tags, and whether each is new against the previous release.
  const previous = await previousImages(agent, build, publish);
  agent.group('Image tags');
  const images = await tagImages(publish.images, {
    repoRoot,
    strategy: publish.tagStrategy,
    buildNumber: build.buildNumber,
    fixedTag: publish.tag,
    tools,
    previous,
    onWarning: (message) => agent.warning(message),
  });
  for (const image of images)
    agent.info(`${image.name}: ${image.reference} (${describeTag(image)}${image.isNew ? ', new' : ', unchanged since the previous release'})`);
  agent.endGroup();
  const imageVars = imageVariables(images);
  for (const name of options.variables.keys()) {
    if (imageVars.has(name))
      throw new InputError(
        'variables',
        `"${name}" is also an image variable of the images input; remove it from variables (the image's tag is computed by the task)`,
      );
  }
  const variables = new Map([...options.variables, ...imageVars]);

  // Copy what the release needs into the staged bundle, then render and validate that copy.
  const sources = collectSourceFiles({
    repoRoot,
    templates,
    renderer: options.renderer,
    environments: options.environments,
    valuesFile,
    helmValuesFiles,
    kustomization: options.kustomization,
  });
  const staged = stageBundle(bundleFolder, repoRoot, sources);
  let manifest: ReleaseManifest | undefined;
  try {
    await provideRenderTools(agent, { repoRoot: staged.sourceRoot, templates, renderer: options.renderer, environments: options.environments }, tools);
    const workDir = fs.mkdtempSync(path.join(tempDirectory(agent), 'gitops-publish-'));
    let report: ValidationReport;
    let helmDependencies: ReleaseDependency[] = [];
    let kustomizeRemotes: VendoredRemote[] = [];
    let kustomizeHelmCharts: BundledKustomizeChart[] = [];
    try {
      // Chart dependencies are fetched once, into the bundle; the render below (and GitOpsPromote's) uses those archives.
      helmDependencies = await bundleHelmDependencies(
        staged.dir,
        options.renderer === 'auto' || options.renderer === 'helm' ? options.environments.map((e) => forEnvironment(templates, e)) : [],
        { settings: options.helmDependencies ?? { mode: 'resolve' }, tools, workDir: path.join(workDir, 'helm-dependencies') },
      );
      for (const d of helmDependencies) agent.info(`Helm dependency ${d.name} ${d.version} from ${d.repository}: bundled as ${d.file} (sha256 ${d.sha256})`);
      // Remote Kustomize bases and files are fetched once, into the bundle; the render below (and GitOpsPromote's) uses those copies.
      const kustomize = await bundleKustomizeRemotes(
        agent,
        staged.sourceRoot,
        { templates, kustomization: options.kustomization, environments: options.environments },
        tools,
        path.join(workDir, 'kustomize-remote'),
      );
      kustomizeRemotes = kustomize.remotes;
      kustomizeHelmCharts = kustomize.helmCharts;
      report = await renderAndValidate({
        ...options,
        repoRoot: staged.sourceRoot,
        templates,
        valuesFile,
        helmValuesFiles,
        variables,
        dockerfiles: [],
        tools,
        workDir,
        onProgress: (percent, operation) => agent.progress(percent, operation),
      });
      for (const environment of report.environments) environment.findings.unshift(...(kustomize.warnings.get(environment.environment) ?? []));
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    for (const file of options.dockerfiles) {
      const rel = toPosix(path.relative(repoRoot, file));
      report.dockerfiles.push({ file: rel, findings: lintDockerfile(rel, fs.readFileSync(file, 'utf8'), options.dockerfileOptions) });
    }
    markUnknownImageVariables(report, images, variables);

    const { errors, warnings } = countBySeverity(mergeFindings(report));
    const willFail = errors > 0 || (reporting.failOn === 'warning' && warnings > 0);
    const outcome = reportValidation(agent, report, options.environments, reporting, version, {
      title: 'GitOps release',
      fileName: 'gitops-release-summary.md',
      extraMarkdown: releaseMarkdown(images, publish, willFail ? undefined : bundleFolder),
    });
    if (outcome.failed) {
      agent.setResult('Failed', `Validation failed, no release bundle written: ${outcome.summary}`);
      return;
    }

    manifest = completeBundle(
      staged,
      {
        ...releaseManifest(build, publish, version, images, report, { ...options, templates, valuesFile, helmValuesFiles }),
        ...(helmDependencies.length > 0 ? { helmDependencies } : {}),
        ...(kustomizeRemotes.length > 0 ? { kustomizeRemotes } : {}),
        ...(kustomizeHelmCharts.length > 0 ? { kustomizeHelmCharts } : {}),
      },
      (text) => agent.mask(text),
    );
    agent.info(`Release bundle written to ${bundleFolder}: ${Object.keys(manifest.files).length + 1} file(s)`);
    setOutputs(agent, images, publish, bundleFolder);
    // Pins the whole bundle (release.json lists every other file's sha256): GitOpsPromote's releaseDigest input.
    const digest = bundleDigest(bundleFolder);
    agent.setOutput('releaseDigest', digest);
    agent.info(`Release digest ${digest}: pass it to GitOpsPromote@1's releaseDigest input to refuse any other bundle`);
    if (publish.publishArtifact) {
      agent.uploadArtifact(publish.artifactName, bundleFolder);
      agent.info(`Publishing ${bundleFolder} as the build artifact "${publish.artifactName}"`);
    }
    const summary = `${images.length} image(s), ${outcome.summary}; bundle ${bundleFolder}`;
    if (outcome.warnings > 0) agent.setResult('SucceededWithIssues', `Release published with warnings: ${summary}`);
    else agent.setResult('Succeeded', `Release published: ${summary}`);
  } finally {
    if (!manifest) discardBundle(staged);
  }
}

function describeTag(image: TaggedImage): string {
  switch (image.strategy) {
    case 'content':
      return `last commit touching ${image.paths.join(', ')}`;
    case 'buildNumber':
      return 'build number';
    case 'fixed':
      return 'given tag';
  }
}

/**
 * A template that uses NAME_TAG (or another image variable) of an image the images input does not
 * list gets an error of its own, at the template's file and line, instead of the generic undefined-variable one.
 */
function markUnknownImageVariables(report: ValidationReport, images: TaggedImage[], variables: ReadonlyMap<string, string>): void {
  const listed = images.length > 0 ? `it lists ${images.map((i) => i.name).join(', ')}` : 'it lists none';
  for (const env of report.environments) {
    env.findings = env.findings.map((f) => {
      if (f.rule !== 'render/undefined-variable') return f;
      const name = /variable "([A-Za-z_][A-Za-z0-9_]*)" is not defined/.exec(f.message)?.[1];
      const suffix = name && IMAGE_VARIABLE_SUFFIXES.find((s) => name.endsWith(`_${s}`) && name.length > s.length + 1);
      if (!name || !suffix || variables.has(name)) return f;
      const image = name.slice(0, -(suffix.length + 1));
      return {
        ...f,
        rule: 'images/unknown-variable',
        message: `Image variable "${name}" is not defined: the images input has no image "${image}" (${listed}), and neither the values file nor the variables input sets it`,
      };
    });
  }
}

function releaseManifest(
  build: BuildContext,
  publish: PublishInputs,
  version: string,
  images: TaggedImage[],
  report: ValidationReport,
  render: {
    templates: string;
    renderer: string;
    valuesFile: string;
    helmValuesFiles: string[];
    releaseName?: string;
    namespace?: string;
    kubernetesVersion: string;
    variables: ReadonlyMap<string, string>;
    policy: Readonly<Record<string, string>>;
    variableSyntax?: string;
    kustomization?: string;
    helmOutput?: string;
  },
): Omit<ReleaseManifest, 'files'> {
  const releaseImages: ReleaseImage[] = [...images]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((image) => ({
      name: image.name,
      repository: image.repository.name,
      tag: image.tag,
      reference: image.reference,
      strategy: image.strategy,
      sourcePaths: image.paths,
      contentCommit: image.contentCommit,
      humanTag: publish.humanTag || undefined,
      variables: Object.fromEntries(imageVariables([image])),
    }));
  return {
    kind: RELEASE_KIND,
    app: publish.appName,
    source: { repository: build.repository, repositoryUri: build.repositoryUri, branch: build.branch, commit: build.commit },
    build: { id: build.buildId, number: build.buildNumber, url: build.url, definition: build.definition },
    publisher: { task: 'GitOpsCiPublish', version },
    images: releaseImages,
    render: {
      templates: render.templates,
      renderer: render.renderer,
      valuesFile: render.valuesFile,
      helmValuesFiles: render.helmValuesFiles,
      releaseName: render.releaseName,
      namespace: render.namespace,
      kubernetesVersion: render.kubernetesVersion,
      variables: Object.fromEntries([...render.variables].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      policy: { ...render.policy },
      ...(render.variableSyntax && render.variableSyntax !== 'flux' ? { variableSyntax: render.variableSyntax } : {}),
      ...(render.kustomization ? { kustomization: render.kustomization, helmOutput: render.helmOutput } : {}),
    },
    environments: report.environments.map((e) => {
      const { errors, warnings } = countBySeverity(e.findings);
      return { name: e.environment, renderer: e.renderer, objects: e.objects, errors, warnings };
    }),
  };
}

/** Per image NAME_IMAGE, NAME_TAG, NAME_REF, NAME_REPOSITORY and NAME_TAG_NEW; then humanTag, newImages, bundlePath. */
function setOutputs(agent: Agent, images: TaggedImage[], publish: PublishInputs, bundleFolder: string): void {
  for (const image of images) {
    for (const [name, value] of imageVariables([image])) agent.setOutput(name, value);
    agent.setOutput(`${image.name}_TAG_NEW`, String(image.isNew));
  }
  agent.setOutput('humanTag', publish.humanTag);
  agent.setOutput(
    'newImages',
    images
      .filter((i) => i.isNew)
      .map((i) => i.name)
      .join(','),
  );
  agent.setOutput('bundlePath', bundleFolder);
}

function releaseMarkdown(images: TaggedImage[], publish: PublishInputs, bundleFolder: string | undefined): string {
  const lines = ['', '### Images', ''];
  if (images.length === 0) lines.push('No images listed.');
  else {
    lines.push('| Image | Reference | Tag from | New |', '|---|---|---|---|');
    for (const i of images) lines.push(`| ${i.name} | \`${i.reference}\` | ${describeTag(i)} | ${i.isNew ? 'yes' : 'no'} |`);
  }
  if (publish.humanTag) lines.push('', `Human tag: \`${publish.humanTag}\``);
  lines.push(
    '',
    bundleFolder
      ? `Release bundle: \`${bundleFolder}\` (${RELEASE_FILE})${publish.publishArtifact ? `, published as the artifact \`${publish.artifactName}\`` : ''}.`
      : 'No release bundle was written: validation failed.',
  );
  return `${lines.join('\n')}\n`;
}
