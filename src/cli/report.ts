// report.html for a training run: the loss (per step and per epoch), accuracy and learning-rate
// charts of shadergrad/vis, the confusion matrix and the one-vs-rest ROC and precision–recall curves
// on the test set, and the per-kernel GPU time table of
// one training step. One self-contained file: uPlot's script (read from the installed package), the
// charts' stylesheet and option builder are inlined, the charts' specs (data, ticks, labels) are
// computed here with the same functions the page uses. No external scripts or fonts: it opens anywhere.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EpochRecord } from '../train/fit.js';
import type { ProfileReport } from '../graph/plan-views.js';
import { formatCost, type TrainingCost } from '../train/cost.js';
import { accuracySeries, lossSeries, lrSeries, plotSpec, prSeries, rocSeries, trainingLog, type CurveData, type PlotSpec, type StepLoss } from '../vis/series.js';
import { VIS_CSS } from '../vis/style.js';
import { uplotOptions } from '../vis/uplot-options.js';

export interface ReportInput {
  title: string;
  config: Record<string, unknown>;
  epochs: EpochRecord[];
  /** Per-step training losses in the order they ran (fit's History.steps): the loss chart draws them. */
  steps?: StepLoss[];
  test?: { loss?: number; accuracy?: number; f1?: number; confusion?: number[][]; rocAuc?: number; averagePrecision?: number; curves?: CurveData[] };
  profile?: ProfileReport;
  /** The run's training cost (FLOPs, FLOP/s, PFLOP/s-days). */
  cost?: TrainingCost;
  adapter: string;
  warnings?: string[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

/** JSON safe inside a <script> element (no "</script>", no "<!--"). */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

let uplotSource: string | undefined;
/** uPlot's browser build (an IIFE defining the global uPlot), from the installed package. */
export function uplotScript(): string {
  if (uplotSource === undefined) {
    const file = createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js');
    uplotSource = readFileSync(file, 'utf8');
  }
  return uplotSource;
}

/** The report's charts: loss (per step when `steps` are given), accuracy (when recorded), learning rate. */
export function reportCharts(epochs: EpochRecord[], steps?: StepLoss[]): { id: string; spec: PlotSpec }[] {
  const log = trainingLog({ epochs, steps });
  const size = { width: 460, height: 240 };
  const charts = [{ id: 'loss', spec: plotSpec(lossSeries(log), { title: 'Loss', xLabel: log.x, yLabel: 'loss', zero: true, integerX: true }, size) }];
  if (epochs.some((e) => e.trainAccuracy !== undefined || e.valAccuracy !== undefined)) {
    charts.push({ id: 'accuracy', spec: plotSpec(accuracySeries(log), { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yMax: 1, integerX: true }, size) });
  }
  charts.push({ id: 'lr', spec: plotSpec(lrSeries(log), { title: 'Learning rate', xLabel: 'epoch', yLabel: 'learning rate', zero: true, integerX: true }, size) });
  return charts;
}

/** The test set's one-vs-rest ROC and precision–recall charts, a line per class (AUC / AP in the legend). */
export function curveCharts(curves: CurveData[]): { id: string; spec: PlotSpec }[] {
  if (!curves.length) return [];
  const size = { width: 460, height: 300 };
  return [
    { id: 'roc', spec: plotSpec(rocSeries(curves), { title: 'ROC (one-vs-rest)', xLabel: 'false positive rate', yLabel: 'true positive rate', xMin: 0, xMax: 1, yMin: 0, yMax: 1 }, size) },
    { id: 'pr', spec: plotSpec(prSeries(curves), { title: 'Precision–recall (one-vs-rest)', xLabel: 'recall', yLabel: 'precision', xMin: 0, xMax: 1, yMin: 0, yMax: 1 }, size) },
  ];
}

/** The page script drawing `charts` with uPlot and the inlined option builder. */
export function chartScript(charts: { id: string; spec: PlotSpec }[]): string {
  const source = uplotOptions.toString();
  // Run from the TypeScript source under tsx, esbuild's keepNames wraps inner functions in __name(f, 'name').
  const shim = source.includes('__name(') ? 'const __name = (f) => f;\n' : '';
  return `${shim}const uplotOptions = ${source};
for (const { id, spec } of ${scriptJson(charts)}) {
  const el = document.getElementById('chart-' + id);
  el.uplot = new uPlot(uplotOptions({ spec }), spec.data, el);
  el.spec = spec;
}`;
}

/** The confusion matrix as a shaded HTML table (rows: true class, columns: predicted). */
export function confusionTable(cm: number[][]): string {
  const max = Math.max(1, ...cm.flat());
  let h = '<table class="cm"><tr><th>true \\ pred</th>' + cm.map((_, j) => `<th>${j}</th>`).join('') + '</tr>';
  cm.forEach((row, i) => {
    h += `<tr><th>${i}</th>` + row.map((v, j) => {
      const a = v / max;
      const bg = i === j ? `rgba(46,125,50,${0.15 + 0.85 * a})` : `rgba(198,40,40,${a})`;
      return `<td style="background:${bg};color:${a > 0.6 ? '#fff' : '#000'}">${v}</td>`;
    }).join('') + '</tr>';
  });
  return `${h}</table>`;
}

export function renderReport(r: ReportInput): string {
  const ep = r.epochs;
  const charts = reportCharts(ep, r.steps);
  const curves = curveCharts(r.test?.curves ?? []);
  const rows = ep.map((e) => `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${fmt(e.trainAccuracy)}</td><td>${fmt(e.valLoss, 4)}</td><td>${fmt(e.valAccuracy)}</td><td>${fmt(e.valF1)}</td><td>${e.lr.toPrecision(3)}</td><td>${Math.round(e.samplesPerSecond)}</td></tr>`).join('');
  const kernels = r.profile ? `<h2>GPU time per kernel (one training step, ${esc(r.profile.source)})</h2><table><tr><th>kernel</th><th>calls</th><th>ms</th><th>share</th><th>GFLOP/s</th><th>GB/s</th></tr>${
    r.profile.kernels.map((k) => `<tr><td>${esc(k.kernel)}</td><td>${k.calls}</td><td>${k.ms.toFixed(3)}</td><td>${(100 * k.share).toFixed(1)}%</td><td>${k.gflops.toFixed(2)}</td><td>${k.gbps.toFixed(2)}</td></tr>`).join('')}</table>` : '';
  const auc = r.test?.rocAuc !== undefined ? ` · ROC AUC ${fmt(r.test.rocAuc, 4)} · average precision ${fmt(r.test.averagePrecision, 4)} (macro, one-vs-rest)` : '';
  const curveDivs = curves.length ? `<div class="charts">${curves.map((c) => `<div class="sg-vis" id="chart-${c.id}"></div>`).join('')}</div>` : '';
  const test = r.test ? `<h2>Test set</h2><p>loss ${fmt(r.test.loss, 4)} · accuracy ${fmt(r.test.accuracy)} · macro F1 ${fmt(r.test.f1)}${auc}</p>${r.test.confusion ? confusionTable(r.test.confusion) : ''}${curveDivs}` : '';
  const cost = r.cost ? `<h2>Training cost</h2><p>${esc(formatCost(r.cost))} (${r.cost.flopsPerStep.toExponential(3)} FLOPs per step: forward, backward and optimizer, from the kernels' cost model)</p>` : '';
  const warnings = r.warnings?.length ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.cm td{width:34px;text-align:center}.charts{display:flex;flex-wrap:wrap;gap:16px}code{background:#f4f4f4;padding:1px 4px}
.u-legend td,.u-legend th{border:0;padding:1px 3px}
${VIS_CSS}
</style><script>${uplotScript()}</script></head><body><h1>${esc(r.title)}</h1><p>adapter: <code>${esc(r.adapter)}</code></p>
<p>${Object.entries(r.config).map(([k, v]) => `${esc(k)}: <code>${esc(String(v))}</code>`).join(' · ')}</p>
<div class="charts">${charts.map((c) => `<div class="sg-vis" id="chart-${c.id}"></div>`).join('')}</div>
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>val F1</th><th>lr</th><th>samples/s</th></tr>${rows}</table>
${test}${cost}${kernels}${warnings}
<script>${chartScript([...charts, ...curves])}</script></body></html>`;
}

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}
