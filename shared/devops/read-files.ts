/**
 * Reads the text of several files of one commit, a bounded number of requests at a time, so that a
 * check of a folder's files neither clones the repository nor floods the server.
 */
import { createLimiter } from '../util/concurrency';
import type { DevOpsConnection } from './connection';
import { readFile, Repository } from './repository';

/** At most this many file reads are in flight at once. */
export const FILE_READ_CONCURRENCY = 8;

/**
 * Repository path ("apps/dev/web/service.yaml") -> text at `commitId`, in the order given. A path
 * that does not exist at the commit is left out.
 */
export async function readFilesAt(
  conn: DevOpsConnection,
  repo: Repository,
  commitId: string,
  paths: readonly string[],
  concurrency = FILE_READ_CONCURRENCY,
): Promise<Map<string, string>> {
  const limit = createLimiter(concurrency);
  const texts = await Promise.all(paths.map((path) => limit(() => readFile(conn, repo, path, { commitId }))));
  const files = new Map<string, string>();
  paths.forEach((path, i) => {
    const text = texts[i];
    if (text !== undefined) files.set(path, text);
  });
  return files;
}
