// scripts/lib/kubernetes-api-types.mjs: the pinned Go sources of k8s.io/api (github.com/kubernetes/api, the
// published staging copy of the Kubernetes API types) that scripts/generate-k8s-schemas.mjs reads the `+enum` types
// from, one tar.gz per Kubernetes minor version in scripts/schema-sources/kubernetes-api-types/ (SOURCES.md there).
//
// Each archive holds, verbatim, the `types.go` of every package that declares an `+enum` type or a field of one
// (the other packages of the tag have neither; SOURCES.md says how the list was made). Before a file is used, the
// git blob id of its bytes is checked against API_TYPES: the id `git rev-parse <tag>:<path>` prints in that
// repository, so the data is provably what the tag gives.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const API_TYPES_REPOSITORY = 'kubernetes/api';

/** Kubernetes 1.NN -> the newest k8s.io/api tag v0.NN.x, its commit, and the blob id of each file in the archive. */
export const API_TYPES = {
  '1.30': {
    tag: 'v0.30.14',
    commit: 'e619809ab08129f17d21e98adfd8f00740c10343',
    files: {
      'admissionregistration/v1/types.go': 'b9ce1f0335c7ff16090df73af0fbf1ecc445dd54',
      'admissionregistration/v1alpha1/types.go': '78d918bc72f4836a93f627d821599412e7fbabc8',
      'admissionregistration/v1beta1/types.go': '0f59031239232af989b7694125fbe7db3d977d4b',
      'apps/v1/types.go': '96ff62098696eb30376f1a989afdd45b4586e0cf',
      'autoscaling/v1/types.go': '450829017646211bb13dca24863a22dfcf47bbd7',
      'batch/v1/types.go': 'adaefbab5a8e05da82a2e46d64401b4d2bcc20b4',
      'certificates/v1/types.go': '92b2018e761a2e7a8c3301811363399766509469',
      'core/v1/types.go': 'd5eca377592d6eaaaa9ec0b3ee2f64ba76d6209b',
      'discovery/v1/types.go': '7ebb07ca359243819f36902be359f100d6dd7738',
      'networking/v1/types.go': '8ee62918b0ae2c58e4342f18ac6f03cc78fb3d1c',
      'networking/v1beta1/types.go': '34dfe76aa3eb6001662cf3eeac053b4cf54ae6fd',
      'policy/v1/types.go': '45b9550f4a7d616c48aebc06166482744b72dbd9',
      'scheduling/v1/types.go': '146bae40d3be9296297ab41ac91f0c1ed1ac248e',
      'scheduling/v1alpha1/types.go': '26ba8ff5dcc11553091febdd8331da1908469afd',
      'storage/v1/types.go': 'a94c7f44c538a14e9ce3d148de02f7a2db1eb81a',
      'storage/v1beta1/types.go': '9333a28b8d0a0885bc079d62047ca7166bea2183',
    },
  },
  1.31: {
    tag: 'v0.31.14',
    commit: '127bb9f2b1d94d1cfaa7b04e9b0bdfb63b578420',
    files: {
      'admissionregistration/v1/types.go': '4efeb26748c6d48b9524970592ff3556952790ef',
      'admissionregistration/v1alpha1/types.go': '78d918bc72f4836a93f627d821599412e7fbabc8',
      'admissionregistration/v1beta1/types.go': '0f59031239232af989b7694125fbe7db3d977d4b',
      'apps/v1/types.go': 'e942cd526ecd54e23d964cf598d1b8a6edc4375b',
      'autoscaling/v1/types.go': 'b31425b3b7481bfbbb1d67b307c22b18351d682c',
      'batch/v1/types.go': 'b42ec231e45b1fb52b78dade70be5dbf260f2cfb',
      'certificates/v1/types.go': 'ba8009840d8226d871bd08d1f69b34f5bbcdf411',
      'core/v1/types.go': '3a74138baeb9749b95e0aee2929207f82e68848e',
      'discovery/v1/types.go': 'd6a9d0fcedb745eb0c373cfc01631725f564ca01',
      'networking/v1/types.go': 'd75e27558da70d87800242ba0ee4ad89852d6b58',
      'networking/v1beta1/types.go': 'cd7126a5a8e8a8151ce8e0393700814e75a3e8dd',
      'policy/v1/types.go': 'f05367ebe4248c23b6ca33d06fc1ed11358ddc13',
      'scheduling/v1/types.go': '019dbcd00e17051e80657cd4c26eb9f105740f19',
      'scheduling/v1alpha1/types.go': '26ba8ff5dcc11553091febdd8331da1908469afd',
      'storage/v1/types.go': 'de2bbc2e06c5e7b165350f1594f28779b79b86f3',
      'storage/v1beta1/types.go': 'ce294e3dbab1a2b317635d12c3d2d0df906e094d',
    },
  },
  1.32: {
    tag: 'v0.32.13',
    commit: '67a30ffc59c51566a502318fe0275fed1af3fdb7',
    files: {
      'admissionregistration/v1/types.go': '4efeb26748c6d48b9524970592ff3556952790ef',
      'admissionregistration/v1alpha1/types.go': 'ee50fbe2d4cd271b1179ceacb67ead2e0dc5f3b2',
      'admissionregistration/v1beta1/types.go': '0f59031239232af989b7694125fbe7db3d977d4b',
      'apps/v1/types.go': 'a68690b4478ee6a951f3c258b212e12aff6dc5b4',
      'autoscaling/v1/types.go': '85c609e5c777344177d8d8acbd98f9effecdd724',
      'batch/v1/types.go': '8e9a761b95555b855b5b0f983efcda9f787c099b',
      'certificates/v1/types.go': 'ba8009840d8226d871bd08d1f69b34f5bbcdf411',
      'core/v1/types.go': 'fb2c1c7453ef37a2f431955e697a2408178abe74',
      'discovery/v1/types.go': 'd6a9d0fcedb745eb0c373cfc01631725f564ca01',
      'networking/v1/types.go': 'd75e27558da70d87800242ba0ee4ad89852d6b58',
      'networking/v1beta1/types.go': 'cd7126a5a8e8a8151ce8e0393700814e75a3e8dd',
      'policy/v1/types.go': 'f05367ebe4248c23b6ca33d06fc1ed11358ddc13',
      'scheduling/v1/types.go': '019dbcd00e17051e80657cd4c26eb9f105740f19',
      'scheduling/v1alpha1/types.go': '26ba8ff5dcc11553091febdd8331da1908469afd',
      'storage/v1/types.go': '3936dc83bc8eb6f79a4f682173ea6ef88a6925c6',
      'storage/v1beta1/types.go': 'd9b6b768533b9ff5f29cd5ead15de0af5f9cb19c',
    },
  },
  1.33: {
    tag: 'v0.33.13',
    commit: '63b731b23fe7df9be903976bee691952387abe01',
    files: {
      'admissionregistration/v1/types.go': '4efeb26748c6d48b9524970592ff3556952790ef',
      'admissionregistration/v1alpha1/types.go': 'f183498a5540e061763450c82f1c828230cbcc69',
      'admissionregistration/v1beta1/types.go': '0f59031239232af989b7694125fbe7db3d977d4b',
      'apps/v1/types.go': '1362d875d8865943e86d51452b2fd61515383754',
      'autoscaling/v1/types.go': '85c609e5c777344177d8d8acbd98f9effecdd724',
      'batch/v1/types.go': '6c0007c21e43d3024118c1644ab020de512333dc',
      'certificates/v1/types.go': 'ba8009840d8226d871bd08d1f69b34f5bbcdf411',
      'core/v1/types.go': 'f7641e485aaf02c9b8e758fde0fb30b449ccb4c8',
      'discovery/v1/types.go': '6f26953169c4ff4da284e897d34abd0b1278dddd',
      'networking/v1/types.go': '216647ceeb40098c7587a60a2169becbf2c39c60',
      'networking/v1beta1/types.go': 'cd7126a5a8e8a8151ce8e0393700814e75a3e8dd',
      'policy/v1/types.go': '4e74367894a02b593c5bc8ca3431abb04c88ad29',
      'resource/v1alpha3/types.go': '29a4b0343f1fac264130231871d7885eaa76b941',
      'resource/v1beta1/types.go': '3c64b426d94b09dc2d0de15bb5ccf9e84ad78ce2',
      'resource/v1beta2/types.go': '0d8d42a0854d5d7995cf23ffbd7d5fccf6c378f8',
      'scheduling/v1/types.go': '019dbcd00e17051e80657cd4c26eb9f105740f19',
      'scheduling/v1alpha1/types.go': '26ba8ff5dcc11553091febdd8331da1908469afd',
      'storage/v1/types.go': '16ceca90445bdb4dba14baaec085f00ae4e7d0aa',
      'storage/v1beta1/types.go': '2b7f6b78a5dff63cc69827404838cca67a6c9ce7',
    },
  },
  1.34: {
    tag: 'v0.34.10',
    commit: '06d3e85b84ef86973ad19a2d7976995bd3908226',
    files: {
      'admissionregistration/v1/types.go': '4efeb26748c6d48b9524970592ff3556952790ef',
      'admissionregistration/v1alpha1/types.go': 'f183498a5540e061763450c82f1c828230cbcc69',
      'admissionregistration/v1beta1/types.go': 'cffdda82c9a52eaabec0ea3af4829e8aafff8472',
      'apps/v1/types.go': '4cf54cc99b6097657fa23ad1d3846b7f58608a05',
      'autoscaling/v1/types.go': 'e1e8809fe9ffa7cdcac4605638827fc96f43f6fd',
      'batch/v1/types.go': '9183c073d2ae36168da1b422b38092e2b42e92e9',
      'certificates/v1/types.go': '71203e80d55c08ee403d23f60f91e110e47a6cf0',
      'core/v1/types.go': '08b6d351cc67edf73c90b27ee339ab8cdf256c41',
      'discovery/v1/types.go': '6f26953169c4ff4da284e897d34abd0b1278dddd',
      'networking/v1/types.go': '7d9a4fc94cb0dc0e1a1224a3207535a9639c4518',
      'networking/v1beta1/types.go': 'cd7126a5a8e8a8151ce8e0393700814e75a3e8dd',
      'policy/v1/types.go': '4e74367894a02b593c5bc8ca3431abb04c88ad29',
      'resource/v1/types.go': 'f29504444fff11adf0552ed82422b240c5733242',
      'resource/v1alpha3/types.go': 'da9a9ca286b512fdb0067c9bf9ab23bc6e8d107c',
      'resource/v1beta1/types.go': '27967f38ec11a08638288ff87a77a398c8cd474e',
      'resource/v1beta2/types.go': '9fa98abdf2d21178bd9904e45aec649879d20d26',
      'scheduling/v1/types.go': '019dbcd00e17051e80657cd4c26eb9f105740f19',
      'scheduling/v1alpha1/types.go': '26ba8ff5dcc11553091febdd8331da1908469afd',
      'storage/v1/types.go': '6d004e5ba929d4f8d2a0a5f7af33809c48474930',
      'storage/v1beta1/types.go': '4f350b0b73c215565deecf591d403ac688ec9470',
    },
  },
  1.35: {
    tag: 'v0.35.7',
    commit: 'cfdecb500cd48f6d4c05d866458364f39f67b5b5',
    files: {
      'admissionregistration/v1/types.go': '311c05c0ffa765d52a859a473e089c96cee9bc84',
      'admissionregistration/v1alpha1/types.go': '459f7944c7b2c14323d3734aabc8a9e30a85639b',
      'admissionregistration/v1beta1/types.go': 'c7259d3d3e988d403b25c34b74f31b1ef3634925',
      'apps/v1/types.go': 'b8989c140639a6f28d10f78b6b917b819b442dee',
      'autoscaling/v1/types.go': 'e1e8809fe9ffa7cdcac4605638827fc96f43f6fd',
      'batch/v1/types.go': '26d0ee6dc4a898322dc10fe3fb0d71e78082accf',
      'certificates/v1/types.go': '8cd56e6db7e1db7b0f475d6106f8aabc7ab05fa5',
      'core/v1/types.go': '705c82083cc506b27891ae19c5c35cba3610373b',
      'discovery/v1/types.go': 'ca78ce386963b36f2ec568f702ffd84b323c1144',
      'networking/v1/types.go': '7d9a4fc94cb0dc0e1a1224a3207535a9639c4518',
      'networking/v1beta1/types.go': 'cd7126a5a8e8a8151ce8e0393700814e75a3e8dd',
      'policy/v1/types.go': '4e74367894a02b593c5bc8ca3431abb04c88ad29',
      'resource/v1/types.go': '29b4a5fbaccbfec57cee0d8855b50d42dad35685',
      'resource/v1alpha3/types.go': 'ba02edabaa6223dca4e14026d2a0f94f5e933ec6',
      'resource/v1beta1/types.go': 'c55e2e92c931a73fadf7550094a45b2b9bcb756e',
      'resource/v1beta2/types.go': '49534348843ce51f3e567971a93cc5ad3e4e872d',
      'scheduling/v1/types.go': '019dbcd00e17051e80657cd4c26eb9f105740f19',
      'scheduling/v1alpha1/types.go': '480b53da015e576f94e0231b12ac15353ee31460',
      'storage/v1/types.go': 'b198cb7138a7731f7ec9d0164166ec6c5c644d03',
      'storage/v1beta1/types.go': 'b5dde72ad95196c5d6244cc3dd8f0a3ba1cb1920',
    },
  },
  1.36: {
    tag: 'v0.36.3',
    commit: '3fde3c43c3cf3447606b9c2ac2c6257095444387',
    files: {
      'admissionregistration/v1/types.go': 'f7a07b64534549f539c00cc9bf8ab475f0688a19',
      'admissionregistration/v1alpha1/types.go': '6a789b2d7f7145ce8b9d018cdf0497f0b68c1689',
      'admissionregistration/v1beta1/types.go': '734a606f4b0b28438bc5250a0388c02242d5fd93',
      'apps/v1/types.go': 'b8989c140639a6f28d10f78b6b917b819b442dee',
      'autoscaling/v1/types.go': '97222afc0802a7cc06c59c6fa6fcf65e2050a918',
      'batch/v1/types.go': 'd4894e2ef62af0ce6efbde9ed09d901f5765eedc',
      'certificates/v1/types.go': '9a86af13a8079f0fb7c38275966f17d8dd5dd8b8',
      'core/v1/types.go': 'ac0494f3c51472a39ab380f99e09882cfd05773c',
      'discovery/v1/types.go': 'c291ed85ddb197a946b30925973336e09d9b0f61',
      'networking/v1/types.go': 'a0e737ee15ba2671d4bb88650b1c48524d7d3c03',
      'networking/v1beta1/types.go': '7cd9b2b58b61a801237bfe0f6ec53cc0ee4a8923',
      'policy/v1/types.go': 'ebf349e317704cf9d3657e0856db57fb108073f5',
      'resource/v1/types.go': '27d5eff29c25f991a3809cd1e4bfb9db60c271de',
      'resource/v1alpha3/types.go': '1757c86150cb872a7e2c2f17b43b6aa82a09d0a0',
      'resource/v1beta1/types.go': '0d35ac9895ea6d32ac567c55906a879bdb4202b3',
      'resource/v1beta2/types.go': '47a46355f0ee02299ac7f2832d3c4289f817a334',
      'scheduling/v1/types.go': '655b5eb159f3d487a257afd68b0b9bf5090c1da6',
      'scheduling/v1alpha2/types.go': '1f84f2c43d3d53e5aa7a56abf899501ef7100eac',
      'storage/v1/types.go': 'c65ebed4ecb468a9a123193fb5f4bd0b99e65c2e',
      'storage/v1beta1/types.go': '0c33e218e77684286877949369c621abb92cfa5a',
    },
  },
};

