// rmsNorm, groupNorm and instanceNorm against PyTorch's own numbers (kernels-test/fixtures/norms/torch.json,
// made by make.py there with torch; this test does not need torch): values, first and second
// derivatives, instance norm's running statistics and eval path, nn.InstanceNorm2d over two training
// steps and eval, and the state_dict keys of the nn layers. Both kernel rule sets (software and
// hardware) run the numeric checks. Then the nn layers' own behaviour, the PyTorch export, and the
// bad-input errors (each names the function, the tensor and its shape).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { pytorchModelCode } from '../../src/io/pytorch-export.js';
import { caseOf, expectSecondOrder, expectTorch, f32, loadFixture, type Entry } from '../torch-fixtures.js';

interface Key { name: string; dtype: string; shape: number[] }
const fixture = loadFixture<{ rms_default_eps: number; state_dicts: Record<string, Key[]>; cases: Record<string, Entry> }>('norms/torch.json');
const C = (name: string): Entry => caseOf(fixture, name, 'norms/make.py');

/**
 * A make.py norm_case: y = f(inputs named `names`), the gradients g_<name> of Σ y·r and the second
 * derivatives h_<name> = ∇⟨∇(Σ y·r), v⟩.
 */
async function expectCase(name: string, names: string[], f: (...xs: Tensor[]) => Tensor, atol = 1e-5, rtol = 1e-4): Promise<void> {
  const e = C(name);
  const xs = names.map((n) => f32(e.inputs[n]));
  const r = f32(e.inputs.r);
  const vs = names.map((n) => f32(e.inputs[`v_${n}`]));
  await expectTorch(f(...xs), e.outputs.y, `${name} y`, atol, rtol);
  await expectSecondOrder(name, e, (...a: Tensor[]) => sg.sum(sg.mul(f(...a), r)), xs, vs,
    { g: names.map((n) => `g_${n}`), h: names.map((n) => `h_${n}`) }, { g: [atol, rtol], h: [10 * atol, 10 * rtol] });
}

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => {
  sg.setKernelRules();
  sg.dispose();
});

for (const rules of ['software', 'hardware'] as const) {
  describe(`against PyTorch (${rules} kernel rules)`, () => {
    beforeAll(() => sg.setKernelRules(rules));
    afterAll(() => sg.setKernelRules());

    it('rmsNorm: default eps is torch.finfo(float32).eps; values, gradients and second derivatives', async () => {
      expect(fixture.rms_default_eps).toBe(2 ** -23);
      await expectCase('rms_weight_default_eps', ['x', 'w'], (x, w) => sg.rmsNorm(x, [5], w));
      await expectCase('rms_2d_no_weight', ['x'], (x) => sg.rmsNorm(x, [3, 4], null, 1e-5));
      const e = C('rms_tiny_default_eps');
      await expectTorch(sg.rmsNorm(f32(e.inputs.x), [4], f32(e.inputs.w)), e.outputs.y, 'rms tiny values, default eps', 1e-5, 1e-3);
      await expectTorch(sg.rmsNorm(f32(e.inputs.x), [4], f32(e.inputs.w), undefined), e.outputs.y, 'rms eps undefined', 1e-5, 1e-3);
    });

    it('groupNorm: 3 groups with affine, 1 group, C groups with eps', async () => {
      await expectCase('group_3_affine', ['x', 'w', 'b'], (x, w, b) => sg.groupNorm(x, 3, w, b));
      await expectCase('group_1_plain', ['x'], (x) => sg.groupNorm(x, 1));
      await expectCase('group_C_eps', ['x', 'w', 'b'], (x, w, b) => sg.groupNorm(x, 4, w, b, 0.01));
    });

    it('instanceNorm: affine values and derivatives; running statistics update; eval with running statistics', async () => {
      await expectCase('instance_affine', ['x', 'w', 'b'], (x, w, b) => sg.instanceNorm(x, { weight: w, bias: b }).y);
      let e = C('instance_running_update');
      const r = sg.instanceNorm(f32(e.inputs.x), { runningMean: f32(e.inputs.rm), runningVar: f32(e.inputs.rv), momentum: 0.3 });
      await expectTorch(r.y, e.outputs.y, 'instance y');
      await expectTorch(r.runningMean!, e.outputs.running_mean, 'instance running_mean');
      await expectTorch(r.runningVar!, e.outputs.running_var, 'instance running_var (unbiased)');
      e = C('instance_running_eval');
      const y = sg.instanceNorm(f32(e.inputs.x), {
        runningMean: f32(e.inputs.rm), runningVar: f32(e.inputs.rv), weight: f32(e.inputs.w), bias: f32(e.inputs.b), useInputStats: false,
      }).y;
      await expectTorch(y, e.outputs.y, 'instance eval');
    });

    it('nn.instanceNorm2d(affine, trackRunningStats): two training steps, then eval; num_batches_tracked stays 0 as in torch', async () => {
      const e = C('instance_module');
      const m = sg.nn.instanceNorm2d(3, { affine: true, trackRunningStats: true, momentum: 0.2 });
      await m.loadStateDict({ ...m.stateDict(), weight: f32(e.inputs.weight), bias: f32(e.inputs.bias) });
      await expectTorch(m.forward(f32(e.inputs.x1)), e.outputs.y1, 'step 1');
      await expectTorch(m.forward(f32(e.inputs.x2)), e.outputs.y2, 'step 2');
      m.eval();
      await expectTorch(m.forward(f32(e.inputs.x3)), e.outputs.y3_eval, 'eval');
      const sd = m.stateDict();
      await expectTorch(sd.running_mean, e.outputs.running_mean, 'running_mean');
      await expectTorch(sd.running_var, e.outputs.running_var, 'running_var');
      expect(Array.from(await sd.num_batches_tracked.data())).toEqual(e.outputs.num_batches_tracked.data);
    });
  });
}

