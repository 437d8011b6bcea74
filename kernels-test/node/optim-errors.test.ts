// Bad inputs to the optimizer ops: each error names the op, the argument and what was expected
// (tensors by describe(): name, shape, dtype), and is thrown when the op is recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(() => sg.init());
afterAll(() => sg.dispose());

const t = (shape: number[], name?: string, dtype: 'f32' | 'i32' = 'f32') =>
  sg.tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { name, dtype });

describe('shapes and dtypes of param, grad and state', () => {
  it('grad must have the shape of param', () => {
    expect(() => sg.sgdUpdate(t([5], 'p'), t([6], 'g'), null, { lr: 0.1 })).toThrow(
      /sgdUpdate: grad tensor 'g' \[6\] f32 must have the shape of param tensor 'p' \[5\] f32/);
    expect(() => sg.penaltyGrad(t([5], 'p'), t([5, 1], 'g'), { l1: 0.1 })).toThrow(/penaltyGrad: grad tensor 'g' \[5, 1\] f32 must have the shape of param/);
  });

  it('each state must have the shape of param', () => {
    expect(() => sg.sgdUpdate(t([5], 'p'), t([5]), t([4], 'buf'), { lr: 0.1, momentum: 0.9, firstStep: true })).toThrow(
      /sgdUpdate: momentumBuf tensor 'buf' \[4\] f32 must have the shape of param tensor 'p' \[5\]/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, t([2], 'avg'), { lr: 0.1, centered: true })).toThrow(
      /rmspropUpdate: gradAvg tensor 'avg' \[2\] f32 must have the shape of param/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3], 'm'), t([7], 'v'), null, { lr: 0.1, step: 1 })).toThrow(
      /adamUpdate: expAvgSq tensor 'v' \[7\] f32 must have the shape of param/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), t([1], 'vmax'), { lr: 0.1, step: 1, amsgrad: true })).toThrow(
      /adamUpdate: maxExpAvgSq tensor 'vmax' \[1\] f32 must have the shape of param/);
  });

  it('tensors must be f32', () => {
    expect(() => sg.adamUpdate(t([3]), t([3], 'g', 'i32'), t([3]), t([3]), null, { lr: 0.1, step: 1 })).toThrow(
      /adamUpdate: grad must be f32, got tensor 'g' \[3\] i32/);
    expect(() => sg.clipGradNorm(t([3], 'g', 'i32'), 1)).toThrow(/clipGradNorm: grad must be f32/);
  });

  it('a state is required exactly when its option uses it', () => {
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step: 1, amsgrad: true })).toThrow(
      /adamUpdate: maxExpAvgSq is required when amsgrad is true/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), t([3]), { lr: 0.1, step: 1 })).toThrow(
      /adamUpdate: maxExpAvgSq was given but is only used when amsgrad is true/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, null, { lr: 0.1, momentum: 0.9 })).toThrow(
      /rmspropUpdate: momentumBuf is required when momentum > 0/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, null, { lr: 0.1, centered: true })).toThrow(
      /rmspropUpdate: gradAvg is required when centered is true/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), null, { lr: 0.1, momentum: 0.9, firstStep: true })).toThrow(
      /sgdUpdate: momentumBuf is required when momentum ≠ 0/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1 })).toThrow(/sgdUpdate: momentumBuf was given but is only used when momentum ≠ 0/);
  });
});

