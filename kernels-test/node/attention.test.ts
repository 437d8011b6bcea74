// scaledDotProductAttention beyond the case table (kernels-test/cases/attention.ts):
// - PyTorch's numbers: out and the gradients of q, k, v and a float mask for the cases of
//   kernels-test/fixtures/attention/torch.json (made by make.py there with torch; the test needs no torch),
//   for every rung;
// - dropout on the weights as a random source: with q = 0 every weight is 1/S and v = I shows the
//   weights themselves (out = P ∘ Z), so the kept fraction, the kept value 1/((1 − p)·S), the same
//   mask in every rung and for the same (seed, offset), a different one for another seed, and the
//   backward's redrawn mask (dv = (P ∘ Z)ᵀ·dout with the forward's P ∘ Z) can all be read off;
// - what the ops refuse (option bags, shapes naming the tensor, causal with a mask, head dims above
//   the fused kernels' registers, second derivatives of the fused rungs) and the 'auto' rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { AttentionOptions, Tensor } from '../../src/index.js';
import { attentionRung, ATTENTION_RULE } from '../../src/ops/kernel-rules.js';

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

const RUNGS = ['composite', 'fused', 'rows'] as const;

// ---- PyTorch fixtures ---------------------------------------------------------------------------

interface Fixed { shape: number[]; data: number[] }
interface FixtureCase {
  name: string;
  causal: boolean;
  scale?: number;
  q: Fixed;
  k: Fixed;
  v: Fixed;
  mask?: Fixed & { dtype: 'bool' | 'float' };
  dout: number[];
  out: number[];
  dq: number[];
  dk: number[];
  dv: number[];
  dmask?: number[];
}
const fixtures = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'attention', 'torch.json'), 'utf8')) as { torch: string; cases: FixtureCase[] };

function expectClose(what: string, got: ArrayLike<number>, want: number[], tol: number): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (tol + tol * Math.abs(want[i]));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (worst > 1) expect.fail(`${what}: [${at}] got ${got[at]}, torch ${want[at]} (tolerance ${tol} + ${tol}·|torch|)`);
}

describe(`PyTorch fixtures (torch ${fixtures.torch})`, () => {
  for (const c of fixtures.cases) {
    for (const version of RUNGS) {
      it(`${c.name}: ${version}`, async () => {
        const t = (f: Fixed) => sg.tensor(Float32Array.from(f.data), f.shape);
        const [q, k, v] = [t(c.q), t(c.k), t(c.v)];
        const mask = c.mask && (c.mask.dtype === 'bool' ? sg.tensor(Int32Array.from(c.mask.data), c.mask.shape) : t(c.mask));
        const dout = sg.tensor(Float32Array.from(c.dout), [...c.q.shape.slice(0, -1), c.v.shape[c.v.shape.length - 1]]);
        const o: AttentionOptions = { causal: c.causal, scale: c.scale, version, mask };
        const f = (...xs: Tensor[]) => sg.sum(sg.mul(sg.scaledDotProductAttention(xs[0], xs[1], xs[2], { ...o, mask: xs[3] ?? mask }), dout));
        const wrt = c.dmask ? [q, k, v, mask!] : [q, k, v];
        const grads = sg.grad(f)(...wrt);
        const [out, ...g] = await sg.read(sg.scaledDotProductAttention(q, k, v, o), ...grads);
        expectClose('out', out, c.out, 1e-5);
        expectClose('dq', g[0], c.dq, 1e-4);
        expectClose('dk', g[1], c.dk, 1e-4);
        expectClose('dv', g[2], c.dv, 1e-4);
        if (c.dmask) expectClose('dmask', g[3], c.dmask, 1e-4);
      });
    }
  }
});

// ---- dropout on the weights ------------------------------------------------------------------------

