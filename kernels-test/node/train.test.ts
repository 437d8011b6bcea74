// The training library end to end on small synthetic data: fit learns, the same seed gives the same
// losses, early stopping stops and restores the best weights, the optimizer classes give the same
// numbers eagerly and compiled, and a checkpoint round trip gives identical predictions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const mlp = (seed: number, classes = 3) => {
  sg.manualSeed(seed);
  return sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, classes));
};

describe('train.fit', () => {
  const data = sg.data.spiral({ n: 300, noise: 0.1, seed: 3 });

  it('learns the spiral and records a history', async () => {
    const model = mlp(1);
    const opt = sg.optim.adam(model.parameters(), { lr: 0.02 });
    const h = await sg.train.fit(model, { data, validationSplit: 0.2, loss: 'crossEntropy', optimizer: opt, epochs: 12, batchSize: 32, seed: 1 });
    expect(h.epochs.length).toBe(12);
    expect(h.epochs[11].trainLoss).toBeLessThan(h.epochs[0].trainLoss * 0.6);
    expect(h.epochs[11].valAccuracy!).toBeGreaterThan(0.6);
    expect(h.steps.length).toBe(12 * Math.ceil(240 / 32));
  });

  it('is reproducible: the same seed gives the same losses', async () => {
    const run = async () => {
      const model = mlp(7);
      const opt = sg.optim.sgd(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const h = await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer: opt, epochs: 3, batchSize: 50, seed: 5 });
      return h.steps.map((s) => s.loss);
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });

  it('stops early and restores the best weights', async () => {
    const model = mlp(2);
    // A learning rate this large makes the validation loss climb after the first epochs.
    const opt = sg.optim.sgd(model.parameters(), { lr: 3 });
    const h = await sg.train.fit(model, {
      data, validationSplit: 0.3, loss: 'crossEntropy', optimizer: opt, epochs: 30, batchSize: 30, seed: 2,
      earlyStopping: { patience: 2, restoreBest: true },
    }).catch((e) => e as Error);
    if (h instanceof Error) {
      // Diverging to NaN is also a stop: it must name the op.
      expect(h.message).toMatch(/loss became/);
      return;
    }
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBeLessThan(30);
    const best = h.epochs[h.bestEpoch - 1].valLoss!;
    // The restored weights give the best epoch's validation loss again.
    const split = sg.data.trainValTestSplit(data, { val: 0.3, test: 0, seed: 2, stratify: true });
    const e = await sg.train.evaluate(model, split.val, { loss: 'crossEntropy', batchSize: 256 });
    expect(Math.abs(e.loss! - best)).toBeLessThan(1e-4 * Math.max(1, best));
  });

  it('evaluate gives class probabilities and the one-vs-rest ROC / PR curves of each class', async () => {
    const model = mlp(4);
    const opt = sg.optim.adam(model.parameters(), { lr: 0.02 });
    await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer: opt, epochs: 4, batchSize: 32, seed: 1 });
    // Batches of 64 and a shorter last one: each batch's probabilities are placed by offset.
    const e = await sg.train.evaluate(model, data, { batchSize: 64 });
    const N = data.length;
    const p = e.probabilities!;
    expect(p.length).toBe(N * 3);
    for (let i = 0; i < N; i++) {
      const row = [p[3 * i], p[3 * i + 1], p[3 * i + 2]];
      expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1e-5);
      expect(row.indexOf(Math.max(...row))).toBe(e.predictions![i]);
    }
    const rows = Array.from({ length: N }, (_, i) => Array.from(p.subarray(3 * i, 3 * i + 3), Number));
    expect(e.rocAuc!).toBeCloseTo(sg.metrics.rocAuc(rows.map((r) => r.map((v) => v / (r[0] + r[1] + r[2]))), data.y) as number, 5);
    expect(e.averagePrecision!).toBeCloseTo(sg.metrics.averagePrecision(rows, data.y) as number, 12);
    expect(e.curves!.map((c) => c.class)).toEqual([0, 1, 2]);
    const c1 = e.curves![1];
    const want = sg.metrics.rocCurve(rows.map((r) => r[1]), Array.from(data.y, (y) => (y === 1 ? 1 : 0))) as sg.metrics.RocCurve;
    expect(Array.from(c1.roc.tpr)).toEqual(Array.from(want.tpr));
    expect(c1.pr.recall.at(-1)).toBe(0);
    expect(e.rocAuc!).toBeGreaterThan(0.6);
  });

  it('names the op when the loss becomes NaN', async () => {
    // fromArrays refuses non-finite values, so build the dataset by hand.
    const bad: sg.data.Dataset = { x: new Float32Array([NaN, 1, 2, 3, 4, 5, 6, 7]), y: new Int32Array([0, 1, 2, 0]), xShape: [2], yShape: [], numClasses: 3, length: 4 };
    const model = mlp(3);
    const opt = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    await expect(sg.train.fit(model, { data: bad, loss: 'crossEntropy', optimizer: opt, epochs: 1, batchSize: 4, shuffle: false }))
      .rejects.toThrow(/loss became NaN .* op '/);
  }, 120_000);
});

