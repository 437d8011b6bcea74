// Optimizer updates over a P = 1237 arena, run for 5 consecutive steps with every output fed back as
// the next step's input (states start at zero, as torch's do), against the float64 references run
// the same way; clip_grad_norm_'s total norm against the reference; penaltyValue's gradient against
// penaltyGrad; and the per-step hyper-parameters travelling as uniforms (no new pipeline per lr/step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { HostTensor } from '../../src/reference/host.js';
import * as ref from '../../src/reference/optim.js';
import { rng } from '../harness.js';

beforeAll(() => sg.init({ poison: true }));
afterAll(() => sg.dispose());

const P = 1237;
const STEPS = 5;

function randomArray(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

const hostOf = (a: Float32Array): HostTensor => ({ data: Float64Array.from(a), shape: [a.length] });
const zerosHost = (): HostTensor => ({ data: new Float64Array(P), shape: [P] });
const zerosGpu = () => sg.tensor(new Float32Array(P), [P]);

/** max |gpu − ref| ≤ 1e-5 · max(1, max |ref|) */
function expectClose(what: string, got: Float32Array | Int32Array, want: HostTensor): void {
  expect(got.length, what).toBe(want.data.length);
  let scale = 1;
  for (const w of want.data) scale = Math.max(scale, Math.abs(w));
  let maxErr = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want.data[i]);
    if (!(e <= maxErr)) {
      maxErr = e;
      at = i;
    }
  }
  expect(maxErr, `${what}: max error ${maxErr} at [${at}] (gpu ${got[at]}, ref ${want.data[at]}), scale ${scale}`).toBeLessThanOrEqual(1e-5 * scale);
}

/** The same 5 steps on the GPU and on the CPU: `gpuStep`/`refStep` map (param, grad, states) to new ones. */
async function runSteps(
  seed: number, stateCount: number,
  gpuStep: (p: Tensor, g: Tensor, s: Tensor[], step: number) => { param: Tensor; states: Tensor[] },
  refStep: (p: HostTensor, g: HostTensor, s: HostTensor[], step: number) => { param: HostTensor; states: HostTensor[] },
): Promise<void> {
  const rand = rng(seed);
  const p0 = randomArray(P, rand);
  let gp = sg.tensor(p0, [P]);
  let gs = Array.from({ length: stateCount }, zerosGpu);
  let rp = hostOf(p0);
  let rs = Array.from({ length: stateCount }, zerosHost);
  for (let step = 1; step <= STEPS; step++) {
    const g = randomArray(P, rand);
    const gpu = gpuStep(gp, sg.tensor(g, [P]), gs, step);
    const cpu = refStep(rp, hostOf(g), rs, step);
    expect(gpu.states.length).toBe(stateCount);
    [gp, gs, rp, rs] = [gpu.param, gpu.states, cpu.param, cpu.states];
  }
  const [param, ...states] = await sg.read(gp, ...gs);
  expectClose('param', param, rp);
  states.forEach((s, k) => expectClose(`state ${k}`, s, rs[k]));
}

