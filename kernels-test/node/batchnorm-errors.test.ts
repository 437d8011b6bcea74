// batchNorm's bad-input errors (each names the argument and the shapes), plus a few values worked out
// by hand from torch's definition (biased variance to normalise, unbiased in the running variance).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const t = (shape: number[], name?: string) => sg.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { name });

describe('batchNorm errors', () => {
  it('rejects one value per channel in training, like PyTorch', () => {
    expect(() => sg.batchNorm(t([1, 3]), { training: true }))
      .toThrow(/batchNorm: Expected more than 1 value per channel when training, got input size \[1, 3\]/);
    expect(() => sg.batchNorm(t([1, 4, 1]), { training: true })).toThrow(/Expected more than 1 value per channel when training, got input size \[1, 4, 1\]/);
    expect(() => sg.batchNorm(t([1, 2, 1, 1]), { training: true })).toThrow(/Expected more than 1 value per channel/);
    // One sample is fine when it has several spatial positions, and in eval mode.
    expect(() => sg.batchNorm(t([1, 2, 2, 1]), { training: true })).not.toThrow();
    expect(() => sg.batchNorm(t([1, 3]), { runningMean: t([3]), runningVar: t([3]) })).not.toThrow();
  });

  it('rejects x of rank < 2 or of dtype i32', () => {
    expect(() => sg.batchNorm(t([5], 'v'), { training: true })).toThrow(/batchNorm: x tensor 'v' \[5\] f32 must be \[N, C, \.\.\.\] with at least 2 dimensions/);
    const xi = sg.tensor(new Int32Array(6), [2, 3], { name: 'xi' });
    expect(() => sg.batchNorm(xi, { training: true })).toThrow(/batchNorm: x must be f32, got tensor 'xi' \[2, 3\] i32/);
  });

  it('rejects per-channel tensors of the wrong shape, naming them', () => {
    const x = t([4, 3], 'x');
    expect(() => sg.batchNorm(x, { weight: t([4], 'w'), training: true }))
      .toThrow(/batchNorm: weight tensor 'w' \[4\] f32 must be f32 of shape \[3\], one value per channel of x tensor 'x' \[4, 3\] f32/);
    expect(() => sg.batchNorm(x, { bias: t([1, 3], 'b'), training: true })).toThrow(/batchNorm: bias tensor 'b' \[1, 3\] f32 must be f32 of shape \[3\]/);
    expect(() => sg.batchNorm(x, { runningMean: t([2], 'rm'), runningVar: t([3]) })).toThrow(/batchNorm: runningMean tensor 'rm' \[2\] f32 must be f32 of shape \[3\]/);
    expect(() => sg.batchNorm(x, { runningMean: t([3]), runningVar: t([5], 'rv') })).toThrow(/batchNorm: runningVar tensor 'rv' \[5\] f32/);
  });

  it('needs both running statistics, and needs them in eval mode', () => {
    const x = t([4, 3]);
    expect(() => sg.batchNorm(x, { runningMean: t([3]), training: true })).toThrow(/runningMean and runningVar must be given together/);
    expect(() => sg.batchNorm(x)).toThrow(/eval mode \(training: false\) needs runningMean and runningVar/);
  });

  it('rejects bad momentum, eps and version', () => {
    const x = t([4, 3]);
    expect(() => sg.batchNorm(x, { training: true, momentum: NaN })).toThrow(/momentum must be a finite number, got NaN/);
    expect(() => sg.batchNorm(x, { training: true, eps: -1 })).toThrow(/eps must be a finite number ≥ 0, got -1/);
    expect(() => sg.batchNorm(x, { training: true, version: 'fast' as never })).toThrow(/unknown version 'fast' \(auto, fused or split\)/);
  });
});

describe('batchNorm values (worked by hand from torch semantics)', () => {
  it('normalises with the biased variance and updates the running variance with the unbiased one', async () => {
    // One channel with values 1 and 3: mean 2, biased var 1, unbiased var 2.
    const x = sg.tensor([1, 3], [2, 1]);
    const r = sg.batchNorm(x, { runningMean: sg.tensor([0], [1]), runningVar: sg.tensor([1], [1]), training: true, momentum: 0.1 });
    const [y, rm, rv, mean, rstd] = await sg.read(r.y, r.runningMean!, r.runningVar!, r.mean!, r.rstd!);
    const s = 1 / Math.sqrt(1 + 1e-5);
    expect(y[0]).toBeCloseTo(-s, 6);
    expect(y[1]).toBeCloseTo(s, 6);
    expect(mean[0]).toBeCloseTo(2, 6);
    expect(rstd[0]).toBeCloseTo(s, 6);
    expect(rm[0]).toBeCloseTo(0.9 * 0 + 0.1 * 2, 6);
    expect(rv[0]).toBeCloseTo(0.9 * 1 + 0.1 * 2, 6);
  });

  it('eval uses the running statistics, weight and bias', async () => {
    const x = sg.tensor([1, 2, 3, 4], [2, 2]);
    const y = await sg.batchNorm(x, {
      runningMean: sg.tensor([1, 2], [2]), runningVar: sg.tensor([4, 9], [2]), weight: sg.tensor([2, 3], [2]),
      bias: sg.tensor([0.5, -1], [2]), eps: 0,
    }).y.data();
    // channel 0: (x − 1)/2·2 + 0.5; channel 1: (x − 2)/3·3 − 1
    expect(Array.from(y)).toEqual([0.5, -1, 2.5, 1]);
  });
});
