// Learning-rate schedules against values worked out by hand from PyTorch's formulas
// (torch.optim.lr_scheduler: the rate after `epoch` calls to scheduler.step()). CPU only.
import { describe, expect, it } from 'vitest';
import {
  constant, cosineAnnealing, exponentialLR, inverseSqrt, linearLR, lrCurve, multiStepLR, reduceOnPlateau, stepLR, warmup,
} from '../../src/optim/schedulers.js';

const close = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `epoch ${i}`).toBeCloseTo(want[i], 12));
};

describe('closed-form schedules', () => {
  it('constant', () => {
    close(lrCurve(constant(), 3, 0.01), [0.01, 0.01, 0.01]);
  });

  it('stepLR: base·γ^⌊e/stepSize⌋', () => {
    close(lrCurve(stepLR({ stepSize: 3, gamma: 0.5 }), 8, 0.1), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]);
    close(lrCurve(stepLR({ stepSize: 1 }), 3, 1), [1, 0.1, 0.01]); // default γ = 0.1
    // Per-step use with fractional epochs: the rate changes only at whole epochs.
    expect(stepLR({ stepSize: 3, gamma: 0.5 }).lrAt(2.99, 0.1)).toBe(0.1);
  });

  it('multiStepLR: γ per milestone passed; a repeated milestone counts twice', () => {
    close(lrCurve(multiStepLR({ milestones: [5, 2], gamma: 0.1 }), 7, 1), [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]);
    close(lrCurve(multiStepLR({ milestones: [3, 3], gamma: 0.5 }), 5, 2), [2, 2, 2, 0.5, 0.5]);
  });

  it('exponentialLR: base·γ^e', () => {
    close(lrCurve(exponentialLR({ gamma: 0.9 }), 4, 0.5), [0.5, 0.45, 0.405, 0.3645]);
  });

  it('cosineAnnealing: ηmin + (base − ηmin)(1 + cos(πe/T))/2, rising again after T as PyTorch', () => {
    const c1 = 0.01 + (0.09 * (1 + Math.SQRT1_2)) / 2; // 0.08681980515...
    const c3 = 0.01 + (0.09 * (1 - Math.SQRT1_2)) / 2; // 0.02318019484...
    close(lrCurve(cosineAnnealing({ tMax: 4, etaMin: 0.01 }), 9, 0.1), [0.1, c1, 0.055, c3, 0.01, c3, 0.055, c1, 0.1]);
    expect(c1).toBeCloseTo(0.0868198, 6);
    expect(cosineAnnealing({ tMax: 1 }).lrAt(0.5, 1)).toBeCloseTo(0.5, 12); // fractional epoch
    expect(cosineAnnealing({ tMax: 10 }).lrAt(10, 3)).toBeCloseTo(0, 12);
  });

  it('linearLR: factor from startFactor to endFactor over totalIters, then constant', () => {
    close(lrCurve(linearLR(), 7, 0.3), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3]); // defaults 1/3 → 1 over 5
    close(lrCurve(linearLR({ startFactor: 1, endFactor: 0.5, totalIters: 4 }), 6, 2), [2, 1.75, 1.5, 1.25, 1, 1]);
  });

  it('inverseSqrt: base·√w·min(1/√t, t/w^1.5), t = e + 1 (peak = base at t = w)', () => {
    close(lrCurve(inverseSqrt({ warmupSteps: 4 }), 5, 1), [0.25, 0.5, 0.75, 1, 2 / Math.sqrt(5)]);
    expect(inverseSqrt({ warmupSteps: 4 }).lrAt(15, 1)).toBeCloseTo(0.5, 12);
    close(lrCurve(inverseSqrt({ warmupSteps: 1 }), 4, 1), [1, 1 / Math.SQRT2, 1 / Math.sqrt(3), 0.5]);
  });

  it('warmup: linear ramp, then the inner schedule from its own epoch 0', () => {
    const s = warmup(cosineAnnealing({ tMax: 2 }), { steps: 3, startFactor: 0.1 });
    close(lrCurve(s, 6, 1), [0.1, 0.4, 0.7, 1, 0.5, 0]);
    expect(s.name).toMatch(/warmup\(steps=3.*cosineAnnealing/);
    close(lrCurve(warmup(stepLR({ stepSize: 1, gamma: 0.5 }), { steps: 0 }), 3, 1), [1, 0.5, 0.25]);
  });

  it('rejects bad options and bad calls with clear errors', () => {
    expect(() => stepLR({ stepSize: 0 })).toThrow(/optim\.stepLR: stepSize must be a positive integer, got 0/);
    expect(() => linearLR({ startFactor: 0 })).toThrow(/startFactor must be in \(0, 1\]/);
    expect(() => cosineAnnealing({ tMax: 0 })).toThrow(/tMax must be a finite number > 0/);
    expect(() => inverseSqrt({ warmupSteps: 0 })).toThrow(/warmupSteps/);
    expect(() => multiStepLR({ milestones: [1.5] })).toThrow(/milestones must be integers/);
    expect(() => exponentialLR({ gamma: NaN })).toThrow(/gamma/);
    expect(() => constant().lrAt(-1, 0.1)).toThrow(/epoch must be a finite number ≥ 0, got -1/);
    expect(() => constant().lrAt(0, NaN)).toThrow(/baseLr/);
    expect(() => warmup({} as never, { steps: 2 })).toThrow(/must be a scheduler/);
  });
});