describe('5 steps of each optimizer variant on a P = 1237 arena', () => {
  const sgdCases: [string, sg.SgdUpdateOptions][] = [
    ['plain', { lr: 0.1 }],
    ['weight decay + maximize', { lr: 0.1, weightDecay: 0.05, maximize: true }],
    ['momentum 0.9, dampening 0.1', { lr: 0.05, momentum: 0.9, dampening: 0.1 }],
    ['nesterov 0.9 + weight decay', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }],
  ];
  sgdCases.forEach(([name, o], k) => {
    it(`sgd ${name}`, async () => {
      const withBuf = (o.momentum ?? 0) !== 0;
      await runSteps(100 + k, withBuf ? 1 : 0,
        (p, g, s, step) => {
          const r = sg.sgdUpdate(p, g, withBuf ? s[0] : null, { ...o, firstStep: step === 1 });
          return { param: r.param, states: r.momentumBuf ? [r.momentumBuf] : [] };
        },
        (p, g, s, step) => {
          const r = ref.sgdStep(p, g, withBuf ? s[0] : null, {
            lr: o.lr, momentum: o.momentum ?? 0, dampening: o.dampening ?? 0, nesterov: o.nesterov ?? false,
            weightDecay: o.weightDecay ?? 0, maximize: o.maximize ?? false, firstStep: step === 1,
          });
          return { param: r.param, states: r.momentumBuf ? [r.momentumBuf] : [] };
        });
    });
  });

  const rmspropCases: [string, sg.RmspropUpdateOptions][] = [
    ['plain', { lr: 0.01 }],
    ['momentum 0.9', { lr: 0.01, momentum: 0.9 }],
    ['centered', { lr: 0.01, centered: true }],
    ['centered + momentum 0.5 + weight decay, alpha 0.9', { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01, alpha: 0.9 }],
  ];
  rmspropCases.forEach(([name, o], k) => {
    it(`rmsprop ${name}`, async () => {
      const mom = (o.momentum ?? 0) > 0;
      const centered = o.centered ?? false;
      await runSteps(200 + k, 1 + (mom ? 1 : 0) + (centered ? 1 : 0),
        (p, g, s) => {
          const r = sg.rmspropUpdate(p, g, s[0], mom ? s[1] : null, centered ? s[mom ? 2 : 1] : null, o);
          return { param: r.param, states: [r.squareAvg, ...(r.momentumBuf ? [r.momentumBuf] : []), ...(r.gradAvg ? [r.gradAvg] : [])] };
        },
        (p, g, s) => {
          const r = ref.rmspropStep(p, g, s[0], mom ? s[1] : null, centered ? s[mom ? 2 : 1] : null, {
            lr: o.lr, alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, weightDecay: o.weightDecay ?? 0, momentum: o.momentum ?? 0,
            centered, maximize: false,
          });
          return { param: r.param, states: [r.squareAvg, ...(r.momentumBuf ? [r.momentumBuf] : []), ...(r.gradAvg ? [r.gradAvg] : [])] };
        });
    });
  });

  const adamCases: [string, Omit<sg.AdamUpdateOptions, 'step'>][] = [
    ['adam', { lr: 1e-2 }],
    ['adam weight decay 0.1 (coupled)', { lr: 1e-2, weightDecay: 0.1 }],
    ['adam amsgrad', { lr: 1e-2, amsgrad: true }],
    ['adamW (decoupled, default weight decay 1e-2)', { lr: 1e-2, decoupled: true }],
    ['adamW amsgrad, weight decay 0.3, betas 0.8/0.99', { lr: 1e-2, decoupled: true, amsgrad: true, weightDecay: 0.3, beta1: 0.8, beta2: 0.99 }],
  ];
  adamCases.forEach(([name, o], k) => {
    it(name, async () => {
      const ams = o.amsgrad ?? false;
      const weightDecay = o.weightDecay ?? (o.decoupled ? 1e-2 : 0);
      await runSteps(300 + k, ams ? 3 : 2,
        (p, g, s, step) => {
          const { decoupled, ...rest } = o;
          const r = decoupled
            ? sg.adamWUpdate(p, g, s[0], s[1], ams ? s[2] : null, { ...rest, step })
            : sg.adamUpdate(p, g, s[0], s[1], ams ? s[2] : null, { ...rest, step });
          return { param: r.param, states: [r.expAvg, r.expAvgSq, ...(r.maxExpAvgSq ? [r.maxExpAvgSq] : [])] };
        },
        (p, g, s, step) => {
          const r = ref.adamStep(p, g, s[0], s[1], ams ? s[2] : null, {
            lr: o.lr, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8, weightDecay, amsgrad: ams, step,
            decoupled: o.decoupled ?? false, maximize: false,
          });
          return { param: r.param, states: [r.expAvg, r.expAvgSq, ...(r.maxExpAvgSq ? [r.maxExpAvgSq] : [])] };
        });
    });
  });
});

