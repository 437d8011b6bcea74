// sg.klDiv and sg.train.distillationLoss against PyTorch's numbers (kernels-test/fixtures/kl/kl.json,
// made by make.py there with torch; the test does not need torch): torch.nn.functional.kl_div for every
// reduction with log_target both ways, its gradients for the input and the target as torch's autograd
// gives them (d/dtarget NaN at a target of 0), the ±∞ / NaN edges, and Hinton et al.'s distillation
// loss with its gradient for the student logits (none for the teacher's). Bad input errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadFixture } from '../torch-fixtures.js';

/** An array of kl.json: NaN written null, ±∞ as 'inf' / '-inf' (JSON has neither). */
interface Arr { shape: number[]; data: (number | null | 'inf' | '-inf')[] }
interface Entry { inputs: Record<string, Arr>; outputs: Record<string, Arr>; attrs: Record<string, unknown> }

const fixture = loadFixture<{ cases: Record<string, Entry> }>('kl/kl.json');
function C(name: string): Entry {
  const e = fixture.cases[name];
  if (!e) throw new Error(`fixture ${name} missing: rerun kernels-test/fixtures/kl/make.py`);
  return e;
}

const values = (a: Arr): number[] => a.data.map((v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
const f32 = (a: Arr): Tensor => sg.tensor(Float32Array.from(values(a)), a.shape);

/** got against torch's values: NaN where torch has NaN, ±∞ where it has ±∞, else |got − want| ≤ atol + rtol·|want|. */
async function expectTorch(t: Tensor, want: Arr, what: string, atol = 1e-5, rtol = 1e-4): Promise<void> {
  expect(t.shape, `${what}: shape`).toEqual(want.shape);
  const got = Array.from(await t.data());
  values(want).forEach((w, i) => {
    if (Number.isNaN(w)) expect(got[i], `${what}[${i}] (torch: NaN)`).toBeNaN();
    else if (!Number.isFinite(w)) expect(got[i], `${what}[${i}] (torch: ${w})`).toBe(w);
    else expect(Math.abs(got[i] - w), `${what}[${i}]: got ${got[i]}, torch ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
  });
}

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

type Red = 'mean' | 'batchmean' | 'sum' | 'none';

/** sg.klDiv on case `name`: its value, and the gradients of Σ u·loss for input and target. */
async function checkKl(name: string): Promise<void> {
  const e = C(name);
  const reduction = e.attrs.reduction as Red;
  const logTarget = e.attrs.logTarget as boolean;
  const [x, t, u] = [f32(e.inputs.x), f32(e.inputs.t), f32(e.inputs.u)];
  const f = (a: Tensor, b: Tensor) => sg.klDiv(a, b, { reduction, logTarget });
  await expectTorch(f(x, t), e.outputs.loss, `${name} loss`);
  const [gx, gt] = sg.grad((a: Tensor, b: Tensor) => sg.sum(sg.mul(f(a, b), u)), [x, t])(x, t);
  await expectTorch(gx, e.outputs.grad_x, `${name} d/dinput`);
  await expectTorch(gt, e.outputs.grad_t, `${name} d/dtarget`);
}

describe('klDiv against torch.nn.functional.kl_div', () => {
  for (const red of ['mean', 'batchmean', 'sum', 'none'] as const) {
    it(`reduction '${red}', probability targets with exact zeros: value, d/dinput, d/dtarget (NaN where the target is 0)`, async () => {
      await checkKl(`kl_${red}`);
      // torch: d/dtarget = g·log t + g·t/t − g·x, and t/t is 0/0 at t = 0.
      const e = C(`kl_${red}`);
      const zeros = values(e.inputs.t).flatMap((v, i) => (v === 0 ? [i] : []));
      expect(zeros.length).toBeGreaterThan(0);
      for (const i of zeros) expect(values(e.outputs.grad_t)[i]).toBeNaN();
    });
    it(`reduction '${red}', logTarget`, async () => {
      await checkKl(`kl_${red}_log`);
    });
  }

  it("'batchmean' divides by shape[0] for [N] and [2, 3, 4], and is the sum for a 0-d input; 'mean' over every element", async () => {
    for (const name of ['kl_1d_batchmean', 'kl_3d_batchmean_log', 'kl_3d_mean', 'kl_0d_batchmean']) await checkKl(name);
  });

  it('edges as torch: 0·(−∞) = NaN, t = 0 gives loss 0 and d/dtarget NaN, x = −∞ gives +∞, t < 0 / NaN give NaN', async () => {
    await checkKl('kl_edges');
    await checkKl('kl_edges_log');
  });

  it("the default reduction is torch's 'mean' and logTarget defaults to false", async () => {
    const e = C('kl_mean');
    await expectTorch(sg.klDiv(f32(e.inputs.x), f32(e.inputs.t)), e.outputs.loss, 'klDiv default');
  });

  it("loss: 'klDiv' by name is the per-sample divergence ('batchmean') of log-probability outputs", async () => {
    const e = C('kl_batchmean');
    await expectTorch(sg.train.lossByName('klDiv')(f32(e.inputs.x), f32(e.inputs.t)), e.outputs.loss, "LOSSES.klDiv");
  });
});

describe('klDiv: bad input', () => {
  const x = () => sg.tensor([-1, -2, -0.5, -0.1, -3, -1], [2, 3]);
  it('a shape mismatch names both shapes', () => {
    expect(() => sg.klDiv(x(), sg.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2]))).toThrow(
      /klDiv: input tensor #\d+ \[2, 3\] f32 and target tensor #\d+ \[3, 2\] f32 must have the same shape/);
    expect(() => sg.klDiv(x(), sg.tensor([0.1, 0.2, 0.3], [3]))).toThrow(/\[2, 3\].*\[3\]/);
  });
  it('an unknown reduction lists the four', () => {
    expect(() => sg.klDiv(x(), x(), { reduction: 'avg' as never })).toThrow(
      /klDiv: reduction must be 'batchmean', 'mean', 'sum' or 'none', got "avg"/);
  });
  it('non-f32 input or target', () => {
    const i = sg.tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: 'i32' });
    expect(() => sg.klDiv(i, x())).toThrow(/klDiv: input \(log-probabilities\) must be f32, got tensor #\d+ \[2, 3\] i32/);
    expect(() => sg.klDiv(x(), i)).toThrow(/klDiv: target \(probabilities\) must be f32, got tensor #\d+ \[2, 3\] i32/);
    expect(() => sg.klDiv(x(), i, { logTarget: true })).toThrow(/klDiv: target \(log-probabilities\) must be f32/);
  });
  it('a bad option, a non-boolean logTarget, a non-tensor', () => {
    expect(() => sg.klDiv(x(), x(), { log_target: true } as never)).toThrow(/klDiv: unknown option 'log_target' \(did you mean 'logTarget'\?\)/);
    expect(() => sg.klDiv(x(), x(), { logTarget: 1 as never })).toThrow(/klDiv: logTarget must be true or false, got 1/);
    expect(() => sg.klDiv(x(), [1, 2] as never)).toThrow(/klDiv: target must be a Tensor/);
  });
});

describe('train.distillationLoss against torch (Hinton et al.)', () => {
  for (const name of ['distill_default', 'distill_T4_a09', 'distill_T1_a0', 'distill_T05_a1']) {
    it(`${name}: value and gradient for the student logits; none for the teacher's`, async () => {
      const e = C(name);
      const s = f32(e.inputs.s);
      const t = f32(e.inputs.t);
      const labels = sg.tensor(Int32Array.from(values(e.inputs.labels)), e.inputs.labels.shape, { dtype: 'i32' });
      const opts = name === 'distill_default' ? {} : { temperature: e.attrs.temperature as number, alpha: e.attrs.alpha as number };
      const f = (a: Tensor, b: Tensor) => sg.train.distillationLoss(a, b, labels, opts);
      await expectTorch(f(s, t), e.outputs.loss, `${name} loss`);
      const [gs, gt] = sg.grad(f, [s, t])(s, t);
      await expectTorch(gs, e.outputs.grad_s, `${name} d/dstudent`);
      expect(Array.from(await gt.data()).every((v) => v === 0), 'the teacher logits are detached').toBe(true);
    });
  }

  it('validates temperature, alpha and the shapes', () => {
    const s = sg.tensor(new Float32Array(6), [2, 3]);
    const labels = sg.tensor([0, 2], [2], { dtype: 'i32' });
    const d = sg.train.distillationLoss;
    expect(() => d(s, s, labels, { temperature: 0 })).toThrow(/train\.distillationLoss: temperature must be a finite number > 0, got 0/);
    expect(() => d(s, s, labels, { temperature: -1 })).toThrow(/temperature must be a finite number > 0, got -1/);
    expect(() => d(s, s, labels, { alpha: 1.5 })).toThrow(/train\.distillationLoss: alpha must be in \[0, 1\], got 1\.5/);
    expect(() => d(s, s, labels, { alpha: -0.1 })).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => d(s, sg.tensor(new Float32Array(8), [2, 4]), labels)).toThrow(
      /teacherLogits must be f32 of the student's shape \[2, 3\], got tensor #\d+ \[2, 4\] f32/);
    expect(() => d(sg.tensor(new Float32Array(6), [6]), sg.tensor(new Float32Array(6), [6]), labels)).toThrow(
      /studentLogits must be f32 \[N, C\], got tensor #\d+ \[6\] f32/);
    expect(() => d(s, s, sg.tensor([0, 1, 2], [3], { dtype: 'i32' }))).toThrow(/labels must be i32 \[2\] .*got tensor #\d+ \[3\] i32/);
    expect(() => d(s, s, sg.tensor([0, 1], [2]))).toThrow(/labels must be i32 \[2\].*got tensor #\d+ \[2\] f32/);
    expect(() => d(s, s, labels, { T: 2 } as never)).toThrow(/train\.distillationLoss: unknown option 'T'/);
  });
});
