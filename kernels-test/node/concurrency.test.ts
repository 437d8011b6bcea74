// Reads, steps and assigns issued from several async tasks at once: every read must see the state
// at the point of the program where it was issued (src/runtime/queue.ts). Each case failed before the
// ordered queue: concurrent reads of one lazy tensor gave zeros or a disposed tensor's stale values,
// and reads issued between plan.run() calls all saw the weights after the last step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor, PlanOptimizer } from '../../src/index.js';
import { rng } from '../harness.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const sgdOps = (lr: number): PlanOptimizer => ({
  stateCount: 0,
  update: (p, g) => ({ param: sg.add(p, sg.scale(g, -lr)), states: [] }),
  hyper: () => ({ alpha: -lr }),
});

/** Yield to the event loop a random number of times (0–3): interleaves the tasks differently. */
async function jitter(rand: () => number): Promise<void> {
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    if (rand() < 0.5) await Promise.resolve();
    else await new Promise((r) => setTimeout(r, 0));
  }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) return false;
  return true;
}

describe('concurrent reads', () => {
  it('two reads of one lazy tensor both get its values', async () => {
    const x = sg.tensor([1, 2, 3, 4], [4]);
    const y = sg.exp(sg.mul(x, x)); // cold: exp/mul pipelines may still be compiling
    const [a, b] = await Promise.all([y.data(), y.data()]);
    const want = [1, 4, 9, 16].map(Math.exp);
    expect(close(a, want)).toBe(true);
    expect(close(b, want)).toBe(true);
  });

  it('a read of a lazy tensor is not served from a disposed tensor\'s recycled buffer', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const old = sg.tensor(new Float32Array(64).fill(42), [64]);
      await old.data();
      const x = sg.tensor(new Float32Array(64).fill(1), [64]);
      const y = sg.exp(x);
      const first = y.data();
      old.dispose(); // its buffer goes back to the pool while y's submission may still wait
      const z = sg.tensor(new Float32Array(64).fill(42), [64]); // may reuse a buffer y's commands bind
      const [a, b] = await Promise.all([first, y.data()]);
      expect(Array.from(a).every((v) => Math.abs(v - Math.E) < 1e-5)).toBe(true);
      expect(Array.from(b).every((v) => Math.abs(v - Math.E) < 1e-5)).toBe(true);
      z.dispose();
    }
  });

  it('overlapping graphs read from many tasks with random await points (warm and cold pipelines)', async () => {
    const rand = rng(1234);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + Math.floor(rand() * 50);
      const vals = Float32Array.from({ length: n }, () => rand() * 2 - 1);
      const x = sg.tensor(vals, [n]);
      // A lazy prefix shared by every read.
      const prefix = sg.tanh(sg.add(sg.mul(x, x), 0.5));
      const graphs: [() => Tensor, (v: number) => number][] = [
        [() => sg.mul(prefix, 3), (v) => 3 * Math.tanh(v * v + 0.5)],
        [() => sg.sigmoid(prefix), (v) => 1 / (1 + Math.exp(-Math.tanh(v * v + 0.5)))],
        [() => sg.sub(prefix, x), (v) => Math.tanh(v * v + 0.5) - v],
        [() => prefix, (v) => Math.tanh(v * v + 0.5)],
      ];
      const tasks = Array.from({ length: 4 + Math.floor(rand() * 4) }, async (_, k) => {
        await jitter(rand);
        const [make, f] = graphs[(k + trial) % graphs.length];
        const t = make();
        await jitter(rand);
        const got = await t.data();
        return close(got, Array.from(vals, f));
      });
      const ok = await Promise.all(tasks);
      expect(ok.every(Boolean), `trial ${trial}: ${ok.join(', ')}`).toBe(true);
    }
  });

  it('a graph built on a tensor whose read is still in flight reads its values', async () => {
    const x = sg.tensor([1, 2], [2]);
    const y = sg.relu(x);
    const first = y.data();
    const second = sg.add(y, 1).data();
    const [a, b] = await Promise.all([first, second]);
    expect(Array.from(a)).toEqual([1, 2]);
    expect(Array.from(b)).toEqual([2, 3]);
  });
});

