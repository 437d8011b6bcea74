// `shadergrad curve`: sample efficiency — the same model trained on growing seeded subsets of the
// training set, each for the same epochs, then scored on the same test set. Writes curve.jsonl (a line
// per subset) and report.html: test accuracy against the number of training samples, and beside it
// the final epoch's training and validation accuracy with their gap (the bias–variance picture: a
// small subset is fitted well and generalises badly — a wide gap; more data narrows it).
//
// The subsets are nested: one seeded permutation of the training split, and each subset its first
// ⌈fraction · n⌉ samples, so a larger subset holds every sample of a smaller one. Every model starts
// from the same seeded initialisation, and fit's validation split (10 %) is carved out of each subset.

import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { buildModel, loadDataset, makeOptimizer, type ModelName } from './setup.js';
import { UsageError, type Flags } from './args.js';
import { chartScript, uplotScript } from './report.js';
import { COLORS, plotSpec, type PlotSpec, type SeriesData } from '../vis/series.js';
import { VIS_CSS } from '../vis/style.js';

/** One subset's result (a line of curve.jsonl). */
export interface CurvePoint {
  fraction: number;
  samples: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** trainAccuracy − valAccuracy of the final epoch. */
  gap: number;
  testAccuracy: number;
  testLoss: number;
  seconds: number;
}

/** `--fractions 0.05,0.1,1` → [0.05, 0.1, 1]: each in (0, 1], increasing. */
export function parseFractions(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map((p) => {
    const v = Number(p);
    if (p === '' || !Number.isFinite(v) || v <= 0 || v > 1) {
      throw new UsageError(`shadergrad curve: --fractions must be numbers in (0, 1] separated by commas, got '${p}' in '${s}'`, 'curve');
    }
    return v;
  });
  for (let i = 1; i < out.length; i++) {
    if (!(out[i] > out[i - 1])) throw new UsageError(`shadergrad curve: --fractions must increase, got ${out[i - 1]} before ${out[i]}`, 'curve');
  }
  return out;
}

