import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completeBundle, stageBundle } from '../../../shared/release/bundle';
import { readReleaseBundle } from '../../../shared/release/read-bundle';
import { bundleDigest, parseReleaseDigest, releaseDigest, verifyReleaseDigest } from '../../../shared/release/release-digest';
import { promotionMarkdown, PromotionRecord, pullRequestDescription } from '../../../shared/workflows/promote-report';
import { sampleManifest } from './release-fixture';

const app = path.join(process.cwd(), 'examples/app');
/** sha256 of the empty input and of "abc" (FIPS 180-2 test vectors). */
const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('release digest', () => {
  it('is sha256: and the hex sha256 of the exact bytes', () => {
    assert.equal(releaseDigest(''), EMPTY);
    assert.equal(releaseDigest(Buffer.from('abc')), ABC);
    assert.equal(releaseDigest('abc'), ABC);
    assert.notEqual(releaseDigest('abc\n'), ABC, 'one more byte, another digest');
  });

  describe('parseReleaseDigest', () => {
    it('takes an empty input as not pinned', () => {
      assert.equal(parseReleaseDigest('', 'releaseDigest'), undefined);
      assert.equal(parseReleaseDigest('  \n', 'releaseDigest'), undefined);
    });

    it('accepts sha256: and 64 hex digits, trimmed and in lower case', () => {
      assert.equal(parseReleaseDigest(` ${ABC}\n`, 'releaseDigest'), ABC);
      assert.equal(parseReleaseDigest(ABC.toUpperCase().replace('SHA256', 'sha256'), 'releaseDigest'), ABC);
      assert.equal(parseReleaseDigest(`SHA256:${ABC.slice(7)}`, 'releaseDigest'), ABC);
    });

    it('refuses anything else, naming the input and the expected format', () => {
      const hex = ABC.slice('sha256:'.length);
      for (const bad of [hex, `sha256:${hex.slice(1)}`, `sha256:${hex}0`, `sha256:${hex.slice(1)}g`, `sha1:${hex}`, `sha256: ${hex}`, 'sha256:']) {
        assert.throws(
          () => parseReleaseDigest(bad, 'releaseDigest'),
          (err: Error) => {
            assert.equal(
              err.message,
              `Input "releaseDigest": "${bad.trim()}" is not a release digest: expected sha256: and 64 hex digits, the releaseDigest output of GitOpsCiPublish@1`,
            );
            return true;
          },
          bad,
        );
      }
    });

    it('says so when a pipeline expression was not expanded (the variable is not set in the job)', () => {
      for (const bad of ["$[ stageDependencies.ci.publish.outputs['release.releaseDigest'] ]", '$(releaseDigest)']) {
        assert.throws(
          () => parseReleaseDigest(bad, 'releaseDigest'),
          (err: Error) => {
            assert.equal(
              err.message,
              `Input "releaseDigest": "${bad}" is a pipeline expression that was not expanded: the variable it names is not set in this job (map the CI step's releaseDigest output into a variable of this stage or job)`,
            );
            return true;
          },
        );
      }
    });
  });

  describe('verifyReleaseDigest', () => {
    it('passes an equal digest', () => {
      assert.doesNotThrow(() => verifyReleaseDigest(ABC, ABC, 'releaseDigest', '/b/release.json'));
    });

    it('refuses another one, showing both', () => {
      assert.throws(
        () => verifyReleaseDigest(EMPTY, ABC, 'releaseDigest', '/b/release.json'),
        (err: Error) => {
          assert.equal(
            err.message,
            `Input "releaseDigest": "/b/release.json" has the digest ${EMPTY}, not ${ABC}: this is not the release the CI run published (or it was edited since). Nothing was rendered or committed.`,
          );
          return true;
        },
      );
    });
  });

  describe('with a bundle', () => {
    let dir: string;
    let bundle: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-digest-'));
      bundle = path.join(dir, 'release');
      completeBundle(stageBundle(bundle, app, ['deploy/environments/dev.yaml']), sampleManifest());
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('bundleDigest and readReleaseBundle give the digest of release.json as written', () => {
      const expected = releaseDigest(fs.readFileSync(path.join(bundle, 'release.json')));
      assert.equal(bundleDigest(bundle), expected);
      assert.equal(readReleaseBundle(bundle, 'bundle').digest, expected);
      assert.equal(readReleaseBundle(bundle, 'bundle', { digest: expected, inputName: 'releaseDigest' }).digest, expected);
    });

    it('refuses an edited release.json when pinned, before reading what it says; unpinned it is read as before', () => {
      const file = path.join(bundle, 'release.json');
      const original = bundleDigest(bundle);
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { images: { variables: Record<string, string> }[] };
      doc.images[0].variables.WEB_TAG = '6.6.6';
      fs.writeFileSync(file, JSON.stringify(doc));
      const edited = bundleDigest(bundle);
      assert.notEqual(edited, original);
      assert.throws(
        () => readReleaseBundle(bundle, 'bundle', { digest: original, inputName: 'releaseDigest' }),
        (err: Error) => {
          assert.equal(
            err.message,
            `Input "releaseDigest": "${file}" has the digest ${edited}, not ${original}: this is not the release the CI run published (or it was edited since). Nothing was rendered or committed.`,
          );
          return true;
        },
      );
      // Not even valid JSON: the digest is checked first, so the message is still the digest's.
      fs.writeFileSync(file, '{');
      assert.throws(
        () => readReleaseBundle(bundle, 'bundle', { digest: original, inputName: 'releaseDigest' }),
        /^InputError: Input "releaseDigest": ".*release\.json" has the digest sha256:[0-9a-f]{64}, not /,
      );
      fs.writeFileSync(file, JSON.stringify(doc));
      // The files it lists are unchanged, so without a pin the edit goes unnoticed: what the pin is for.
      assert.equal(readReleaseBundle(bundle, 'bundle').manifest.images[0].variables.WEB_TAG, '6.6.6');
    });
  });

  describe('in the promotion summary and pull request description', () => {
    const record = (releaseDigest?: PromotionRecord['releaseDigest']): PromotionRecord => ({
      app: 'voting-app',
      release: '20261127.1',
      environment: 'dev',
      sourceCommit: 'a'.repeat(40),
      releaseDigest,
      folder: 'apps/dev/voting-app',
      mode: 'pullRequest',
      version: '1.0.0',
    });

    it('shows the digest and whether the input pinned it, right after the source commit', () => {
      assert.ok(
        promotionMarkdown(record({ digest: ABC, pinned: true })).includes(
          `| Source commit | \`aaaaaaaaaaaa\` |\n| Release digest | \`${ABC}\` (matches the releaseDigest input) |\n`,
        ),
      );
      assert.ok(
        promotionMarkdown(record({ digest: ABC, pinned: false })).includes(`| Release digest | \`${ABC}\` (not pinned by the releaseDigest input) |\n`),
      );
      assert.ok(
        pullRequestDescription(record({ digest: ABC, pinned: true }), undefined).includes(
          `Built from commit \`aaaaaaaaaaaa\`.\n\nRelease digest \`${ABC}\` (matches the releaseDigest input).\n\n`,
        ),
      );
    });

    it('has no digest line when the record has none', () => {
      assert.doesNotMatch(promotionMarkdown(record()), /Release digest/);
      assert.doesNotMatch(pullRequestDescription(record(), undefined), /Release digest/);
    });
  });
});
