// `shadergrad prune --run DIR --amount 0.5,0.7,0.9 [--structured] [--finetune-epochs N]`: how much of a
// trained run's model can go. For each amount, the run's weights are loaded into a fresh model and
// pruned (sg.nn.prune):
//   unstructured   globalUnstructured over every Linear / Conv2d weight: the `amount` of all their
//                  entries with the smallest |w|, wherever they are (the size on disk is unchanged:
//                  the zeros are stored);
//   --structured   lnStructured (L2, dim 0) on every Linear / Conv2d but the last: the `amount` of each
//                  layer's output units / channels with the smallest norm, then sg.nn.prune.compact
//                  builds the smaller model without them (fewer parameters, less work per step; a
//                  zero-padded conv after dropped channels that carry a constant, as in the default
//                  CNN, becomes a Conv2dWithConstantMap); where compact cannot shrink the model exactly,
//                  the masked model is scored with its dense parameter count and the reason printed.
// The test accuracy is measured after pruning and, with --finetune-epochs N, after N more epochs of
// training the pruned model (pruned entries stay 0) on the run's training split. prune.jsonl in the run
// directory gets a line per amount.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sg from '../index.js';
import { buildModel, loadDataset, makeOptimizer } from './setup.js';
import { readTrainedRun } from './runs.js';
import { UsageError, type Flags } from './args.js';
import { Conv2d, Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';

/** One amount's result (a line of prune.jsonl). */
export interface PruneResult {
  amount: number;
  structured: boolean;
  /** Parameters of the model (after compact, for structured pruning). */
  parameters: number;
  /** Structured pruning: how many convolutions became Conv2dWithConstantMap (a dropped channel's border map). */
  constantMaps?: number;
  /** Of those, the ones that are not zero. */
  nonzero: number;
  testAccuracy: number;
  /** With --finetune-epochs: after fine-tuning. */
  finetunedAccuracy?: number;
  /** Structured pruning whose model could not be compacted: why (the parameters are then the dense count). */
  notCompacted?: string;
}

/** `--amount 0.5,0.7` → [0.5, 0.7]: each in [0, 1). */
export function parseAmounts(s: string): number[] {
  return s.split(',').map((raw) => {
    const p = raw.trim();
    const v = Number(p);
    if (p === '' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new UsageError(`shadergrad prune: --amount must be fractions in [0, 1) separated by commas, got '${p}' in '${s}'`, 'prune');
    }
    return v;
  });
}

/** The Linear and Conv2d layers of a model, in order. */
function weighted(model: Module): Module[] {
  const out: Module[] = [];
  const walk = (m: Module) => {
    if (m instanceof Linear || m instanceof Conv2d) out.push(m);
    for (const [, c] of m.namedChildren()) walk(c);
  };
  walk(model);
  return out;
}

async function countNonzero(model: Module): Promise<number> {
  const values = await sg.read(...model.parameters());
  let n = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  return n;
}

export async function pruneRun(f: Flags<'prune'>): Promise<void> {
  const amounts = parseAmounts(f.amount);
  const { config, ckpt } = readTrainedRun('prune', f.run);
  await sg.init();
  const { train, test, numClasses, inputShape } = await loadDataset(config.dataset, { count: config.count, seed: config.seed });
  const fresh = async () => {
    const model = buildModel(config.model, inputShape, numClasses);
    await sg.load(model, ckpt);
    return model;
  };
  const accuracy = async (m: Module) => (await sg.train.evaluate(m, test, { batchSize: 256 })).accuracy ?? NaN;
  const dense = await fresh();
  const denseParams = dense.numParameters();
  const denseAcc = await accuracy(dense);
  if (weighted(dense).length < (f.structured ? 2 : 1)) {
    throw new UsageError(`shadergrad prune: the ${config.model} model has ${weighted(dense).length} Linear / Conv2d layer(s); ${f.structured ? 'structured pruning keeps the last one and needs another' : 'nothing to prune'}`, 'prune');
  }
  console.log(`shadergrad prune: ${config.model} from ${f.run} · ${denseParams} parameters · test accuracy ${denseAcc.toFixed(4)} (${test.length} samples)`);
  console.log(`${f.structured ? 'structured (L2 over output units / channels, then compact)' : 'unstructured (global L1 over every weight)'}` +
    `${f.finetuneEpochs ? `, then ${f.finetuneEpochs} epoch(s) of fine-tuning` : ''}`);
  const out = join(f.run, 'prune.jsonl');
  for (const amount of amounts) {
    let model: Module = await fresh();
    const layers = weighted(model);
    let note = '';
    let constantMaps: number | undefined;
    if (f.structured) {
      for (const l of layers.slice(0, -1)) await sg.nn.prune.lnStructured(l, 'weight', { amount, n: 2, dim: 0 });
      try {
        const compacted = await sg.nn.prune.compact(model);
        model = compacted.model;
        constantMaps = compacted.layers.filter((l) => l.constantMap).length;
      } catch (e) {
        // compact refuses what it cannot shrink exactly (e.g. a layer kind it does not know): the units
        // stay, zeroed by their masks, and the count is dense.
        note = ` (not compacted: ${(e as Error).message.replace(/^shadergrad: /, '')})`;
      }
    } else {
      await sg.nn.prune.globalUnstructured(layers.map((l) => [l, 'weight'] as [Module, string]), { amount });
    }
    const r: PruneResult = { amount, structured: f.structured, parameters: model.numParameters(), nonzero: 0, testAccuracy: await accuracy(model) };
    if (constantMaps !== undefined) r.constantMaps = constantMaps;
    if (note) r.notCompacted = note.slice(' (not compacted: '.length, -1);
    if (f.finetuneEpochs > 0) {
      const optimizer = makeOptimizer(config.optimizer, model.parameters(), { lr: config.lr });
      await sg.train.fit(model, { data: train, loss: 'crossEntropy', optimizer, epochs: f.finetuneEpochs, batchSize: config.batchSize, seed: config.seed });
      optimizer.dispose();
      r.finetunedAccuracy = await accuracy(model);
    }
    // Make the pruning permanent (weight = weight_orig × weight_mask) before counting what is left.
    for (const l of weighted(model)) if (sg.nn.prune.isPruned(l)) await sg.nn.prune.remove(l, 'weight');
    r.nonzero = await countNonzero(model);
    appendFileSync(out, `${JSON.stringify(r)}\n`);
    const compacted = constantMaps === undefined ? '' : `, compacted${constantMaps ? `: ${constantMaps} conv${constantMaps === 1 ? '' : 's'} with a constant map` : ''}`;
    console.log(`amount ${amount.toFixed(2)}: ${r.parameters} parameters (${(100 * r.parameters / denseParams).toFixed(1)} % of dense${compacted}), ${r.nonzero} nonzero · ` +
      `test accuracy ${r.testAccuracy.toFixed(4)}${r.finetunedAccuracy !== undefined ? ` → ${r.finetunedAccuracy.toFixed(4)} fine-tuned` : ''}${note}`);
  }
  console.log(`wrote ${out}`);
}