describe('optimizers', () => {
  it('eager steps equal compiled steps (Adam with clipping and L2)', async () => {
    const x = sg.tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)), [20, 2]);
    const y = sg.tensor(Int32Array.from({ length: 20 }, (_, i) => i % 3), [20], { dtype: 'i32' });
    const losses: number[][] = [];
    for (const mode of ['eager', 'compiled']) {
      const model = mlp(11);
      const opt = sg.optim.adam(model.parameters(), { lr: 0.05, clipNorm: 0.5, l2: 1e-3 });
      const out: number[] = [];
      if (mode === 'eager') {
        const ps = model.parameters();
        for (let s = 0; s < 5; s++) {
          const [loss, grads] = await sg.valueAndGrad(() => sg.crossEntropy(model.forward(x), y), ps)(...ps);
          out.push(await loss.item());
          await opt.step(grads);
        }
      } else {
        const plan = await sg.compile((xb, yb) => sg.crossEntropy(model.forward(xb), yb), {
          inputs: [{ shape: [20, 2] }, { shape: [20], dtype: 'i32' }], params: model.parameters(), optimizer: opt,
        });
        for (let s = 0; s < 5; s++) plan.run(x, y);
        out.push(...(await plan.flush()).map((h) => h.values.loss[0]));
        plan.dispose();
      }
      losses.push(out);
    }
    for (let i = 0; i < 5; i++) expect(Math.abs(losses[1][i] - losses[0][i])).toBeLessThanOrEqual(1e-5 * Math.abs(losses[0][i]));
    expect(losses[0][4]).toBeLessThan(losses[0][0]);
  });
});

describe('checkpoints', () => {
  it('save → load → identical predictions; a checkpoint of another model is refused with the differences', async () => {
    const data = sg.data.moons({ n: 64, seed: 1 });
    const model = mlp(4, 2);
    const opt = sg.optim.adam(model.parameters(), { lr: 0.05 });
    await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer: opt, epochs: 2, batchSize: 16, seed: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'sg-ckpt-'));
    const path = join(dir, 'model.safetensors');
    await sg.save(model, path, { metadata: { note: 'moons' } });
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    const x = sg.tensor(data.x, [64, 2]);
    model.eval();
    const before = await model.forward(x).data();
    const fresh = mlp(99, 2).eval();
    const meta = await sg.load(fresh, path);
    expect(meta.note).toBe('moons');
    expect(Array.from(await fresh.forward(x).data())).toEqual(Array.from(before));
    const other = sg.nn.sequential(sg.nn.linear(2, 8), sg.nn.relu(), sg.nn.linear(8, 2));
    await expect(sg.load(other, path)).rejects.toThrow(/shape of "0.weight": expected \[8, 2\] got \[16, 2\]/);
  });
});

describe('random layers in compiled steps', () => {
  it('dropout and augmentation draw new randomness every step, and none in eval', async () => {
    const x = sg.tensor(Float32Array.from({ length: 2 * 1 * 6 * 6 }, (_, i) => 1 + (i % 7)), [2, 1, 6, 6]);
    const model = sg.nn.sequential(sg.nn.randomAugment({ shift: 2, flip: 0.5, noise: 0.05 }), sg.nn.flatten(), sg.nn.dropout(0.5));
    const plan = await sg.compile(() => ({ y: model.forward(x) }), { inputs: [] });
    plan.run();
    plan.run();
    const [a, b] = (await plan.flush()).map((h) => Array.from(h.values.y));
    expect(a).not.toEqual(b);
    expect(a.filter((v) => v === 0).length).toBeGreaterThan(10); // dropout zeros about half
    plan.dispose();
    model.eval();
    expect(Array.from(await model.forward(x).data())).toEqual(Array.from(await sg.flatten(x, 1).data()));
  });
});
