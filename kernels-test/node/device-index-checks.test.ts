// Out-of-range indices that only the GPU sees (more values than the host checks, values computed by
// kernels, inputs of a compiled plan): the kernel that meets one reports it (src/runtime/device-errors.ts)
// and the next read throws an IndexOutOfRangeError naming the op, the index, its position and the
// valid range, like PyTorch's device-side assert. Valid inputs, ignoreIndex included, never throw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

const N = 5000; // above the host's copy limit (4,096 values): only the GPU sees these indices

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

function labels(n: number, classes: number, bad?: { at: number; value: number }): Int32Array {
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  if (bad) y[bad.at] = bad.value;
  return y;
}
const i32 = (v: Int32Array, shape = [v.length]) => sg.tensor(v, shape, { dtype: 'i32' });

describe('crossEntropy targets', () => {
  it('a label >= C in a large GPU tensor: the read throws naming the op, the label, the row and [0, C)', async () => {
    const logits = sg.tensor(new Float32Array(N * 3).map((_, i) => Math.sin(i)), [N, 3]);
    const loss = sg.crossEntropy(logits, i32(labels(N, 3, { at: 4321, value: 7 })));
    const err = await loss.data().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(sg.IndexOutOfRangeError);
    expect((err as Error).message).toMatch(
      /crossEntropy: target 7 \(row 4321\) is out of range: class indices must be in \[0, 3\) or equal ignoreIndex \(-100\)/);
    expect(err).toMatchObject({ op: 'crossEntropy', index: 7, position: 4321, range: 3 });
    // The flags are cleared: the next reads (valid work) succeed.
    const good = sg.crossEntropy(logits, i32(labels(N, 3)));
    expect(Number.isFinite(await good.item())).toBe(true);
  });

  it('a negative label, and the count of bad labels, on the hardware kernels too', async () => {
    for (const rules of ['software', 'hardware'] as const) {
      sg.setKernelRules(rules);
      try {
        const y = labels(N, 4);
        y[10] = -3;
        y[20] = 9;
        const loss = sg.crossEntropy(sg.tensor(new Float32Array(N * 4), [N, 4]), i32(y));
        await expect(loss.data()).rejects.toThrow(/crossEntropy: target (-3 \(row 10\)|9 \(row 20\)) is out of range: .*\[0, 4\).*\(2 out-of-range indices in all; this is the first\)/);
      } finally {
        sg.setKernelRules();
      }
    }
  });

  it('ignoreIndex is not an error; valid labels never throw', async () => {
    const y = labels(N, 3);
    y[5] = -100;
    y[6] = 2;
    const loss = sg.crossEntropy(sg.tensor(new Float32Array(N * 3).fill(1), [N, 3]), i32(y));
    expect(await loss.item()).toBeCloseTo(Math.log(3), 4);
    const y2 = labels(N, 3);
    y2[0] = 4;
    const ok = sg.crossEntropy(sg.tensor(new Float32Array(N * 3), [N, 3]), i32(y2), { ignoreIndex: 4 });
    expect(await ok.item()).toBeCloseTo(Math.log(3), 4);
  });

  it('labels computed on the GPU (argmax of a wider tensor), small as they are', async () => {
    const scores = sg.tensor(new Float32Array([0, 1, 0, 0, 0, 0, 0, 5, 3, 0, 0, 0]), [3, 4]); // argmax: 1, 3, 0
    const loss = sg.crossEntropy(sg.tensor(new Float32Array(9), [3, 3]), sg.argmax(scores, 1));
    await expect(loss.data()).rejects.toThrow(/crossEntropy: target 3 \(row 1\) is out of range: class indices must be in \[0, 3\)/);
  });

  it('the gradient read of a bad batch throws too (the forward reports it)', async () => {
    const logits = sg.tensor(new Float32Array(N * 2), [N, 2]);
    const y = i32(labels(N, 2, { at: N - 1, value: 2 }));
    const [g] = sg.grad((z: sg.Tensor) => sg.crossEntropy(z, y))(logits);
    await expect(g.data()).rejects.toThrow(/crossEntropy: target 2 \(row 4999\) is out of range/);
  });
});

