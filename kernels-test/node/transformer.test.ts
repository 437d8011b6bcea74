// nn.multiheadAttention, nn.transformerEncoderLayer and nn.transformerEncoder against PyTorch's own
// numbers (kernels-test/fixtures/transformer/torch.json, made by make.py there with torch; this test
// does not need torch): for every case the module is built with the case's options, loads torch's
// state_dict, and its output, its attention weights and the gradients of Σ out·dout with respect to
// the inputs (float masks included) and every parameter are torch's. Torch 1.13 has no is_causal:
// shadergrad's causal flag and isCausal are checked against torch's generate_square_subsequent_mask
// runs. Then what torch's numbers cannot show: state_dict keys and order, generateSquareSubsequentMask,
// the encoder's clones (same initial weights, separate tensors, trained apart), dropout in training
// and eval, a fully masked query row, and the errors for bad shapes and options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { type Arr, caseOf, expectTorch, f32, i32, loadFixture, values } from '../torch-fixtures.js';

/** 'squareSubsequent': torch's generate_square_subsequent_mask(T), named in the JSON (which has no −∞). */
type Mask = Arr & { dtype: 'bool' | 'f32' | 'squareSubsequent' };
type MhaConfig = { embedDim: number; numHeads: number } & sg.nn.MultiheadAttentionOptions;
type LayerConfig = { dModel: number; nhead: number } & sg.nn.TransformerEncoderLayerOptions;
type EncoderConfig = { layer: LayerConfig; numLayers: number; norm: { normalizedShape: number; eps: number } };
type Case = Fields & (
  | { module: 'MultiheadAttention'; config: MhaConfig }
  | { module: 'TransformerEncoderLayer'; config: LayerConfig }
  | { module: 'TransformerEncoder'; config: EncoderConfig });
interface Fields {
  call: { self?: boolean; needWeights?: boolean; averageAttnWeights?: boolean; causalMask?: boolean };
  stateDict: (Arr & { name: string })[];
  inputs: Record<string, Arr>;
  masks: Record<string, Mask>;
  out: Arr;
  dout: Arr;
  weights?: Arr;
  inputGrads?: Record<string, Arr>;
  paramGrads?: Record<string, Arr>;
}
interface Key { name: string; shape: number[] }
const fixture = loadFixture<{ torch: string; stateDicts: Record<string, Key[]>; cases: Record<string, Case> }>('transformer/torch.json');
const C = (name: string): Case => caseOf(fixture, name, 'transformer/make.py');

// Values of a few units computed in f32 against float64, outputs and gradients: |got − torch| ≤
// 1e-4 + 1e-4·|torch| (they agree to 1e-5 + 1e-5·|torch| on SwiftShader; the margin is for other adapters).
const TOL = [1e-4, 1e-4] as const;

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

/** torch's generate_square_subsequent_mask(T), written out here (sg.nn.generateSquareSubsequentMask has its own test). */
const squareSubsequent = (T: number): Tensor =>
  sg.tensor(Float32Array.from({ length: T * T }, (_, k) => (k % T > Math.floor(k / T) ? -Infinity : 0)), [T, T]);
const maskTensor = (m: Mask): Tensor => (m.dtype === 'bool' ? i32(m) : m.dtype === 'f32' ? f32(m) : squareSubsequent(m.shape[0]));

function layerOf(config: LayerConfig, extra: sg.nn.TransformerEncoderLayerOptions = {}): sg.nn.TransformerEncoderLayer {
  const { dModel, nhead, ...opts } = config;
  return sg.nn.transformerEncoderLayer(dModel, nhead, { ...opts, ...extra });
}

