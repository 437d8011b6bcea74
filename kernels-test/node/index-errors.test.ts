// Indexing ops and matmul variants beyond the case tables: clear errors for bad input (axes,
// shapes, out-of-range indices, pads), kernels that stay in bounds when indices were not checked
// on the host, empty results, the one-dispatch fused linear, and the split-K choice of 'auto'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { pickVersion, splitPlan } from '../../src/ops/matmul.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const f32 = (shape: number[], name?: string) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return sg.tensor(Float32Array.from({ length: n }, (_, i) => i + 1), shape, { name });
};
const i32 = (values: number[], shape = [values.length], name?: string) => sg.tensor(Int32Array.from(values), shape, { dtype: 'i32', name });

describe('concat errors', () => {
  it('rejects an empty list and scalars', () => {
    expect(() => sg.concat([])).toThrow(/concat: needs a non-empty array/);
    expect(() => sg.concat([sg.tensor([1], []), sg.tensor([2], [])])).toThrow(/zero-dimensional tensors cannot be concatenated/);
  });
  it('rejects a bad axis', () => {
    expect(() => sg.concat([f32([2, 3]), f32([2, 3])], 2)).toThrow(/concat: axis 2 is out of range for a tensor of rank 2/);
    expect(() => sg.concat([f32([2, 3]), f32([2, 3])], -3)).toThrow(/axis -3 is out of range/);
    expect(() => sg.concat([f32([2, 3]), f32([2, 3])], 0.5)).toThrow(/axis 0.5 is out of range/);
  });
  it('names the tensor whose shape does not fit', () => {
    expect(() => sg.concat([f32([2, 3], 'a'), f32([2, 4], 'b')], 0))
      .toThrow(/concat: tensors\[1\] tensor 'b' \[2, 4\] f32 does not fit tensors\[0\] tensor 'a' \[2, 3\] f32 along axis 0: expected shape \[\*, 3\]/);
    expect(() => sg.concat([f32([2, 3]), f32([2, 3, 1])], 1)).toThrow(/expected shape \[2, \*\]/);
  });
  it('rejects mixed dtypes', () => {
    expect(() => sg.concat([f32([2]), i32([1, 2])])).toThrow(/concat: tensors\[1\] .* is i32 but tensors\[0\] .* is f32/);
  });
  it('concatenates an empty piece', async () => {
    const y = sg.concat([f32([2, 0]), f32([2, 2])], 1);
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
  });
});

