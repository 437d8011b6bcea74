// `shadergrad train --ensemble N`: N members of the run's model, each from its own seed (initialisation
// and shuffling: seed, seed + 1, …; the data split is the run's, from --seed), trained like a plain run,
// then combined with sg.nn.ensemble. One report: each member's test accuracy and expected calibration
// error (ECE, 15 bins), the ensemble's — 'meanProb' (the mean of the members' probabilities) and 'vote'
// (the majority class) — and the calibration gain: the members' mean ECE minus the ensemble's.
// Writes member-<k>.safetensors per member, ensemble.jsonl and report.html to the run directory.

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { buildModel, loadDataset, makeOptimizer, makeScheduler, type ModelName, type RunConfig } from './setup.js';

/** One member's (or the ensemble's) test figures. */
export interface EnsembleRow {
  name: string;
  seed?: number;
  accuracy: number;
  /** Expected calibration error of the probabilities (15 equal-width bins); none for 'vote'. */
  ece?: number;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

export async function trainEnsemble(config: RunConfig & { ensemble: number }, out: string): Promise<void> {
  const info = await sg.init();
  const { train, test, numClasses, inputShape } = await loadDataset(config.dataset, { count: config.count, seed: config.seed });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const log = join(out, 'ensemble.jsonl');
  console.log(`shadergrad train --ensemble ${config.ensemble}: ${config.model} on ${config.dataset}, ${train.length} training samples, ${test.length} test samples`);
  const members: sg.nn.Module[] = [];
  const rows: EnsembleRow[] = [];
  const C = numClasses;
  const meanProb = new Float64Array(test.length * C);
  for (let k = 0; k < config.ensemble; k++) {
    const seed = config.seed + k;
    sg.nn.manualSeed(seed);
    const model = buildModel(config.model as ModelName, inputShape, numClasses);
    const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr, weightDecay: config.weightDecay, scheduler: makeScheduler(config.scheduler, config.epochs) });
    const h = await sg.train.fit(model, {
      data: train, validationSplit: 0.1, loss: 'crossEntropy', optimizer, epochs: config.epochs, batchSize: config.batchSize, seed,
      earlyStopping: { patience: config.patience }, precision: config.precision ?? 'f32',
    });
    optimizer.dispose();
    await sg.save(model, join(out, `member-${k}.safetensors`));
    const ev = await sg.train.evaluate(model, test, { batchSize: 256 });
    const probs = ev.probabilities!;
    for (let i = 0; i < probs.length; i++) meanProb[i] += probs[i] / config.ensemble;
    const ece = await sg.metrics.expectedCalibrationError({ values: probs, shape: [test.length, C] }, test.y as Int32Array);
    const row = { name: `member ${k}`, seed, accuracy: ev.accuracy ?? NaN, ece };
    rows.push(row);
    members.push(model);
    appendFileSync(log, `${JSON.stringify({ ...row, epochs: h.epochs.length })}\n`);
    console.log(`member ${k} (seed ${seed}): test accuracy ${row.accuracy.toFixed(4)} · ECE ${ece.toFixed(4)} (${h.epochs.length} epochs)`);
  }
  // The ensemble's outputs through sg.nn.ensemble; its probabilities (the mean) for the calibration.
  const meanEval = await sg.train.evaluate(sg.nn.ensemble(members, { mode: 'meanProb' }), test, { batchSize: 256 });
  const voteEval = await sg.train.evaluate(sg.nn.ensemble(members, { mode: 'vote' }), test, { batchSize: 256 });
  const ensembleEce = await sg.metrics.expectedCalibrationError({ values: meanProb, shape: [test.length, C] }, test.y as Int32Array);
  const mean: EnsembleRow = { name: 'ensemble (mean probability)', accuracy: meanEval.accuracy ?? NaN, ece: ensembleEce };
  const vote: EnsembleRow = { name: 'ensemble (majority vote)', accuracy: voteEval.accuracy ?? NaN };
  const membersEce = rows.reduce((s, r) => s + r.ece!, 0) / rows.length;
  const membersAcc = rows.reduce((s, r) => s + r.accuracy, 0) / rows.length;
  const summary = { members: config.ensemble, meanMemberAccuracy: membersAcc, ensembleAccuracy: mean.accuracy, voteAccuracy: vote.accuracy, meanMemberEce: membersEce, ensembleEce, calibrationGain: membersEce - ensembleEce };
  appendFileSync(log, `${JSON.stringify({ ensemble: summary })}\n`);
  console.log(`ensemble of ${config.ensemble}: test accuracy ${mean.accuracy.toFixed(4)} (mean probability), ${vote.accuracy.toFixed(4)} (majority vote) vs ${membersAcc.toFixed(4)} for the mean member`);
  console.log(`calibration: ECE ${ensembleEce.toFixed(4)} for the ensemble vs ${membersEce.toFixed(4)} for the mean member (gain ${(membersEce - ensembleEce).toFixed(4)})`);
  const table = [...rows, mean, vote].map((r) => `<tr><td style="text-align:left">${esc(r.name)}</td><td>${r.seed ?? '–'}</td><td>${r.accuracy.toFixed(4)}</td><td>${r.ece === undefined ? '–' : r.ece.toFixed(4)}</td></tr>`).join('');
  writeFileSync(join(out, 'report.html'), `<!doctype html><html><head><meta charset="utf-8"><title>shadergrad: ensemble of ${config.ensemble}</title><style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}code{background:#f4f4f4;padding:1px 4px}
</style></head><body><h1>shadergrad: an ensemble of ${config.ensemble} ${esc(config.model)} models on ${esc(config.dataset)}</h1>
<p>adapter <code>${esc(`${info.vendor} ${info.architecture} ${info.description}`.trim())}</code> · ${train.length} training samples (10 % validation) · ${test.length} test samples · ${config.epochs} epochs each</p>
<p>Each member has its own seed (initialisation and shuffling); the data split is the run's. ECE: expected calibration error, 15 equal-width confidence bins (lower is better calibrated).</p>
<table><tr><th>model</th><th>seed</th><th>test accuracy</th><th>ECE</th></tr>${table}</table>
<p>The ensemble against the mean member: accuracy ${membersAcc.toFixed(4)} → ${mean.accuracy.toFixed(4)}; ECE ${membersEce.toFixed(4)} → ${ensembleEce.toFixed(4)} (calibration gain ${(membersEce - ensembleEce).toFixed(4)}).</p>
</body></html>`);
  console.log(`wrote ${log}, ${join(out, 'report.html')} and ${config.ensemble} member checkpoints`);
}