/** The case's module with torch's weights; `extra` adds encoder-layer options (causal). */
async function build(c: Case, extra: sg.nn.TransformerEncoderLayerOptions = {}): Promise<sg.nn.Module> {
  let m: sg.nn.Module;
  if (c.module === 'MultiheadAttention') {
    const { embedDim, numHeads, ...opts } = c.config;
    m = sg.nn.multiheadAttention(embedDim, numHeads, opts);
  } else if (c.module === 'TransformerEncoderLayer') {
    m = layerOf(c.config, extra);
  } else {
    const { layer, numLayers, norm } = c.config;
    m = sg.nn.transformerEncoder(layerOf(layer, extra), numLayers, { norm: sg.nn.layerNorm(norm.normalizedShape, { eps: norm.eps }) });
  }
  expect(Object.entries(m.stateDict()).map(([name, t]) => ({ name, shape: t.shape })), "state_dict keys, order and shapes are torch's")
    .toEqual(c.stateDict.map(({ name, shape }) => ({ name, shape })));
  await m.loadStateDict(Object.fromEntries(c.stateDict.map((e) => [e.name, f32(e)])));
  return m.eval();
}

type Run = (m: sg.nn.Module, ins: Record<string, Tensor>, masks: Record<string, Tensor>) => { output: Tensor; weights: Tensor | null };

/** The module call of a case: MHA's forward (need_weights=False) or attention(), the layer's and encoder's forward. */
const callOf = (c: Case): Run => (m, ins, masks) => {
  if (c.module === 'MultiheadAttention') {
    const mha = m as sg.nn.MultiheadAttention;
    const q = ins.query;
    const [k, v] = c.call.self ? [q, q] : [ins.key, ins.value];
    if (c.call.needWeights) return mha.attention(q, k, v, { ...masks, needWeights: true, averageAttnWeights: c.call.averageAttnWeights });
    return { output: c.call.self ? mha.forward(q, undefined, undefined, masks) : mha.forward(q, k, v, masks), weights: null };
  }
  return { output: (m as sg.nn.TransformerEncoderLayer).forward(ins.src, masks), weights: null };
};

/**
 * Build, load, run forward and backward, compare with torch. `masks` replaces the case's masks (by
 * name; undefined drops one), `call` the module call, `extra` adds layer options.
 */
async function expectCase(name: string, o: { masks?: Record<string, Tensor | undefined>; call?: Run; extra?: sg.nn.TransformerEncoderLayerOptions } = {}): Promise<void> {
  const c = C(name);
  const m = await build(c, o.extra);
  const ins = Object.fromEntries(Object.entries(c.inputs).map(([k, a]) => [k, f32(a)]));
  const masks: Record<string, Tensor> = Object.fromEntries(Object.entries(c.masks).map(([k, a]) => [k, maskTensor(a)]));
  for (const [k, t] of Object.entries(o.masks ?? {})) {
    if (t) masks[k] = t;
    else delete masks[k];
  }
  const dout = f32(c.dout);
  const params = m.namedParameters();
  expect(params.map(([n]) => n), 'parameters are torch\'s, in its order').toEqual(Object.keys(c.paramGrads!));
  const gradNames = Object.keys(c.inputGrads!);
  const wrt = [...gradNames.map((n) => ins[n] ?? masks[n]), ...params.map(([, p]) => p)];
  let r: ReturnType<Run> | undefined;
  const grads = sg.grad(() => {
    r = (o.call ?? callOf(c))(m, ins, masks);
    return sg.sum(sg.mul(r.output, dout));
  }, wrt)();
  await sg.read(r!.output, ...(r!.weights ? [r!.weights] : []), ...grads);
  await expectTorch(r!.output, c.out, `${name}: out`, ...TOL);
  if (c.weights) await expectTorch(r!.weights!, c.weights, `${name}: weights`, ...TOL);
  else expect(r!.weights).toBeNull();
  for (const [i, n] of gradNames.entries()) await expectTorch(grads[i], c.inputGrads![n], `${name}: d${n}`, ...TOL);
  for (const [i, [n]] of params.entries()) await expectTorch(grads[gradNames.length + i], c.paramGrads![n], `${name}: d${n}`, ...TOL);
}

