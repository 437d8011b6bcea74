// report.html for a training run: loss and accuracy curves (train and validation) as inline SVG,
// the confusion matrix on the test set, and the per-kernel GPU time table of one training step.
// No external scripts or fonts: the file opens anywhere.

import type { EpochRecord } from '../train/fit.js';
import type { ProfileReport } from '../graph/plan-views.js';
import { formatCost, type TrainingCost } from '../train/cost.js';

export interface ReportInput {
  title: string;
  config: Record<string, unknown>;
  epochs: EpochRecord[];
  test?: { loss?: number; accuracy?: number; f1?: number; confusion?: number[][] };
  profile?: ProfileReport;
  /** The run's training cost (FLOPs, FLOP/s, PFLOP/s-days). */
  cost?: TrainingCost;
  adapter: string;
  warnings?: string[];
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

interface Series {
  name: string;
  color: string;
  values: (number | undefined)[];
}

/** A line chart (SVG) of several series over epochs. */
export function lineChart(title: string, series: Series[], yLabel: string): string {
  const W = 460;
  const H = 260;
  const m = { l: 52, r: 12, t: 28, b: 34 };
  const pts = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  if (!pts.length) return '';
  let lo = Math.min(...pts);
  let hi = Math.max(...pts);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number) => m.l + (n <= 1 ? 0 : (i / (n - 1)) * (W - m.l - m.r));
  const y = (v: number) => m.t + (1 - (v - lo) / (hi - lo)) * (H - m.t - m.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  let svg = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`;
  svg += `<text x="${W / 2}" y="16" text-anchor="middle" class="t">${esc(title)}</text>`;
  for (const t of ticks) {
    svg += `<line x1="${m.l}" x2="${W - m.r}" y1="${y(t)}" y2="${y(t)}" class="g"/><text x="${m.l - 6}" y="${y(t) + 4}" text-anchor="end">${t.toPrecision(3)}</text>`;
  }
  for (let i = 0; i < n; i++) svg += `<text x="${x(i)}" y="${H - m.b + 16}" text-anchor="middle">${i + 1}</text>`;
  svg += `<text x="${W / 2}" y="${H - 4}" text-anchor="middle">epoch</text><text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text>`;
  series.forEach((s, k) => {
    const p = s.values.map((v, i) => (v === undefined || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    if (p.length) {
      svg += `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${p.join(' ')}"/>`;
      for (const q of p) svg += `<circle cx="${q!.split(',')[0]}" cy="${q!.split(',')[1]}" r="2.5" fill="${s.color}"/>`;
    }
    svg += `<rect x="${m.l + 8 + k * 110}" y="${m.t - 2}" width="10" height="10" fill="${s.color}"/><text x="${m.l + 22 + k * 110}" y="${m.t + 7}">${esc(s.name)}</text>`;
  });
  return `${svg}</svg>`;
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
  const loss = lineChart('Loss', [
    { name: 'train', color: '#1565c0', values: ep.map((e) => e.trainLoss) },
    { name: 'validation', color: '#ef6c00', values: ep.map((e) => e.valLoss) },
  ], 'loss');
  const acc = ep.some((e) => e.trainAccuracy !== undefined) ? lineChart('Accuracy', [
    { name: 'train', color: '#1565c0', values: ep.map((e) => e.trainAccuracy) },
    { name: 'validation', color: '#ef6c00', values: ep.map((e) => e.valAccuracy) },
  ], 'accuracy') : '';
  const lr = lineChart('Learning rate', [{ name: 'lr', color: '#6a1b9a', values: ep.map((e) => e.lr) }], 'lr');
  const rows = ep.map((e) => `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${fmt(e.trainAccuracy)}</td><td>${fmt(e.valLoss, 4)}</td><td>${fmt(e.valAccuracy)}</td><td>${fmt(e.valF1)}</td><td>${e.lr.toPrecision(3)}</td><td>${Math.round(e.samplesPerSecond)}</td></tr>`).join('');
  const kernels = r.profile ? `<h2>GPU time per kernel (one training step, ${esc(r.profile.source)})</h2><table><tr><th>kernel</th><th>calls</th><th>ms</th><th>share</th><th>GFLOP/s</th><th>GB/s</th></tr>${
    r.profile.kernels.map((k) => `<tr><td>${esc(k.kernel)}</td><td>${k.calls}</td><td>${k.ms.toFixed(3)}</td><td>${(100 * k.share).toFixed(1)}%</td><td>${k.gflops.toFixed(2)}</td><td>${k.gbps.toFixed(2)}</td></tr>`).join('')}</table>` : '';
  const test = r.test ? `<h2>Test set</h2><p>loss ${fmt(r.test.loss, 4)} · accuracy ${fmt(r.test.accuracy)} · macro F1 ${fmt(r.test.f1)}</p>${r.test.confusion ? confusionTable(r.test.confusion) : ''}` : '';
  const cost = r.cost ? `<h2>Training cost</h2><p>${esc(formatCost(r.cost))} (${r.cost.flopsPerStep.toExponential(3)} FLOPs per step: forward, backward and optimizer, from the kernels' cost model)</p>` : '';
  const warnings = r.warnings?.length ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}svg text{font-size:11px;fill:#333}svg .t{font-size:13px;font-weight:600}
svg .g{stroke:#e0e0e0}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
.cm td{width:34px;text-align:center}.charts{display:flex;flex-wrap:wrap;gap:16px}code{background:#f4f4f4;padding:1px 4px}
</style></head><body><h1>${esc(r.title)}</h1><p>adapter: <code>${esc(r.adapter)}</code></p>
<p>${Object.entries(r.config).map(([k, v]) => `${esc(k)}: <code>${esc(String(v))}</code>`).join(' · ')}</p>
<div class="charts">${loss}${acc}${lr}</div>
<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>val F1</th><th>lr</th><th>samples/s</th></tr>${rows}</table>
${test}${cost}${kernels}${warnings}</body></html>`;
}

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}
