// node scripts/screenshots.mjs [out/demo]: the Marketplace pictures of the listing, made from what the
// tasks really wrote in a `npm run demo` run (out/demo/, kept there after the demo ends):
//   images/summary-tab.png  the summary tab GitOpsPromote@1 wrote for prod (gitops-promote-prod.md);
//   images/pr-statuses.png  the app pull request of the demo's preview step: its statuses as the
//                           service listed them (pull-request.json) and the preview comment
//                           GitOpsPrValidate@1 posted (pull-request-comment.md).
// The markdown goes through a maintained GitHub-flavoured renderer (marked, run once with npx), into a
// plain page styled like Azure DevOps' summary tab and pull request view, and a headless Chromium takes
// the picture. Needs, on the machine that regenerates them only: Chromium (Debian: apt-get install
// chromium; or CHROMIUM=/path/to/chrome) and the npm registry for npx. Neither CI nor npm test runs it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './lib/versions.mjs';

const MARKED = 'marked@18.3.0';
const WIDTH = 1280;
const demoDir = path.resolve(process.argv[2] ?? path.join(root, 'out', 'demo'));
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-screenshots-'));

function fail(message) {
  console.error(`screenshots: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(demoDir)) fail(`${demoDir} does not exist: run npm run demo first`);
const steps = fs
  .readdirSync(demoDir)
  .sort()
  .map((d) => path.join(demoDir, d));
const stepWith = (file) => steps.filter((d) => fs.existsSync(path.join(d, file))).pop() ?? fail(`no step of ${demoDir} holds ${file}: run npm run demo first`);

const chromium =
  process.env.CHROMIUM ??
  ['chromium', 'chromium-browser', 'google-chrome'].find((c) => onPath(c)) ??
  fail('no Chromium: apt-get install chromium, or set CHROMIUM');

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, command)));
}

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** GitHub-flavoured markdown to HTML, as the summary tab and pull request comments render it. */
function markdown(file) {
  return execFileSync('npx', ['--yes', MARKED, '--gfm', '-i', file], { encoding: 'utf8', cwd: temp });
}

const STYLE = `
  body { margin: 0; background: #f8f8f8; color: #201f1e; font: 14px/1.5 "Segoe UI", "DejaVu Sans", sans-serif; }
  .bar { background: #fff; border-bottom: 1px solid #e1dfdd; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
  .bar .title { font-size: 20px; font-weight: 600; }
  .tab { color: #605e5c; } .tab.on { color: #201f1e; font-weight: 600; border-bottom: 2px solid #0078d4; padding-bottom: 8px; }
  .page { padding: 16px 24px; }
  .card { background: #fff; border-radius: 4px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 12px 20px; margin-bottom: 16px; }
  .card > h2.section { font-size: 16px; margin: 0 0 8px; }
  h1 { font-size: 20px; margin: 8px 0; } h2 { font-size: 17px; } h3 { font-size: 15px; }
  table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #e1dfdd; padding: 4px 10px; text-align: left; vertical-align: top; }
  th { background: #faf9f8; font-weight: 600; }
  code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px; background: #f3f2f1; padding: 0 3px; border-radius: 2px; }
  pre { background: #f3f2f1; padding: 8px; overflow: hidden; } pre code { background: none; padding: 0; }
  a { color: #0078d4; text-decoration: none; }
  details > summary { color: #0078d4; cursor: pointer; }
  .status { display: flex; gap: 10px; align-items: baseline; padding: 4px 0; }
  .ok { color: #107c10; font-weight: 700; } .bad { color: #a4262c; font-weight: 700; } .wait { color: #605e5c; font-weight: 700; }
  .who { color: #605e5c; font-size: 12px; }
`;

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** Chromium's picture of the top of the page, WIDTH wide. */
function shoot(html, out, height) {
  const file = path.join(temp, `${path.basename(out, '.png')}.html`);
  fs.writeFileSync(file, html);
  fs.rmSync(out, { force: true });
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--force-device-scale-factor=1',
      `--window-size=${WIDTH},${height}`,
      `--screenshot=${out}`,
      `file://${file}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (!fs.existsSync(out)) fail(`Chromium wrote no ${out}`);
  console.log(`${path.relative(root, out)}: ${(fs.statSync(out).size / 1024).toFixed(1)} KiB`);
}

// The summary tab: the section GitOpsPromote@1 attaches as "GitOps promotion: prod".
const promotion = stepWith('gitops-promote-prod.md');
shoot(
  page(
    'Summary',
    `<div class="bar"><span class="title">voting-app CD run</span><span class="tab">Logs</span><span class="tab on">Summary</span><span class="tab">Tests</span></div>
     <div class="page"><div class="card"><h2 class="section">GitOps promotion: prod</h2>${markdown(path.join(promotion, 'gitops-promote-prod.md'))}</div></div>`,
  ),
  path.join(root, 'images', 'summary-tab.png'),
  1000,
);

// The pull request: its statuses and the preview comment thread.
const preview = stepWith('pull-request.json');
const pr = JSON.parse(fs.readFileSync(path.join(preview, 'pull-request.json'), 'utf8'));
const branch = (ref) => escape(String(ref).replace(/^refs\/heads\//, ''));
const icon = { succeeded: ['ok', '✔'], failed: ['bad', '✘'], error: ['bad', '✘'], pending: ['wait', '●'], notSet: ['wait', '●'], notApplicable: ['wait', '–'] };
const statuses = pr.statuses
  .map((s) => {
    const [cls, mark] = icon[s.state] ?? ['wait', '●'];
    return `<div class="status"><span class="${cls}">${mark}</span><span>${escape(s.description ?? '')}</span><span class="who">${escape(`${s.context?.genre}/${s.context?.name}`)} · ${escape(s.state)}</span></div>`;
  })
  .join('');
shoot(
  page(
    `Pull request ${pr.pullRequestId}`,
    `<div class="bar"><span class="title">${escape(pr.title)}</span><span class="who">!${escape(pr.pullRequestId)} · ${branch(pr.sourceRefName)} into ${branch(pr.targetRefName)}</span></div>
     <div class="bar"><span class="tab on">Overview</span><span class="tab">Files</span><span class="tab">Updates</span><span class="tab">Commits</span></div>
     <div class="page"><div class="card"><h2 class="section">Status</h2>${statuses}</div>
     <div class="card"><div class="who">Comment posted by GitOpsPrValidate@1</div>${markdown(path.join(preview, 'pull-request-comment.md'))}</div></div>`,
  ),
  path.join(root, 'images', 'pr-statuses.png'),
  1000,
);
fs.rmSync(temp, { recursive: true, force: true });