describe(`against PyTorch (torch ${fixture.torch})`, () => {
  const complete = Object.keys(fixture.cases).filter((n) => C(n).inputGrads);
  for (const name of complete) it(name, () => expectCase(name));

  it('a fully masked query row: the other rows are torch\'s; that row is out_proj(0) = out_proj.bias (torch ≥ 2.5), finite gradients', async () => {
    const name = 'mha fully masked query row';
    const c = C(name);
    const m = (await build(c)) as sg.nn.MultiheadAttention;
    const [q, k, v] = ['query', 'key', 'value'].map((n) => f32(c.inputs[n]));
    const mask = maskTensor(c.masks.attnMask);
    const out = m.forward(q, k, v, { attnMask: mask });
    const grads = sg.grad((qq, kk, vv) => sg.sum(sg.mul(m.forward(qq, kk, vv, { attnMask: mask }), f32(c.dout))))(q, k, v);
    const [o, bias, ...gs] = await sg.read(out, m.stateDict()['out_proj.bias'], ...grads);
    const want = values(c.out);
    const [L, N, E] = c.out.shape;
    const S = c.masks.attnMask.shape[1];
    const masked = Array.from({ length: L }, (_, i) => values(c.masks.attnMask).slice(i * S, i * S + S).every((x) => x !== 0));
    expect(masked).toEqual([false, false, true, false]);
    for (let i = 0; i < L; i++) {
      for (let n = 0; n < N; n++) {
        for (let e = 0; e < E; e++) {
          const at = (i * N + n) * E + e;
          if (masked[i]) expect(o[at], `row ${i}, batch ${n}, feature ${e}: out_proj.bias`).toBeCloseTo(bias[e], 6);
          else expect(Math.abs(o[at] - want[at]), `out[${i}, ${n}, ${e}]: got ${o[at]}, torch ${want[at]}`).toBeLessThanOrEqual(TOL[0] + TOL[1] * Math.abs(want[at]));
        }
      }
    }
    for (const g of gs) expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });
});

describe("causal attention against torch's generate_square_subsequent_mask runs", () => {
  it('a causal layer (causal: true) without a mask is the torch layer with src_mask = generate_square_subsequent_mask(T)', async () => {
    await expectCase('layer relu post-norm [T, N, E], causal src_mask', { extra: { causal: true }, masks: { srcMask: undefined } });
  });

  it('isCausal: true with a key padding mask (the causal bias joins the padding mask)', async () => {
    await expectCase('layer relu pre-norm, causal src_mask and key padding', { masks: { srcMask: undefined },
      call: (m, ins, masks) => ({ output: (m as sg.nn.TransformerEncoderLayer).forward(ins.src, { ...masks, isCausal: true }), weights: null }) });
  });

  it('a causal encoder (its layers causal) with key padding, and an encoder called with isCausal', async () => {
    const name = 'encoder 2 layers + LayerNorm, batchFirst pre-norm gelu, causal mask and key padding';
    await expectCase(name, { extra: { causal: true }, masks: { mask: undefined } });
    await expectCase(name, { masks: { mask: undefined },
      call: (m, ins, masks) => ({ output: (m as sg.nn.TransformerEncoder).forward(ins.src, { ...masks, isCausal: true }), weights: null }) });
  });
});