/** The curve report's two charts: test accuracy, and train / validation accuracy with their gap, against samples. */
export function curveCharts(points: CurvePoint[]): { id: string; spec: PlotSpec }[] {
  const size = { width: 460, height: 260 };
  const at = (k: keyof CurvePoint) => points.map((p) => [p.samples, p[k]] as [number, number]);
  const acc: SeriesData[] = [{ label: 'test accuracy', color: COLORS.train, points: at('testAccuracy'), markers: true }];
  const gap: SeriesData[] = [
    { label: 'train accuracy', color: COLORS.train, points: at('trainAccuracy'), markers: true },
    { label: 'validation accuracy', color: COLORS.validation, points: at('valAccuracy'), markers: true },
    { label: 'gap (train − validation)', color: COLORS.extra[1], points: at('gap'), markers: true, dashed: true },
  ];
  return [
    { id: 'test', spec: plotSpec(acc, { title: 'Test accuracy', xLabel: 'training samples', yLabel: 'accuracy', yMax: 1, integerX: true }, size) },
    { id: 'gap', spec: plotSpec(gap, { title: 'Train / validation accuracy and gap', xLabel: 'training samples', yLabel: 'accuracy', zero: true, yMax: 1, integerX: true }, size) },
  ];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

export function renderCurveReport(title: string, config: Record<string, unknown>, points: CurvePoint[], adapter: string): string {
  const charts = curveCharts(points);
  const rows = points.map((p) => `<tr><td>${(100 * p.fraction).toFixed(1)} %</td><td>${p.samples}</td><td>${p.trainAccuracy.toFixed(3)}</td><td>${p.valAccuracy.toFixed(3)}</td><td>${p.gap.toFixed(3)}</td><td>${p.testAccuracy.toFixed(3)}</td><td>${p.seconds.toFixed(1)}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:16px}code{background:#f4f4f4;padding:1px 4px}.u-legend td,.u-legend th{border:0;padding:1px 3px}
${VIS_CSS}
</style><script>${uplotScript()}</script></head><body><h1>${esc(title)}</h1><p>adapter: <code>${esc(adapter)}</code></p>
<p>${Object.entries(config).map(([k, v]) => `${esc(k)}: <code>${esc(String(v))}</code>`).join(' · ')}</p>
<p>Nested seeded subsets of the training split, each trained from the same initialisation for the same epochs; 10 % of each subset validates; every model is scored on the same test set.</p>
<div class="charts">${charts.map((c) => `<div class="sg-vis" id="chart-${c.id}"></div>`).join('')}</div>
<table><tr><th>fraction</th><th>samples</th><th>train acc</th><th>val acc</th><th>gap</th><th>test acc</th><th>seconds</th></tr>${rows}</table>
<script>${chartScript(charts)}</script></body></html>`;
}

export async function learningCurve(f: Flags<'curve'>): Promise<void> {
  const fractions = parseFractions(f.fractions);
  const out = f.out;
  for (const file of ['curve.jsonl', 'report.html']) {
    if (existsSync(join(out, file))) throw new UsageError(`shadergrad curve: ${out} already holds ${file}; choose a new directory with --out DIR`, 'curve');
  }
  const info = await sg.init();
  const { train, test, numClasses, inputShape } = await loadDataset(f.dataset, { count: f.count, seed: f.seed });
  const order = new sg.Random(f.seed).permutation(train.length);
  mkdirSync(out, { recursive: true });
  const config = { model: f.model, dataset: f.dataset, fractions: fractions.join(','), epochs: f.epochs, batchSize: f.batchSize, lr: f.lr, optimizer: f.optimizer, seed: f.seed, count: f.count };
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  console.log(`shadergrad curve: ${f.model} on ${f.dataset}, ${train.length} training samples, ${test.length} test samples, fractions ${fractions.join(', ')}`);
  const points: CurvePoint[] = [];
  for (const fraction of fractions) {
    const samples = Math.ceil(fraction * train.length);
    if (samples < 10) throw new UsageError(`shadergrad curve: --fractions ${fraction} of ${train.length} samples is ${samples}: at least 10 are needed (9 to train on, 1 to validate)`, 'curve');
    const subset = sg.data.subset(train, order.subarray(0, samples));
    const t0 = performance.now();
    sg.nn.manualSeed(f.seed);
    const model = buildModel(f.model as ModelName, inputShape, numClasses);
    const optimizer = makeOptimizer(f.optimizer, model.parameters(), { lr: f.lr });
    const h = await sg.train.fit(model, {
      data: subset, validationSplit: 0.1, loss: 'crossEntropy', optimizer, epochs: f.epochs, batchSize: f.batchSize, seed: f.seed, metrics: ['accuracy'],
    });
    const last = h.epochs[h.epochs.length - 1];
    const ev = await sg.train.evaluate(model, test, { loss: 'crossEntropy', batchSize: 256 });
    optimizer.dispose();
    for (const t of Object.values(model.stateDict())) t.dispose();
    const p: CurvePoint = {
      fraction, samples, trainAccuracy: last.trainAccuracy ?? NaN, valAccuracy: last.valAccuracy ?? NaN,
      gap: (last.trainAccuracy ?? NaN) - (last.valAccuracy ?? NaN), testAccuracy: ev.accuracy ?? NaN, testLoss: ev.loss ?? NaN,
      seconds: (performance.now() - t0) / 1000,
    };
    points.push(p);
    appendFileSync(join(out, 'curve.jsonl'), `${JSON.stringify(p)}\n`);
    console.log(`${(100 * fraction).toFixed(1).padStart(5)} % ${String(samples).padStart(6)} samples: train acc ${p.trainAccuracy.toFixed(4)} val acc ${p.valAccuracy.toFixed(4)} ` +
      `gap ${p.gap.toFixed(4)} test acc ${p.testAccuracy.toFixed(4)} (${p.seconds.toFixed(1)} s)`);
  }
  writeFileSync(join(out, 'report.html'), renderCurveReport(`shadergrad: sample efficiency of ${f.model} on ${f.dataset}`, config, points, `${info.vendor} ${info.architecture} ${info.description}`.trim()));
  console.log(`wrote ${join(out, 'curve.jsonl')}, ${join(out, 'report.html')}`);
}
