// API hygiene (issue #12 item 5): sg.copy is exported; sg.tensor reads nested arrays and rejects strings;
// every public options bag rejects unknown keys with a suggestion; SGD rejects a negative momentum.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(() => sg.init());
afterAll(() => sg.dispose());

describe('sg.copy', () => {
  it('is exported: a new buffer with the same values; the gradient passes through', async () => {
    expect(typeof sg.copy).toBe('function');
    const x = sg.tensor([1, 2, 3], [3], { name: 'x' });
    const y = sg.copy(x);
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    // A copy: assigning to x later leaves y as it was.
    await sg.assign(x, sg.tensor([7, 8, 9], [3]));
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    const [g] = sg.grad((v) => sg.sum(sg.mul(sg.copy(v), sg.tensor([1, 2, 3], [3]))))(x);
    expect(Array.from(await g.data())).toEqual([1, 2, 3]);
  });
});

describe('sg.tensor from JavaScript values', () => {
  it('nested arrays infer the shape (they gave NaNs)', async () => {
    const t = sg.tensor([[1, 2], [3, 4]] as unknown as number[]);
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4]);
  });

  it('a string is an error (it gave NaNs), and so is a ragged array', () => {
    expect(() => sg.tensor('abcd' as unknown as number[], [4])).toThrow(/sg\.tensor: data must be a number, an array of numbers .* got the string "abcd"/);
    expect(() => sg.tensor([[1, 2], [3]] as unknown as number[])).toThrow(/sg\.tensor: data\[1\] has 1 elements, but data\[0\] has 2/);
  });
  it('options: an unknown key (torch\'s requires_grad is a module matter here) and a bad dtype are errors', () => {
    expect(() => sg.tensor([1, 2], [2], { requiresGrad: true } as never)).toThrow(/tensor: unknown option 'requiresGrad'/);
    expect(() => sg.tensor([1, 2], [2], { dtyp: 'i32' } as never)).toThrow(/tensor: unknown option 'dtyp' \(did you mean 'dtype'\?\)/);
    expect(() => sg.tensor([1, 2], [2], { dtype: 'float32' } as never)).toThrow(/tensor: dtype must be 'f32' or 'i32', got "float32"/);
  });
});

