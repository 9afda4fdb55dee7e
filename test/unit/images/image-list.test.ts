import * as assert from 'node:assert/strict';
import { imagesWithRepository, imageVariable, parseImageList } from '../../../shared/images/image-list';

describe('parseImageList', () => {
  it('reads NAME=repository:paths lines, skipping blanks and comments', () => {
    const images = parseImageList(
      '# the images\n\nWEB=contosoacr.azurecr.io/voting/web:src/web, shared/ \n  API = localhost:5000/voting/api : src/api/,./lib\n',
    );
    assert.deepEqual(
      images.map((i) => [i.name, i.repository.name, i.repository.registry, i.repository.path, i.paths, i.line]),
      [
        ['WEB', 'contosoacr.azurecr.io/voting/web', 'contosoacr.azurecr.io', 'voting/web', ['src/web', 'shared'], 3],
        ['API', 'localhost:5000/voting/api', 'localhost:5000', 'voting/api', ['src/api', 'lib'], 4],
      ],
    );
    assert.deepEqual(parseImageList('ALL=web:.')[0].paths, ['.']);
    assert.deepEqual(parseImageList(''), []);
  });

  it('names the input and the line of every mistake', () => {
    const cases: [string, RegExp][] = [
      ['WEB', /^InputError: Input "images": line 1: expected NAME=repository:path\[,path\.\.\.\]/],
      ['\n1WEB=a.io/web:src', /^InputError: Input "images": line 2: "1WEB" is not a valid image name/],
      ['WEB=contosoacr.azurecr.io/voting/web', /^InputError: Input "images": line 1: "contosoacr.azurecr.io\/voting\/web" gives no source paths/],
      ['WEB=contosoacr.azurecr.io/voting/web:', /line 1: image "WEB" gives no source paths after the repository/],
      [
        'WEB=Contoso.azurecr.io/Voting/web:src',
        /^InputError: Input "images": line 1: "Contoso.azurecr.io\/Voting\/web" is not a valid image repository: "Voting" is not a valid path component/,
      ],
      ['WEB=a.io/web@sha256:abc:src', /line 1: .*has a digest/],
      ['WEB=a.io/web:src\nWEB=a.io/api:api', /line 2: image "WEB" is listed twice/],
      [
        'WEB_IMAGE=a.io/web:src',
        /line 1: name the image, not one of its variables: "WEB_IMAGE" .* write WEB=\.\.\. to get WEB_IMAGE, WEB_TAG, WEB_REF and WEB_REPOSITORY/,
      ],
      ['WEB=a.io/web:/abs/src', /source path "\/abs\/src" must be relative to the repository root/],
      ['WEB=a.io/web:../other', /source path "\.\.\/other" is outside the repository/],
      ['WEB=a.io/web:1.0:src/web', /line 1: source path "1.0:src\/web" contains ":"; if the repository has a tag, remove it/],
      ['WEB=a.io/web:src/*.js', /give folders or files, not patterns/],
    ];
    for (const [text, expected] of cases) assert.throws(() => parseImageList(text), expected, text);
  });

  it('builds the variable names of an image', () => {
    assert.equal(imageVariable({ name: 'WEB' }, 'TAG'), 'WEB_TAG');
    assert.equal(imageVariable({ name: 'WEB' }, 'REPOSITORY'), 'WEB_REPOSITORY');
  });
});

describe('imagesWithRepository', () => {
  it('names the images whose NAME_IMAGE variable is exactly the repository, sorted', () => {
    const variables = new Map([
      ['WEB_IMAGE', 'contosoacr.azurecr.io/voting/web'],
      ['WEB_REF', 'contosoacr.azurecr.io/voting/web:1.0'],
      ['API_IMAGE', 'contosoacr.azurecr.io/voting/web'],
      ['WORKER_IMAGE', 'contosoacr.azurecr.io/voting/worker'],
      ['WEB', 'contosoacr.azurecr.io/voting/web'],
      ['_IMAGE', 'contosoacr.azurecr.io/voting/web'],
    ]);
    assert.deepEqual(imagesWithRepository('contosoacr.azurecr.io/voting/web', variables), ['API', 'WEB']);
    assert.deepEqual(imagesWithRepository('contosoacr.azurecr.io/voting', variables), []);
  });
});