describe('slice and narrow errors', () => {
  it('rejects bad axes, steps and bounds', () => {
    const x = f32([4, 5], 'x');
    expect(() => sg.slice(x, 2, 0, 1)).toThrow(/slice: axis 2 is out of range for a tensor of rank 2/);
    expect(() => sg.slice(x, 0, 0, 4, 0)).toThrow(/slice: step must be a positive integer \(PyTorch has no negative steps\), got 0/);
    expect(() => sg.slice(x, 0, 0, 4, -1)).toThrow(/step must be a positive integer/);
    expect(() => sg.slice(x, 0, 0.5, 4)).toThrow(/slice: start must be an integer, got 0.5/);
    expect(() => sg.slice(sg.tensor([1], []), 0)).toThrow(/cannot slice a scalar/);
  });
  it('gives an empty result for an empty range, like Python', async () => {
    const x = f32([4, 5]);
    expect(sg.slice(x, 1, 3, 1).shape).toEqual([4, 0]);
    expect(sg.slice(x, 0, 10, 20).shape).toEqual([0, 5]);
    const y = sg.slice(x, 1, -100, 2);
    expect(y.shape).toEqual([4, 2]);
    expect(Array.from(await y.data())).toEqual([1, 2, 6, 7, 11, 12, 16, 17]);
  });
  it('gives a zero gradient where an empty slice took nothing', async () => {
    const x = f32([3, 2]);
    const [g] = sg.grad((u) => sg.sum(sg.slice(u, 0, 2, 2)), [x])(x);
    expect(Array.from(await g.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('narrow checks start and length like torch.narrow', () => {
    const x = f32([4, 5], 'x');
    expect(() => sg.narrow(x, 1, 6, 1)).toThrow(/narrow: start 6 is out of range for axis 1 of size 5 of tensor 'x'/);
    expect(() => sg.narrow(x, 1, -6, 1)).toThrow(/start -6 is out of range/);
    expect(() => sg.narrow(x, 1, 3, 3)).toThrow(/narrow: length 3 from 3 does not fit in axis 1 of size 5/);
    expect(() => sg.narrow(x, 0, 0, -1)).toThrow(/length -1/);
    expect(sg.narrow(x, 1, -2, 2).shape).toEqual([4, 2]);
  });
});

describe('pad errors', () => {
  let x: sg.Tensor;
  beforeAll(() => {
    x = f32([3, 4], 'x');
  });
  it('rejects odd-length and too-long pads', () => {
    expect(() => sg.pad(x, [1])).toThrow(/pad: pads must be an array of even length/);
    expect(() => sg.pad(x, [1, 1, 1, 1, 1, 1])).toThrow(/pad: 6 pad amounts cover 3 dimensions, but tensor 'x' \[3, 4\] f32 has 2/);
    expect(() => sg.pad(x, [1.5, 0])).toThrow(/pad amounts must be integers/);
  });
  it('rejects negative pads that crop more than the dimension has', () => {
    expect(() => sg.pad(x, [-5, 0])).toThrow(/pad: negative pads \(-5, 0\) crop 5 elements from dimension 1 of tensor 'x' \[3, 4\] f32, which has only 4/);
    expect(() => sg.pad(x, [0, 0, -2, -2])).toThrow(/crop 4 elements from dimension 0 .* which has only 3/);
    // Cropping more than the dimension on one side is wrong even if the other side pads it back.
    expect(() => sg.pad(x, [-5, 6])).toThrow(/crop 5 elements from dimension 1/);
  });
  it('crops a dimension to nothing and pads integers with integers only', () => {
    expect(sg.pad(x, [-2, -2]).shape).toEqual([3, 0]);
    expect(sg.pad(f32([0]), [2, 1], 3).shape).toEqual([3]);
    expect(() => sg.pad(i32([1, 2], [2], 'k'), [1, 1], 0.5)).toThrow(/pad: value 0.5 is not a 32-bit integer, as padding tensor 'k'/);
  });
  it('pads with the exact value, NaN and -Infinity included', async () => {
    const y = await sg.pad(f32([1]), [1, 1], -Infinity).data();
    expect(Array.from(y)).toEqual([-Infinity, 1, -Infinity]);
    const z = await sg.pad(f32([1]), [0, 1], NaN).data();
    expect(Number.isNaN(z[1])).toBe(true);
    expect(Array.from(await sg.pad(f32([0]), [2, 1], 3).data())).toEqual([3, 3, 3]);
    const k = await sg.pad(i32([5]), [2, 0], -2147483648).data();
    expect(Array.from(k)).toEqual([-2147483648, -2147483648, 5]);
  });
});

describe('gather, indexSelect and embedding errors', () => {
  let x: sg.Tensor;
  beforeAll(() => {
    x = f32([4, 3], 'x');
  });
  it('rejects bad axes and index dtypes', () => {
    expect(() => sg.gather(x, 2, i32([0], [1, 1]))).toThrow(/gather: axis 2 is out of range/);
    expect(() => sg.indexSelect(x, -3, i32([0]))).toThrow(/indexSelect: axis -3 is out of range/);
    expect(() => sg.gather(x, 0, f32([1, 1], 'idx'))).toThrow(/gather: index must be an i32 tensor of indices, got tensor 'idx' \[1, 1\] f32/);
    expect(() => sg.indexSelect(x, 0, f32([2], 'idx'))).toThrow(/indexSelect: indices must be an i32 tensor/);
    expect(() => sg.embedding(f32([2]), x)).toThrow(/embedding: indices must be an i32 tensor/);
  });
  it('rejects bad index shapes', () => {
    expect(() => sg.gather(x, 0, i32([0, 1], [2]))).toThrow(/gather: index .* must have the rank of x/);
    expect(() => sg.gather(x, 0, i32([0, 0, 0, 0], [1, 4]))).toThrow(/gather: index .* has size 4 in dimension 1, larger than x .*'s 3/);
    expect(() => sg.indexSelect(x, 0, i32([0, 1], [1, 2]))).toThrow(/indexSelect: indices must be 1-D/);
    expect(() => sg.embedding(i32([0]), f32([4]))).toThrow(/embedding: weight must be \[numEmbeddings, dim\]/);
  });
  it('rejects out-of-range indices known on the host, naming the tensor and the position', () => {
    expect(() => sg.indexSelect(x, 0, i32([0, 4], [2], 'rows')))
      .toThrow(/indexSelect: indices tensor 'rows' \[2\] i32 holds 4 at flat position 1, out of range for axis 0 of x tensor 'x' \[4, 3\] f32 of size 4 \(valid: 0 to 3\)/);
    expect(() => sg.indexSelect(x, 1, i32([-1]))).toThrow(/holds -1 at flat position 0/);
    expect(() => sg.gather(x, 1, i32([0, 3], [2, 1]))).toThrow(/gather: index .* holds 3 at flat position 1, out of range for axis 1/);
    expect(() => sg.embedding(i32([2, 9]), x)).toThrow(/embedding: indices .* holds 9 at flat position 1, out of range for the 4 rows of weight/);
  });
  it('a scalar index selects one entry and keeps the axis', async () => {
    const y = sg.indexSelect(x, 0, sg.tensor([2], [], { dtype: 'i32' }));
    expect(y.shape).toEqual([1, 3]);
    expect(Array.from(await y.data())).toEqual([7, 8, 9]);
  });
});

describe('indices the host never saw stay in bounds on the GPU', () => {
  // Index tensors this large keep no host copy, so nothing checks them before the kernel runs
  // (as inside compile()); out-of-range entries must give zeros and receive no gradient. The kernel
  // also reports them: every read of a result computed from them throws an IndexOutOfRangeError
  // (device-index-checks.test.ts has the messages), so the values are checked in a compiled plan's
  // history, which keeps what the step computed.
  const n = 5000;
  const values = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 7 : i % 5 === 1 ? -1 : i % 3));
  it('indexSelect forward and backward', async () => {
    const w = f32([3, 2]);
    await expect(sg.indexSelect(w, 0, i32(values)).data()).rejects.toThrow(sg.IndexOutOfRangeError);
    const plan = await sg.compile((idx) => ({
      y: sg.indexSelect(w, 0, idx),
      g: sg.grad((u) => sg.sum(sg.indexSelect(u, 0, idx)), [w])(w)[0],
    }), { inputs: [{ shape: [n], dtype: 'i32', name: 'idx' }] });
    plan.run(Int32Array.from(values));
    await expect(plan.flush()).rejects.toThrow(sg.IndexOutOfRangeError);
    const { y: out, g } = plan.history[0].values;
    for (let p = 0; p < 10; p++) {
      const v = values[p];
      const want = v < 0 || v >= 3 ? [0, 0] : [2 * v + 1, 2 * v + 2];
      expect([out[2 * p], out[2 * p + 1]]).toEqual(want);
    }
    const counts = [0, 1, 2].map((r) => values.filter((v) => v === r).length);
    expect(Array.from(g)).toEqual([counts[0], counts[0], counts[1], counts[1], counts[2], counts[2]]);
    plan.dispose();
  });
  it('gather forward and backward', async () => {
    const x = f32([n, 2]);
    const idxValues = values.map((v, i) => (i % 2 ? v : 1));
    await expect(sg.gather(x, 1, i32(idxValues, [n, 1])).data()).rejects.toThrow(sg.IndexOutOfRangeError);
    const plan = await sg.compile((idx) => ({
      y: sg.gather(x, 1, idx),
      g: sg.grad((u) => sg.sum(sg.gather(u, 1, idx)), [x])(x)[0],
    }), { inputs: [{ shape: [n, 1], dtype: 'i32', name: 'idx' }] });
    plan.run(Int32Array.from(idxValues));
    await expect(plan.flush()).rejects.toThrow(sg.IndexOutOfRangeError);
    const { y, g: gv } = plan.history[0].values;
    for (let p = 0; p < 10; p++) {
      const v = idxValues[p];
      expect(y[p]).toBe(v < 0 || v >= 2 ? 0 : 2 * p + 1 + v);
      expect([gv[2 * p], gv[2 * p + 1]]).toEqual([v === 0 ? 1 : 0, v === 1 ? 1 : 0]);
    }
    plan.dispose();
  });
});

describe('linear (fused matmul epilogue)', () => {
  it('rejects mismatched shapes and unknown activations', () => {
    expect(() => sg.linear(f32([2, 3]), f32([4, 5]))).toThrow(/linear: x \[2, 3\] has 3 input features, weight \[4, 5\] expects 5/);
    expect(() => sg.linear(f32([2, 3]), f32([4, 3]), f32([3]))).toThrow(/linear: bias must be \[4\] \(one per output feature\), got \[3\]/);
    expect(() => sg.linear(f32([2, 3]), f32([3]))).toThrow(/linear: weight must be \[out, in\]/);
    expect(() => sg.linear(f32([2, 3]), f32([4, 3]), null, { activation: 'gelu' as never })).toThrow(/linear: unknown activation 'gelu'/);
  });
  it('runs in one dispatch, where the composite takes three', async () => {
    const x = f32([5, 3]);
    const w = f32([4, 3]);
    const b = f32([4]);
    await sg.realise(x, w, b);
    const before = sg.stats().dispatches;
    const fused = await sg.linear(x, w, b, { activation: 'relu' }).data();
    const mid = sg.stats().dispatches;
    const composite = await sg.relu(sg.add(sg.matmul(x, w, { transB: true }), b)).data();
    const after = sg.stats().dispatches;
    expect(mid - before).toBe(1);
    expect(after - mid).toBe(3);
    expect(Array.from(fused)).toEqual(Array.from(composite));
  });
});

describe('inside compiled training steps', () => {
  /** Plain SGD written with elementwise ops: p ← p − lr·g. */
  const sgd = (lr: number): sg.PlanOptimizer => ({
    stateCount: 0, update: (p, g) => ({ param: sg.add(p, sg.scale(g, -lr)), states: [] }), hyper: () => ({ alpha: -lr }),
  });
  const vals = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed));

  it('a linear layer over a batch of 256 trains with split-K weight gradients, creating nothing per step', async () => {
    const batch = 256;
    const w = sg.tensor(vals(5 * 6, 1).map((v) => v * 0.3), [5, 6], { name: 'w' });
    const b = sg.tensor(vals(5, 2).map((v) => v * 0.1), [5], { name: 'b' });
    const X = vals(batch * 6, 3);
    const T = vals(batch * 5, 4).map((v) => 0.5 + 0.4 * v);
    const loss = (x: sg.Tensor, t: sg.Tensor) => sg.mean(sg.square(sg.sub(sg.linear(x, w, b, { activation: 'sigmoid' }), t)));
    const first = await loss(sg.tensor(X, [batch, 6]), sg.tensor(T, [batch, 5])).item();
    // The hardware rules pick split-K for dW (the software rules take reg, faster on SwiftShader).
    sg.setKernelRules('hardware');
    const plan = await sg.compile(loss, { inputs: [{ shape: [batch, 6] }, { shape: [batch, 5] }], params: [w, b], optimizer: sgd(0.5) })
      .finally(() => sg.setKernelRules());
    expect(plan.explainTable()).toMatch(/matmul_splitk/);
    plan.run(X, T);
    await plan.flush();
    sg.resetStats();
    for (let i = 0; i < 20; i++) {
      plan.run(X, T);
      if (i % 4 === 3) await plan.flush(); // keep within the readback ring, which grows if the CPU runs far ahead
    }
    const s = sg.stats();
    expect(s.buffersCreated).toBe(0);
    expect(s.pipelinesCreated).toBe(0);
    expect(s.bindGroupsCreated).toBe(0);
    const hist = (await plan.flush()).map((h) => Object.values(h.values)[0][0]);
    expect(hist.length).toBe(21);
    expect(Math.abs(hist[0] - first)).toBeLessThanOrEqual(1e-5 * first);
    expect(hist[20]).toBeLessThan(hist[0]);
    plan.dispose();
  });

  it('an embedding trains with indices given at run time (never seen on the host)', async () => {
    const E = sg.tensor(vals(7 * 3, 5), [7, 3], { name: 'E' });
    const idx = [0, 3, 3, 6, 1, 3, 0, 2, 5];
    const T = vals(idx.length * 3, 6);
    const loss = (i: sg.Tensor, t: sg.Tensor) => sg.mean(sg.square(sg.sub(sg.embedding(i, E), t)));
    const plan = await sg.compile(loss, {
      inputs: [{ shape: [idx.length], dtype: 'i32' }, { shape: [idx.length, 3] }], params: [E], optimizer: sgd(1),
    });
    for (let i = 0; i < 30; i++) plan.run(Int32Array.from(idx), T);
    const hist = (await plan.flush()).map((h) => Object.values(h.values)[0][0]);
    expect(hist[hist.length - 1]).toBeLessThan(hist[0] * 0.5);
    plan.dispose();
  });
});

describe('matmul split-K', () => {
  const attrs = { transA: false, transB: false, version: 'auto' as const };
  it("'auto' picks split-K for a long K and a small output, as the rule says", () => {
    expect(pickVersion({ ...attrs, transA: true }, { M: 10, N: 128, K: 512, batch: 1 }, false)).toBe('splitk'); // dW = xᵀ·dy
    expect(pickVersion(attrs, { M: 7, N: 5, K: 1000, batch: 1 }, false)).toBe('splitk');
    expect(pickVersion(attrs, { M: 10, N: 128, K: 511, batch: 1 }, false)).toBe('vec4'); // K < 4·max(M, N)
    expect(pickVersion(attrs, { M: 3, N: 5, K: 100, batch: 1 }, false)).toBe('tiled'); // K < 128: too short to split
    expect(pickVersion(attrs, { M: 200, N: 200, K: 4000, batch: 1 }, false)).toBe('vec4'); // output too large
    expect(pickVersion(attrs, { M: 64, N: 64, K: 4000, batch: 9 }, false)).toBe('vec4'); // batch·M·N too large
    expect(pickVersion({ ...attrs, version: 'splitk' }, { M: 300, N: 300, K: 3, batch: 1 }, false)).toBe('splitk'); // asked for
  });
  it("'auto' picks the register-blocked kernel on a software adapter, weight gradients included", () => {
    expect(pickVersion(attrs, { M: 256, N: 256, K: 256, batch: 1 }, true)).toBe('reg');
    expect(pickVersion({ ...attrs, transB: true }, { M: 3, N: 5, K: 100, batch: 1 }, true)).toBe('reg');
    expect(pickVersion({ ...attrs, transA: true }, { M: 10, N: 128, K: 512, batch: 1 }, true)).toBe('reg'); // split-K is 4–25× slower there
    expect(pickVersion({ ...attrs, version: 'vec4' }, { M: 64, N: 64, K: 64, batch: 1 }, true)).toBe('vec4'); // asked for
  });
  it('splits K into slices of a multiple of 16, at least 64 long, covering K exactly', () => {
    for (const [M, N, K, batch] of [[10, 128, 512, 1], [7, 5, 1000, 1], [3, 1, 1001, 1], [70, 3, 300, 1], [5, 3, 300, 2], [1, 1, 1, 1]]) {
      const { splits, kChunk } = splitPlan(M, N, K, batch);
      expect(kChunk % 16).toBe(0);
      expect(splits * kChunk).toBeGreaterThanOrEqual(K);
      expect((splits - 1) * kChunk).toBeLessThan(K);
      if (splits > 1) expect(kChunk).toBeGreaterThanOrEqual(64);
    }
    expect(splitPlan(10, 128, 512, 1)).toEqual({ splits: 8, kChunk: 64 });
    expect(splitPlan(1, 1, 10_000, 40_000).splits).toBe(1); // a large batch already gives enough workgroups
  });
  it('rejects an unknown version', () => {
    expect(() => sg.matmul(f32([2, 2]), f32([2, 2]), { version: 'fast' as never })).toThrow(/matmul: unknown version 'fast' \(auto, naive, tiled, vec4, splitk, reg, tile4x4, tile8x4, tile8x8, tile4x4v4, tile8x4v4, tile8x8v4, tile8x8db, subgroup, f16native\)/);
    expect(() => sg.linear(f32([2, 2]), f32([2, 2]), null, { version: 'fast' as never })).toThrow(/linear: unknown version 'fast' \(auto, tiled, reg, tile4x4, tile8x4, tile8x8, tile4x4v4, tile8x4v4, tile8x8v4, tile8x8db, subgroup, f16native\)/);
  });
});

describe('host-side index checks after a write in place', () => {
  it('use the values the buffer holds, not those the tensor was created with', async () => {
    const table = f32([3, 2]);
    const idx = i32([7, 0], [2], 'idx');
    // Created out of range (the host check would refuse it), then overwritten in range on the GPU.
    await sg.assign(idx, i32([2, 0]));
    expect(Array.from(await sg.embedding(idx, table).data())).toEqual([5, 6, 1, 2]);
    // And the other way: created in range, overwritten out of range: the GPU check reports it.
    const ok = i32([1, 0], [2], 'ok');
    await sg.assign(ok, i32([1, 9]));
    await expect(sg.embedding(ok, table).data()).rejects.toThrow(sg.IndexOutOfRangeError);
  });
});