describe('nn layers', () => {
  const keysOf = async (m: sg.nn.Module) => Object.entries(m.stateDict()).map(([name, t]) => ({
    name, dtype: t.dtype === 'i32' ? 'int64' : 'float32', shape: t.shape,
  }));

  it("state_dict keys, shapes and dtypes are torch's (i32 num_batches_tracked is int64 in torch and in saved files)", async () => {
    const sd = fixture.state_dicts;
    expect(await keysOf(sg.nn.groupNorm(2, 4))).toEqual(sd['GroupNorm(2, 4)']);
    expect(await keysOf(sg.nn.groupNorm(2, 4, { affine: false }))).toEqual(sd['GroupNorm(2, 4, affine=False)']);
    expect(await keysOf(sg.nn.instanceNorm2d(3, { affine: true, trackRunningStats: true })))
      .toEqual(sd['InstanceNorm2d(3, affine=True, track_running_stats=True)']);
    expect(await keysOf(sg.nn.instanceNorm1d(3))).toEqual(sd['InstanceNorm1d(3)']);
    expect(await keysOf(sg.nn.rmsNorm([2, 3]))).toEqual(sd['RMSNorm((2, 3))']);
    expect(await keysOf(sg.nn.rmsNorm(4, { affine: false }))).toEqual(sd['RMSNorm(4, elementwise_affine=False)']);
  });

  it('initialise as torch: weights ones, biases zeros, running_var ones', async () => {
    const g = sg.nn.groupNorm(2, 4).stateDict();
    expect(Array.from(await g.weight.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(await g.bias.data())).toEqual([0, 0, 0, 0]);
    const i = sg.nn.instanceNorm1d(2, { affine: true, trackRunningStats: true }).stateDict();
    expect(Array.from(await i.running_mean.data())).toEqual([0, 0]);
    expect(Array.from(await i.running_var.data())).toEqual([1, 1]);
    expect(Array.from(await sg.nn.rmsNorm([2, 2]).stateDict().weight.data())).toEqual([1, 1, 1, 1]);
  });

  it('instance norm takes unbatched inputs; without running statistics eval normalises with the input statistics', async () => {
    const x = sg.tensor(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), [3, 4]);
    const m = sg.nn.instanceNorm1d(3);
    const batched = await m.forward(sg.reshape(x, [1, 3, 4])).data();
    const unbatched = m.forward(x);
    expect(unbatched.shape).toEqual([3, 4]);
    expect(Array.from(await unbatched.data())).toEqual(Array.from(batched));
    m.eval();
    expect(Array.from(await m.forward(x).data())).toEqual(Array.from(batched));
  });

  it('instance norm running statistics update in compiled steps too', async () => {
    const model = sg.nn.sequential(sg.nn.instanceNorm1d(2, { trackRunningStats: true }), sg.nn.flatten(), sg.nn.linear(6, 2, { seed: 1 }));
    const X = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i));
    const eager = sg.nn.instanceNorm1d(2, { trackRunningStats: true });
    eager.forward(sg.tensor(X, [2, 2, 3]));
    eager.forward(sg.tensor(X, [2, 2, 3]));
    const plan = await sg.compile((xb, yb) => sg.crossEntropy(model.forward(xb), yb), {
      inputs: [{ shape: [2, 2, 3] }, { shape: [2], dtype: 'i32' }], params: model.parameters(),
      optimizer: { stateCount: 0, update: (p, g) => ({ param: sg.sub(p, sg.scale(g, 0.01)), states: [] }), hyper: () => ({}) },
    });
    for (let s = 0; s < 2; s++) plan.run(X, Int32Array.from([0, 1]));
    await plan.flush();
    plan.dispose();
    const got = model.stateDict();
    const want = eager.stateDict();
    expect(Array.from(await got['0.running_mean'].data())).toEqual(Array.from(await want.running_mean.data()));
    expect(Array.from(await got['0.running_var'].data())).toEqual(Array.from(await want.running_var.data()));
  });

  it('exportPytorch writes them as torch.nn code (RMSNorm through a fallback class where torch lacks nn.RMSNorm)', () => {
    const code = pytorchModelCode(sg.nn.sequential(
      sg.nn.rmsNorm([4, 5], { eps: 1e-6 }), sg.nn.groupNorm(2, 4, { affine: false }), sg.nn.groupNorm(1, 4, { eps: 1e-3 }),
      sg.nn.instanceNorm2d(4, { affine: true, trackRunningStats: true, momentum: 0.2 }), sg.nn.instanceNorm1d(4), sg.nn.rmsNorm(5, { affine: false }),
    ));
    expect(code).toContain(`    return nn.Sequential(
        RMSNorm((4, 5), eps=0.000001),
        nn.GroupNorm(2, 4, affine=False),
        nn.GroupNorm(1, 4, eps=0.001),
        nn.InstanceNorm2d(4, momentum=0.2, affine=True, track_running_stats=True),
        nn.InstanceNorm1d(4),
        RMSNorm(5, elementwise_affine=False),
    )
`);
    expect(code).toContain("RMSNorm = getattr(nn, 'RMSNorm', None)\nif RMSNorm is None:\n    class RMSNorm(nn.Module):");
    expect(pytorchModelCode(sg.nn.groupNorm(2, 4))).not.toContain('class RMSNorm');
  });

  it('bad layer arguments and inputs', () => {
    expect(() => sg.nn.groupNorm(3, 4)).toThrow(/GroupNorm: numChannels \(4\) must be divisible by numGroups \(3\)/);
    expect(() => sg.nn.groupNorm(0, 4)).toThrow(/GroupNorm: numGroups must be a positive integer, got 0/);
    expect(() => sg.nn.groupNorm(2, 4, { elementwise_affine: false } as never)).toThrow(/nn\.GroupNorm: unknown option 'elementwise_affine' \(did you mean 'affine'\?\)/);
    expect(() => sg.nn.instanceNorm2d(3, { track_running_stats: true } as never)).toThrow(/nn\.InstanceNorm2d: unknown option 'track_running_stats' \(did you mean 'trackRunningStats'\?\)/);
    expect(() => sg.nn.rmsNorm(4, { elementwise_affine: false } as never)).toThrow(/nn\.RMSNorm: unknown option 'elementwise_affine' \(did you mean 'affine'\?\)/);
    expect(() => sg.nn.rmsNorm([])).toThrow(/RMSNorm: normalizedShape must be a positive size or a non-empty list of them, got \[\]/);
    const x = sg.tensor(new Float32Array(24), [2, 3, 4], { name: 'h' });
    expect(() => sg.nn.groupNorm(2, 4).forward(x)).toThrow(/GroupNorm\(2, 4\): input tensor 'h' \[2, 3, 4\] f32 must be \[N, 4, \.\.\.\]/);
    expect(() => sg.nn.instanceNorm2d(3, { affine: true }).forward(x)).toThrow(/InstanceNorm2d\(3\): input tensor 'h' \[2, 3, 4\] f32 must be \[N, 3, H, W\] or \[3, H, W\]/);
    expect(() => sg.nn.instanceNorm1d(4, { affine: true }).forward(x)).toThrow(/InstanceNorm1d\(4\): input tensor 'h' \[2, 3, 4\] f32 must be \[N, 4, L\] or \[4, L\]/);
    expect(() => sg.nn.rmsNorm(3).forward(x)).toThrow(/RMSNorm: input tensor 'h' \[2, 3, 4\] f32 must end with \[3\]/);
  });
});

