// PyTorch's semantics for where, clamp, arange, zeros, ones, randn, tril, triu, stack and cumsum
// (issue 14 item 3), beyond the case tables (kernels-test/cases/elementwise.ts): dtypes, edge cases,
// gradients at the boundaries, errors. Expected values are torch's for the same calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const vals = async (t: sg.Tensor) => Array.from(await t.data());

describe('where and clamp', () => {
  it('where: f32 mask (NaN counts as true), i32 mask, numbers for both branches, broadcasting', async () => {
    const c = sg.tensor([1, 0, NaN, -0], [4]);
    expect(await vals(sg.where(c, 10, 20))).toEqual([10, 20, 10, 20]);
    const ci = sg.tensor(new Int32Array([0, 3]), [2, 1], { dtype: 'i32' });
    const w = sg.where(ci, sg.tensor([1, 2, 3], [3]), -1);
    expect(w.shape).toEqual([2, 3]);
    expect(await vals(w)).toEqual([-1, -1, -1, 1, 2, 3]);
    expect(() => sg.where(c, sg.tensor(new Int32Array([1]), [1], { dtype: 'i32' }), 0)).toThrow(/where: a must be f32/);
    expect(() => sg.where(sg.tensor([1, 0], [2]), sg.tensor([1, 2, 3], [3]), 0)).toThrow(/where: .*broadcast/);
  });

  it('where: the gradient goes to the chosen branch, summed to its shape', async () => {
    const a = sg.tensor([1, 2, 3], [3]);
    const b = sg.tensor([5], [1]);
    const c = sg.tensor([1, 0, 1], [3]);
    const [ga, gb] = sg.grad((x: sg.Tensor, y: sg.Tensor) => sg.sum(sg.where(c, x, y)))(a, b);
    expect(await vals(ga)).toEqual([1, 0, 1]);
    expect(await vals(gb)).toEqual([1]);
  });

  it('clamp: bounds inclusive for the gradient, NaN stays, min > max gives max, tensor bounds get theirs', async () => {
    const x = sg.tensor([1, 1.5, 2, 3, 0], [5]);
    const [gx] = sg.grad((t: sg.Tensor) => sg.sum(sg.clamp(t, 1, 2)))(x);
    expect(await vals(sg.clamp(x, 1, 2))).toEqual([1, 1.5, 2, 2, 1]);
    expect(await vals(gx)).toEqual([1, 1, 1, 0, 0]); // torch: grad · (min ≤ x ≤ max)
    expect(await vals(sg.clamp(sg.tensor([NaN, 5], [2]), 0, 1))).toEqual([NaN, 1]);
    expect(await vals(sg.clamp(sg.tensor([-3, 0.5, 9], [3]), 2, 1))).toEqual([1, 1, 1]);
    const lo = sg.tensor([0.5], [1]);
    const [, glo] = sg.grad((t: sg.Tensor, l: sg.Tensor) => sg.sum(sg.clamp(t, l)))(sg.tensor([0, 1, 0.2], [3]), lo);
    expect(await vals(glo)).toEqual([2]);
    expect(() => sg.clamp(x)).toThrow(/clamp: give min, max or both/);
  });
});

describe('creation', () => {
  it('arange: integer and fractional steps, dtypes, empty ranges, errors', async () => {
    const a = sg.arange(5);
    expect([a.dtype, await vals(a)]).toEqual(['i32', [0, 1, 2, 3, 4]]);
    const f = sg.arange(1, 2.5, 0.5);
    expect([f.dtype, await vals(f)]).toEqual(['f32', [1, 1.5, 2]]);
    expect(await vals(sg.arange(5, 0, -2))).toEqual([5, 3, 1]);
    expect(sg.arange(0).shape).toEqual([0]);
    expect(sg.arange(3, undefined, 1, { dtype: 'f32' }).dtype).toBe('f32');
    expect(() => sg.arange(1, 0)).toThrow(/arange: upper bound and larger bound inconsistent with step sign/);
    expect(() => sg.arange(0, 3, 0)).toThrow(/arange: step must be nonzero/);
    expect(() => sg.arange(3, undefined, 1, { dtyp: 'f32' } as never)).toThrow(/arange: unknown option 'dtyp'/);
  });

  it('zeros, ones (dtype), randn (seeded by sg.manualSeed or its own seed; normal statistics)', async () => {
    expect(await vals(sg.zeros([2, 2]))).toEqual([0, 0, 0, 0]);
    const o = sg.ones([3], { dtype: 'i32' });
    expect([o.dtype, await vals(o)]).toEqual(['i32', [1, 1, 1]]);
    sg.manualSeed(7);
    const r1 = await vals(sg.randn([4000]));
    sg.manualSeed(7);
    const r2 = await vals(sg.randn([4000]));
    expect(r1).toEqual(r2);
    expect(await vals(sg.randn([5], { seed: 3 }))).toEqual(await vals(sg.randn([5], { seed: 3 })));
    const mean = r1.reduce((s, v) => s + v, 0) / r1.length;
    const sd = Math.sqrt(r1.reduce((s, v) => s + (v - mean) ** 2, 0) / r1.length);
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    expect(() => sg.zeros([2, -1])).toThrow(/zeros: shape must be an array of integers ≥ 0/);
  });

  it('tril / triu: exact zeros outside the triangle (inf and NaN do not leak), diagonals, batches', async () => {
    const x = sg.tensor([1, Infinity, NaN, 4], [2, 2]);
    expect(await vals(sg.tril(x))).toEqual([1, 0, NaN, 4]);
    expect(await vals(sg.triu(x))).toEqual([1, Infinity, 0, 4]);
    const y = sg.tensor(Float32Array.from({ length: 12 }, (_, i) => i + 1), [3, 4]);
    expect(await vals(sg.tril(y, -1))).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expect(await vals(sg.triu(y, 2))).toEqual([0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0]);
    expect(() => sg.tril(sg.tensor([1, 2], [2]))).toThrow(/tril: x .* must have at least 2 dimensions/);
  });

  it('stack and cumsum, with cumsum\'s gradient the reversed cumulative sum', async () => {
    const s = sg.stack([sg.tensor([1, 2], [2]), sg.tensor([3, 4], [2])], -1);
    expect([s.shape, await vals(s)]).toEqual([[2, 2], [1, 3, 2, 4]]);
    expect(() => sg.stack([sg.tensor([1], [1]), sg.tensor([1, 2], [2])])).toThrow(/stack: tensors\[1\] .* does not have the shape of tensors\[0\]/);
    expect(await vals(sg.cumsum(sg.tensor([1, 2, 3, 4], [4]), 0))).toEqual([1, 3, 6, 10]);
    const w = sg.tensor([1, 10, 100], [3]);
    const [g] = sg.grad((t: sg.Tensor) => sg.sum(sg.mul(sg.cumsum(t, -1), w)))(sg.tensor([0.5, 0.25, 2], [3]));
    expect(await vals(g)).toEqual([111, 110, 100]);
  });
});
