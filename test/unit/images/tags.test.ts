import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseImageList } from '../../../shared/images/image-list';
import { imageVariables, tagImages, TagRequest } from '../../../shared/images/tags';
import { processTools } from '../../harness/process-tools';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();

function commit(repo: string, files: Record<string, string>, message: string): string {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('tagImages', function () {
  this.timeout(30_000);
  let repo: string;
  let web: string;
  let api: string;
  let head: string;
  const dirs: string[] = [];
  const request = (over: Partial<TagRequest> = {}): TagRequest => ({ repoRoot: repo, strategy: 'content', tools: processTools(), ...over });

  before(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-tags-'));
    dirs.push(repo);
    git(repo, 'init', '-q', '-b', 'main');
    web = commit(repo, { 'src/web/server.js': 'web 1\n', 'shared/lib.js': 'lib\n' }, 'web');
    api = commit(repo, { 'src/api/main.go': 'api 1\n' }, 'api');
    head = commit(repo, { 'deploy/values.yaml': 'a: 1\n' }, 'deploy only');
  });
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('tags each image with the last commit that touched its paths', async () => {
    const images = parseImageList('WEB=a.io/voting/web:src/web,shared\nAPI=a.io/voting/api:src/api\nALL=a.io/all:.');
    const tagged = await tagImages(images, request());
    assert.deepEqual(
      tagged.map((t) => [t.name, t.tag, t.contentCommit, t.reference, t.isNew]),
      [
        ['WEB', web, web, `a.io/voting/web:${web}`, true],
        ['API', api, api, `a.io/voting/api:${api}`, true],
        ['ALL', head, head, `a.io/all:${head}`, true],
      ],
    );
  });

  it('calls git with argument lists and literal pathspecs, never a shell', async () => {
    const tools = processTools();
    await tagImages(parseImageList('WEB=a.io/web:src/web'), request({ tools }));
    assert.ok(
      tools.calls.some((c) => c.join(' ') === 'git --literal-pathspecs log -n 1 --format=%H -- src/web'),
      JSON.stringify(tools.calls),
    );
  });

  it('says which source path matches nothing', async () => {
    await assert.rejects(tagImages(parseImageList('WEB=a.io/web:src/web\nAPI=a.io/api:src/api,src/missing'), request()), {
      message: `Input "images": line 2, image "API": source path "src/missing" matches no file tracked by git in ${repo}`,
    });
  });

  it('refuses a shallow checkout whose history ends before the commit it would name', async () => {
    const shallow = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-tags-shallow-'));
    dirs.push(shallow);
    git(os.tmpdir(), 'clone', '-q', '--depth', '1', `file://${repo}`, shallow);
    await assert.rejects(tagImages(parseImageList('WEB=a.io/web:src/web'), request({ repoRoot: shallow })), /the checkout is shallow .* fetchDepth: 0/);
  });

  it('errors clearly outside a git checkout and without git', async () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-tags-plain-'));
    dirs.push(plain);
    await assert.rejects(tagImages(parseImageList('WEB=a.io/web:src'), request({ repoRoot: plain })), /is not a git checkout .*fetchDepth: 0/);
    await assert.rejects(
      tagImages(parseImageList('WEB=a.io/web:src'), request({ tools: processTools([]) })),
      /"git" was not found on PATH; it is needed to compute content tags/,
    );
  });

  it('warns when tracked files under the paths differ from the commit', async () => {
    fs.writeFileSync(path.join(repo, 'src/web/server.js'), 'changed\n');
    const warnings: string[] = [];
    try {
      await tagImages(parseImageList('WEB=a.io/web:src/web'), request({ onWarning: (m) => warnings.push(m) }));
    } finally {
      git(repo, 'checkout', '--', 'src/web/server.js');
    }
    assert.deepEqual(warnings, [
      `Image "WEB": 1 tracked file(s) under its source paths differ from the commit (src/web/server.js); its content tag ${web} names the committed content, not these changes`,
    ]);
  });

  it('uses the build number or a given tag, validated', async () => {
    const images = parseImageList('WEB=a.io/web:src/web');
    assert.equal((await tagImages(images, request({ strategy: 'buildNumber', buildNumber: '20260101.3' })))[0].reference, 'a.io/web:20260101.3');
    assert.equal((await tagImages(images, request({ strategy: 'fixed', fixedTag: '1.4.7' })))[0].tag, '1.4.7');
    await assert.rejects(
      tagImages(images, request({ strategy: 'buildNumber', buildNumber: 'CI run 3' })),
      /^InputError: Input "tagStrategy": the build number "CI run 3" \(Build.BuildNumber\) is not a valid image tag/,
    );
    await assert.rejects(tagImages(images, request({ strategy: 'fixed' })), { message: 'Input "tag": is required with tagStrategy fixed' });
    await assert.rejects(tagImages(images, request({ strategy: 'fixed', fixedTag: 'v1:2' })), /Input "tag": "v1:2" is not a valid image tag/);
  });

  it('counts a tag as new unless the previous release holds the same reference for the image', async () => {
    const images = parseImageList('WEB=a.io/web:src/web\nAPI=a.io/api:src/api');
    const previous = new Map([
      ['WEB', `a.io/web:${web}`],
      ['API', 'a.io/api:0000000'],
    ]);
    const tagged = await tagImages(images, request({ previous }));
    assert.deepEqual(
      tagged.map((t) => [t.name, t.isNew]),
      [
        ['WEB', false],
        ['API', true],
      ],
    );
    const moved = await tagImages(parseImageList('WEB=a.io/other/web:src/web'), request({ previous }));
    assert.equal(moved[0].isNew, true, 'same tag in another repository is new');
  });

  it('defines NAME_IMAGE, NAME_TAG, NAME_REF and NAME_REPOSITORY per image', async () => {
    const tagged = await tagImages(parseImageList('WEB=a.io/voting/web:src/web'), request({ strategy: 'fixed', fixedTag: '7' }));
    assert.deepEqual(Object.fromEntries(imageVariables(tagged)), {
      WEB_IMAGE: 'a.io/voting/web',
      WEB_TAG: '7',
      WEB_REF: 'a.io/voting/web:7',
      WEB_REPOSITORY: 'voting/web',
    });
  });
});