describe('program order', () => {
  it('reads issued between plan.run() calls see the weights after their own step', async () => {
    const steps = 12;
    const rand = rng(99);
    const X = Float32Array.from({ length: 8 * 5 }, () => rand() * 2 - 1);
    const Y = Float32Array.from({ length: 8 }, () => rand() * 2 - 1);
    const W0 = Float32Array.from({ length: 5 }, () => rand() * 2 - 1);
    const run = async (interleaved: boolean) => {
      const w = sg.tensor(W0, [1, 5], { name: 'w' });
      const plan = await sg.compile((x, y) => sg.mseLoss(sg.matmul(x, w, { transB: true }), y), {
        inputs: [{ shape: [8, 5] }, { shape: [8, 1] }], params: [w], optimizer: sgdOps(0.1),
      });
      const seen: Float32Array[] = [];
      if (interleaved) {
        // Issue every step and every read without awaiting: read k must see step k's weights.
        const reads: Promise<Float32Array | Int32Array>[] = [];
        for (let k = 0; k < steps; k++) {
          plan.run(X, Y);
          reads.push(w.data());
        }
        for (const r of await Promise.all(reads)) seen.push(r as Float32Array);
      } else {
        for (let k = 0; k < steps; k++) {
          plan.run(X, Y);
          seen.push((await w.data()) as Float32Array);
        }
      }
      await plan.flush();
      plan.dispose();
      return seen;
    };
    const sequential = await run(false);
    const interleaved = await run(true);
    for (let k = 0; k < steps; k++) expect(close(interleaved[k], sequential[k], 1e-6), `step ${k + 1}`).toBe(true);
    // The weights do change from step to step (the comparison is not trivially true).
    expect(close(sequential[0], sequential[steps - 1], 1e-6)).toBe(false);
  });

  it('a read issued before an unawaited assign sees the old values, one after it the new', async () => {
    const t = sg.tensor([1, 2, 3], [3]);
    await t.data();
    const before = t.data();
    const done = sg.assign(t, sg.mul(sg.tensor([1, 2, 3], [3]), 10));
    const after = t.data();
    const [a, , b] = await Promise.all([before, done, after]);
    expect(Array.from(a)).toEqual([1, 2, 3]);
    expect(Array.from(b)).toEqual([10, 20, 30]);
  });

  it('plan.run() with a lazy tensor input waits for the tensor, in order', async () => {
    const w = sg.tensor([0.5], [1, 1]);
    const plan = await sg.compile((x) => sg.sum(sg.mul(x, w)), { inputs: [{ shape: [4, 1] }], params: [w], optimizer: sgdOps(0) });
    const x = sg.mul(sg.tensor([1, 2, 3, 4], [4, 1]), 2);
    await sg.realise(x);
    plan.run(x);
    const hist = await plan.flush();
    expect(hist[hist.length - 1].values.loss[0]).toBeCloseTo(0.5 * 20, 5);
    plan.dispose();
  });

  // Ops are lazy, but an op recorded before a write in place must see the values from before it,
  // as in PyTorch (where the op has already run). Each failed before: the op read the new values.
  it('an op recorded before an assign computes from the old values (and a view of it too)', async () => {
    const w = sg.tensor([1, 2, 3], [3], { name: 'w' });
    await w.data();
    const y = sg.mul(w, 2);
    const z = sg.add(sg.reshape(w, [3, 1]), 1); // through a view
    const kept = sg.mul(w, 3);
    kept.dispose(); // a disposed reader is skipped
    await sg.assign(w, sg.tensor([10, 20, 30], [3]));
    expect(Array.from(await y.data())).toEqual([2, 4, 6]);
    expect(Array.from(await z.data())).toEqual([2, 3, 4]);
    expect(Array.from(await sg.mul(w, 2).data())).toEqual([20, 40, 60]); // recorded after: new values
  });

  it('an op recorded before an eager optimizer step, or before sg.load, sees the old weights', async () => {
    const model = sg.nn.sequential(sg.nn.linear(2, 2, { seed: 1 }));
    const [w] = model.parameters();
    const w0 = Array.from(await w.data());
    const opt = sg.optim.sgd(model.parameters(), { lr: 0.5 });
    const x = sg.tensor([1, -1, 2, 0.5], [2, 2]);
    const [, grads] = await sg.valueAndGrad(() => sg.sum(model.forward(x)), model.parameters())(...model.parameters());
    const before = sg.mul(w, 1);
    await opt.step(grads);
    expect(Array.from(await before.data())).toEqual(w0);
    expect(close(await w.data(), w0, 1e-6)).toBe(false); // the step did change w

    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(mkdtempSync(join(tmpdir(), 'sg-order-')), 'm.safetensors');
    await sg.save(model, path);
    const other = sg.nn.sequential(sg.nn.linear(2, 2, { seed: 7 }));
    const [v] = other.parameters();
    const v0 = Array.from(await v.data());
    const beforeLoad = sg.add(v, 0);
    await sg.load(other, path);
    expect(Array.from(await beforeLoad.data())).toEqual(v0);
    expect(close(await v.data(), await w.data(), 0)).toBe(true);
    opt.dispose();
  });

  it('an op recorded before plan.run() sees the weights before that step', async () => {
    const w = sg.tensor([0.5, -0.25], [1, 2], { name: 'w' });
    const plan = await sg.compile((x) => sg.sum(sg.matmul(x, w, { transB: true })), { inputs: [{ shape: [3, 2] }], params: [w], optimizer: sgdOps(0.1) });
    const X = new Float32Array([1, 2, 3, 4, 5, 6]);
    plan.run(X);
    const afterOne = sg.mul(w, 1); // recorded between the steps: the weights after step 1
    plan.run(X);
    plan.run(X);
    const got = await afterOne.data();
    // Each step subtracts 0.1 · Σ_rows x: [9, 12].
    expect(close(got, [0.5 - 0.9, -0.25 - 1.2], 1e-5)).toBe(true);
    expect(close(await w.data(), [0.5 - 2.7, -0.25 - 3.6], 1e-5)).toBe(true);
    await plan.flush();
    plan.dispose();
  });
});
