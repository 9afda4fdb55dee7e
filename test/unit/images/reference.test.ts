import * as assert from 'node:assert/strict';
import { isValidTag, parseRepository, splitImageReference } from '../../../shared/images/reference';

describe('parseRepository', () => {
  it('splits a registry from the repository path', () => {
    assert.deepEqual(parseRepository('contosoacr.azurecr.io/voting/web'), {
      name: 'contosoacr.azurecr.io/voting/web',
      registry: 'contosoacr.azurecr.io',
      path: 'voting/web',
    });
    assert.deepEqual(parseRepository('localhost:5000/web'), { name: 'localhost:5000/web', registry: 'localhost:5000', path: 'web' });
    assert.deepEqual(parseRepository('localhost/a/b'), { name: 'localhost/a/b', registry: 'localhost', path: 'a/b' });
  });

  it('takes a name without a host-like first component as a Docker Hub path', () => {
    assert.deepEqual(parseRepository('library/redis'), { name: 'library/redis', registry: undefined, path: 'library/redis' });
    assert.deepEqual(parseRepository('web'), { name: 'web', registry: undefined, path: 'web' });
    assert.equal(parseRepository('my-org/web_app.v2').path, 'my-org/web_app.v2');
  });

  it('rejects tags, digests, upper case, empty components and bad hosts with the reason', () => {
    assert.throws(() => parseRepository('contosoacr.azurecr.io/voting/web:1.0'), /has a tag; give the repository only/);
    assert.throws(() => parseRepository('web:latest'), /has a tag/);
    assert.throws(() => parseRepository('contosoacr.azurecr.io/web@sha256:abc'), /has a digest/);
    assert.throws(() => parseRepository('contosoacr.azurecr.io/Voting/web'), /"Voting" is not a valid path component \(repository paths are lowercase\)/);
    assert.throws(() => parseRepository('contosoacr.azurecr.io//web'), /empty path component/);
    assert.throws(() => parseRepository('contosoacr.azurecr.io/'), /no repository path after the registry/);
    assert.throws(() => parseRepository('-bad.io/web'), /"-bad.io" is not a valid registry host/);
    assert.throws(() => parseRepository('host.io:99999/web'), /invalid port/);
    assert.throws(() => parseRepository('my web'), /white space/);
    assert.throws(() => parseRepository(''), /empty/);
    assert.throws(() => parseRepository(`a.io/${'x'.repeat(260)}`), /longer than 255/);
  });
});

describe('isValidTag', () => {
  it('accepts Docker tags and rejects the rest', () => {
    for (const t of ['1.4.7', 'c1232b174bf3d539cb272913b6d24a34d92a20fc', '20260101.1', 'v1_2-rc', '_x']) assert.ok(isValidTag(t), t);
    for (const t of ['', '.x', '-x', 'a b', 'a/b', 'a:b', 'x'.repeat(129)]) assert.ok(!isValidTag(t), t);
  });
});

describe('splitImageReference', () => {
  it('cuts registry, path, tag and digest as Docker reads them', () => {
    assert.deepEqual(splitImageReference('contosoacr.azurecr.io/voting/web:1.4@sha256:abc'), {
      name: 'contosoacr.azurecr.io/voting/web',
      registry: 'contosoacr.azurecr.io',
      path: 'voting/web',
      tag: '1.4',
      digest: 'sha256:abc',
    });
    assert.deepEqual(splitImageReference('localhost:5000/app'), {
      name: 'localhost:5000/app',
      registry: 'localhost:5000',
      path: 'app',
      tag: undefined,
      digest: undefined,
    });
    assert.deepEqual(splitImageReference('nginx:latest'), { name: 'nginx', registry: undefined, path: 'nginx', tag: 'latest', digest: undefined });
    assert.deepEqual(splitImageReference('library/redis'), {
      name: 'library/redis',
      registry: undefined,
      path: 'library/redis',
      tag: undefined,
      digest: undefined,
    });
  });

  it('checks nothing, so references with unresolved parts still split', () => {
    assert.deepEqual(splitImageReference('${REGISTRY}/Web:${TAG}'), {
      name: '${REGISTRY}/Web',
      registry: undefined,
      path: '${REGISTRY}/Web',
      tag: '${TAG}',
      digest: undefined,
    });
    assert.deepEqual(splitImageReference(''), { name: '', registry: undefined, path: '', tag: undefined, digest: undefined });
  });
});
