// The subgroup rungs (shaders/*_subgroup.wgsl, common/subgroup_reduce.wgsl): softmax / logSoftmax,
// layerNorm, crossEntropy's forward and final sums, sum / mean / max / min, argmax / argmin and
// globalNorm, each forced to its 'subgroup' version (setRowVersion, src/ops/kernel-rules.ts) and
// checked forward and backward against the references like every other case. Rows of 1, odd and
// prime lengths, lengths below and above the workgroup (64 or 256 threads) and several strides of
// it, NaN / ±inf / ±1e4 edge values. Where the adapter lacks `subgroups` every case reports
// "not run: adapter lacks subgroups" (kernels-test/harness.ts), never a silent skip.
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { argmax, argmin, globalNorm } from '../../src/ops/reduce.js';
import { setRowVersion, type RowVersionRule } from '../../src/ops/kernel-rules.js';
import type { Case, InputSpec } from '../harness.js';

/** The cases with `rules` forced to their subgroup version while each runs. */
const subgroup = (rules: RowVersionRule[], cases: Case[]): Case[] => cases.map((c) => ({
  ...c,
  name: `${c.name} (subgroup)`,
  requires: ['subgroups'],
  before: () => rules.forEach((r) => setRowVersion(r, 'subgroup')),
  after: () => rules.forEach((r) => setRowVersion(r)),
}));

const labels = (n: number, C: number): InputSpec => ({ shape: [n], dtype: 'i32', intMax: C, noGrad: true });
const given = (values: number[]): InputSpec => ({ shape: [values.length], dtype: 'i32', values, noGrad: true });
const weights = (C: number): InputSpec => ({ shape: [C], range: [0.2, 2], noGrad: true });
const secondOrder = (f: (t: Tensor) => Tensor) => (x: Tensor, w: Tensor) => sg.grad((t: Tensor) => sg.sum(sg.mul(f(t), w)))(x)[0];

