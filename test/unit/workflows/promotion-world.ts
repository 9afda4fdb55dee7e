/**
 * Promotion steps against the in-process Azure DevOps emulator, through the real connection, with
 * an in-memory agent: no bundle, no rendering (the rendered files are given).
 */
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import type { ConnectionOptions } from '../../../shared/devops/connection';
import { createPromotionContext, PromotionContext, PromotionSubject } from '../../../shared/workflows/promote-context';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import { PROJECT, World } from '../../integration/devops/emulator-world';

export const CONNECTION_OPTIONS: ConnectionOptions = { socketTimeoutMs: 10_000, retry: { baseDelayMs: 20, maxDelayMs: 200, budgetMs: 20_000 } };

/** Release 7 of app "web" for dev: two files for apps/dev/web. */
export function subject(
  release = '7',
  files: Record<string, string> = { 'deployment.yaml': 'kind: Deployment\n', 'service.yaml': 'kind: Service\n' },
): PromotionSubject {
  return {
    names: { app: 'web', environment: 'dev', release },
    sourceCommit: '0123456789abcdef0123456789abcdef01234567',
    folder: 'apps/dev/web',
    files: new Map(Object.entries(files)),
    objects: Object.keys(files).length,
    version: '1.2.3',
  };
}

/** An agent as a pipeline job in the emulator's organization sees it, with the promote inputs given (Flux not awaited). */
export function promoteAgent(world: World, repoName: string, inputs: Record<string, string> = {}): MemoryAgent {
  return new MemoryAgent({
    inputs: {
      bundle: 'release',
      environment: 'dev',
      gitopsRepository: repoName,
      targetFolder: 'apps/{environment}/{app}',
      waitForReconciliation: 'false',
      ...inputs,
    },
    variables: { 'System.CollectionUri': `${world.emu.url}/`, 'System.TeamProject': PROJECT, 'Build.BuildId': '42' },
    endpoints: { SystemVssConnection: { url: `${world.emu.url}/`, scheme: 'OAuth', parameters: { AccessToken: world.emu.token } } },
  });
}

export async function promotionContext(
  world: World,
  repoName: string,
  inputs: Record<string, string> = {},
  what: PromotionSubject = subject(),
): Promise<{ ctx: PromotionContext; agent: MemoryAgent }> {
  const agent = promoteAgent(world, repoName, inputs);
  const ctx = await createPromotionContext(agent, readPromoteInputs(agent), what, CONNECTION_OPTIONS);
  return { ctx, agent };
}
