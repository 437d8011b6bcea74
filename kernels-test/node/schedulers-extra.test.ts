// cosineAnnealingWarmRestarts, polynomialLR, constantLR, lambdaLR and multiplicativeLR against torch 1.13
// (kernels-test/fixtures/schedulers-extra/torch.json, made by make.py there; the test does not need torch):
// each group's rate over 50 scheduler.step() calls, through an sg.optim.sgd driven as train.fit drives it
// (setEpoch, groupLr), and at fractional epochs (torch's step(epoch) with a float epoch) through lrAt;
// torch's explicit-epoch quirk for warm restarts; option errors (types and ranges named by option,
// unknown and snake_case options refused); the CLI's --scheduler warm-restarts and polynomial. The
// schedules are host computations in float64, compared to 1e-12 relative (sg.init only for the optimizers'
// parameter tensors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { loadFixture } from '../torch-fixtures.js';
import { makeScheduler } from '../../src/cli/setup.js';
import { COMMANDS, SCHEDULERS, parseCommand } from '../../src/cli/args.js';
import { OPTION_KEYS } from '../../src/option-keys.js';

interface Case {
  kind: 'cosineAnnealingWarmRestarts' | 'polynomialLR' | 'constantLR' | 'lambdaLR' | 'multiplicativeLR';
  options: Record<string, unknown>;
  base: number;
  groups: number[] | null;
  /** lr of every group after k = 0, 1, … scheduler steps. */
  lrs: number[][];
  /** [epoch, lr] after a fresh scheduler's step(epoch) with that (float) epoch. */
  fractional?: [number, number][];
}
const fx = loadFixture<{
  torch: string; steps: number; cases: Record<string, Case>;
  quirks: Record<string, { options: Record<string, number>; base: number; epoch: number; stepped: number; explicit: number }>;
}>('schedulers-extra/torch.json');

// The functions of make.py's LAMBDAS and MULTIPLIERS, under the same names.
const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  rampThenInv: (e) => Math.min((e + 1) / 4, 4 / (e + 1)),
  halveEvery3: (e) => 0.5 ** Math.floor(e / 3),
  zeroAt7: (e) => (e === 7 ? 0 : 1 / (1 + 0.1 * e)),
};
const MULTIPLIERS: Record<string, (e: number) => number> = {
  times095: () => 0.95,
  alternate: (e) => (e % 2 ? 0.9 : 1.05),
  growThenDecay: (e) => (e < 5 ? 1.1 : 0.8),
  zeroAt7: (e) => (e === 7 ? 0 : 1 / (1 + 0.1 * e)),
};

function schedule(c: Case): sg.optim.Scheduler {
  const o = c.options as never;
  switch (c.kind) {
    case 'cosineAnnealingWarmRestarts': return sg.optim.cosineAnnealingWarmRestarts(o);
    case 'polynomialLR': return sg.optim.polynomialLR(o);
    case 'constantLR': return sg.optim.constantLR(o);
    case 'lambdaLR': return sg.optim.lambdaLR(LAMBDAS[c.options.fn as string]);
    case 'multiplicativeLR': return sg.optim.multiplicativeLR(MULTIPLIERS[c.options.fn as string]);
  }
}