const [DH, DL, DS] = [2, 48, 40];
/** out = P ∘ Z [1, DH, DL, DS] with q = 0 (every weight 1/S) and v = I (out shows the weights). */
function weightsOf(o: AttentionOptions) {
  const q = sg.tensor(new Float32Array(DH * DL * 8).fill(0), [1, DH, DL, 8]);
  const k = sg.tensor(Float32Array.from({ length: DH * DS * 8 }, (_, i) => Math.sin(i)), [1, DH, DS, 8]);
  const eye = new Float32Array(DH * DS * DS);
  for (let h = 0; h < DH; h++) for (let j = 0; j < DS; j++) eye[(h * DS + j) * DS + j] = 1;
  const v = sg.tensor(eye, [1, DH, DS, DS]);
  return { q, k, v, w: sg.scaledDotProductAttention(q, k, v, o) };
}

describe('dropout on the attention weights', () => {
  const p = 0.3;
  it('keeps a fraction near 1 − p, each kept weight 1/((1 − p)·S), the same weights in every rung', async () => {
    const ws = await sg.read(...RUNGS.map((version) => weightsOf({ dropout: p, seed: 99, version }).w));
    const kept = 1 / ((1 - p) * DS);
    let n = 0;
    for (const x of ws[0]) {
      if (x !== 0) {
        n++;
        expect(Math.abs(x - kept)).toBeLessThan(1e-6);
      }
    }
    // 3840 weights: the kept fraction's standard deviation is √(p(1 − p)/3840) ≈ 0.0074.
    expect(Math.abs(n / ws[0].length - (1 - p))).toBeLessThan(0.03);
    for (const w of ws.slice(1)) expect(Array.from(w, (x, i) => Math.abs(x - ws[0][i]) < 1e-6).every(Boolean)).toBe(true);
  });

  it('draws the same weights for the same (seed, offset) and other ones for another seed or offset', async () => {
    const [a, b, c, d] = await sg.read(
      weightsOf({ dropout: p, seed: 5 }).w, weightsOf({ dropout: p, seed: 5 }).w,
      weightsOf({ dropout: p, seed: 6 }).w, weightsOf({ dropout: p, seed: 5, offset: DH * DL * DS }).w,
    );
    const differ = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((s, v, i) => s + ((v === 0) !== (y[i] === 0) ? 1 : 0), 0) / x.length;
    expect(differ(a, b)).toBe(0);
    expect(differ(a, c)).toBeGreaterThan(0.3);   // 2p(1 − p) = 0.42 expected
    expect(differ(a, d)).toBeGreaterThan(0.3);
  });

  for (const version of RUNGS) {
    it(`${version}: the backward redraws the forward's mask (dv = (P ∘ Z)ᵀ·dout)`, async () => {
      const seed = sg.tensor(new Int32Array([12345, -6789]), [2], { dtype: 'i32' });
      const o: AttentionOptions = { dropout: 0.5, seed, offset: 77, version };
      const { q, k, v, w } = weightsOf(o);
      const R = Float32Array.from({ length: DH * DL * DS }, (_, i) => Math.cos(i * 0.7));
      const r = sg.tensor(R, [1, DH, DL, DS]);
      const [dv] = sg.grad((vv: Tensor) => sg.sum(sg.mul(sg.scaledDotProductAttention(q, k, vv, o), r)))(v);
      const [W, DV] = await sg.read(w, dv);
      for (let h = 0; h < DH; h++) {
        for (let j = 0; j < DS; j++) {
          for (let e = 0; e < DS; e++) {
            let want = 0;
            for (let i = 0; i < DL; i++) want += W[(h * DL + i) * DS + j] * R[(h * DL + i) * DS + e];
            const got = DV[(h * DS + j) * DS + e];
            if (Math.abs(got - want) > 1e-5) expect.fail(`dv[${h},${j},${e}] = ${got}, (P∘Z)ᵀ·dout = ${want}`);
          }
        }
      }
    });
  }
});

// ---- refusals and rules ------------------------------------------------------------------------------

