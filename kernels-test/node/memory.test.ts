// Memory that is freed: garbage-collected tensors give their buffers back, sg.tidy / `using` scope
// eager code, the leak report names where live tensors were made, and long eager runs and repeated
// fit() calls hold live buffers flat (counts from sg.stats(), never times).
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { rng } from '../harness.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collect garbage and let the FinalizationRegistry callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

describe('garbage collection', () => {
  it('a tensor that is no longer referenced gives its buffer back', async () => {
    await collect();
    const before = sg.stats();
    for (let i = 0; i < 200; i++) {
      const x = sg.tensor(new Float32Array(256).fill(i), [256]);
      await sg.relu(x).data(); // never disposed: only the GC can free x and relu(x)
    }
    await collect();
    const after = sg.stats();
    expect(after.liveTensors - before.liveTensors).toBeLessThanOrEqual(2);
    expect(after.buffersInUse - before.buffersInUse).toBeLessThanOrEqual(2);
  });
});

describe('sg.tidy and using', () => {
  it('disposes what the function made, keeps what it returns', () => {
    const x = sg.tensor([1, 2, 3], [3]);
    let inner: Tensor | undefined;
    const y = sg.tidy(() => {
      inner = sg.mul(x, 2);
      return sg.add(inner, 1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(y.isDisposed).toBe(false);
    expect(x.isDisposed).toBe(false); // made outside the scope
    return y.data().then((v) => expect(Array.from(v)).toEqual([3, 5, 7]));
  });

  it('returned tensors inside arrays and objects survive; keep() survives; nested scopes hand results up', async () => {
    const x = sg.tensor([1, 2], [2]);
    let kept: Tensor | undefined;
    let innerResult: Tensor | undefined;
    const out = sg.tidy(() => {
      kept = sg.keep(sg.exp(x));
      innerResult = sg.tidy(() => sg.neg(sg.square(x)));
      const dropped = sg.sqrt(x);
      void dropped;
      return { a: [sg.abs(innerResult)], b: new Map([['k', sg.sign(x)]]) };
    });
    expect(kept!.isDisposed).toBe(false);
    expect(innerResult!.isDisposed).toBe(true); // returned by the inner scope, not by the outer
    expect(Array.from(await out.a[0].data())).toEqual([1, 4]);
    expect(Array.from(await out.b.get('k')!.data())).toEqual([1, 1]);
  });

  it('works with async functions (the scope ends when the promise settles)', async () => {
    const x = sg.tensor([4, 9], [2]);
    let tmp: Tensor | undefined;
    const v = await sg.tidy(async () => {
      tmp = sg.sqrt(x);
      const values = await sg.add(tmp, 1).data();
      return Array.from(values);
    });
    expect(v).toEqual([3, 4]);
    expect(tmp!.isDisposed).toBe(true);
  });

  it('a disposed intermediate of a pending result is computed first (results stay right)', async () => {
    const x = sg.tensor([1, 2, 3], [3]);
    const y = sg.tidy(() => sg.mul(sg.add(x, 1), sg.add(x, 2))); // lazy: intermediates disposed at scope end
    expect(Array.from(await y.data())).toEqual([6, 12, 20]);
  });

  it('a result that is one output of a multi-output op stays realised when tidy disposes its siblings', async () => {
    // layerNorm's node also outputs mean and rstd, normalizeRows' the row norms: tidy disposes those.
    const w = sg.ones([4]);
    const x = sg.tensor([1, 2, 3, 4, 2, 2, 2, 6], [2, 4]);
    const y = sg.tidy(() => sg.layerNorm(sg.mul(x, 1), [4], w, w));
    const n = sg.tidy(() => sg.normalizeRows(sg.mul(x, 1)));
    const want = [-0.34164, 0.55279, 1.44721, 2.34164, 0.42265, 0.42265, 0.42265, 2.73205]; // (x − mean)/√(var + 1e-5) + 1
    (await y.data()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    expect((await n.data())[3]).toBeCloseTo(4 / Math.sqrt(30), 6);
  });

  it('`using` disposes at the end of the block', async () => {
    let seen: Tensor | undefined;
    {
      using t = sg.tensor([1, 2], [2]);
      seen = t;
      expect(Array.from(await t.data())).toEqual([1, 2]);
    }
    expect(seen.isDisposed).toBe(true);
    await expect(seen.data()).rejects.toThrow(/tensor #\d+ \[2\] f32 was disposed/);
  });
});

describe('leak report', () => {
  it('counts live tensors and names where they were created', () => {
    sg.debugLeaks(true);
    const base = sg.stats().liveTensors;
    const leaked = [sg.tensor([1], [1]), sg.tensor([2], [1])];
    expect(sg.stats().liveTensors).toBe(base + 2);
    const report = sg.leakReport();
    expect(report.live).toBeGreaterThanOrEqual(2);
    expect(report.sites[0].createdAt).toMatch(/memory\.test\.ts/);
    leaked.forEach((t) => t.dispose());
    expect(sg.stats().liveTensors).toBe(base);
    sg.debugLeaks(false);
  });
});

describe('long runs hold memory flat', () => {
  it('1,000 eager training steps (SGD with momentum, tidy per step): live buffers and bytes flat after warm-up', async () => {
    const rand = rng(5);
    const model = sg.nn.sequential(sg.nn.linear(6, 8), sg.nn.relu(), sg.nn.linear(8, 3));
    const params = model.parameters();
    const opt = sg.optim.sgd(params, { lr: 0.05, momentum: 0.9 });
    const x = sg.tensor(Float32Array.from({ length: 16 * 6 }, () => rand() * 2 - 1), [16, 6]);
    const y = sg.tensor(Int32Array.from({ length: 16 }, () => Math.floor(rand() * 3)), [16], { dtype: 'i32' });
    let at100: sg.Stats | undefined;
    let first = 0;
    let last = 0;
    for (let step = 1; step <= 1000; step++) {
      const loss = await sg.tidy(async () => {
        const [l, grads] = await sg.valueAndGrad(() => sg.crossEntropy(model.forward(x), y), params)(...params);
        await opt.step(grads);
        return l.item();
      });
      if (step === 1) first = loss;
      last = loss;
      if (step === 100) {
        await collect();
        at100 = sg.stats();
      }
    }
    await collect();
    const end = sg.stats();
    expect(last).toBeLessThan(first); // it trained
    expect(end.buffersInUse).toBeLessThanOrEqual(at100!.buffersInUse);
    expect(end.bytesInUse).toBeLessThanOrEqual(at100!.bytesInUse);
    expect(end.liveTensors).toBeLessThanOrEqual(at100!.liveTensors);
    // The pool stopped growing too: buffers are reused, not created.
    expect(end.bytesAllocated).toBeLessThanOrEqual(at100!.bytesAllocated);
  });

  it('20 fit() calls in one process: live buffers and bytes flat after the first', async () => {
    const data = sg.data.spiral({ n: 120, noise: 0.1, seed: 3 });
    const model = sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, 3));
    const opt = sg.optim.adam(model.parameters(), { lr: 0.01 });
    let after1: sg.Stats | undefined;
    for (let i = 0; i < 20; i++) {
      await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer: opt, epochs: 1, batchSize: 40, seed: i, validationSplit: 0.25 });
      if (i === 1) {
        await collect();
        after1 = sg.stats();
      }
    }
    await collect();
    const end = sg.stats();
    expect(end.buffersInUse).toBeLessThanOrEqual(after1!.buffersInUse);
    expect(end.bytesInUse).toBeLessThanOrEqual(after1!.bytesInUse);
    expect(end.liveTensors).toBeLessThanOrEqual(after1!.liveTensors);
  });

  it('evaluate() gives its plans\' input buffers back when it returns, without waiting for the collector', async () => {
    // A page that evaluates after every slider move (demos/compress) must not hold a buffer per call
    // until a GC: each disposed plan disposes its placeholder inputs (two plans here: batches of 40 and 20).
    const data = sg.data.spiral({ n: 100, noise: 0.1, seed: 4 });
    const model = sg.nn.sequential(sg.nn.linear(2, 8), sg.nn.relu(), sg.nn.linear(8, 3));
    await sg.train.evaluate(model, data, { batchSize: 40 });
    const before = sg.stats().buffersInUse;
    for (let i = 0; i < 10; i++) await sg.train.evaluate(model, data, { batchSize: 40 });
    expect(sg.stats().buffersInUse).toBe(before); // no collect(): what is in use is what was not given back
    const plan = await sg.compile((x: Tensor) => sg.relu(x), { inputs: [{ shape: [16] }] });
    const [placeholder] = plan.inputs;
    plan.dispose();
    expect(placeholder.isDisposed).toBe(true);
  });
});