/** |got − want| ≤ 1e-12 · |want| (and 1e-15 absolute, for rates that are 0 or nearly). */
function expectRate(got: number, want: number, what: string): void {
  expect(Math.abs(got - want), `${what}: ${got} vs torch ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-15);
}

/** Each group's rate after k = 0, 1, … steps, through an optimizer as train.fit drives it. */
function curve(c: Case): number[][] {
  const bases = c.groups ?? [c.base];
  const params = bases.map(() => sg.tensor([0], [1]));
  const opt = sg.optim.sgd(bases.map((lr, i) => ({ params: [params[i]], lr })), { lr: c.base, scheduler: schedule(c) });
  const out: number[][] = [];
  for (let k = 0; k < c.lrs.length; k++) {
    opt.setEpoch(k);
    out.push(bases.map((_, g) => opt.groupLr(g)));
  }
  return out;
}

beforeAll(() => sg.init());
afterAll(() => sg.dispose());

const kinds = ['cosineAnnealingWarmRestarts', 'polynomialLR', 'constantLR', 'lambdaLR', 'multiplicativeLR'] as const;

describe(`schedules against torch ${fx.torch} over ${fx.steps} steps, through sg.optim.sgd`, () => {
  for (const kind of kinds) {
    it(kind, () => {
      const cases = Object.entries(fx.cases).filter(([, c]) => c.kind === kind);
      expect(cases.length).toBeGreaterThan(3);
      for (const [name, c] of cases) {
        const got = curve(c);
        c.lrs.forEach((want, k) => want.forEach((w, g) => expectRate(got[k][g], w, `${name}: group ${g} after ${k} steps`)));
      }
    });
  }

  it('the optimizer exposes the scheduled rate as currentLr()', () => {
    const opt = sg.optim.sgd([sg.tensor([0], [1])], { lr: 0.5, scheduler: sg.optim.cosineAnnealingWarmRestarts({ t0: 5, tMult: 2, etaMin: 0.01 }) });
    const want = fx.cases['warm_5_2_0.01_0.5'].lrs;
    for (let k = 0; k < want.length; k++) {
      opt.setEpoch(k);
      expectRate(opt.currentLr(), want[k][0], `epoch ${k}`);
    }
  });
});

describe('fractional epochs (torch step(epoch) with a float epoch), through lrAt', () => {
  for (const kind of ['cosineAnnealingWarmRestarts', 'polynomialLR', 'constantLR', 'lambdaLR'] as const) {
    it(kind, () => {
      const cases = Object.entries(fx.cases).filter(([, c]) => c.kind === kind && c.fractional);
      expect(cases.length).toBeGreaterThan(2);
      for (const [name, c] of cases) {
        const s = schedule(c);
        for (const [e, want] of c.fractional!) expectRate(s.lrAt(e, c.base), want, `${name} at epoch ${e}`);
      }
    });
  }

  it('warm restarts fall smoothly within a cycle and jump back to base at each restart', () => {
    const s = sg.optim.cosineAnnealingWarmRestarts({ t0: 2, tMult: 2 });
    expect(s.lrAt(1.999999, 1)).toBeLessThan(1e-10);
    expect(s.lrAt(2, 1)).toBe(1); // restart; the next cycle is 4 epochs
    expectRate(s.lrAt(4, 1), 0.5, 'the middle of the second cycle');
    expect(s.lrAt(6, 1)).toBe(1);
    // A long step counter: the cycle is found in a few iterations.
    expect(s.lrAt(2 * (2 ** 40 - 1), 1)).toBe(1);
  });

  it('multiplicativeLR: a fractional epoch gives the rate of its whole epoch; fn is asked once per epoch, from 1', () => {
    const asked: number[] = [];
    const s = sg.optim.multiplicativeLR((e) => (asked.push(e), 0.5));
    expect(s.lrAt(0.7, 1)).toBe(1);
    expect(s.lrAt(2.5, 1)).toBe(0.25);
    expect(s.lrAt(2, 1)).toBe(0.25);
    expect(s.lrAt(3.999, 8)).toBe(1); // another base rate: its own product
    expect(s.lrAt(1, 1)).toBe(0.5); // going back
    expect(asked).toEqual([1, 2, 3]);
  });

  it("torch's explicit-epoch warm restarts land one cycle short at t0 1, tMult 10, epoch 111: shadergrad gives step()'s rate", () => {
    const q = fx.quirks.warm_t0_1_tMult_10_epoch_111;
    const s = sg.optim.cosineAnnealingWarmRestarts(q.options as never);
    expect(q.stepped).not.toBe(q.explicit);
    expectRate(s.lrAt(q.epoch, q.base), q.stepped, `epoch ${q.epoch}`);
  });
});

describe('option errors', () => {
  it('types and ranges, named by option', () => {
    const bad: [string, () => unknown, RegExp][] = [
      ['t0 missing', () => sg.optim.cosineAnnealingWarmRestarts({} as never), /optim\.cosineAnnealingWarmRestarts: t0 \(torch's T_0, the first cycle's epochs\) must be a positive integer, got undefined/],
      ['no options', () => sg.optim.cosineAnnealingWarmRestarts(undefined as never), /t0 .* must be a positive integer, got undefined/],
      ['t0 0', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 0 }), /t0 .* must be a positive integer, got 0/],
      ['t0 2.5', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 2.5 }), /t0 .* must be a positive integer, got 2\.5/],
      ['t0 string', () => sg.optim.cosineAnnealingWarmRestarts({ t0: '3' as never }), /t0 .* must be a positive integer, got "3"/],
      ['tMult 0', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 3, tMult: 0 }), /tMult \(torch's T_mult\) must be an integer ≥ 1, got 0/],
      ['tMult 1.5', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 3, tMult: 1.5 }), /tMult .* must be an integer ≥ 1, got 1\.5/],
      ['etaMin < 0', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 3, etaMin: -0.1 }), /etaMin must be a finite number ≥ 0, got -0\.1/],
      ['etaMin NaN', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 3, etaMin: NaN }), /etaMin must be a finite number ≥ 0, got NaN/],
      ['etaMin string', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 3, etaMin: '0' as never }), /etaMin must be a finite number ≥ 0, got "0"/],
      ['totalIters -1', () => sg.optim.polynomialLR({ totalIters: -1 }), /optim\.polynomialLR: totalIters must be an integer ≥ 0, got -1/],
      ['totalIters 2.5', () => sg.optim.polynomialLR({ totalIters: 2.5 }), /totalIters must be an integer ≥ 0, got 2\.5/],
      ['power -1', () => sg.optim.polynomialLR({ power: -1 }), /optim\.polynomialLR: power must be a finite number ≥ 0, got -1/],
      ['power Infinity', () => sg.optim.polynomialLR({ power: Infinity }), /power must be a finite number ≥ 0, got Infinity/],
      ['power string', () => sg.optim.polynomialLR({ power: '2' as never }), /power must be a finite number ≥ 0, got "2"/],
      ['factor 0', () => sg.optim.constantLR({ factor: 0 }), /optim\.constantLR: factor must be a number in \(0, 1\], got 0/],
      ['factor 1.5', () => sg.optim.constantLR({ factor: 1.5 }), /factor must be a number in \(0, 1\], got 1\.5/],
      ['factor string', () => sg.optim.constantLR({ factor: '0.5' as never }), /factor must be a number in \(0, 1\], got "0\.5"/],
      ['constantLR totalIters 0', () => sg.optim.constantLR({ totalIters: 0 }), /optim\.constantLR: totalIters must be a positive integer, got 0/],
      ['lambdaLR no function', () => sg.optim.lambdaLR(0.5 as never), /optim\.lambdaLR: fn must be a function \(epoch\) => factor \(torch's lr_lambda\), got 0\.5/],
      ['multiplicativeLR options bag', () => sg.optim.multiplicativeLR({ lrLambda: () => 1 } as never), /optim\.multiplicativeLR: fn must be a function/],
      ['lambdaLR fn gives NaN', () => sg.optim.lambdaLR(() => NaN).lrAt(3, 0.1), /optim\.lambdaLR: fn\(3\) must return a finite number ≥ 0, got NaN/],
      ['lambdaLR fn gives < 0', () => sg.optim.lambdaLR((e) => 1 - e).lrAt(2, 0.1), /fn\(2\) must return a finite number ≥ 0, got -1/],
      ['multiplicativeLR fn gives a string', () => sg.optim.multiplicativeLR(() => '1' as never).lrAt(2, 0.1), /optim\.multiplicativeLR: fn\(1\) must return a finite number ≥ 0, got "1"/],
      ['negative epoch', () => sg.optim.polynomialLR().lrAt(-1, 0.1), /optim\.polynomialLR\.lrAt: epoch must be a finite number ≥ 0, got -1/],
      ['negative base', () => sg.optim.constantLR().lrAt(1, -0.1), /optim\.constantLR\.lrAt: baseLr must be a finite number ≥ 0, got -0\.1/],
    ];
    for (const [what, f, re] of bad) expect(f, what).toThrow(re);
  });

  it("unknown and torch-spelled options are refused with the shadergrad name", () => {
    const refused: [string, () => unknown, RegExp][] = [
      ['T_0', () => sg.optim.cosineAnnealingWarmRestarts({ T_0: 10 } as never), /optim\.cosineAnnealingWarmRestarts: unknown option 'T_0' \(did you mean 't0'\?\)/],
      ['T_mult', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 10, T_mult: 2 } as never), /unknown option 'T_mult' \(did you mean 'tMult'\?\)/],
      ['eta_min', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 10, eta_min: 0.1 } as never), /unknown option 'eta_min' \(did you mean 'etaMin'\?\)/],
      ['last_epoch', () => sg.optim.cosineAnnealingWarmRestarts({ t0: 10, last_epoch: 3 } as never), /unknown option 'last_epoch'/],
      ['total_iters', () => sg.optim.polynomialLR({ total_iters: 4 } as never), /optim\.polynomialLR: unknown option 'total_iters' \(did you mean 'totalIters'\?\)/],
      ['verbose', () => sg.optim.polynomialLR({ verbose: true } as never), /unknown option 'verbose'/],
      ['constantLR total_iters', () => sg.optim.constantLR({ total_iters: 4 } as never), /optim\.constantLR: unknown option 'total_iters' \(did you mean 'totalIters'\?\)/],
      ['constantLR gamma', () => sg.optim.constantLR({ gamma: 0.5 } as never), /optim\.constantLR: unknown option 'gamma'/],
      ['options not an object', () => sg.optim.polynomialLR(5 as never), /optim\.polynomialLR: options must be an object/],
    ];
    for (const [what, f, re] of refused) expect(f, what).toThrow(re);
    expect(OPTION_KEYS.cosineAnnealingWarmRestarts).toEqual(['t0', 'tMult', 'etaMin']);
    expect(OPTION_KEYS.polynomialLR).toEqual(['totalIters', 'power']);
    expect(OPTION_KEYS.constantLR).toEqual(['factor', 'totalIters']);
  });

  it('defaults are torch’s', () => {
    expect(sg.optim.polynomialLR().name).toBe('polynomialLR(totalIters=5, power=1)');
    expect(sg.optim.constantLR().name).toBe('constantLR(factor=0.333333, totalIters=5)');
    expect(sg.optim.cosineAnnealingWarmRestarts({ t0: 4 }).name).toBe('cosineAnnealingWarmRestarts(t0=4, tMult=1, etaMin=0)');
    expect(sg.optim.lambdaLR(function halve() { return 0.5; }).name).toBe('lambdaLR(halve)');
  });
});

describe('the CLI by name', () => {
  it("--scheduler warm-restarts: cycles of ⌈epochs/3⌉ epochs; polynomial: base·(1 − e/epochs)²", () => {
    expect(SCHEDULERS).toContain('warm-restarts');
    expect(SCHEDULERS).toContain('polynomial');
    expect(parseCommand('train', ['--scheduler', 'warm-restarts']).flags.scheduler).toBe('warm-restarts');
    expect(parseCommand('train', ['--scheduler', 'polynomial']).flags.scheduler).toBe('polynomial');
    expect(COMMANDS.train.flags.scheduler.kind.choices).toContain('polynomial');

    const w = makeScheduler('warm-restarts', 10)!;
    expect(w.name).toBe('cosineAnnealingWarmRestarts(t0=4, tMult=1, etaMin=0)');
    expect(sg.optim.lrCurve(w, 10, 1)).toEqual(sg.optim.lrCurve(sg.optim.cosineAnnealingWarmRestarts({ t0: 4 }), 10, 1));
    expect([0, 4, 8].map((e) => w.lrAt(e, 0.2))).toEqual([0.2, 0.2, 0.2]);
    expect(makeScheduler('warm-restarts', 2)!.name).toBe('cosineAnnealingWarmRestarts(t0=1, tMult=1, etaMin=0)');

    const p = makeScheduler('polynomial', 8)!;
    expect(p.name).toBe('polynomialLR(totalIters=8, power=2)');
    sg.optim.lrCurve(p, 8, 0.4).forEach((lr, e) => expectRate(lr, 0.4 * (1 - e / 8) ** 2, `epoch ${e}`));
    expect(() => makeScheduler('onecycle', 8)).toThrow(/unknown scheduler 'onecycle' \(.*warm-restarts, polynomial\)/);
  });
});
