import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ToolRunner } from '../render/tools';
import { InputError } from '../util/errors';

/** Runs git in a checkout with literal pathspecs (no globs, no `:(magic)`), through the given tool runner. */
export class GitHistory {
  private constructor(
    private readonly tools: ToolRunner,
    private readonly git: string,
    readonly repoRoot: string,
  ) {}

  /** Opens the checkout at repoRoot; clear errors when git is missing or the folder is not a git checkout. */
  static async open(tools: ToolRunner, repoRoot: string, purpose: string): Promise<GitHistory> {
    const git = tools.which('git');
    if (!git) throw new Error(`"git" was not found on PATH; it is needed to ${purpose}. Run the task on an agent with git, or choose another tag strategy.`);
    const history = new GitHistory(tools, git, repoRoot);
    const top = await history.run(['rev-parse', '--show-toplevel'], false);
    if (top.code !== 0)
      throw new Error(
        `"${repoRoot}" is not a git checkout (${firstLine(top.stderr)}); ${purpose} needs the repository's history. Check out the repository with its history (checkout: self, fetchDepth: 0), or choose another tag strategy.`,
      );
    return history;
  }

  /**
   * The id of the last commit that touched any of the paths (`git log -n 1 --format=%H -- paths`).
   * Each path must match a file git tracks; a shallow checkout whose history ends before that
   * commit is an error rather than a wrong tag.
   */
  async lastCommitTouching(paths: string[], where: string, inputName: string): Promise<string> {
    for (const p of paths) {
      const tracked = await this.run(['ls-files', '--', p]);
      if (tracked.stdout.trim() === '') throw new InputError(inputName, `${where}: source path "${p}" matches no file tracked by git in ${this.repoRoot}`);
    }
    const log = await this.run(['log', '-n', '1', '--format=%H', '--', ...paths]);
    const commit = log.stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit))
      throw new InputError(inputName, `${where}: no commit touches ${paths.map((p) => `"${p}"`).join(', ')} (the files are tracked but not committed)`);
    if ((await this.shallowBoundary()).has(commit)) {
      throw new Error(
        `${where}: the checkout is shallow and its history ends at ${commit}, so the last commit that touched ${paths.join(', ')} cannot be known. Fetch the full history (checkout: self with fetchDepth: 0, or "Shallow fetch" off in a classic pipeline).`,
      );
    }
    return commit;
  }

  /** Tracked files under the paths that differ from HEAD (a step before this one changed them). */
  async modifiedFiles(paths: string[]): Promise<string[]> {
    const status = await this.run(['status', '--porcelain', '--untracked-files=no', '--', ...paths]);
    return status.stdout
      .split('\n')
      .map((l) => l.slice(3).trim())
      .filter((l) => l !== '')
      .sort();
  }

  private async shallowBoundary(): Promise<Set<string>> {
    const file = (await this.run(['rev-parse', '--git-path', 'shallow'])).stdout.trim();
    const absolute = path.resolve(this.repoRoot, file);
    if (!file || !fs.existsSync(absolute)) return new Set();
    return new Set(
      fs
        .readFileSync(absolute, 'utf8')
        .split(/\s+/)
        .filter((s) => s !== ''),
    );
  }

  private async run(args: string[], check = true) {
    const result = await this.tools.exec(this.git, ['--literal-pathspecs', ...args], { cwd: this.repoRoot });
    if (check && result.code !== 0)
      throw new Error(`git ${args.join(' ')} failed in ${this.repoRoot}: ${firstLine(result.stderr) || `exit code ${result.code}`}`);
    return result;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