describe('indexSelect, embedding and gather indices', () => {
  it('indexSelect: an index == the axis size, among more than 4,096 indices', async () => {
    const x = sg.tensor(new Float32Array(10 * 3).map((_, i) => i), [10, 3]);
    const idx = Int32Array.from({ length: N }, (_, i) => i % 10);
    idx[4097] = 10;
    const err = await sg.indexSelect(x, 0, i32(idx)).data().then(() => null, (e: unknown) => e);
    expect((err as Error).message).toMatch(/indexSelect \(also behind nn.embedding\): index 10 \(position 4097\) is out of range for an axis of size 10 \(valid: \[0, 10\)\)/);
    expect(err).toMatchObject({ name: 'IndexOutOfRangeError', op: 'indexSelect', index: 10, position: 4097, range: 10 });
  });

  it('nn.embedding with a token id >= numEmbeddings', async () => {
    const emb = sg.nn.embedding(50, 4, { seed: 1 });
    const ids = Int32Array.from({ length: N }, (_, i) => i % 50);
    ids[123] = 50;
    await expect(emb.forward(i32(ids, [50, N / 50])).data()).rejects.toThrow(/index 50 \(position 123\) is out of range for an axis of size 50/);
  });

  it('gather: a negative index, naming the dimension', async () => {
    const x = sg.tensor(new Float32Array(N * 2).map((_, i) => i), [N, 2]);
    const idx = Int32Array.from({ length: N * 2 }, (_, i) => i % 2);
    idx[2 * 4500 + 1] = -1;
    await expect(sg.gather(x, 1, i32(idx, [N, 2])).data()).rejects.toThrow(
      /gather: index -1 \(element 9001 of the index tensor\) is out of range for dimension 1 of size 2 \(valid: \[0, 2\)\)/);
  });
});

describe('compiled plans and fit', () => {
  it('a plan step with a bad label: the step read (run/flush) throws, not a NaN blamed on another op', async () => {
    const w = sg.tensor(new Float32Array(6).fill(0.1), [3, 2]);
    const plan = await sg.compile((x, y) => sg.crossEntropy(sg.matmul(x, w, { transB: true }), y), {
      inputs: [{ shape: [N, 2], name: 'x' }, { shape: [N], dtype: 'i32', name: 'y' }],
      params: [w], optimizer: sg.optim.sgd([w], { lr: 0.1 }),
    });
    const X = new Float32Array(N * 2).fill(1);
    plan.run(X, labels(N, 3));
    plan.run(X, labels(N, 3, { at: 77, value: 3 }));
    await expect(plan.flush()).rejects.toThrow(/crossEntropy: target 3 \(row 77\) is out of range: class indices must be in \[0, 3\)/);
    expect(plan.history.map((h) => Number.isNaN(h.values.loss[0]))).toEqual([false, true]); // the bad step's loss is NaN
    plan.dispose();
    // The flags were cleared: later reads of valid work succeed.
    expect(Number.isFinite(await sg.crossEntropy(sg.tensor(new Float32Array(N * 3), [N, 3]), i32(labels(N, 3))).item())).toBe(true);
  });

  it('steps whose outputs are not read back (readEvery): flush() reads the flags', async () => {
    const w = sg.tensor(new Float32Array(20).map((_, i) => i), [10, 2]);
    const plan = await sg.compile((idx) => sg.sum(sg.indexSelect(w, 0, idx)), {
      inputs: [{ shape: [N], dtype: 'i32', name: 'idx' }], params: [w], optimizer: sg.optim.sgd([w], { lr: 0.1 }), readEvery: 1000,
    });
    const idx = Int32Array.from({ length: N }, (_, i) => i % 10);
    idx[3000] = 11;
    plan.run(idx);
    await expect(plan.flush()).rejects.toThrow(/indexSelect.*index 11 \(position 3000\)/);
    plan.dispose();
  });

  it('fit with labels the model cannot output: it stops naming crossEntropy and the label', async () => {
    const x = new Float32Array(N * 2).map((_, i) => Math.cos(i));
    const y = labels(N, 3, { at: 2500, value: 5 });
    const data = sg.data.fromArrays(x, y, { xShape: [2] });
    const model = sg.nn.sequential(sg.nn.linear(2, 3));
    const optimizer = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    await expect(sg.train.fit(model, { data, loss: 'crossEntropy', optimizer, epochs: 1, batchSize: N, onWarning: () => {} }))
      .rejects.toThrow(/crossEntropy: target 5 \(row \d+\) is out of range: class indices must be in \[0, 3\)/);
    optimizer.dispose();
  });
});
