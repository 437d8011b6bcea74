// Gradient accumulation in compiled plans (issue 14 item 7): k micro-batches of b samples, the
// optimizer stepping on every k-th run with the mean gradient, equal one batch of k·b within f32
// rounding (the loss being a mean over the batch); the optimizer's step count advances per update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const b = 4;
const k = 3;
const X = Float32Array.from({ length: k * b * 5 }, (_, i) => Math.sin(i * 0.37));
const Y = Int32Array.from({ length: k * b }, (_, i) => i % 3);

function mlp(seed: number): sg.nn.Module {
  sg.manualSeed(seed);
  return sg.nn.sequential(sg.nn.linear(5, 8), sg.nn.tanh(), sg.nn.linear(8, 3));
}

async function train(accumulate: number, updates: number): Promise<{ params: number[]; steps: number; plan: sg.Plan }> {
  const model = mlp(7);
  const opt = sg.optim.adamW(model.parameters(), { lr: 0.05, weightDecay: 0.01 });
  const rows = b * k / accumulate;
  const plan = await sg.compile((x: Tensor, y: Tensor) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [rows, 5] }, { shape: [rows], dtype: 'i32' }], params: opt.params, optimizer: opt, accumulate,
  });
  for (let u = 0; u < updates; u++) {
    for (let m = 0; m < accumulate; m++) plan.run(X.subarray(m * rows * 5, (m + 1) * rows * 5), Y.subarray(m * rows, (m + 1) * rows));
  }
  await plan.flush();
  const params = (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
  const steps = opt.steps;
  opt.dispose();
  return { params, steps, plan };
}

describe('gradient accumulation', () => {
  it(`${k} micro-batches of ${b} == one batch of ${k * b} (AdamW, 3 updates)`, async () => {
    const big = await train(1, 3);
    const acc = await train(k, 3);
    expect(big.steps).toBe(3);
    expect(acc.steps).toBe(3); // one optimizer step per k runs
    let worst = 0;
    big.params.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - acc.params[i]) / Math.max(1, Math.abs(v)))));
    expect(worst).toBeLessThan(2e-6);
    expect(acc.plan.explain().map((r) => r.op)).toEqual(expect.arrayContaining(['accumulate gradients', `mean of ${k} gradients`]));
    big.plan.dispose();
    acc.plan.dispose();
  });

  it('the micro-steps do not move the weights; refuses a bad count or no optimizer', async () => {
    const model = mlp(3);
    const before = (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
    const opt = sg.optim.sgd(model.parameters(), { lr: 0.5 });
    const plan = await sg.compile((x: Tensor, y: Tensor) => sg.crossEntropy(model.forward(x), y), {
      inputs: [{ shape: [b, 5] }, { shape: [b], dtype: 'i32' }], params: opt.params, optimizer: opt, accumulate: 2,
    });
    plan.run(X.subarray(0, b * 5), Y.subarray(0, b));
    await plan.flush();
    expect((await sg.read(...model.parameters())).flatMap((v) => Array.from(v))).toEqual(before);
    plan.run(X.subarray(0, b * 5), Y.subarray(0, b));
    await plan.flush();
    expect((await sg.read(...model.parameters())).flatMap((v) => Array.from(v))).not.toEqual(before);
    plan.dispose();
    opt.dispose();
    await expect(sg.compile((x: Tensor) => sg.sum(x), { inputs: [{ shape: [2] }], accumulate: 2 })).rejects.toThrow(/compile: accumulate needs an optimizer/);
    await expect(sg.compile((x: Tensor) => sg.sum(x), { inputs: [{ shape: [2] }], accumulate: 0 })).rejects.toThrow(/compile: accumulate must be an integer ≥ 1, got 0/);
  });

  it('fit({ accumulate }) equals fit with a batch k times larger; an open group at the end is reported', async () => {
    const x = Float32Array.from({ length: 24 * 5 }, (_, i) => Math.cos(i * 0.21));
    const y = Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 3);
    const data = sg.data.fromArrays(x, y, { xShape: [5] });
    const run = async (batchSize: number, accumulate: number, epochs: number) => {
      const model = mlp(5);
      const optimizer = sg.optim.adam(model.parameters(), { lr: 0.02 });
      const warnings: string[] = [];
      await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer, epochs, batchSize, shuffle: false, accumulate, onWarning: (m) => warnings.push(m) });
      const params = (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
      const steps = optimizer.steps;
      optimizer.dispose();
      return { params, steps, warnings };
    };
    const big = await run(12, 1, 2);
    const acc = await run(4, 3, 2);
    expect([big.steps, acc.steps]).toEqual([4, 4]);
    big.params.forEach((v, i) => expect(Math.abs(v - acc.params[i])).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(v))));
    const open = await run(4, 4, 1); // 6 micro-batches: one group of 4 applied, 2 left open
    expect(open.steps).toBe(1);
    expect(open.warnings.join()).toMatch(/accumulate: the last 2 micro-batch\(es\) did not complete a group of 4 and were not applied/);
  });
});
