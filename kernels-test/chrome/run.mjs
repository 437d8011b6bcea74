// Runs every kernel case table in headless Chromium (WebGPU on SwiftShader): builds the test page
// with Vite, serves it on 127.0.0.1, drives it with puppeteer-core and prints one line per case and
// a closing "chromium: N passed, M failed, K not run" line (a case not run says why, e.g. "not run:
// adapter lacks subgroups"). Exits 1 on any failure, on a missing case, or if WebGPU is unavailable
// (no silent skips). Arguments name case tables to run alone: `node kernels-test/chrome/run.mjs softmax subgroups`.
import { build } from 'vite';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, serve } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = join(here, 'dist');
const TIMEOUT_MS = Number(process.env.CHROME_TEST_TIMEOUT_MS ?? 30 * 60 * 1000);

execFileSync(process.execPath, [join(root, 'scripts', 'embed-shaders.mjs')], { stdio: 'inherit' });
await build({ root: here, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });

const server = await serve(outDir);
const browser = await launch();
let failed = 0;
let passed = 0;
let notRun = 0;
const only = process.argv.slice(2);
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/index.html${only.length ? `?tables=${only.map(encodeURIComponent).join(',')}` : ''}`);
  let printed = 0;
  const started = Date.now();
  for (;;) {
    const { progress, report } = await page.evaluate(() => ({ progress: window.__progress ?? [], report: window.__report }));
    for (; printed < progress.length; printed++) {
      const r = progress[printed];
      if (r.notRun) console.log(`  - ${r.name}: ${r.notRun}`);
      else console.log(`${r.ok ? '  ✓' : '  ✗'} ${r.name} (${Math.round(r.ms)} ms)${r.ok ? '' : `\n      ${r.message}`}`);
    }
    if (report) {
      if (report.error) {
        console.error(`chromium: the test page could not run: ${report.error}`);
        failed = 1;
      } else {
        console.log(`chromium adapter: ${report.adapter}`);
        passed = report.passed;
        failed = report.failed;
        notRun = report.notRun ?? 0;
        if (report.results.length !== report.total) {
          console.error(`chromium: ran ${report.results.length} of ${report.total} cases`);
          failed += report.total - report.results.length;
        }
      }
      break;
    }
    if (Date.now() - started > TIMEOUT_MS) {
      console.error(`chromium: timed out after ${TIMEOUT_MS / 1000} s with ${printed} cases done`);
      failed += 1;
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`chromium: ${passed} passed, ${failed} failed, ${notRun} not run`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
