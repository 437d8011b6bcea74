// shadergrad/vis in headless Chromium (WebGPU on SwiftShader): builds demos/test/vis-page with Vite and
// opens it — charts from a History, a confusion matrix, update batching, and a real sg.train.fit
// feeding fitCallbacks — then opens a report.html written by `shadergrad train --optimizer adam`.
// Each chart is checked in the page: its canvas is drawn (ink, and pixels of every series' colour
// inside the plot), its legend sits below the plot, its ticks are round multiples of a 1/2/5 step
// and the y axis is wider than its widest tick label (nothing clipped).
//
//   node demos/test/vis.mjs            on its own (prints one line per check)
//   node demos/test/run.mjs vis        with the demo pages (run.mjs calls visChecks)
import { build } from 'vite';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, serve } from '../../kernels-test/chrome/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** In the page: what a uPlot chart drew, where its legend is, and whether its tick labels fit. */
function inspectChart(u, spec) {
  const dpr = window.devicePixelRatio || 1;
  const canvas = u.ctx.canvas;
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const rgb = spec.series.map((s) => [1, 3, 5].map((i) => parseInt(s.color.slice(i, i + 2), 16)));
  const hits = rgb.map(() => 0);
  let ink = 0;
  const { left, top, width, height } = u.bbox;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const i = 4 * (y * canvas.width + x);
      if (d[i + 3] === 0) continue;
      ink++;
      if (d[i + 3] < 160 || x < left || x > left + width || y < top || y > top + height) continue;
      rgb.forEach(([r, g, b], k) => {
        if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 60) hits[k]++;
      });
    }
  }
  const over = u.over.getBoundingClientRect();
  const legend = u.root.querySelector('.u-legend').getBoundingClientRect();
  const m = document.createElement('canvas').getContext('2d');
  m.font = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
  const widestY = Math.max(...spec.y.labels.map((l) => m.measureText(l).width));
  const lastX = m.measureText(spec.x.labels.at(-1) ?? '').width;
  return {
    ink: ink / (d.length / 4), hits, series: spec.series.map((s) => s.label),
    legend: Array.from(u.root.querySelectorAll('.u-legend .u-series th .u-label'), (e) => e.textContent),
    legendBelow: legend.top >= over.bottom - 1 && legend.height > 0,
    // The room left of the plot (y label 18 px when there is one) against the widest tick label, and right of it for half the last x label.
    yRoom: left / dpr - (spec.yLabel ? 18 : 0), widestY,
    xRoom: canvas.width / dpr - (left + width) / dpr, halfLastX: lastX / 2,
    x: spec.x, y: spec.y, points: spec.data.slice(1).map((ys) => ys.filter((v) => v !== null).length),
  };
}

/** Ticks `step` apart with step 1, 2 or 5 × 10^k, the axis ends on ticks (linear axes). */
function roundTicks(a) {
  if (a.ticks.length < 2) return false;
  const step = a.ticks[1] - a.ticks[0];
  const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  const even = a.ticks.every((t, i) => Math.abs(t - a.ticks[0] - i * step) <= step * 1e-6);
  const multiples = a.ticks.every((t) => Math.abs(t / step - Math.round(t / step)) < 1e-6);
  return [1, 2, 5].some((m) => Math.abs(mant - m) < 1e-6) && even && multiples && a.labels.length === a.ticks.length;
}

function checkChart(check, name, c, expected) {
  const colours = c.hits.every((h) => h >= 3);
  check(`${name}: drawn`, c.ink > 0.02 && colours, `${(100 * c.ink).toFixed(1)} % inked; series pixels ${c.series.map((s, i) => `${s} ${c.hits[i]}`).join(', ')}`);
  check(`${name}: legend under the plot, naming the series`, c.legendBelow && JSON.stringify(c.legend.slice(1)) === JSON.stringify(expected), `legend ${c.legend.join(' · ')}`);
  check(`${name}: round ticks, labels not clipped`, roundTicks(c.x) && (c.y.ticks.length < 2 || roundTicks(c.y)) && c.yRoom >= c.widestY + 4 && c.xRoom >= c.halfLastX,
    `x ${c.x.labels.join(' ')} · y ${c.y.labels.join(' ')} · y axis ${c.yRoom.toFixed(0)} px for labels ≤ ${c.widestY.toFixed(0)} px · right ${c.xRoom.toFixed(0)} px for ${c.halfLastX.toFixed(0)}`);
}