function fail(message) {
  throw new Error(`generate-k8s-schemas: ${message}`);
}

function gitBlobId(bytes) {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The regular files of a ustar archive: [{ name, bytes }]. */
function untar(bytes, where) {
  const files = [];
  for (let offset = 0; offset + 512 <= bytes.length;) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break; // end of archive
    const text = (from, length) =>
      header
        .subarray(from, from + length)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    if (text(257, 5) !== 'ustar') fail(`${where}: not a ustar archive at byte ${offset}`);
    const name = [text(345, 155), text(0, 100)].filter(Boolean).join('/');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1);
    offset += 512;
    if (type === '0' || type === '') files.push({ name, bytes: bytes.subarray(offset, offset + size) });
    else if (type !== '5') fail(`${where}: ${name}: entry type ${type} (only files and folders expected)`);
    offset += Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * The pinned Go files of one Kubernetes minor version, verified: [{ dir: 'core/v1', file: 'core/v1/types.go',
 * source }]. Fails when the archive is missing, has a file that is not pinned, lacks one that is, or a file's blob
 * id is not the pinned one.
 */
export function readApiTypes(sourceDir, version, repoRoot) {
  const pin = API_TYPES[version];
  if (!pin) fail(`no k8s.io/api sources pinned for Kubernetes ${version}`);
  const archive = path.join(sourceDir, `k8s-api-${version}.tar.gz`);
  const where = path.relative(repoRoot, archive);
  if (!existsSync(archive)) fail(`${where} is missing (see ${path.relative(repoRoot, sourceDir)}/SOURCES.md)`);
  const files = untar(gunzipSync(readFileSync(archive)), where);
  const names = files.map((f) => f.name).sort();
  const pinned = Object.keys(pin.files).sort();
  if (names.join('\n') !== pinned.join('\n')) {
    fail(`${where}: holds ${names.join(', ')}; pinned: ${pinned.join(', ')}`);
  }
  return files.map(({ name, bytes }) => {
    const id = gitBlobId(bytes);
    if (id !== pin.files[name]) fail(`${where}: ${name}: blob ${id}, not ${pin.files[name]} (${API_TYPES_REPOSITORY} ${pin.tag}:${name})`);
    return { dir: path.posix.dirname(name), file: `${pin.tag}:${name}`, source: bytes.toString('utf8') };
  });
}
