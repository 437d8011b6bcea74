// LoRA on the tiny GPT (issue 15 item 6, the course's example): pre-train sg.models.gpt on first names,
// then fine-tune only LoRA adapters on the attention output and MLP layers with names of one initial
// letter. The trainable parameters drop to a small share, the base weights stay as they were, the loss
// on the new subset falls, and merging the adapters keeps the outputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const T = 12;
const B = 16;

/** Training windows of a names stream and a compiled AdamW step over them; returns the mean loss of the last steps. */
async function train(model: sg.models.GPT, data: sg.data.TokenDataset, steps: number, lr: number): Promise<number> {
  const opt = sg.optim.adamW(model.parameters(), { lr, weightDecay: 0 });
  const plan = await sg.compile((x, y) => model.loss(x, y), {
    inputs: [{ shape: [B, T], dtype: 'i32' }, { shape: [B, T], dtype: 'i32' }], params: opt.params, optimizer: opt, readEvery: 1,
  });
  const n = data.x.length / T;
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const at = ((s * B) % Math.max(1, n - B)) * T;
    plan.run(data.x.subarray(at, at + B * T), (data.y as Int32Array).subarray(at, at + B * T));
    if (s % 20 === 19) {
      losses.push(...(await plan.drain()).map((r) => r.values.loss[0]));
    }
  }
  plan.dispose();
  opt.dispose();
  return losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
}

async function evalLoss(model: sg.models.GPT, data: sg.data.TokenDataset): Promise<number> {
  model.eval();
  const n = Math.min(64, data.x.length / T);
  const l = sg.tidy(() => model.loss(sg.tensor(data.x.subarray(0, n * T), [n, T], { dtype: 'i32' }), sg.tensor((data.y as Int32Array).subarray(0, n * T), [n, T], { dtype: 'i32' })));
  const v = await l.item();
  l.dispose();
  model.train();
  return v;
}

describe('LoRA fine-tuning of the tiny GPT', () => {
  it('pre-train on names, adapt to names starting with "k" with a small share of trainable parameters', async () => {
    const names = await sg.data.text.firstNames({ shuffle: true, seed: 1 });
    const all = sg.data.text.namesDataset(names.slice(0, 600), { blockSize: T, seed: 1 });
    const tok = all.tokenizer;
    const kNames = names.filter((n) => n.startsWith('k') && [...n].every((c) => tok.vocab.includes(c))).slice(0, 200);
    // The subset's windows, encoded with the pre-training vocabulary.
    const stream = tok.encode(`.${kNames.join('.')}.`);
    const k = sg.data.text.languageModelDataset(stream, { blockSize: T, valFraction: 0, seed: 2, vocabSize: tok.size });
    const model = await sg.models.gpt({ vocab: tok.size, blockSize: T, layers: 2, heads: 2, dim: 32, dropout: 0, seed: 3 });
    await train(model, all.train, 120, 3e-3);
    const before = await evalLoss(model, k.train);
    const total = model.numParameters();
    const wrapped = sg.nn.applyLora(model, { rank: 4, alpha: 8, targets: ['out_proj', 'linear1', 'linear2'], seed: 4 });
    expect(wrapped).toHaveLength(6); // 3 per block
    const trainable = model.numParameters();
    expect(trainable / total).toBeLessThan(0.12);
    const base = await model.stateDict()['blocks.layers.0.linear1.base_layer.weight'].data();
    const after = (await train(model, k.train, 100, 1e-2), await evalLoss(model, k.train));
    expect(after).toBeLessThan(before - 0.15);
    expect(Array.from(await model.stateDict()['blocks.layers.0.linear1.base_layer.weight'].data())).toEqual(Array.from(base));
    // Merging folds the adapters into the base weights: same outputs, torch's plain keys again.
    const probe = sg.tensor(stream.subarray(0, T), [1, T], { dtype: 'i32' });
    model.eval();
    const y1 = await model.forward(probe).data();
    await sg.nn.mergeLora(model);
    const y2 = await model.forward(probe).data();
    let worst = 0;
    for (let i = 0; i < y1.length; i++) worst = Math.max(worst, Math.abs(y1[i] - y2[i]));
    expect(worst).toBeLessThan(1e-4);
    expect(Object.keys(model.stateDict())).toContain('blocks.layers.1.linear2.weight');
    console.log(`LoRA on the GPT: ${trainable} of ${total} parameters trainable (${(100 * trainable / total).toFixed(1)} %), 'k' names loss ${before.toFixed(3)} → ${after.toFixed(3)}`);
  });
});