describe('hyper-parameters', () => {
  it('lr < 0 (or not a finite number)', () => {
    expect(() => sg.sgdUpdate(t([3]), t([3]), null, { lr: -0.1 })).toThrow(/sgdUpdate: lr must be a finite number ≥ 0, got -0.1/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, null, { lr: -1 })).toThrow(/rmspropUpdate: lr must be a finite number ≥ 0, got -1/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: NaN, step: 1 })).toThrow(/adamUpdate: lr must be a finite number ≥ 0, got NaN/);
    expect(() => sg.adamWUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: Infinity, step: 1 })).toThrow(/adamWUpdate: lr must be a finite number ≥ 0/);
  });

  it('beta outside [0, 1)', () => {
    const run = (beta1: number, beta2: number) => () => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step: 1, beta1, beta2 });
    expect(run(1, 0.999)).toThrow(/adamUpdate: beta1 must be in \[0, 1\), got 1/);
    expect(run(-0.1, 0.999)).toThrow(/adamUpdate: beta1 must be in \[0, 1\), got -0.1/);
    expect(run(0.9, 1.5)).toThrow(/adamUpdate: beta2 must be in \[0, 1\), got 1.5/);
    expect(run(0.9, -1e-3)).toThrow(/beta2 must be in \[0, 1\)/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, null, { lr: 0.1, alpha: 1.2 })).toThrow(/rmspropUpdate: alpha must be in \[0, 1\], got 1.2/);
  });

  it('eps ≤ 0', () => {
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step: 1, eps: 0 })).toThrow(/adamUpdate: eps must be a finite number > 0, got 0/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step: 1, eps: -1e-8 })).toThrow(/eps must be a finite number > 0, got -1e-8/);
    expect(() => sg.rmspropUpdate(t([3]), t([3]), t([3]), null, null, { lr: 0.1, eps: 0 })).toThrow(/rmspropUpdate: eps must be a finite number > 0, got 0/);
  });

  it('step < 1 (or not an integer)', () => {
    const run = (step: number) => () => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step });
    expect(run(0)).toThrow(/adamUpdate: step must be an integer ≥ 1 \(the 1-based step number\), got 0/);
    expect(run(-3)).toThrow(/step must be an integer ≥ 1/);
    expect(run(1.5)).toThrow(/step must be an integer ≥ 1/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1, momentum: 0.9, step: 0 })).toThrow(/sgdUpdate: step must be an integer ≥ 1, got 0/);
  });

  it('other ranges: momentum, weight decay, nesterov, firstStep', () => {
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1, momentum: -0.5, firstStep: true })).toThrow(/sgdUpdate: momentum must be a finite number ≥ 0, got -0.5/);
    expect(() => sg.adamUpdate(t([3]), t([3]), t([3]), t([3]), null, { lr: 0.1, step: 1, weightDecay: -1 })).toThrow(/adamUpdate: weightDecay must be a finite number ≥ 0, got -1/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true, firstStep: true })).toThrow(
      /sgdUpdate: Nesterov momentum requires momentum > 0 and dampening = 0 \(got momentum 0.9, dampening 0.1\)/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1, momentum: 0.9 })).toThrow(/sgdUpdate: pass firstStep \(or step\) when momentum ≠ 0/);
    expect(() => sg.sgdUpdate(t([3]), t([3]), t([3]), { lr: 0.1, momentum: 0.9, firstStep: true, step: 3 })).toThrow(/sgdUpdate: firstStep true contradicts step 3/);
  });

  it('penalties and clipping', () => {
    expect(() => sg.penaltyGrad(t([3]), t([3]), { l1: -0.1 })).toThrow(/penaltyGrad: l1 must be a finite number ≥ 0, got -0.1/);
    expect(() => sg.penaltyValue(t([3]), { l2: NaN })).toThrow(/penaltyValue: l2 must be a finite number ≥ 0, got NaN/);
    expect(() => sg.clipGradNorm(t([3]), -1)).toThrow(/clipGradNorm: maxNorm must be a number ≥ 0, got -1/);
    expect(() => sg.clipGradNorm(t([3]), 1, { normType: 0 })).toThrow(/clipGradNorm: normType must be a number > 0 \(or Infinity\), got 0/);
    expect(() => sg.clipGradValue(t([3]), -0.5)).toThrow(/clipGradValue: clipValue must be a number ≥ 0, got -0.5/);
  });
});