describe('unknown option keys', () => {
  const params = () => [sg.tensor([1, 2], [2])];

  it('optimizers', () => {
    expect(() => sg.optim.adam(params(), { lr: 1e-3, betas: [0.9, 0.99] } as never)).toThrow(/^shadergrad: optim\.adam: unknown option 'betas' \(did you mean 'beta1'\?\)/);
    expect(() => sg.optim.adamW(params(), { lr: 1e-3, weight_decay: 0.1 } as never)).toThrow(/optim\.adamW: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => sg.optim.sgd(params(), { lr: 0.1, momentun: 0.9 } as never)).toThrow(/optim\.sgd: unknown option 'momentun' \(did you mean 'momentum'\?\)/);
    expect(() => sg.optim.rmsprop(params(), { learning_rate: 0.1 } as never)).toThrow(/optim\.rmsprop: unknown option 'learning_rate' \(did you mean 'lr'\?\)/);
    // Known keys still work.
    expect(() => sg.optim.sgd(params(), { lr: 0.1, momentum: 0.9, dampening: 0.1, clipNorm: 1 })).not.toThrow();
  });

  it('SGD rejects a negative momentum (torch: "Invalid momentum value"); RMSprop a negative alpha', () => {
    expect(() => sg.optim.sgd(params(), { lr: 0.1, momentum: -0.5 })).toThrow('shadergrad: optim.sgd: momentum must be a finite number ≥ 0, got -0.5');
    expect(() => sg.optim.sgd(params(), { lr: 0.1, momentum: NaN })).toThrow(/momentum must be a finite number ≥ 0, got NaN/);
    expect(() => sg.optim.rmsprop(params(), { lr: 0.1, alpha: -0.1 })).toThrow(/optim\.rmsprop: alpha must be a finite number ≥ 0, got -0\.1/);
    // torch accepts any dampening.
    expect(() => sg.optim.sgd(params(), { lr: 0.1, momentum: 0.9, dampening: -0.5 })).not.toThrow();
  });

  it('schedulers', () => {
    expect(() => sg.optim.cosineAnnealing({ T_max: 10 } as never)).toThrow(/optim\.cosineAnnealing: unknown option 'T_max' \(did you mean 'tMax'\?\)/);
    expect(() => sg.optim.stepLR({ step_size: 3 } as never)).toThrow(/optim\.stepLR: unknown option 'step_size' \(did you mean 'stepSize'\?\)/);
    expect(() => sg.optim.reduceOnPlateau({ patients: 2 } as never)).toThrow(/optim\.reduceOnPlateau: unknown option 'patients' \(did you mean 'patience'\?\)/);
    expect(() => sg.optim.warmup(sg.optim.constant(), { step: 3 } as never)).toThrow(/optim\.warmup: unknown option 'step' \(did you mean 'steps'\?\)/);
  });

  it('nn layers and initialisers', () => {
    expect(() => sg.nn.linear(2, 3, { use_bias: false } as never)).toThrow(/nn\.Linear: unknown option 'use_bias' \(did you mean 'bias'\?\)/);
    expect(() => sg.nn.conv2d(1, 2, 3, { pading: 1 } as never)).toThrow(/nn\.Conv2d: unknown option 'pading' \(did you mean 'padding'\?\)/);
    expect(() => sg.nn.batchNorm2d(4, { track_running_stats: false } as never)).toThrow(/nn\.BatchNorm2d: unknown option 'track_running_stats': running statistics are always tracked/);
    expect(() => sg.nn.maxPool2d(2, { strides: 2 } as never)).toThrow(/nn\.MaxPool2d: unknown option 'strides' \(did you mean 'stride'\?\)/);
    expect(() => sg.nn.gelu({ approx: 'tanh' } as never)).toThrow(/nn\.GELU: unknown option 'approx'/);
    expect(() => sg.nn.layerNorm(4, { elementwise_affine: false } as never)).toThrow(/nn\.LayerNorm: unknown option 'elementwise_affine' \(did you mean 'affine'\?\)/);
    expect(() => sg.nn.init.kaimingUniform([2, 2], { nonlinearty: 'relu' } as never)).toThrow(/nn\.init\.kaimingUniform: unknown option 'nonlinearty' \(did you mean 'nonlinearity'\?\)/);
    expect(() => sg.nn.init.uniform([2], 0, 1, { sed: 1 } as never)).toThrow(/nn\.init: unknown option 'sed' \(did you mean 'seed'\?\)/);
    // kaiming's own options are not passed on to uniform (which would reject them).
    expect(sg.nn.init.kaimingUniform([2, 2], { nonlinearity: 'relu', mode: 'fanOut', seed: 1 }).shape).toEqual([2, 2]);
  });

  it('functional ops and metrics: a misspelt option would silently change the numbers', () => {
    const x = sg.tensor(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    const w = sg.tensor(new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3]);
    const z = sg.tensor(new Float32Array(6), [2, 3]);
    const y = sg.tensor(new Int32Array([0, 2]), [2], { dtype: 'i32' });
    const u = sg.tensor(new Float32Array(6), [2, 3]);
    expect(() => sg.conv2d(x, w, null, { pad: 1 } as never)).toThrow(/^shadergrad: conv2d: unknown option 'pad' \(did you mean 'padding'\?\)/);
    expect(() => sg.conv2d(x, w, { strides: 2 } as never)).toThrow(/conv2d: unknown option 'strides' \(did you mean 'stride'\?\)/);
    expect(() => sg.crossEntropy(z, y, { label_smoothing: 0.1 } as never)).toThrow(/crossEntropy: unknown option 'label_smoothing' \(did you mean 'labelSmoothing'\?\)/);
    expect(() => sg.crossEntropy(z, y, { ignore_index: 1 } as never)).toThrow(/crossEntropy: unknown option 'ignore_index' \(did you mean 'ignoreIndex'\?\)/);
    expect(() => sg.mseLoss(z, u, { reduce: 'sum' } as never)).toThrow(/mseLoss: unknown option 'reduce' \(did you mean 'reduction'\?\)/);
    expect(() => sg.l1Loss(z, u, { reductions: 'sum' } as never)).toThrow(/l1Loss: unknown option 'reductions'/);
    expect(() => sg.huberLoss(z, u, { beta: 1 } as never)).toThrow(/huberLoss: unknown option 'beta'/);
    expect(() => sg.binaryCrossEntropyWithLogits(z, u, { pos_weight: z } as never)).toThrow(/binaryCrossEntropyWithLogits: unknown option 'pos_weight' \(did you mean 'posWeight'\?\)/);
    expect(() => sg.matmul(z, u, { transposeB: true } as never)).toThrow(/matmul: unknown option 'transposeB' \(options: 'transA', 'transB', 'version'\)/);
    expect(() => sg.maxPool2d(x, { kernelSize: 2, dilation: 2 } as never)).toThrow(/maxPool2d: unknown option 'dilation'/);
    expect(() => sg.maxPool2d(x, { kernelSize: 2, countIncludePad: false } as never)).toThrow(/maxPool2d: unknown option 'countIncludePad'/);
    expect(() => sg.avgPool2d(x, { kernel_size: 2 } as never)).toThrow(/avgPool2d: unknown option 'kernel_size' \(did you mean 'kernelSize'\?\)/);
    expect(() => sg.dropout(z, 0.5, { train: true } as never)).toThrow(/dropout: unknown option 'train' \(did you mean 'training'\?\)/);
    expect(() => sg.gelu(z, { approx: 'tanh' } as never)).toThrow(/gelu: unknown option 'approx' \(did you mean 'approximate'\?\)/);
    expect(() => sg.batchNorm(x, { running_mean: z } as never)).toThrow(/batchNorm: unknown option 'running_mean' \(did you mean 'runningMean'\?\)/);
    expect(() => sg.metrics.precision([[1, 0], [0, 1]], { averge: 'micro' } as never)).toThrow(/metrics\.precision: unknown option 'averge' \(did you mean 'average'\?\)/);
    expect(() => sg.metrics.r2([1, 2], [1, 2], { multioutput: 'raw' } as never)).toThrow(/metrics\.r2: unknown option 'multioutput'/);
    // The right names still work.
    expect(sg.conv2d(x, w, null, { padding: 1 }).shape).toEqual([2, 2, 4, 4]);
    expect(sg.crossEntropy(z, y, { labelSmoothing: 0.1, ignoreIndex: 1 }).shape).toEqual([]);
  });

  it('fit, evaluate, search, data and compile', async () => {
    const data = sg.data.xor({ n: 16 });
    const model = sg.nn.sequential(sg.nn.linear(2, 2));
    const optimizer = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    await expect(sg.train.fit(model, { data, loss: 'crossEntropy', optimizer, epoch: 3, batchSize: 8 } as never)).rejects.toThrow(
      "shadergrad: train.fit: unknown option 'epoch' (did you mean 'epochs'?)");
    await expect(sg.train.fit(model, { data, loss: 'crossEntropy', optimizer, epochs: 1, batchSize: 8, earlyStopping: { patient: 2 } } as never)).rejects.toThrow(
      /train\.fit: earlyStopping: unknown option 'patient' \(did you mean 'patience'\?\)/);
    await expect(sg.train.evaluate(model, data, { batch_size: 4 } as never)).rejects.toThrow(/train\.evaluate: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
    await expect(sg.search.run({ space: {}, trial: async () => ({}), objective: 'x', trails: 3 } as never)).rejects.toThrow(/search\.run: unknown option 'trails' \(did you mean 'trials'\?\)/);
    expect(() => sg.data.spiral({ count: 10 } as never)).toThrow(/data\.spiral: unknown option 'count'/);
    expect(() => sg.data.trainValTestSplit(data, { validation: 0.2 } as never)).toThrow(/data\.trainValTestSplit: unknown option 'validation'/);
    expect(() => sg.data.fromArrays([[0, 1]], [0], { num_classes: 2 } as never)).toThrow(/data\.fromArrays: unknown option 'num_classes' \(did you mean 'numClasses'\?\)/);
    await expect(sg.data.mnist({ n: 10 } as never)).rejects.toThrow(/data\.mnist: unknown option 'n'/);
    await expect(sg.save(model, '/nonexistent/x.safetensors', { optimiser: optimizer } as never)).rejects.toThrow(/^shadergrad: save: unknown option 'optimiser' \(did you mean 'optimizer'\?\)/);
    await expect(sg.load(model, '/nonexistent/x.safetensors', { strict: false } as never)).rejects.toThrow(/^shadergrad: load: unknown option 'strict'/);
    await expect(sg.compile((x) => sg.relu(x), { inputs: [{ shape: [2] }], read_every: 2 } as never)).rejects.toThrow(/compile: unknown option 'read_every' \(did you mean 'readEvery'\?\)/);
    await expect(sg.compile((x) => sg.relu(x), { inputs: [{ shape: [2], dype: 'f32' }] } as never)).rejects.toThrow(/compile: inputs\[0\]: unknown option 'dype' \(did you mean 'dtype'\?\)/);
  });
});