/** Run the checks with `browser` (puppeteer, WebGPU on) and report each through `check(name, ok, detail)`. */
export async function visChecks({ browser, check }) {
  const work = mkdtempSync(join(tmpdir(), 'shadergrad-vis-'));
  execFileSync(process.execPath, [join(root, 'scripts', 'embed-shaders.mjs')], { stdio: 'pipe' });
  const t0 = Date.now();
  await build({
    configFile: false, root: join(here, 'vis-page'), base: './', logLevel: 'warn',
    resolve: { alias: { shadergrad: join(root, 'src', 'index.ts') } },
    build: { outDir: join(work, 'page'), emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 30_000 },
  });
  check('vis: vite build of demos/test/vis-page', true, '', Date.now() - t0);
  // report.html of a tiny Adam run, by the CLI from its TypeScript source.
  const t1 = Date.now();
  const run = join(work, 'report');
  execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'src', 'cli', 'main.ts'), 'train', '--model', 'mlp', '--dataset', 'spiral', '--count', '200',
    '--batch-size', '16', '--epochs', '2', '--optimizer', 'adam', '--out', run], { stdio: 'pipe', cwd: work });
  check('vis: shadergrad train --optimizer adam wrote report.html', true, relative(root, join(run, 'report.html')), Date.now() - t1);
  const server = await serve(work);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 1400 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    const t2 = Date.now();
    await page.goto(`${server.url}/page/index.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__vis && window.__vis.status !== 'running', { timeout: 180_000 });
    const state = await page.evaluate(() => ({ status: window.__vis.status, message: window.__vis.message, result: window.__vis.result }));
    check('vis: page ran', state.status === 'done' && errors.length === 0, state.status === 'done' ? errors.join('; ') : `${state.message}\n      ${errors.join('\n      ')}`, Date.now() - t2);
    if (state.status === 'done') {
      const charts = await page.evaluate(`(() => {
        const inspect = ${inspectChart.toString()};
        return Object.fromEntries(Object.entries(window.__vis.charts).map(([k, c]) => [k, c ? inspect(c.plot, c.spec()) : null]));
      })()`);
      checkChart(check, 'vis lossCurve (History)', charts.loss, ['train (per step)', 'train (epoch mean)', 'validation']);
      check('vis lossCurve (History): every step and epoch plotted', charts.loss.x.labels.at(-1) === '100' && JSON.stringify(charts.loss.points) === '[100,4,4]', `points per series ${charts.loss.points}; x ${charts.loss.x.labels.join(' ')}`);
      checkChart(check, 'vis accuracyCurve', charts.accuracy, ['train', 'validation']);
      checkChart(check, 'vis lrCurve', charts.lr, ['learning rate']);
      check('vis lrCurve: 5.09e-4 gets short round labels (…e-4), never .000509', charts.lr.y.labels.slice(1).every((l) => /^\d(\.\d)?e-4$/.test(l)) && !charts.lr.y.labels.some((l) => /^\.|0\.000/.test(l)),
        `y labels ${charts.lr.y.labels.join(' ')}`);
      const b = state.result.batching;
      check('vis: 500 updates in one task draw once, at the next frame', b.drawsBeforeFrame === 0 && b.drawsAfter === 1, `${b.updates} updates → ${b.drawsBeforeFrame} draws before the frame, ${b.drawsAfter} after`);
      const cm = await page.evaluate(() => {
        const c = document.querySelector('#confusion canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let green = 0;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]) ink++;
          if (d[i + 3] > 100 && d[i + 1] > d[i] + 40 && d[i + 1] > d[i + 2]) green++;
        }
        return { ink: ink / (d.length / 4), green: green / (d.length / 4), width: c.width };
      });
      check('vis confusionMatrix: drawn, the diagonal shaded green', cm.ink > 0.2 && cm.green > 0.05, `${(100 * cm.ink).toFixed(0)} % inked, ${(100 * cm.green).toFixed(0)} % green, ${cm.width} px wide`);
      const f = state.result.fit;
      const xs = f.logSteps.map(([x]) => x);
      check('vis fitCallbacks: plugs into sg.train.fit and receives every read-back loss at its step',
        JSON.stringify(f.keys) === '["onStepEnd","onReadBack","onEpochEnd"]' && f.historySteps > 10 && f.logSteps.length === f.historySteps &&
          xs.every((x, i) => x === i + 1) && JSON.stringify(f.logSteps.map(([, l]) => l)) === JSON.stringify(f.historyLosses) &&
          f.logEpochs.length === 3 && f.logEpochs[2] === f.historySteps,
        `keys ${f.keys.join(', ')}; ${f.logSteps.length} step losses (history ${f.historySteps}), epochs end at steps ${f.logEpochs.join(', ')}`);
      checkChart(check, 'vis fitCallbacks loss', charts.fitLoss, ['train (per step)', 'train (epoch mean)', 'validation']);
      checkChart(check, 'vis fitCallbacks accuracy', charts.fitAccuracy, ['train', 'validation']);
      checkChart(check, 'vis fitCallbacks learning rate', charts.fitLr, ['learning rate']);
      const shot = await page.screenshot({ fullPage: true, encoding: 'base64' });
      mkdirSync(join(here, 'screenshots'), { recursive: true });
      writeFileSync(join(here, 'screenshots', 'vis.png'), Buffer.from(shot, 'base64'));
    }
    await page.close();

    // ---- report.html: one file, opened as is
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    const report = await browser.newPage();
    await report.setViewport({ width: 1500, height: 1000 });
    const reportErrors = [];
    report.on('pageerror', (e) => reportErrors.push(`page error: ${e.message}`));
    report.on('requestfailed', (r) => reportErrors.push(`request ${r.url()}`));
    // The browser's own favicon request is not the report's: every other request is.
    report.on('request', (r) => !r.url().endsWith('/report/report.html') && !r.url().endsWith('/favicon.ico') && reportErrors.push(`fetches ${r.url()}`));
    await report.goto(`${server.url}/report/report.html`, { waitUntil: 'load' });
    const rc = await report.evaluate(`(() => {
      const inspect = ${inspectChart.toString()};
      return Object.fromEntries(Array.from(document.querySelectorAll('.charts > .sg-vis'), (el) => [el.id, el.uplot ? inspect(el.uplot, el.spec) : null]));
    })()`);
    check('vis report.html: self-contained, its five charts drawn by uPlot', reportErrors.length === 0 && Object.keys(rc).join() === 'chart-loss,chart-accuracy,chart-lr,chart-roc,chart-pr' && Object.values(rc).every(Boolean),
      `${(html.length / 1024).toFixed(0)} kB; charts ${Object.keys(rc).join(', ')}${reportErrors.length ? `; ${reportErrors.join('; ')}` : ''}`);
    if (rc['chart-loss']) {
      checkChart(check, 'vis report.html loss (per step)', rc['chart-loss'], ['train (per step)', 'train (epoch mean)', 'validation']);
      checkChart(check, 'vis report.html accuracy', rc['chart-accuracy'], ['train', 'validation']);
      checkChart(check, 'vis report.html learning rate', rc['chart-lr'], ['learning rate']);
    }
    // The test set's one-vs-rest curves: a line per class of the spiral (3), AUC / AP in the legend. Near-
    // perfect curves overlap along the edges, so only some lines need pixels of their own colour.
    for (const [id, what] of [['chart-roc', 'AUC'], ['chart-pr', 'AP']]) {
      const c = rc[id];
      const legend = c ? c.legend.slice(1) : [];
      check(`vis report.html ${id.slice(6)} curves: drawn, a line per class with its ${what}`,
        !!c && c.ink > 0.01 && c.hits.some((h) => h >= 3) && legend.length === 3 && legend.every((l, k) => new RegExp(`^class ${k} \\(${what} [01]\\.\\d{3}\\)$`).test(l)),
        c ? `${(100 * c.ink).toFixed(1)} % inked; legend ${legend.join(' · ')}` : 'missing');
    }
    const kernels = await report.evaluate(() => Array.from(document.querySelectorAll('h2 + table tr td:first-child'), (td) => td.textContent));
    check('vis report.html: the kernel table profiles the run\'s optimizer (adam)', kernels.some((k) => k.startsWith('adam_update')) && !kernels.some((k) => k.startsWith('sgd_')), kernels.filter((k) => /_update/.test(k)).join(', '));
    const shot = await report.screenshot({ fullPage: true, encoding: 'base64' });
    writeFileSync(join(here, 'screenshots', 'vis-report.png'), Buffer.from(shot, 'base64'));
    await report.close();
  } finally {
    await server.close();
  }
}

// On its own: launch Chromium, run the checks, print a summary.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let passed = 0;
  let failed = 0;
  const check = (name, ok, detail = '', ms) => {
    if (ok) passed++;
    else failed++;
    const time = ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`;
    console.log(`${ok ? '  ✓' : '  ✗'} ${name}${time}${detail ? (ok ? ` — ${detail}` : `\n      ${detail}`) : ''}`);
  };
  const browser = await launch();
  try {
    await visChecks({ browser, check });
  } catch (e) {
    check('vis: ran to the end', false, e instanceof Error ? e.stack : String(e));
  } finally {
    await browser.close();
  }
  console.log(`vis: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}