describe('nn modules', () => {
  const t = (shape: number[], name?: string, f = (i: number) => Math.sin(0.7 * i + 0.3)) =>
    sg.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)), shape, name ? { name } : {});
  const keysOf = (m: sg.nn.Module): Key[] => Object.entries(m.stateDict()).map(([name, x]) => ({ name, shape: x.shape }));

  it("state_dict keys, order and shapes of default-built modules are torch's", () => {
    const sd = fixture.stateDicts;
    expect(keysOf(sg.nn.multiheadAttention(8, 2))).toEqual(sd['MultiheadAttention(8, 2)']);
    expect(keysOf(sg.nn.multiheadAttention(8, 2, { bias: false }))).toEqual(sd['MultiheadAttention(8, 2, bias=False)']);
    expect(keysOf(sg.nn.multiheadAttention(8, 2, { kdim: 3, vdim: 5 }))).toEqual(sd['MultiheadAttention(8, 2, kdim=3, vdim=5)']);
    const layer = sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(keysOf(layer)).toEqual(sd['TransformerEncoderLayer(8, 2, dim_feedforward=16)']);
    expect(keysOf(sg.nn.transformerEncoder(layer, 2, { norm: sg.nn.layerNorm(8) })))
      .toEqual(sd['TransformerEncoder(TransformerEncoderLayer(8, 2, dim_feedforward=16), 2, norm=LayerNorm(8))']);
  });

  it('generateSquareSubsequentMask: f32 [T, T], −∞ above the diagonal, 0 on and below it', async () => {
    const m = sg.nn.generateSquareSubsequentMask(4);
    expect(m.shape).toEqual([4, 4]);
    expect(m.dtype).toBe('f32');
    const I = -Infinity;
    expect(Array.from(await m.data())).toEqual([0, I, I, I, 0, 0, I, I, 0, 0, 0, I, 0, 0, 0, 0]);
    expect(Array.from(await sg.nn.generateSquareSubsequentMask(1).data())).toEqual([0]);
    expect(() => sg.nn.generateSquareSubsequentMask(0)).toThrow(/generateSquareSubsequentMask: T must be a positive integer, got 0/);
  });

  it('a causal layer equals the same layer with srcMask = generateSquareSubsequentMask(T), with and without key padding', async () => {
    const [T, N, E] = [6, 2, 8];
    const plain = sg.nn.transformerEncoderLayer(E, 2, { dimFeedforward: 12, dropout: 0, seed: 3 }).eval();
    const causal = sg.nn.transformerEncoderLayer(E, 2, { dimFeedforward: 12, dropout: 0, seed: 4, causal: true }).eval();
    await causal.loadStateDict(plain.stateDict());
    const x = t([T, N, E]);
    const pad = sg.tensor(Int32Array.from([0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1]), [N, T], { dtype: 'i32' });
    const mask = sg.nn.generateSquareSubsequentMask(T);
    const [a, b, c, d] = await sg.read(
      plain.forward(x, { srcMask: mask }), causal.forward(x),
      plain.forward(x, { srcMask: mask, srcKeyPaddingMask: pad }), causal.forward(x, { srcKeyPaddingMask: pad }),
    );
    for (const [got, want, what] of [[b, a, 'no padding'], [d, c, 'key padding']] as const) {
      got.forEach((g, i) => expect(Math.abs(g - want[i]), `${what} [${i}]: causal ${g}, masked ${want[i]}`).toBeLessThan(1e-5));
    }
    // And causal is not a no-op: without the mask the plain layer gives other values.
    const [e] = await sg.read(plain.forward(x));
    expect(Array.from(e).some((v, i) => Math.abs(v - a[i]) > 1e-3)).toBe(true);
  });

  it("transformerEncoder's layers start as copies of the layer (torch's deepcopy) and train apart", async () => {
    const layer = sg.nn.transformerEncoderLayer(6, 2, { dimFeedforward: 8, dropout: 0, seed: 11 });
    const enc = sg.nn.transformerEncoder(layer, 2);
    const own = layer.stateDict();
    const sd = enc.stateDict();
    const names = Object.keys(own);
    for (const n of names) {
      const [a, b, c] = await sg.read(sd[`layers.0.${n}`], sd[`layers.1.${n}`], own[n]);
      expect(Array.from(a), `layers.0.${n} = layer's`).toEqual(Array.from(c));
      expect(Array.from(b), `layers.1.${n} = layer's`).toEqual(Array.from(c));
      expect(sd[`layers.0.${n}`]).not.toBe(sd[`layers.1.${n}`]);
      expect(sd[`layers.0.${n}`]).not.toBe(own[n]);
    }
    expect(enc.parameters()).toHaveLength(2 * layer.parameters().length);
    // One SGD step: the two layers see different inputs, so their weights move apart; the layer given to
    // the encoder is not part of it and keeps its weights.
    const params = enc.parameters();
    const x = t([5, 2, 6]);
    const target = t([5, 2, 6], undefined, (i) => Math.cos(i));
    const [, grads] = await sg.valueAndGrad(() => sg.mseLoss(enc.forward(x), target), params)();
    await sg.optim.sgd(params, { lr: 0.5 }).step(grads);
    const after = enc.stateDict();
    for (const n of ['self_attn.in_proj_weight', 'linear1.weight', 'norm2.bias']) {
      const [a, b, c] = await sg.read(after[`layers.0.${n}`], after[`layers.1.${n}`], own[n]);
      const [c0] = await sg.read(layer.stateDict()[n]);
      expect(Array.from(a).some((v, i) => v !== c[i]), `layers.0.${n} trained`).toBe(true);
      expect(Array.from(b).some((v, i) => v !== c[i]), `layers.1.${n} trained`).toBe(true);
      expect(Array.from(a).some((v, i) => Math.abs(v - b[i]) > 1e-6), `layers.0.${n} and layers.1.${n} differ after a step`).toBe(true);
      expect(Array.from(c0), `the template layer's ${n} is unchanged`).toEqual(Array.from(c));
    }
  });

  it('dropout: training draws new masks each forward; eval is deterministic and equals dropout 0', async () => {
    const [T, N, E] = [4, 2, 6];
    const layer = sg.nn.transformerEncoderLayer(E, 2, { dimFeedforward: 8, dropout: 0.5, seed: 5 });
    const noDrop = sg.nn.transformerEncoderLayer(E, 2, { dimFeedforward: 8, dropout: 0, seed: 6 });
    await noDrop.loadStateDict(layer.stateDict());
    const x = t([T, N, E]);
    expect(layer.training).toBe(true);
    const [a, b] = await sg.read(layer.forward(x), layer.forward(x));
    expect(Array.from(a).some((v, i) => Math.abs(v - b[i]) > 1e-4), 'two training forwards differ').toBe(true);
    layer.eval();
    const [c, d, e] = await sg.read(layer.forward(x), layer.forward(x), noDrop.forward(x));
    expect(Array.from(c)).toEqual(Array.from(d));
    c.forEach((v, i) => expect(Math.abs(v - e[i])).toBeLessThan(1e-6));
    expect(Array.from(a).some((v, i) => Math.abs(v - c[i]) > 1e-4), 'training differs from eval').toBe(true);

    // MultiheadAttention's dropout is on the attention weights: training weights differ per call, rows of
    // kept weights scaled by 1/(1 − p); eval weights are softmax rows (sum 1) and repeat.
    const mha = sg.nn.multiheadAttention(E, 2, { dropout: 0.5, seed: 7 });
    const q = t([T, N, E]);
    const [w1, w2] = await sg.read(mha.attention(q).weights!, mha.attention(q).weights!);
    expect(Array.from(w1).some((v, i) => Math.abs(v - w2[i]) > 1e-6)).toBe(true);
    mha.eval();
    const [w3, w4] = await sg.read(mha.attention(q).weights!, mha.attention(q).weights!);
    expect(Array.from(w3)).toEqual(Array.from(w4));
    for (let r = 0; r < N * T; r++) expect(Array.from(w3.slice(r * T, r * T + T)).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });
});