describe('bad inputs name the function, the tensor and its shape', () => {
  const t = (shape: number[], name = 'x') => sg.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { name });

  it('rmsNorm', () => {
    expect(() => sg.rmsNorm(t([2, 3]), [4])).toThrow(/rmsNorm: normalizedShape \[4\] must be the trailing dimensions of x, tensor 'x' \[2, 3\] f32,/);
    expect(() => sg.rmsNorm(t([2, 3]), [])).toThrow(/rmsNorm: normalizedShape must be a non-empty list of positive sizes, got \[\]/);
    expect(() => sg.rmsNorm(t([2, 3]), [3], t([2], 'g'))).toThrow(/rmsNorm: weight tensor 'g' \[2\] f32 must be f32 of shape \[3\] for x tensor 'x' \[2, 3\] f32/);
    expect(() => sg.rmsNorm(t([2, 3]), [3], null, -1)).toThrow(/rmsNorm: eps must be a finite number ≥ 0, got -1/);
    const ids = sg.tensor(new Int32Array(3), [3], { dtype: 'i32', name: 'ids' });
    expect(() => sg.rmsNorm(ids, [3])).toThrow(/rmsNorm: x must be f32, got tensor 'ids' \[3\] i32/);
  });

  it('groupNorm', () => {
    expect(() => sg.groupNorm(t([2, 6, 4]), 4)).toThrow(/groupNorm: the channels of tensor 'x' \[2, 6, 4\] f32 \(6\) must be divisible by the number of groups, 4/);
    expect(() => sg.groupNorm(t([6]), 2)).toThrow(/groupNorm: tensor 'x' \[6\] f32 must be \[N, C, \.\.\.\] with at least 2 dimensions/);
    expect(() => sg.groupNorm(t([2, 6]), 0)).toThrow(/groupNorm: numGroups must be a positive integer, got 0/);
    expect(() => sg.groupNorm(t([2, 6, 3]), 2, t([3], 'w'))).toThrow(/groupNorm: weight tensor 'w' \[3\] f32 must be f32 of shape \[6\]/);
    expect(() => sg.groupNorm(t([2, 6, 3]), 2, null, t([6, 1], 'b'))).toThrow(/groupNorm: bias tensor 'b' \[6, 1\] f32 must be f32 of shape \[6\]/);
    expect(() => sg.groupNorm(t([2, 6, 0]), 2)).toThrow(/groupNorm: x tensor 'x' \[2, 6, 0\] f32 has no values per group/);
  });

  it('instanceNorm', () => {
    expect(() => sg.instanceNorm(t([2, 3]))).toThrow(/instanceNorm: Expected more than 1 spatial element when training, got input size \[2, 3\]/);
    expect(() => sg.instanceNorm(t([2, 3, 1, 1]))).toThrow(/Expected more than 1 spatial element when training/);
    expect(() => sg.instanceNorm(t([3]))).toThrow(/instanceNorm: x tensor 'x' \[3\] f32 must be \[N, C, \.\.\.\] with at least 2 dimensions/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { weight: t([4], 'w') })).toThrow(/instanceNorm: weight tensor 'w' \[4\] f32 must be f32 of shape \[3\]/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { runningMean: t([3]) })).toThrow(/instanceNorm: runningMean and runningVar must be given together/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { useInputStats: false })).toThrow(/useInputStats: false normalises with the running statistics; give runningMean and runningVar/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { running_mean: t([3]) } as never)).toThrow(/instanceNorm: unknown option 'running_mean' \(did you mean 'runningMean'\?\)/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { momentum: NaN })).toThrow(/instanceNorm: momentum must be a finite number, got NaN/);
    expect(() => sg.instanceNorm(t([2, 3, 4]), { eps: -1 })).toThrow(/instanceNorm: eps must be a finite number ≥ 0, got -1/);
    // the eval path (L = 1 is fine there, as in torch)
    expect(() => sg.instanceNorm(t([2, 3]), { runningMean: t([3]), runningVar: t([3]), useInputStats: false })).not.toThrow();
  });

  it('differentiating through the running statistics is refused (they are state)', () => {
    const x = t([2, 3, 4]);
    expect(() => sg.grad((a: Tensor) => sg.sum(sg.instanceNorm(a, { runningMean: t([3]), runningVar: t([3]) }).runningVar!))(x))
      .toThrow(/grad: cannot differentiate through 'instanceNormRunning': running statistics are state/);
  });
});