describe('reduceOnPlateau (PyTorch ReduceLROnPlateau)', () => {
  it('min mode, relative threshold, patience and cooldown', () => {
    const s = reduceOnPlateau({ mode: 'min', factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1 });
    const metrics = [10, 9.5, 9.2, 9.1, 9.0, 8.95, 8.9, 8.9, 8.9, 8.9];
    // By hand: 10 is the best; 9.5, 9.2, 9.1 are not below 10·0.9 → 3 bad epochs > patience 2 → 0.5,
    // cooldown 1 swallows 9.0; 8.95 < 9 is a new best; three more bad epochs → 0.25.
    const want = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25];
    const got: number[] = [];
    metrics.forEach((m, e) => {
      s.lrAt(e, 1);
      s.step(m);
      got.push(s.lrAt(e + 1, 1));
    });
    close(got, want);
    expect(s.reductions).toBe(2);
    expect(s.best).toBe(8.95);
    s.reset();
    expect([s.reductions, s.best, s.badEpochs]).toEqual([0, Infinity, 0]);
    expect(s.lrAt(0, 1)).toBe(1);
  });

  it('max mode with an absolute threshold; NaN counts as a bad epoch', () => {
    const s = reduceOnPlateau({ mode: 'max', thresholdMode: 'abs', threshold: 0.5, patience: 1, factor: 0.5 });
    const lrs = [1, 1.4, 1.6, 1.7, 1.7].map((m) => {
      s.lrAt(0, 1);
      s.step(m);
      return s.lrAt(0, 1);
    });
    close(lrs, [1, 1, 1, 1, 0.5]);
    const t = reduceOnPlateau({ patience: 0 });
    t.step(1);
    t.step(NaN);
    expect(t.lrAt(0, 1)).toBeCloseTo(0.1, 12);
  });

  it('minLr clamps the rate and a reduction below eps is skipped', () => {
    const s = reduceOnPlateau({ factor: 0.1, patience: 0, minLr: 0.015 });
    const lrs = [1, 1, 1, 1].map((m) => {
      s.lrAt(0, 1);
      s.step(m);
      return s.lrAt(0, 1);
    });
    close(lrs, [1, 0.1, 0.015, 0.015]);
    expect(s.reductions).toBe(2);
  });

  it('defaults match PyTorch (factor 0.1, patience 10, threshold 1e-4 rel)', () => {
    const s = reduceOnPlateau();
    s.lrAt(0, 1);
    s.step(1);
    for (let i = 0; i < 10; i++) s.step(0.99995); // within the 1e-4 relative threshold: not better
    expect(s.lrAt(0, 1)).toBe(1);
    s.step(0.99995);
    expect(s.lrAt(0, 1)).toBeCloseTo(0.1, 12);
  });

  it('warmup passes metrics on to a plateau schedule', () => {
    const inner = reduceOnPlateau({ patience: 0, factor: 0.5 });
    const s = warmup(inner, { steps: 2, startFactor: 0.5 });
    expect(s.lrAt(1, 1)).toBeCloseTo(0.75, 12);
    s.step!(1);
    s.step!(2);
    expect(s.lrAt(2, 1)).toBeCloseTo(0.5, 12);
    s.reset!();
    expect(s.lrAt(2, 1)).toBe(1);
  });

  it('rejects bad options', () => {
    expect(() => reduceOnPlateau({ factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
    expect(() => reduceOnPlateau({ mode: 'up' as never })).toThrow(/mode must be 'min' or 'max'/);
    expect(() => reduceOnPlateau({ patience: -1 })).toThrow(/patience/);
    expect(() => reduceOnPlateau({ thresholdMode: 'x' as never })).toThrow(/thresholdMode/);
  });
});
