// report.html of `shadergrad train` (issue #16 item 4): one self-contained file drawing the charts of
// shadergrad/vis (uPlot's script, the charts' stylesheet and option builder inlined; specs computed
// in Node), the per-step loss beside the epoch points, and a kernel-time table that profiles the
// run's own optimizer. The report opened in Chromium is checked by demos/test/vis.mjs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { curveCharts, renderReport, reportCharts, uplotScript } from '../../src/cli/report.js';
import { VIS_CSS } from '../../src/vis/style.js';
import { uplotOptions } from '../../src/vis/uplot-options.js';
import type { EpochRecord } from '../../src/train/fit.js';

afterEach(() => vi.restoreAllMocks());

const epochs: EpochRecord[] = [1, 2, 3].map((epoch) => ({
  epoch, trainLoss: 1 / epoch, trainAccuracy: 0.5 + 0.1 * epoch, valLoss: 1.1 / epoch, valAccuracy: 0.45 + 0.1 * epoch, lr: 5.09e-4, seconds: 1, samplesPerSecond: 1000,
}));
const steps = epochs.flatMap((e) => Array.from({ length: 20 }, (_, i) => ({ epoch: e.epoch, step: i + 1, loss: 2 / (e.epoch + i / 20) })));

describe('report.html', () => {
  it('is one file: uPlot, the charts\' stylesheet and option builder inlined, no external resource', () => {
    const html = renderReport({ title: 'a run', config: { optimizer: 'adam' }, epochs, steps, adapter: 'test' });
    expect(uplotScript()).toMatch(/^\/\*! https:\/\/github\.com\/leeoniya\/uPlot/);
    expect(html).toContain(uplotScript());
    expect(html).toContain(VIS_CSS);
    expect(html).toContain(uplotOptions.toString());
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/);
    for (const id of ['loss', 'accuracy', 'lr']) expect(html).toContain(`id="chart-${id}"`);
    // The specs are embedded as JSON and nothing in them closes the script element.
    const json = html.match(/for \(const \{ id, spec \} of (\[.*\])\) \{/)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json!)).toEqual(JSON.parse(JSON.stringify(reportCharts(epochs, steps))));
  });

  it('plots the loss per step, and the epochs where they ended; LR ticks in short form', () => {
    const [loss, accuracy, lr] = reportCharts(epochs, steps);
    expect(loss.spec.xLabel).toBe('step');
    expect(loss.spec.series.map((s) => s.label)).toEqual(['train (per step)', 'train (epoch mean)', 'validation']);
    expect(loss.spec.data[0]).toHaveLength(60);
    expect(loss.spec.data[1].filter((v) => v !== null)).toHaveLength(60);
    expect(loss.spec.data[3].map((v, i) => (v === null ? null : loss.spec.data[0][i])).filter((x) => x !== null)).toEqual([20, 40, 60]);
    expect(accuracy.spec.y.max).toBeLessThanOrEqual(1);
    // A constant 5.09e-4: round ticks from 0, in short exponent form (not .000509).
    expect(lr.spec.y.ticks[0]).toBe(0);
    expect(lr.spec.y.max).toBeGreaterThanOrEqual(5.09e-4);
    expect(lr.spec.y.labels.slice(1).every((l) => /^[1-9]e-4$/.test(l)), lr.spec.y.labels.join(' ')).toBe(true);
    // Without step losses the loss chart's x axis is the epoch.
    expect(reportCharts(epochs)[0].spec.xLabel).toBe('epoch');
  });

  it('shadergrad train --optimizer adam: the kernel table profiles adam\'s update, the loss chart has every step', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sg-report-')), 'run');
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const code = await main(['train', '--model', 'mlp', '--dataset', 'spiral', '--count', '200', '--batch-size', '16', '--epochs', '2', '--optimizer', 'adam', '--out', out]);
    expect(code, lines.join('\n')).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const table = html.slice(html.indexOf('<h2>GPU time per kernel'));
    const kernels = [...table.matchAll(/<tr><td>([^<]+)<\/td><td>\d+<\/td>/g)].map((m) => m[1]);
    expect(kernels.some((k) => k.startsWith('adam_update')), kernels.join(' ')).toBe(true); // adam_update or its vec4 variant
    expect(kernels.some((k) => k.startsWith('sgd_'))).toBe(false);
    const charts = JSON.parse(html.match(/for \(const \{ id, spec \} of (\[.*\])\) \{/)![1]) as ReturnType<typeof reportCharts>;
    const loss = charts.find((c) => c.id === 'loss')!.spec;
    // Every step's loss (fit reads each one back), and the two epochs ending at steps n and 2n.
    expect(loss.series[0].label).toBe('train (per step)');
    const epochEnds = loss.data[2].map((v, i) => (v === null ? null : loss.data[0][i])).filter((x) => x !== null) as number[];
    expect(epochEnds).toHaveLength(2);
    expect(epochEnds[1]).toBe(2 * epochEnds[0]);
    expect(loss.data[1].filter((v) => v !== null)).toHaveLength(epochEnds[1]);
    expect(lines.some((l) => /^epoch 2\/2 /.test(l))).toBe(true);
    // The test set's one-vs-rest ROC and PR curves: a line per class (spiral: 3), AUC / AP in the legend.
    const roc = charts.find((c) => c.id === 'roc')!.spec;
    const pr = charts.find((c) => c.id === 'pr')!.spec;
    expect(html).toContain('id="chart-roc"');
    expect(roc.series.map((x) => x.label.replace(/[\d.]+\)$/, ')'))).toEqual(['class 0 (AUC )', 'class 1 (AUC )', 'class 2 (AUC )']);
    expect(pr.series.every((x) => /\(AP 0?\.\d{3}\)$|\(AP 1\.000\)$/.test(x.label))).toBe(true);
    expect(html).toMatch(/ROC AUC 0?\.\d{4} · average precision/);
    expect(lines.some((l) => /^test: .* ROC-AUC \d\.\d{4} AP \d\.\d{4}/.test(l))).toBe(true);
  });

  it('draws ROC steps as steps: of several points at one x the first and the last stay', () => {
    const curves = [{ class: 3, roc: { fpr: [0, 0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1, 1] }, pr: { precision: [0.5, 1, 1], recall: [1, 0.5, 0] }, rocAuc: 1, averagePrecision: 1 }];
    const [roc, pr] = curveCharts(curves);
    expect(roc.spec.series[0].label).toBe('class 3 (AUC 1.000)');
    // x: 0, 0 + 1e-9 (the vertical step to tpr 1), 0.5, 1
    expect(roc.spec.data[0]).toEqual([0, 1e-9, 0.5, 1]);
    expect(roc.spec.data[1]).toEqual([0, 1, 1, 1]);
    expect(pr.spec.data[0]).toEqual([0, 0.5, 1]);
    expect(pr.spec.data[1]).toEqual([1, 1, 0.5]);
    expect(curveCharts([])).toEqual([]);
  });
});