const softmaxCases = subgroup(['softmax'], [
  { name: 'softmax [4,7]', inputs: [[4, 7]], fn: (x) => sg.softmax(x) },
  { name: 'softmax row of 1 [5,1]', inputs: [[5, 1]], fn: (x) => sg.softmax(x) },
  { name: 'softmax size 1', inputs: [[1]], fn: (x) => sg.softmax(x) },
  { name: 'softmax prime row above the workgroup [3,257]', inputs: [{ shape: [3, 257], range: [-4, 4] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax rows of 600 (three strides) [2,600]', inputs: [{ shape: [2, 600], range: [-3, 3] }], fn: (x) => sg.softmax(x) },
  { name: 'softmax middle axis of 100 [2,100,3]', inputs: [{ shape: [2, 100, 3], range: [-3, 3] }], fn: (x) => sg.softmax(x, 1) },
  { name: 'softmax logits near 1e4 [3,70]', inputs: [{ shape: [3, 70], range: [9990, 10010] }], fn: (x) => sg.softmax(x) },
  { name: 'logSoftmax [6,19]', inputs: [{ shape: [6, 19], range: [-4, 4] }], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax row of 1 [3,1]', inputs: [[3, 1]], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax prime rows [4,263]', inputs: [{ shape: [4, 263], range: [-5, 5] }], fn: (x) => sg.logSoftmax(x) },
  { name: 'logSoftmax axis 0 of 31 [31,4]', inputs: [{ shape: [31, 4], range: [-3, 3] }], fn: (x) => sg.logSoftmax(x, 0) },
  { name: 'second order: softmax [3,6]', inputs: [[3, 6], [3, 6]], fn: secondOrder((t) => sg.softmax(t)) },
  { name: 'second order: logSoftmax rows of 70 [5,70]', inputs: [[5, 70], [5, 70]], fn: secondOrder((t) => sg.logSoftmax(t)) },
]);

const layerNormCases = subgroup(['layerNormRows'], [
  { name: 'layerNorm [4,7] with weight and bias', inputs: [[4, 7], [7], [7]], fn: (x, w, b) => sg.layerNorm(x, [7], w, b) },
  { name: 'layerNorm [5,3] no weight, no bias', inputs: [[5, 3]], fn: (x) => sg.layerNorm(x, [3]) },
  { name: 'layerNorm row of 1 [4,1]', inputs: [[4, 1], [1], [1]], fn: (x, w, b) => sg.layerNorm(x, [1], w, b) },
  { name: 'layerNorm one row [1,13]', inputs: [[1, 13], [13], [13]], fn: (x, w, b) => sg.layerNorm(x, [13], w, b) },
  { name: 'layerNorm prime row 257, weight only [2,257]', inputs: [[2, 257], [257]], fn: (x, w) => sg.layerNorm(x, [257], w), atol: 3e-5 },
  { name: 'layerNorm rows of 600 [3,600]', inputs: [[3, 600], [600], [600]], fn: (x, w, b) => sg.layerNorm(x, [600], w, b), atol: 3e-5 },
  { name: 'layerNorm 2-D normalizedShape of 96 [4,8,12]', inputs: [[4, 8, 12], [8, 12], [8, 12]], fn: (x, w, b) => sg.layerNorm(x, [8, 12], w, b), atol: 3e-5 },
  {
    name: 'layerNorm large offset [3,8]', inputs: [{ shape: [3, 8], range: [90, 110] }, [8], [8]],
    fn: (x, w, b) => sg.layerNorm(x, [8], w, b), atol: 1e-4,
  },
  {
    name: 'second order: dx of layerNorm, rows of 70 [4,70]', inputs: [[4, 70], [70], [70], [4, 70]], atol: 3e-5,
    fn: (x, w, b, r) => sg.grad((t: Tensor) => sg.sum(sg.mul(sg.layerNorm(t, [70], w, b), r)))(x)[0],
  },
]);

const crossEntropyCases = subgroup(['crossEntropyRows', 'crossEntropySum'], [
  { name: 'crossEntropy N=1 C=7', inputs: [[1, 7], labels(1, 7)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy C=1', inputs: [[4, 1], labels(4, 1)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy prime N=13 C=11', inputs: [[13, 11], labels(13, 11)], fn: (z, t) => sg.crossEntropy(z, t) },
  { name: 'crossEntropy C=131 (above the 64-thread workgroup)', inputs: [{ shape: [5, 131], range: [-4, 4] }, labels(5, 131)], fn: (z, t) => sg.crossEntropy(z, t) },
  {
    name: 'crossEntropy N=300 (above the 256-thread sums), class weights', inputs: [[300, 4], labels(300, 4), weights(4)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w }), atol: 1e-4,
  },
  { name: 'crossEntropy very large logits ±1e4', inputs: [{ shape: [6, 5], range: [-1e4, 1e4] }, labels(6, 5)], fn: (z, t) => sg.crossEntropy(z, t), atol: 1e-3 },
  { name: 'crossEntropy sum', inputs: [[7, 3], labels(7, 3)], fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'sum' }) },
  { name: 'crossEntropy none, C=70', inputs: [[3, 70], labels(3, 70)], fn: (z, t) => sg.crossEntropy(z, t, { reduction: 'none' }) },
  {
    name: 'crossEntropy smoothing 0.1 + weights + ignoreIndex', inputs: [[7, 5], given([4, -100, 0, 2, 2, -100, 1]), weights(5)],
    fn: (z, t, w) => sg.crossEntropy(z, t, { weight: w, labelSmoothing: 0.1 }),
  },
]);

const nanSkip = { skip: 'NaN inputs' };
const reduceCases = subgroup(['reduce'], [
  { name: 'sum all [7,13]', inputs: [[7, 13]], fn: (x) => sg.sum(x) },
  { name: 'sum size 1', inputs: [[1]], fn: (x) => sg.sum(x) },
  { name: 'sum axis -1 [4,129]', inputs: [[4, 129]], fn: (x) => sg.sum(x, -1) },
  { name: 'sum axis 0 [300,7] (long axis, strided)', inputs: [[300, 7]], fn: (x) => sg.sum(x, 0), atol: 1e-4 },
  { name: 'sum long row [1000]', inputs: [[1000]], fn: (x) => sg.sum(x), atol: 1e-4 },
  { name: 'mean axis 1 [6,7]', inputs: [[6, 7]], fn: (x) => sg.mean(x, 1) },
  { name: 'mean axes [1,2] [2,3,5]', inputs: [[2, 3, 5]], fn: (x) => sg.mean(x, [1, 2]) },
  { name: 'max axis 0 [150,66]', inputs: [[150, 66]], fn: (x) => sg.max(x, 0) },
  { name: 'max all [33]', inputs: [[33]], fn: (x) => sg.max(x) },
  { name: 'min axis 1 [3,131]', inputs: [[3, 131]], fn: (x) => sg.min(x, 1) },
  {
    name: 'max with ties splits the gradient', inputs: [{ shape: [2, 3], values: [1, 3, 3, -2, -2, -5] }], fn: (x) => sg.max(x, 1),
    finiteDifferences: { skip: 'max is not differentiable at ties; the rule is a convention (PyTorch amax)' },
  },
  {
    name: 'max propagates NaN along axis 1', inputs: [{ shape: [3, 4], values: [1, NaN, 3, 0, -1, -2, -3, -4, NaN, 5, NaN, 2] }],
    fn: (x) => sg.max(x, 1), finiteDifferences: nanSkip,
  },
  {
    name: 'max and min of long rows [2,300] with a NaN',
    inputs: [{ shape: [2, 300], values: Array.from({ length: 600 }, (_, i) => (i === 170 ? NaN : Math.sin(i))) }],
    fn: (x) => sg.add(sg.max(x, 1), sg.min(x, 1)), finiteDifferences: nanSkip,
  },
  {
    name: 'max of -inf is -inf, min of +inf is +inf', grad: false,
    inputs: [{ shape: [2, 3], values: [-Infinity, -Infinity, -Infinity, Infinity, Infinity, Infinity] }],
    fn: (x) => sg.concat([sg.max(sg.slice(x, 0, 0, 1), 1), sg.min(sg.slice(x, 0, 1, 2), 1)]),
  },
]);

const argCases = subgroup(['argReduce'], [
  { name: 'argmax axis 1 [5,9]', inputs: [[5, 9]], fn: (x) => argmax(x, 1), grad: false },
  { name: 'argmax size 1 [1]', inputs: [[1]], fn: (x) => argmax(x), grad: false },
  { name: 'argmax size-1 axis [4,1]', inputs: [[4, 1]], fn: (x) => argmax(x, 1), grad: false },
  { name: 'argmax long row [1000]', inputs: [[1000]], fn: (x) => argmax(x, 0), grad: false },
  { name: 'argmin prime rows [3,257]', inputs: [[3, 257]], fn: (x) => argmin(x, 1), grad: false },
  { name: 'argmax middle axis [2,31,3]', inputs: [[2, 31, 3]], fn: (x) => argmax(x, 1), grad: false },
  {
    name: 'argmax ties go to the first index', grad: false,
    inputs: [{ shape: [3, 4], values: [1, 3, 3, 2, -1, -1, -1, -1, 0, 5, 2, 5] }], fn: (x) => argmax(x, 1),
  },
  {
    name: 'argmin ties go to the first index, across threads', grad: false,
    inputs: [{ shape: [130], values: Array.from({ length: 130 }, (_, i) => (i % 65 === 3 ? -2 : i % 7)) }], fn: (x) => argmin(x, 0),
  },
  {
    name: 'argmax long row [1,300]: the first NaN wins across threads', grad: false,
    inputs: [{ shape: [1, 300], values: Array.from({ length: 300 }, (_, i) => (i === 170 || i === 233 ? NaN : i)) }],
    fn: (x) => argmax(x, 1),
  },
  {
    name: 'argmin with NaN and -1e9 [200]', grad: false,
    inputs: [{ shape: [200], values: Array.from({ length: 200 }, (_, i) => (i === 5 ? -1e9 : i === 99 ? NaN : i)) }],
    fn: (x) => argmin(x),
  },
  {
    name: 'argmax of all -inf is index 0', grad: false,
    inputs: [{ shape: [70], values: Array(70).fill(-Infinity) }], fn: (x) => argmax(x),
  },
]);

const globalNormCases = subgroup(['globalNorm'], [
  { name: 'globalNorm of one [7,13]', inputs: [[7, 13]], fn: (x) => globalNorm([x]) },
  { name: 'globalNorm of [3,5], [7], [1]', inputs: [[3, 5], [7], [1]], fn: (a, b, c) => globalNorm([a, b, c]) },
  { name: 'globalNorm of [3000] (several workgroups) and [2,2]', inputs: [[3000], [2, 2]], fn: (a, b) => globalNorm([a, b]), atol: 1e-4 },
]);

export const cases: Case[] = [...softmaxCases, ...layerNormCases, ...crossEntropyCases, ...reduceCases, ...argCases, ...globalNormCases];
