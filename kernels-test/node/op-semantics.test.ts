// Op semantics against PyTorch's own numbers (kernels-test/fixtures/op-semantics/torch.json, made by
// make.py there with torch; the test does not need torch): NaN through max/min/argmax/argmin, BCE
// with logits' `weight`, conv2d padding 'same' / 'valid', pooling ceilMode, crossEntropy with
// class-probability targets, and second derivatives (grad of grad) of crossEntropy, BCE with logits,
// cosineSimilarityMatrix and clipLoss. Both kernel rule sets (software and hardware) run every check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { caseOf, expectSecondOrder, expectTorch, f32, i32, loadFixture, values, type Entry } from '../torch-fixtures.js';

const fixture = loadFixture<{ cases: Record<string, Entry> }>('op-semantics/torch.json');
const C = (name: string): Entry => caseOf(fixture, name, 'op-semantics/make.py');

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => {
  sg.setKernelRules();
  sg.dispose();
});

for (const rules of ['software', 'hardware'] as const) {
  describe(`${rules} kernel rules`, () => {
    beforeAll(() => sg.setKernelRules(rules));

    it('max/min propagate NaN, amax gradient is NaN along a NaN slice, argmax/argmin take NaN as the extreme', async () => {
      const e = C('max_nan');
      const x = f32(e.inputs.x);
      await expectTorch(sg.max(x, 1), e.outputs.amax1, 'max(x, 1)');
      await expectTorch(sg.min(x, 1), e.outputs.amin1, 'min(x, 1)');
      await expectTorch(sg.max(x, 0), e.outputs.amax0, 'max(x, 0)');
      await expectTorch(sg.max(x), e.outputs.amax_all, 'max(x)');
      await expectTorch(sg.grad((a: Tensor) => sg.sum(sg.max(a, 1)))(x)[0], e.outputs.grad_amax1, 'd sum(max(x, 1)) / dx');
      for (const [got, name] of [[sg.argmax(x, 1), 'argmax1'], [sg.argmin(x, 1), 'argmin1'], [sg.argmax(x, 0), 'argmax0']] as const) {
        expect(Array.from(await got.data()), name).toEqual(values(e.outputs[name]));
      }
      // The plain example of the issue: a long row through the workgroup tree too.
      const long = sg.tensor(Float32Array.from({ length: 1000 }, (_, i) => (i === 777 ? NaN : i)), [1000]);
      expect(await sg.max(long).item()).toBeNaN();
      expect(await sg.min(long).item()).toBeNaN();
      expect(await sg.max(sg.tensor([1, NaN, 3], [3])).item()).toBeNaN();
    });

    it('binaryCrossEntropyWithLogits weight (broadcast, with posWeight) for every reduction', async () => {
      for (const red of ['mean', 'sum', 'none'] as const) {
        const e = C(`bce_weight_${red}`);
        const l = sg.binaryCrossEntropyWithLogits(f32(e.inputs.x), f32(e.inputs.y), { weight: f32(e.inputs.w), posWeight: f32(e.inputs.pw), reduction: red });
        await expectTorch(l, e.outputs.loss, `bce ${red}`);
      }
      const e = C('bce_weight_c');
      await expectTorch(sg.binaryCrossEntropyWithLogits(f32(e.inputs.x), f32(e.inputs.y), { weight: f32(e.inputs.w) }), e.outputs.loss, 'bce weight [C]');
      expect(() => sg.binaryCrossEntropyWithLogits(f32(e.inputs.x), f32(e.inputs.y), { weight: sg.tensor([1, 2], [2]) }))
        .toThrow(/binaryCrossEntropyWithLogits: .*weight/);
    });

    it("conv2d padding 'same' (odd totals padded at the bottom/right) and 'valid'", async () => {
      for (const name of ['conv_same_2x2', 'conv_same_4x3_dil', 'conv_same_3x3']) {
        const e = C(name);
        const dilation = e.attrs.dilation as [number, number] | undefined;
        const y = sg.conv2d(f32(e.inputs.x), f32(e.inputs.w), f32(e.inputs.b), { padding: 'same', ...(dilation ? { dilation } : {}) });
        await expectTorch(y, e.outputs.y, name, 1e-4);
      }
      const e = C('conv_valid');
      await expectTorch(sg.conv2d(f32(e.inputs.x), f32(e.inputs.w), { padding: 'valid' }), e.outputs.y, 'conv valid', 1e-4);
      expect(() => sg.conv2d(f32(e.inputs.x), f32(e.inputs.w), { padding: 'same', stride: 2 }))
        .toThrow(/conv2d: padding 'same' needs stride 1, got stride \[2, 2\]/);
      expect(() => sg.conv2dBackwardInput(sg.tensor(new Float32Array(30), [1, 3, 5, 2]), f32(e.inputs.w), [1, 2, 5, 6], { padding: 'same' }))
        .toThrow(/conv2dBackwardInput: padding 'same' is not supported/);
    });

    it('nn.conv2d layer passes padding same through', async () => {
      const layer = sg.nn.conv2d(2, 3, 2, { padding: 'same', seed: 1 });
      const y = layer.forward(sg.tensor(new Float32Array(2 * 2 * 5 * 6).fill(0.5), [2, 2, 5, 6]));
      expect(y.shape).toEqual([2, 3, 5, 6]);
    });

    it('maxPool2d / avgPool2d ceilMode: output size, values, divisor, gradient', async () => {
      for (const name of ['k2s2_7x5', 'k3s2p1_8x8', 'k2s2p1_5x5', 'k3s3_10x11']) {
        const e = C(`pool_ceil_${name}`);
        const x = f32(e.inputs.x);
        const o = { kernelSize: e.attrs.kernel as number, stride: e.attrs.stride as number, padding: e.attrs.padding as number, ceilMode: true };
        await expectTorch(sg.maxPool2d(x, o), e.outputs.max, `max ${name}`);
        await expectTorch(sg.avgPool2d(x, o), e.outputs.avg, `avg ${name}`);
        await expectTorch(sg.avgPool2d(x, { ...o, countIncludePad: false }), e.outputs.avg_nopad, `avg no pad ${name}`);
        await expectTorch(sg.grad((a: Tensor) => sg.sum(sg.avgPool2d(a, o)))(x)[0], e.outputs.grad_avg, `avg grad ${name}`);
      }
      expect(() => sg.maxPool2d(sg.tensor(new Float32Array(16), [1, 1, 4, 4]), { kernelSize: 2, ceilMode: 1 as never }))
        .toThrow(/maxPool2d: ceilMode must be true or false, got 1/);
      const nnPool = sg.nn.maxPool2d(2, { ceilMode: true });
      expect(nnPool.forward(sg.tensor(new Float32Array(25), [1, 1, 5, 5])).shape).toEqual([1, 1, 3, 3]);
    });

    it('crossEntropy with class-probability targets (weights, label smoothing, reductions, [N, C, d])', async () => {
      for (const red of ['mean', 'sum', 'none'] as const) {
        for (const eps of [0, 0.2]) {
          const e = C(`ce_probs_${red}_${eps === 0 ? '0.0' : eps}`);
          const z = f32(e.inputs.z);
          const f = (zz: Tensor) => sg.crossEntropy(zz, f32(e.inputs.q), { weight: f32(e.inputs.w), labelSmoothing: eps, reduction: red });
          await expectTorch(f(z), e.outputs.loss, `ce probs ${red} ε=${eps}`);
          await expectTorch(sg.grad((zz: Tensor) => sg.sum(f(zz)))(z)[0], e.outputs.grad, `ce probs grad ${red} ε=${eps}`);
        }
      }
      const e = C('ce_probs_kdim');
      await expectTorch(sg.crossEntropy(f32(e.inputs.z), f32(e.inputs.q), { labelSmoothing: 0.1 }), e.outputs.loss, 'ce probs [N, C, d]');
      expect(() => sg.crossEntropy(f32(e.inputs.z), sg.tensor(new Float32Array(6), [2, 3])))
        .toThrow(/crossEntropy: class-probability target .*\[2, 3\].* must have the shape of logits/);
      expect(() => sg.crossEntropy(f32(e.inputs.z), f32(e.inputs.q), { ignoreIndex: 0 })).toThrow(/ignoreIndex \(0\) applies to class-index targets only/);
    });

    it('crossEntropy second derivatives (weights, smoothing, ignoreIndex; mean, sum, none with upstream weights)', async () => {
      for (const red of ['mean', 'sum'] as const) {
        const e = C(`ce_second_${red}`);
        const z = f32(e.inputs.z);
        const t = i32(e.inputs.t);
        const v = f32(e.inputs.v);
        const g = (zz: Tensor) => sg.grad((a: Tensor) => sg.crossEntropy(a, t, { weight: f32(e.inputs.w), labelSmoothing: 0.1, reduction: red }))(zz)[0];
        await expectTorch(g(z), e.outputs.g, `ce grad ${red}`);
        await expectTorch(sg.grad((zz: Tensor) => sg.sum(sg.mul(g(zz), v)))(z)[0], e.outputs.h, `ce grad of grad ${red}`);
      }
      const e = C('ce_second_none');
      const [z, u, v] = [f32(e.inputs.z), f32(e.inputs.u), f32(e.inputs.v)];
      const t = i32(e.inputs.t);
      const g = (zz: Tensor, uu: Tensor) => sg.grad((a: Tensor) => sg.sum(sg.mul(sg.crossEntropy(a, t, { reduction: 'none' }), uu)), [zz])(zz)[0];
      const [hz, hu] = sg.grad((zz: Tensor, uu: Tensor) => sg.sum(sg.mul(g(zz, uu), v)))(z, u);
      await expectTorch(hz, e.outputs.h, 'ce none grad of grad (z)');
      await expectTorch(hu, e.outputs.hu, 'ce none grad of grad (upstream u)');
    });

    it('binaryCrossEntropyWithLogits second derivatives (x and target)', async () => {
      const e = C('bce_second');
      const [x, y, pw, vx, vy] = ['x', 'y', 'pw', 'vx', 'vy'].map((k) => f32(e.inputs[k]));
      await expectSecondOrder('bce', e, (p, q) => sg.binaryCrossEntropyWithLogits(p, q, { posWeight: pw }), [x, y], [vx, vy],
        { g: ['gx', 'gy'], h: ['hx', 'hy'] });
    });

    it('cosineSimilarityMatrix and clipLoss second derivatives', async () => {
      let e = C('cos_second');
      const [a, b, r, va, vb] = ['a', 'b', 'r', 'va', 'vb'].map((k) => f32(e.inputs[k]));
      await expectSecondOrder('cos', e, (s, t) => sg.sum(sg.mul(sg.cosineSimilarityMatrix(s, t), r)), [a, b], [va, vb],
        { g: ['ga', 'gb'], h: ['ha', 'hb'] });

      e = C('clip_second');
      const [img, txt, logt, vi, vt, vl] = ['img', 'txt', 'logt', 'vi', 'vt', 'vl'].map((k) => f32(e.inputs[k]));
      await expectSecondOrder('clip', e, (x, y, z) => sg.clipLoss(x, y, z), [img, txt, logt], [vi, vt, vl],
        { g: ['gi', 'gt', 'gl'], h: ['hi', 'ht', 'hl'] }, { h: [1e-4, 1e-3] });
    });
  });
}
