import * as assert from 'node:assert/strict';
import { parseImageReference } from '../../../shared/images/reference';

const H64 = 'a'.repeat(64);

describe('parseImageReference (distribution reference grammar)', () => {
  it('accepts the valid forms and splits them', () => {
    assert.deepEqual(parseImageReference('nginx'), { name: 'nginx', registry: undefined, path: 'nginx', tag: undefined, digest: undefined });
    assert.deepEqual(parseImageReference('library/redis:7.2-alpine'), {
      name: 'library/redis',
      registry: undefined,
      path: 'library/redis',
      tag: '7.2-alpine',
      digest: undefined,
    });
    assert.deepEqual(parseImageReference(`contosoacr.azurecr.io/azvote/azure-vote-front:v3@sha256:${H64}`), {
      name: 'contosoacr.azurecr.io/azvote/azure-vote-front',
      registry: 'contosoacr.azurecr.io',
      path: 'azvote/azure-vote-front',
      tag: 'v3',
      digest: `sha256:${H64}`,
    });
    assert.equal(parseImageReference('localhost:5000/web').registry, 'localhost:5000');
    assert.equal(parseImageReference('localhost/web:1').registry, 'localhost');
    assert.equal(parseImageReference('192.168.1.10:5000/a/b:c').registry, '192.168.1.10:5000');
    assert.equal(parseImageReference('[::1]:5000/web:1').registry, '[::1]:5000');
    // An uppercase first component is a registry host, as Docker normalizes names.
    assert.equal(parseImageReference('Registry/web').registry, 'Registry');
    for (const ok of [
      'a__b/c',
      'a.b-c/d_e__f---g',
      'web:_tag',
      `web:${'x'.repeat(128)}`,
      'web@sha512:' + 'b'.repeat(128),
      'web@multihash+base58:' + 'c'.repeat(32),
    ]) {
      assert.doesNotThrow(() => parseImageReference(ok), ok);
    }
  });

  it('rejects what the grammar does not allow, saying what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      ['web app:1', /contains white space/],
      ['$AZURE_VOTE_IMAGE_REPO/azure-vote-front:v3', /"\$AZURE_VOTE_IMAGE_REPO" was never substituted/],
      ['acr.io/web:${TAG}', /"\$\{TAG\}" was never substituted/],
      ['a.b_c/web', /invalid registry host "a.b_c"/],
      ['contosoacr.azurecr.io/Voting/web', /"Voting" is not a valid path component \(repository paths are lowercase\)/],
      ['a//b', /empty path component/],
      ['-web', /"-web" is not a valid path component/],
      ['a_-b', /"a_-b" is not a valid path component/],
      ['a___b', /"a___b" is not a valid path component/],
      ['web.', /"web." is not a valid path component/],
      ['web:', /invalid tag ""/],
      ['web:.1', /invalid tag ".1"/],
      ['web:-1', /invalid tag "-1"/],
      [`web:${'x'.repeat(129)}`, /invalid tag/],
      ['web:v1+build', /invalid tag "v1\+build"/],
      ['web@sha256:abc', /invalid digest "sha256:abc"/],
      [`web@sha256:${'a'.repeat(63)}0a`, /invalid sha256 digest: 64 lowercase/],
      [`web@sha256:${'A'.repeat(64)}`, /invalid sha256 digest/],
      ['web@md5', /invalid digest "md5"/],
      ['web@:' + H64, /invalid digest/],
      ['web@1sha:' + H64, /invalid digest/],
      ['web@sha256:' + 'g'.repeat(64), /invalid digest/],
      ['web@a@b', /more than one "@"/],
      ['-bad.io/web', /invalid registry host "-bad.io"/],
      ['bad_host.io/web', /invalid registry host/],
      ['host.io:port/web', /invalid port "port"/],
      ['host.io/', /no repository path after the registry/],
      [':v1', /no repository path/],
      [H64, /64-character hexadecimal/],
      [`r.io/${'a'.repeat(251)}`, /longer than 255 characters/],
    ];
    for (const [reference, message] of cases) assert.throws(() => parseImageReference(reference), message, reference);
  });

  it('allows a 64-hex path under a registry and a name of exactly 255 characters', () => {
    assert.equal(parseImageReference(`r.io/${H64}`).path, H64);
    assert.equal(parseImageReference(`r.io/${'a'.repeat(250)}`.slice(0, 255)).name.length, 255);
  });
});
