// `shadergrad evaluate --run DIR [--ood noise|inverted|spiral] [--method maxSoftmax|energy]`: a trained
// run's model on its own test split (the same split train held out: same dataset, count and seed) —
// accuracy, macro F1, one-vs-rest ROC AUC and average precision — and evaluate.html with the ROC and
// precision–recall curves of every class. With --ood, an out-of-distribution set (sg.data.oodSet, the
// test split's size; for MNIST-shaped runs only) is scored beside the test split with sg.metrics.oodScores,
// and the AUROC of telling the test digits (positive) from it is reported: 1 = every test digit scores
// above every OOD image, 0.5 = chance, below 0.5 = the OOD images look *more* familiar to the model.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { buildModel, loadDataset } from './setup.js';
import { readTrainedRun } from './runs.js';
import { UsageError, type Flags } from './args.js';
import { chartScript, curveCharts, uplotScript } from './report.js';
import { VIS_CSS } from '../vis/style.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

export async function evaluateRun(f: Flags<'evaluate'>): Promise<void> {
  const { config, ckpt } = readTrainedRun('evaluate', f.run);
  if (f.ood !== undefined && config.dataset !== 'mnist') {
    throw new UsageError(`shadergrad evaluate: --ood builds 28×28 images; ${f.run} was trained on ${config.dataset}`, 'evaluate');
  }
  const info = await sg.init();
  const { test, numClasses, inputShape } = await loadDataset(config.dataset, { count: config.count, seed: config.seed });
  const model = buildModel(config.model, inputShape, numClasses);
  await sg.load(model, ckpt);
  const ev = await sg.train.evaluate(model, test, { loss: 'crossEntropy', batchSize: 256 });
  console.log(`shadergrad evaluate: ${config.model} from ${f.run} on its ${test.length} test samples`);
  console.log(`test: loss ${ev.loss?.toFixed(4)} accuracy ${ev.accuracy?.toFixed(4)} macro-F1 ${ev.f1?.toFixed(4)}` +
    (ev.rocAuc !== undefined ? ` ROC-AUC ${ev.rocAuc.toFixed(4)} AP ${ev.averagePrecision!.toFixed(4)} (macro, one-vs-rest)` : ''));
  for (const c of ev.curves ?? []) console.log(`  class ${c.class}: ROC AUC ${c.rocAuc.toFixed(4)} · AP ${c.averagePrecision.toFixed(4)}`);
  let oodLine = '';
  if (f.ood !== undefined) {
    const method = f.method as sg.metrics.OodMethod;
    const out = await sg.data.oodSet(f.ood as sg.data.OodKind, { count: test.length, seed: config.seed, like: test });
    const inScores = await sg.metrics.oodScores(model, test, { method });
    const outScores = await sg.metrics.oodScores(model, out, { method });
    const auroc = sg.metrics.oodAuroc(inScores, outScores) as number;
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    oodLine = `OOD: ${f.ood} (${out.length} images) vs the test split, score ${method}: AUROC ${auroc.toFixed(4)} ` +
      `(mean score ${mean(inScores).toFixed(4)} in-distribution, ${mean(outScores).toFixed(4)} OOD)`;
    console.log(oodLine);
  }
  const charts = curveCharts(ev.curves ?? []);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>shadergrad evaluate: ${esc(f.run)}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}.charts{display:flex;flex-wrap:wrap;gap:16px}code{background:#f4f4f4;padding:1px 4px}.u-legend td,.u-legend th{border:0;padding:1px 3px}
${VIS_CSS}
</style><script>${uplotScript()}</script></head><body><h1>shadergrad evaluate: ${esc(config.model)} on ${esc(config.dataset)}</h1>
<p>run <code>${esc(f.run)}</code> · adapter <code>${esc(`${info.vendor} ${info.architecture} ${info.description}`.trim())}</code> · ${test.length} test samples</p>
<p>accuracy ${ev.accuracy?.toFixed(4)} · macro F1 ${ev.f1?.toFixed(4)} · ROC AUC ${ev.rocAuc?.toFixed(4) ?? '–'} · average precision ${ev.averagePrecision?.toFixed(4) ?? '–'} (macro, one-vs-rest)</p>
${oodLine ? `<p>${esc(oodLine)}</p>` : ''}
<div class="charts">${charts.map((c) => `<div class="sg-vis" id="chart-${c.id}"></div>`).join('')}</div>
<script>${chartScript(charts)}</script></body></html>`;
  writeFileSync(join(f.run, 'evaluate.html'), html);
  console.log(`wrote ${join(f.run, 'evaluate.html')}`);
}