describe('gradient clipping', () => {
  for (const normType of [2, 1, 3, Infinity]) {
    it(`clipGradNorm total ${normType}-norm and scaled gradient match the reference`, async () => {
      const g = randomArray(P, rng(400 + (normType === Infinity ? 9 : normType)), -2, 2);
      const want = ref.clipGradNorm(hostOf(g), 1.5, normType);
      const r = sg.clipGradNorm(sg.tensor(g, [P]), 1.5, { normType });
      expect(r.totalNorm.shape).toEqual([]);
      const [grad, total] = await sg.read(r.grad, r.totalNorm);
      expect(Math.abs(total[0] - want.totalNorm.data[0])).toBeLessThanOrEqual(1e-5 * want.totalNorm.data[0]);
      expectClose('clipped grad', grad, want.grad);
      // Clipping happened: the clipped gradient has norm maxNorm (up to the 1e-6 guard).
      expect(Math.abs(ref.totalNorm(want.grad, normType) - 1.5)).toBeLessThan(1e-5);
    });
  }

  it('clipGradNorm leaves a gradient below maxNorm unchanged (coefficient clamped to 1)', async () => {
    const g = randomArray(P, rng(7), -1e-3, 1e-3);
    const r = sg.clipGradNorm(sg.tensor(g, [P]), 10);
    const [grad] = await sg.read(r.grad);
    expect(Array.from(grad)).toEqual(Array.from(g));
  });
});

describe('penalties', () => {
  const o = { l1: 0.03, l2: 0.2 };

  it("penaltyValue's gradient equals penaltyGrad's term (GPU and reference)", async () => {
    const p = randomArray(P, rng(500));
    const pt = sg.tensor(p, [P]);
    const [dValue] = sg.grad((x: Tensor) => sg.penaltyValue(x, o))(pt);
    const term = sg.penaltyGrad(pt, sg.tensor(new Float32Array(P), [P]), o);
    const [a, b] = await sg.read(dValue, term);
    const refTerm = ref.penaltyGrad(hostOf(p), zerosHost(), o);
    expectClose('grad of penaltyValue', a, refTerm);
    expectClose('penaltyGrad', b, refTerm);
    // The reference backward of the value is the same rule.
    const back = ref.penaltyValueBackward(hostOf(p), { data: Float64Array.of(1), shape: [] }, o);
    back.data.forEach((v, i) => expect(v).toBe(refTerm.data[i]));
  });

  it('penaltyValue = l1·Σ|θ| + l2/2·Σθ², and its finite differences give penaltyGrad', async () => {
    const p = randomArray(P, rng(501));
    const [v] = await sg.read(sg.penaltyValue(sg.tensor(p, [P]), o));
    const want = ref.penaltyValue(hostOf(p), o).data[0];
    expect(Math.abs(v[0] - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want));
    const h = hostOf(p);
    const term = ref.penaltyGrad(h, zerosHost(), o);
    for (const i of [0, 17, 600, P - 1]) {
      const x = h.data[i];
      h.data[i] = x + 1e-6;
      const up = ref.penaltyValue(h, o).data[0];
      h.data[i] = x - 1e-6;
      const down = ref.penaltyValue(h, o).data[0];
      h.data[i] = x;
      expect((up - down) / 2e-6).toBeCloseTo(term.data[i], 5);
    }
  });
});

describe('hyper-parameters are uniforms', () => {
  it('a new lr and step create no pipeline', async () => {
    const rand = rng(600);
    const make = () => sg.tensor(randomArray(P, rand), [P]);
    const v = () => sg.tensor(randomArray(P, rand, 0.01, 1), [P]);
    await sg.read(sg.adamUpdate(make(), make(), make(), v(), null, { lr: 1e-3, step: 1 }).param);
    const before = sg.stats().pipelinesCreated;
    for (const [lr, step] of [[1e-2, 2], [3e-4, 7], [0.1, 1000]]) {
      const [p] = await sg.read(sg.adamUpdate(make(), make(), make(), v(), null, { lr, step }).param);
      expect(p.every(Number.isFinite)).toBe(true);
    }
    expect(sg.stats().pipelinesCreated).toBe(before);
  });
});