describe('what scaledDotProductAttention refuses', () => {
  const x = (...shape: number[]) => sg.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
  let [q, k, v] = [] as Tensor[];
  beforeAll(() => {
    [q, k, v] = [x(1, 2, 4, 8), x(1, 2, 5, 8), x(1, 2, 5, 3)];
  });
  const sdpa = sg.scaledDotProductAttention;

  it('checks its option bag', () => {
    expect(() => sdpa(q, k, v, { is_causal: true } as never)).toThrow(sg.OptionError);
    expect(() => sdpa(q, k, v, { dropout_p: 0.1 } as never)).toThrow(/dropout_p/);
    expect(() => sdpa(q, k, v, { version: 'flash' as never })).toThrow(/unknown version 'flash' \(auto, composite, fused, rows\)/);
    expect(() => sdpa(q, k, v, { dropout: 1 })).toThrow(/dropout must be a probability in \[0, 1\), got 1/);
    expect(() => sdpa(q, k, v, { scale: NaN })).toThrow(/scale must be a finite number/);
    expect(() => sdpa(q, k, v, { causal: 1 as never })).toThrow(/causal must be true or false/);
    expect(() => sdpa(q, k, v, { dropout: 0.1, seed: -1 })).toThrow(/scaledDotProductAttention: seed must be an integer/);
    expect(() => sdpa(q, k, v, { dropout: 0.1, offset: 0.5 })).toThrow(/offset must be an integer/);
  });

  it('names the tensor and its shape on a bad input', () => {
    expect(() => sdpa(q, x(1, 2, 5, 7), v)).toThrow(sg.ShapeError);
    expect(() => sdpa(q, x(1, 2, 5, 7), v)).toThrow(/key tensor .*\[1, ?2, ?5, ?7\].*E = 8/);
    expect(() => sdpa(q, k, x(1, 2, 6, 3))).toThrow(/value tensor .*\[1, ?2, ?6, ?3\].*S = 5/);
    expect(() => sdpa(q, x(2, 2, 5, 8), x(2, 2, 5, 3))).toThrow(/same leading \(batch, head\) dims/);
    expect(() => sdpa(x(8), k, v)).toThrow(/query must be \[L, E\], \[N, L, E\] or \[B, H, L, E\], got tensor #\d+ \[8\]/);
    expect(() => sdpa(sg.tensor(new Int32Array(64), [1, 2, 4, 8]), k, v)).toThrow(/query must be f32/);
    expect(() => sdpa(q, k, v, { mask: x(4, 4) })).toThrow(/mask tensor .*\[4, ?4\].* must broadcast to the scores' shape \[1, ?2, ?4, ?5\]/);
    expect(() => sdpa(q, k, v, { mask: x(4, 5), causal: true })).toThrow(/either causal or mask, not both/);
  });

  it('keeps the fused rungs to head dims that fit their registers', () => {
    const D = ATTENTION_RULE.maxFusedHeadDim + 1;
    const big = x(1, 1, 2, D);
    expect(() => sdpa(big, big, big, { version: 'fused' })).toThrow(new RegExp(`fused rung keeps a row in ${D - 1} registers`));
    expect(attentionRung(D, false)).toBe('composite');
    expect(attentionRung(D, true)).toBe('composite');
    expect(attentionRung(D - 1, false)).toBe('fused');
    expect(attentionRung(D - 1, true)).toBe('composite');
  });

  it('has no second derivative in the fused rungs, and one in the composite', async () => {
    const f = (version: AttentionOptions['version']) => (qq: Tensor) =>
      sg.sum(sg.square(sg.grad((t: Tensor) => sg.sum(sg.square(sdpa(t, k, v, { version }))))(qq)[0]));
    expect(() => sg.grad(f('fused'))(q)).toThrow(/second derivatives of attention are not implemented/);
    expect(() => sg.grad(f('rows'))(q)).toThrow(/second derivatives of attention are not implemented/);
    const [g] = sg.grad(f('composite'))(q);
    expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
  });

  it('gives 0 for a fully masked row (PyTorch ≥ 2.5), in every rung', async () => {
    const mask = sg.tensor(new Int32Array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1]), [4, 5]);
    const outs = await sg.read(...RUNGS.map((version) => sdpa(q, k, v, { mask, version })));
    for (const o of outs) expect(Array.from(o.slice(3, 6))).toEqual([0, 0, 0]);   // row 1 of head 0
  });
});