describe('errors name the module, the tensor and its shape', () => {
  const t = (shape: number[], name: string) => sg.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape, { name });
  const b = (shape: number[], name: string) => sg.tensor(new Int32Array(shape.reduce((a, c) => a * c, 1)), shape, { dtype: 'i32', name });

  it('numHeads must divide embedDim (MultiheadAttention and the encoder layer)', () => {
    expect(() => sg.nn.multiheadAttention(6, 4)).toThrow(/MultiheadAttention: embedDim \(6\) must be divisible by numHeads \(4\)/);
    expect(() => sg.nn.transformerEncoderLayer(10, 3)).toThrow(/embedDim \(10\) must be divisible by numHeads \(3\)/);
    expect(() => sg.nn.multiheadAttention(0, 1)).toThrow(/embedDim must be a positive integer, got 0/);
  });

  it('a wrong embedding dim names the input and its shape', () => {
    const mha = sg.nn.multiheadAttention(6, 2);
    expect(() => mha.forward(t([3, 2, 5], 'q'))).toThrow(sg.ShapeError);
    expect(() => mha.forward(t([3, 2, 5], 'q'))).toThrow(/MultiheadAttention\(6, 2\): query tensor 'q' \[3, 2, 5\] f32 must be \[L, N, 6\]/);
    expect(() => mha.forward(t([3, 2, 6], 'q'), t([4, 2, 7], 'k'), t([4, 2, 6], 'v'))).toThrow(/key tensor 'k' \[4, 2, 7\] f32 must be \[S, N, 6\]/);
    expect(() => mha.forward(t([3, 2, 6], 'q'), t([4, 2, 6], 'k'), t([5, 2, 6], 'v'))).toThrow(sg.ShapeError);
    expect(() => mha.forward(t([3, 2, 6], 'q'), t([4, 2, 6], 'k'), t([5, 2, 6], 'v'))).toThrow(/key tensor 'k' \[4, 2, 6\] f32 and value tensor 'v' \[5, 2, 6\] f32/);
    expect(() => mha.forward(t([6], 'q'))).toThrow(/query tensor 'q' \[6\] f32 must be \[L, N, E\] or unbatched \[L, E\]/);
    const first = sg.nn.multiheadAttention(6, 2, { batchFirst: true });
    expect(() => first.forward(t([2, 3, 4], 'q'))).toThrow(/query tensor 'q' \[2, 3, 4\] f32 must be \[N, L, 6\]/);
    const kv = sg.nn.multiheadAttention(6, 2, { kdim: 3, vdim: 5 });
    expect(() => kv.forward(t([3, 2, 6], 'q'), t([4, 2, 6], 'k'), t([4, 2, 5], 'v'))).toThrow(/key tensor 'k' \[4, 2, 6\] f32 must be \[S, N, 3\]/);
    expect(() => sg.nn.transformerEncoderLayer(6, 2, { dimFeedforward: 8 }).forward(t([3, 2, 4], 'src'))).toThrow(/tensor 'src' \[3, 2, 4\] f32/);
  });

  it('wrong mask shapes name the mask and the shape it must have', () => {
    const mha = sg.nn.multiheadAttention(6, 2);
    const [q, k] = [t([3, 2, 6], 'q'), t([4, 2, 6], 'k')];
    expect(() => mha.forward(q, k, k, { attnMask: b([4, 3], 'am') })).toThrow(sg.ShapeError);
    expect(() => mha.forward(q, k, k, { attnMask: b([4, 3], 'am') })).toThrow(/attnMask tensor 'am' \[4, 3\] i32 must be \[L, S\] = \[3, 4\] or \[N·numHeads, L, S\] = \[4, 3, 4\]/);
    expect(() => mha.forward(q, k, k, { attnMask: t([2, 3, 4], 'am') })).toThrow(/attnMask tensor 'am' \[2, 3, 4\] f32 must be/);
    expect(() => mha.forward(q, k, k, { keyPaddingMask: b([2, 3], 'pad') })).toThrow(sg.ShapeError);
    expect(() => mha.forward(q, k, k, { keyPaddingMask: b([2, 3], 'pad') })).toThrow(/keyPaddingMask tensor 'pad' \[2, 3\] i32 must be \[N, S\] = \[2, 4\]/);
    expect(() => mha.forward(t([3, 6], 'q'), undefined, undefined, { keyPaddingMask: b([1, 3], 'pad') })).toThrow(/keyPaddingMask tensor 'pad' \[1, 3\] i32 must be \[S\] = \[3\]/);
    const layer = sg.nn.transformerEncoderLayer(6, 2, { dimFeedforward: 8 });
    expect(() => layer.forward(q, { srcMask: sg.nn.generateSquareSubsequentMask(4) })).toThrow(/attnMask tensor #\d+ .*\[4, 4\] f32 must be \[L, S\] = \[3, 3\]/);
  });

  it('option bags are checked', () => {
    expect(() => sg.nn.multiheadAttention(6, 2, { batch_first: true } as never)).toThrow(sg.OptionError);
    expect(() => sg.nn.transformerEncoderLayer(6, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu' or 'gelu', got "tanh"/);
    const mha = sg.nn.multiheadAttention(6, 2);
    expect(() => mha.forward(t([3, 2, 6], 'q'), undefined, undefined, { key_padding_mask: null } as never)).toThrow(sg.OptionError);
    expect(() => mha.attention(t([3, 2, 6], 'q'), undefined, undefined, { need_weights: false } as never)).toThrow(sg.OptionError);
  });
});
