import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import * as sinon from 'sinon';
import { DOCKERFILE_RULES, DockerfileLintOptions, lintDockerfile } from '../../../shared/validate/dockerfile';
import type { Finding } from '../../../shared/manifests/finding';

const FIXTURES = path.join(process.cwd(), 'test/fixtures/dockerfiles');

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

function lint(content: string, options?: DockerfileLintOptions): Finding[] {
  return lintDockerfile('Dockerfile', content, options);
}

/** `line rule severity` triples, the compact form the exact assertions compare. */
function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.line} ${f.rule} ${f.severity}`);
}

function only(findings: Finding[], rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

function one(findings: Finding[], rule: string): Finding {
  const hits = only(findings, rule);
  assert.equal(hits.length, 1, `expected exactly one ${rule}, got ${JSON.stringify(findings, null, 1)}`);
  return hits[0];
}

function rules(findings: Finding[]): string[] {
  return findings.map((f) => f.rule);
}

/** A final stage line that keeps the USER rules quiet in snippets about other rules. */
const NONROOT = 'USER 10001';

describe('lintDockerfile', () => {
  describe('fixtures', () => {
    it('gives no findings for the good multi-stage Node build', () => {
      assert.deepEqual(lintDockerfile('app/Dockerfile', fixture('Dockerfile.good')), []);
    });

    it('reports every mistake of Dockerfile.bad on its line with the right rule and severity', () => {
      const findings = lintDockerfile('app/Dockerfile.bad', fixture('Dockerfile.bad'));
      assert.deepEqual(summary(findings), [
        '1 DL3006 warning',
        '2 dockerfile/deprecated-maintainer warning',
        '3 DL3014 warning',
        '3 DL3015 warning',
        '4 dockerfile/workdir-is-not-absolute warning',
        '5 DL3004 warning',
        '6 DL3003 warning',
        '7 dockerfile/invalid-proto error',
        '8 dockerfile/invalid-port error',
        '9 dockerfile/argument-requires-two error',
        '10 dockerfile/flag-invalid-duration error',
        '11 DL3020 warning',
        '12 dockerfile/argument-missing error',
        '13 DL3025 warning',
        '13 dockerfile/multiple-instructions warning',
        '14 GF1002 error',
        '15 DL3005 warning',
        '16 dockerfile/unknown-instruction error',
        '17 dockerfile/argument-missing error',
        '18 DL3022 error',
        '19 DL3007 warning',
        '20 DL3002 warning',
      ]);
      for (const f of findings) assert.equal(f.file, 'app/Dockerfile.bad');
    });

    it('puts 1-based columns on the offending text', () => {
      const findings = lint(fixture('Dockerfile.bad'));
      assert.equal(one(findings, 'DL3006').column, 6); // FROM node
      assert.equal(one(findings, 'DL3003').column, 5); // RUN cd
      assert.equal(one(findings, 'DL3022').column, 13); // COPY --from=nonexistent
      assert.equal(one(findings, 'dockerfile/unknown-instruction').column, 1);
      assert.equal(one(findings, 'dockerfile/invalid-proto').column, 11); // EXPOSE 80/tcpx
    });

    it('points into multi-line RUN / CMD instructions and heredocs at the offending line', () => {
      assert.deepEqual(summary(lint(fixture('Dockerfile.multiline'))), [
        '4 DL3009 warning', // apt-get install on the 2nd line of the RUN, no list cleanup
        '4 DL3015 warning',
        '8 DL3003 warning', // cd after a comment line inside the continuation
        '17 DL3003 warning', // cd inside a RUN <<EOF heredoc
        '23 DL3004 warning', // sudo in exec-form sh -c
        '23 DL3005 warning',
        '28 GF1002 error', // the missing comma is on the third line of the CMD
      ]);
    });

    it('follows multi-stage references and ARG-substituted base images', () => {
      const findings = lint(fixture('Dockerfile.stages'));
      assert.deepEqual(summary(findings), [
        '10 DL3007 warning', // $REGISTRY/tools:latest - the tag is literal
        '11 DL3006 warning', // ${REGISTRY}/base - a registry variable cannot carry the tag
        '13 DL3006 warning', // ${UNPINNED} with ARG default 'alpine'
        '23 DL3022 error', // --from=7
        '24 DL3022 error', // --from=later, defined after this COPY
        '28 GF1001 warning', // final stage is `FROM scratch AS later` without USER
      ]);
      assert.match(only(findings, 'DL3006')[0].message, /'\$\{REGISTRY\}\/base' has no tag/);
      assert.match(only(findings, 'DL3006')[1].message, /'\$\{UNPINNED\}' \(= 'alpine' with the ARG defaults\)/);
      assert.match(only(findings, 'DL3022')[1].message, /'later' is not defined before/);
    });

    it('honours hadolint ignore comments', () => {
      assert.deepEqual(summary(lint(fixture('Dockerfile.suppressed'))), ['8 DL3003 warning']);
    });

    it('reports GF1001 on the final FROM when no stage sets USER', () => {
      const f = one(lint(fixture('Dockerfile.nouser')), 'GF1001');
      assert.equal(f.line, 6);
      assert.equal(f.severity, 'warning');
      assert.match(f.message, /add a USER instruction with a non-root user/);
    });
  });

  describe('dockerfile-utils diagnostics', () => {
    it('maps diagnostics to dockerfile/<code> rule ids, keeping the severity', () => {
      const findings = lint(`FROM alpine:3.20\nEXPOSE -1\nSTOPSIGNAL\nrun echo hi\nHEALTHCHECK --interval=5 CMD true\n${NONROOT}\n`);
      assert.deepEqual(summary(findings), [
        '2 dockerfile/invalid-port error',
        '3 dockerfile/argument-missing error',
        '4 dockerfile/instruction-casing warning',
        '5 dockerfile/flag-missing-duration error',
      ]);
    });

    it('enables the optional checks as warnings', () => {
      const findings = lint(`FROM alpine:3.20\nCMD ['a']\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\nWORKDIR tmp\n${NONROOT}\n`);
      assert.deepEqual(summary(findings), [
        '2 dockerfile/json-in-single-quotes warning',
        '3 dockerfile/multiple-instructions warning',
        '5 dockerfile/workdir-is-not-absolute warning',
      ]);
    });

    it('reports a file without FROM', () => {
      const f = one(lint(''), 'dockerfile/no-source-image');
      assert.equal(f.severity, 'error');
      assert.equal(f.line, 1);
    });

    it('does not report DL3025 for CMD written as JSON in single quotes (the json-in-single-quotes warning covers it)', () => {
      assert.deepEqual(rules(lint(`FROM alpine:3.20\n${NONROOT}\nCMD ['a', 'b']\n`)), ['dockerfile/json-in-single-quotes']);
    });
  });

  describe('base images (DL3006, DL3007)', () => {
    it('flags images without tag and with latest', () => {
      const findings = lint(`FROM ubuntu\nFROM ubuntu:latest\nFROM myreg.example.com:5000/team/app\n${NONROOT}\n`);
      assert.deepEqual(summary(findings), ['1 DL3006 warning', '2 DL3007 warning', '3 DL3006 warning']);
      assert.match(findings[0].message, /pin a version tag \(e\.g\. ubuntu:<version>\) or a digest/);
      assert.match(findings[1].message, /uses the 'latest' tag; pin a specific version tag/);
    });

    it('accepts scratch, digests, version tags and earlier stages', () => {
      const content = [
        'FROM scratch AS empty',
        'FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS pinned',
        'FROM alpine:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS both',
        'FROM --platform=$BUILDPLATFORM golang:1.23 AS Build',
        'FROM build AS again',
        'FROM BUILD',
        NONROOT,
      ].join('\n');
      assert.deepEqual(lint(content), []);
    });

    it('does not guess about images that come from ARGs without defaults', () => {
      const content = ['ARG IMAGE', 'ARG TAG', 'ARG REG', 'FROM ${IMAGE}', 'FROM node:${TAG}', 'FROM $REG/node:20', 'FROM ${IMAGE:-node:20}', NONROOT].join(
        '\n',
      );
      assert.deepEqual(lint(content), []);
    });

    it('resolves ARG defaults', () => {
      const content = [
        'ARG NODE=20.19',
        'ARG TAG=latest',
        'ARG STAGE=build',
        'FROM node:${NODE}-alpine AS build',
        'FROM node:$TAG',
        'FROM ${STAGE}',
        NONROOT,
      ].join('\n');
      const f = one(lint(content), 'DL3007');
      assert.equal(f.line, 5);
      assert.match(f.message, /'node:\$TAG' \(= 'node:latest' with the ARG defaults\)/);
      assert.equal(lint(content).length, 1);
    });
  });

  describe('USER (DL3002, GF1001)', () => {
    it('flags an explicit root as last USER of the final stage', () => {
      for (const user of ['root', '0', 'root:root', '0:0']) {
        const f = one(lint(`FROM alpine:3.20\nUSER 10001\nUSER ${user}\n`), 'DL3002');
        assert.equal(f.line, 3);
        assert.equal(f.severity, 'warning');
        assert.match(f.message, /switch to a non-root user as the last USER/);
      }
    });

    it('only looks at the final stage, and follows FROM <stage> for the inherited USER', () => {
      assert.deepEqual(lint('FROM alpine:3.20 AS build\nUSER root\nFROM alpine:3.20\nUSER app\n'), []);
      assert.deepEqual(lint('FROM alpine:3.20 AS base\nUSER app\nFROM base\nCMD ["app"]\n'), []);
      assert.deepEqual(summary(lint('FROM alpine:3.20 AS base\nUSER root\nFROM base\n')), ['2 DL3002 warning']);
      assert.deepEqual(summary(lint('FROM alpine:3.20 AS build\nUSER app\nFROM alpine:3.20\n')), ['3 GF1001 warning']);
    });

    it('trusts images that say they run as non-root', () => {
      assert.deepEqual(lint('FROM gcr.io/distroless/nodejs20-debian12:nonroot\nCMD ["server.js"]\n'), []);
    });

    it('can be suppressed on the final FROM', () => {
      assert.deepEqual(lint('FROM alpine:3.20 AS build\n# hadolint ignore=GF1001\nFROM alpine:3.20\n'), []);
    });
  });

  describe('CMD / ENTRYPOINT form (DL3025, GF1002)', () => {
    it('flags shell form with an exec-form suggestion', () => {
      const findings = lint(`FROM alpine:3.20\n${NONROOT}\nENTRYPOINT /app/run --port 80\nCMD ["--verbose"]\n`);
      const f = one(findings, 'DL3025');
      assert.equal(f.line, 3);
      assert.match(f.message, /ENTRYPOINT \["\/app\/run", "--port", "80"\]/);
      assert.equal(findings.length, 1);
    });

    it('accepts exec form across continuation lines', () => {
      assert.deepEqual(lint(`FROM alpine:3.20\n${NONROOT}\nCMD ["node", \\\n     "server.js"]\n`), []);
    });

    it('flags broken JSON arrays as errors, with the reason', () => {
      const cases: [string, RegExp][] = [
        ['CMD ["node" "server.js"]', /a comma is missing/],
        ['ENTRYPOINT ["node", "server.js"', /closing '\]' is missing/],
        ['CMD ["node", 8080]', /all elements must be strings/],
        ['RUN ["apt-get", "install",]', /not a valid JSON array/],
        ['COPY ["a" "b"]', /a comma is missing/],
      ];
      for (const [line, reason] of cases) {
        const f = one(lint(`FROM alpine:3.20\n${NONROOT}\n${line}\n`), 'GF1002');
        assert.equal(f.line, 3, line);
        assert.equal(f.severity, 'error');
        assert.match(f.message, reason, line);
        assert.equal(only(lint(`FROM alpine:3.20\n${line}\n`), 'DL3025').length, 0, 'no double report as shell form');
      }
    });

    it('does not take shell tests or globs that start with [ for broken JSON', () => {
      const content = [
        'FROM alpine:3.20',
        'RUN [ -f /etc/os-release ] && cat /etc/os-release',
        'RUN [ "$(id -u)" = 0 ] || exit 1',
        'COPY [abc].txt /x/',
        NONROOT,
      ].join('\n');
      assert.deepEqual(lint(content), []);
    });
  });

  describe('ADD (DL3020)', () => {
    it('flags local non-archive sources and accepts URLs and tar archives', () => {
      const content = [
        'FROM alpine:3.20',
        'ADD https://example.com/tool.bin /usr/local/bin/tool',
        'ADD vendor.tar.gz /opt/',
        'ADD --chown=1:1 rootfs.tar.xz /',
        'ADD git@github.com:org/repo.git /src',
        'ADD $ARCHIVE /opt/',
        'ADD package.json /app/',
        'ADD ["src/", "/app/src/"]',
        'ADD a.tgz config.yaml /etc/app/',
        NONROOT,
      ].join('\n');
      const findings = lint(content);
      assert.deepEqual(summary(findings), ['7 DL3020 warning', '8 DL3020 warning', '9 DL3020 warning']);
      assert.match(findings[0].message, /ADD of the local path 'package\.json'; use COPY/);
      assert.equal(findings[2].column, 11); // config.yaml, not a.tgz
    });
  });

  describe('RUN (DL3003, DL3004, DL3005, DL3009, DL3014, DL3015)', () => {
    const run = (cmd: string, extra = '') => lint(`FROM debian:12.7-slim\n${extra}RUN ${cmd}\n${NONROOT}\n`);

    it('accepts apt-get done right in its common spellings', () => {
      for (const cmd of [
        'apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*',
        'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -yq install --no-install-recommends curl && rm -rf /var/lib/apt/lists/*',
        'apt-get install -qq --no-install-recommends curl; rm -r /var/lib/apt/lists',
        'apt-get install --yes -o APT::Install-Recommends=false curl && rm -rf /var/lib/apt/lists/*',
        '/usr/bin/apt-get install --assume-yes --no-install-recommends curl && rm -fr /var/lib/apt/lists/*',
        '--mount=type=cache,target=/var/lib/apt/lists apt-get install -y --no-install-recommends curl',
      ]) {
        assert.deepEqual(run(cmd), [], cmd);
      }
    });

    it('flags apt-get install without -y, --no-install-recommends and list cleanup', () => {
      const findings = run('apt-get update && apt-get install curl');
      assert.deepEqual(summary(findings), ['2 DL3009 warning', '2 DL3014 warning', '2 DL3015 warning']);
      assert.match(one(findings, 'DL3009').message, /rm -rf \/var\/lib\/apt\/lists\/\*/);
      assert.match(one(findings, 'DL3014').message, /apt-get install -y/);
      assert.match(one(findings, 'DL3015').message, /--no-install-recommends/);
      assert.equal(one(findings, 'DL3014').column, 23);
    });

    it('does not ask for list cleanup in build stages that are not shipped', () => {
      const content = 'FROM debian:12.7-slim AS build\nRUN apt-get install -y --no-install-recommends gcc\nFROM debian:12.7-slim\nUSER 1\n';
      assert.deepEqual(lint(content), []);
      const shipped = 'FROM debian:12.7-slim AS base\nRUN apt-get install -y --no-install-recommends gcc\nFROM base\nUSER 1\n';
      assert.deepEqual(summary(lint(shipped)), ['2 DL3009 warning']);
    });

    it('flags cd, sudo and upgrades where they are', () => {
      assert.deepEqual(summary(run('cd /src && make')), ['2 DL3003 warning']);
      assert.deepEqual(summary(run('make -C /src && (cd /out && tar cf ../out.tar .)')), ['2 DL3003 warning']);
      assert.deepEqual(summary(run('sudo -u app make')), ['2 DL3004 warning']);
      assert.deepEqual(summary(run('apt-get update && apt-get upgrade -y')), ['2 DL3005 warning']);
      assert.deepEqual(summary(run('sudo apt-get -y dist-upgrade')), ['2 DL3004 warning', '2 DL3005 warning']);
      assert.match(one(run('cd /src && make'), 'DL3003').message, /WORKDIR \/src/);
    });

    it('ignores words in quotes, comments and non-shell heredocs', () => {
      assert.deepEqual(run('echo "cd /x; sudo make" # cd here'), []);
      assert.deepEqual(run("sh -c 'echo apt-get install foo'"), []);
      assert.deepEqual(run('python3 <<EOF\nimport os\nos.system("cd /tmp")\nEOF'), []);
      assert.deepEqual(run('<<EOF\n#!/usr/bin/env python3\nprint("cd /tmp")\nEOF'), []);
      assert.deepEqual(summary(run('<<EOF\n#!/bin/bash\nset -e\ncd /tmp\nEOF')), ['5 DL3003 warning']);
      assert.equal(one(run('bash <<EOF\ncd /tmp\nEOF'), 'DL3003').line, 3);
    });

    it('reports the line inside a multi-line RUN', () => {
      const findings = run('apt-get update \\\n  && apt-get install -y --no-install-recommends curl \\\n  && rm -rf /var/lib/apt/lists/* \\\n  && cd /opt');
      const f = one(findings, 'DL3003');
      assert.equal(f.line, 5);
      assert.equal(f.column, 6);
    });

    it('handles CRLF line endings like LF', () => {
      const lf = 'FROM debian:12\nRUN apt-get update && \\\n  apt-get install -y curl\nUSER 1000\n';
      assert.deepEqual(lint(lf.replace(/\n/g, '\r\n')), lint(lf));
      assert.deepEqual(summary(lint(lf)), ['3 DL3009 warning', '3 DL3015 warning']);
    });

    it('honours the escape parser directive', () => {
      const content = '# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo a `\n    && cd C:\\tools\nUSER ContainerUser\n';
      assert.deepEqual(summary(lint(content)), ['4 DL3003 warning']);
    });
  });

  describe('COPY --from (DL3022)', () => {
    it('accepts earlier stages by name (any case) or index, external images and variables', () => {
      const content = [
        'FROM golang:1.23 AS Build',
        'FROM alpine:3.20',
        'COPY --from=build /out /out',
        'COPY --from=BUILD /out /out',
        'COPY --from=0 /out /out',
        'COPY --from=nginx:1.27 /etc/nginx /etc/nginx',
        'COPY --from=ghcr.io/org/tool /bin/tool /bin/tool',
        NONROOT,
      ].join('\n');
      assert.deepEqual(lint(content), []);
    });

    it('leaves --from=$VAR alone (dockerfile-utils itself reports it as an invalid reference)', () => {
      const findings = lint('FROM golang:1.23 AS build\nFROM alpine:3.20\nARG STAGE=build\nCOPY --from=$STAGE /x /x\nUSER 1\n');
      assert.deepEqual(summary(findings), ['4 dockerfile/flag-invalid-from-value error']);
    });

    it('flags unknown, later, own and out-of-range stages', () => {
      const content = [
        'FROM golang:1.23 AS build',
        'FROM alpine:3.20 AS final',
        'COPY --from=bulid /out /out',
        'COPY --from=final /a /a',
        'COPY --from=1 /b /b',
        'COPY --from=test /c /c',
        NONROOT,
        'FROM alpine:3.20 AS test',
        NONROOT,
      ].join('\n');
      const findings = lint(content);
      assert.deepEqual(summary(findings), ['3 DL3022 error', '4 DL3022 error', '5 DL3022 error', '6 DL3022 error']);
      assert.match(findings[0].message, /build stage 'bulid' is not defined before this instruction \(earlier stages: build\)/);
      assert.match(findings[1].message, /'final' is the current stage/);
      assert.match(findings[2].message, /stage #1, but only stages 0\.\.0/);
    });
  });

  describe('suppression', () => {
    it('applies only to the next instruction and the listed rules', () => {
      const content = ['FROM debian:12.7-slim', '# hadolint ignore=DL3015,DL3009', 'RUN apt-get install -y curl', 'RUN apt-get install -y wget', NONROOT].join(
        '\n',
      );
      assert.deepEqual(summary(lint(content)), ['4 DL3009 warning', '4 DL3015 warning']);
    });

    it('accepts spaces in the list, lower case ids and dockerfile/ ids', () => {
      const content = ['FROM alpine', '# hadolint ignore=dl3006, dockerfile/deprecated-maintainer', 'MAINTAINER x', NONROOT].join('\n');
      assert.deepEqual(summary(lint(content)), ['1 DL3006 warning']);
      assert.deepEqual(lint(['# hadolint ignore=DL3006', 'FROM alpine', NONROOT].join('\n')), []);
    });

    it('does not apply when an instruction or blank line separates the comment', () => {
      assert.deepEqual(summary(lint(['# hadolint ignore=DL3006', '', 'FROM alpine', NONROOT].join('\n'))), ['3 DL3006 warning']);
    });

    it('supports global ignores', () => {
      assert.deepEqual(lint(['FROM alpine', '# hadolint global ignore=DL3006,GF1001', 'FROM ubuntu'].join('\n')), []);
    });
  });

  describe('options', () => {
    it('raises, lowers and turns off rules by id (case-insensitive)', () => {
      const content = 'FROM node:latest\nFROMM x\nUSER root\n';
      assert.deepEqual(summary(lint(content)), ['1 DL3007 warning', '2 dockerfile/unknown-instruction error', '3 DL3002 warning']);
      const overridden = lint(content, { severities: { DL3007: 'error', 'dockerfile/unknown-instruction': 'warning', dl3002: 'off' } });
      assert.deepEqual(summary(overridden), ['1 DL3007 error', '2 dockerfile/unknown-instruction warning']);
    });

    it('checks trusted registries only when a list is given (DL3026)', () => {
      const content = [
        'FROM myacr.azurecr.io/base/node:20',
        'FROM node:20',
        'FROM docker.io/library/node:20',
        'FROM mcr.microsoft.com/dotnet/runtime:8.0',
        'FROM localhost:5000/tool:1',
        'FROM $REGISTRY/app:1',
        'FROM scratch',
        NONROOT,
      ].join('\n');
      assert.deepEqual(lint(content), []);
      assert.deepEqual(lint(content, { trustedRegistries: [] }), []);
      const findings = lint(content, { trustedRegistries: ['*.azurecr.io', 'docker.io'] });
      assert.deepEqual(summary(findings), ['4 DL3026 error', '5 DL3026 error']);
      assert.match(findings[0].message, /registry 'mcr\.microsoft\.com', which is not a trusted registry \(\*\.azurecr\.io, docker\.io\)/);
      assert.deepEqual(summary(lint(content, { trustedRegistries: ['MCR.microsoft.com'] })), [
        '1 DL3026 error',
        '2 DL3026 error',
        '3 DL3026 error',
        '5 DL3026 error',
      ]);
    });

    it('documents a default severity for every best-practice rule', () => {
      assert.deepEqual(Object.keys(DOCKERFILE_RULES).sort(), [
        'DL3002',
        'DL3003',
        'DL3004',
        'DL3005',
        'DL3006',
        'DL3007',
        'DL3009',
        'DL3014',
        'DL3015',
        'DL3020',
        'DL3022',
        'DL3025',
        'DL3026',
        'GF1001',
        'GF1002',
      ]);
      for (const id of ['DL3002', 'DL3003', 'DL3006', 'DL3007', 'DL3009', 'DL3015', 'DL3020', 'DL3025']) {
        assert.equal(DOCKERFILE_RULES[id].severity, 'warning', id);
      }
    });
  });

  describe('rule registry', () => {
    afterEach(() => sinon.restore());

    it('keeps a description and a check with every rule', () => {
      for (const [id, rule] of Object.entries(DOCKERFILE_RULES)) {
        assert.ok(/^(DL|GF)\d{4}$/.test(id), id);
        assert.ok(rule.description.length > 10, id);
        assert.equal(typeof rule.check, 'function', id);
      }
    });

    it('reports a rule that throws as a linter warning and still runs the other rules', () => {
      sinon.stub(DOCKERFILE_RULES.DL3003, 'check').throws(new Error('boom'));
      const findings = lint(`FROM alpine:3.20\nRUN cd /tmp\nCMD node server.js\n${NONROOT}\n`);
      assert.deepEqual(
        findings.map((f) => [f.line, f.rule, f.severity, f.message.split(';')[0]]),
        [
          [1, 'dockerfile/lint-failed', 'warning', 'Best-practice rule DL3003 failed on this file: boom'],
          [3, 'DL3025', 'warning', 'CMD uses the shell form'],
        ],
      );
    });
  });

  describe('robustness', () => {
    it('recovers from the dockerfile-utils stack overflow on indented instructions before FROM', () => {
      const findings = lint('\n  LABEL x=$Y\nFROM alpine:3.20\nUSER 1\nEXPOSE 80/tcpx\n   EXPOSE 80/udpx\n');
      assert.deepEqual(
        findings.map((f) => `${f.line}:${f.column} ${f.rule}`),
        ['2:3 dockerfile/no-source-image', '5:11 dockerfile/invalid-proto', '6:14 dockerfile/invalid-proto'],
      );
    });

    it('never throws and returns well-formed findings for arbitrary text', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
          checkWellFormed(text, lintDockerfile('Dockerfile', text));
        }),
        { numRuns: 300 },
      );
    });

    it('never throws on Dockerfile-like input', () => {
      const token = fc.constantFrom(
        'FROM',
        'from',
        'RUN',
        'CMD',
        'ENTRYPOINT',
        'COPY',
        'ADD',
        'USER',
        'ARG',
        'ENV',
        'EXPOSE',
        'HEALTHCHECK',
        'ONBUILD',
        'SHELL',
        'WORKDIR',
        'alpine',
        'node:latest',
        '${X}',
        '$Y',
        'AS',
        'build',
        '--from=build',
        '--from=0',
        '--mount=type=cache,target=/var/lib/apt/lists',
        'apt-get',
        'install',
        '-y',
        'cd',
        'sudo',
        '&&',
        '|',
        ';',
        '[',
        ']',
        '"a"',
        ',',
        '\\',
        '`',
        '<<EOF',
        'EOF',
        '#',
        '# hadolint ignore=DL3006',
        '\n',
        '\r\n',
        ' ',
        "'",
        '"',
        '#!/bin/sh',
        'root',
        'scratch',
        '@sha256:abc',
        'http://x/y.tar.gz',
      );
      fc.assert(
        fc.property(fc.array(token, { maxLength: 60 }), fc.option(fc.constantFrom('docker.io', '*.azurecr.io')), (tokens, registry) => {
          const text = tokens.join(' ');
          checkWellFormed(text, lintDockerfile('Dockerfile', text, registry ? { trustedRegistries: [registry] } : {}));
        }),
        { numRuns: 500 },
      );
    });

    it('lints a 2000-line Dockerfile: 60 copies of a clean one, each flagged only for its repeated stage names', () => {
      // How fast: `npm run bench -- validate` (a 3 s bound here took 1.8 s on a loaded 2-core machine).
      const good = fixture('Dockerfile.good');
      const big = Array.from({ length: 60 }, () => good).join('\n');
      const linesPerCopy = good.split('\n').length;
      const stages = [
        [5, 'deps'],
        [16, 'build'],
        [21, 'runtime'],
      ] as const;
      assert.deepEqual(
        lint(big).map((f) => `${f.line} ${f.rule} ${f.severity} ${f.message}`),
        Array.from({ length: 60 }, (_, copy) =>
          stages.map(([line, name]) => `${line + copy * linesPerCopy} dockerfile/duplicate-build-stage-name error duplicate name ${name}`),
        ).flat(),
      );
    });
  });
});

function checkWellFormed(text: string, findings: Finding[]): void {
  const lineCount = text.split(/\r\n|\r|\n/).length;
  for (const f of findings) {
    assert.ok(f.line !== undefined && f.line >= 1 && f.line <= lineCount, `line ${f.line} of ${lineCount}`);
    assert.ok(f.column !== undefined && f.column >= 1, `column ${f.column}`);
    assert.ok(f.severity === 'error' || f.severity === 'warning');
    assert.ok(f.rule.length > 0 && f.message.length > 0);
    assert.ok(!f.rule.endsWith('-failed'), `internal failure: ${f.message}`);
  }
}
