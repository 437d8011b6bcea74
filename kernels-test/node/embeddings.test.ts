// Transformer embeddings (issue 14 item 6): sinusoidal and learned positions, the ViT patch embedding
// and class token. Their torch equivalents (timm's names) are checked in pytorch-interop.test.ts
// (a torch-made file loads and gives torch's outputs) and by check_torch_interop.sh (exported model.py).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

describe('positional encodings', () => {
  it('sinusoidal: the table of "Attention Is All You Need", added to [B, T, D] for T ≤ maxLen; no parameters', async () => {
    const table = sg.nn.sinusoidalTable(4, 6);
    expect(table[0 * 6 + 0]).toBe(0); // sin 0
    expect(table[0 * 6 + 1]).toBe(1); // cos 0
    expect(table[3 * 6 + 2]).toBeCloseTo(Math.sin(3 / 10000 ** (2 / 6)), 6);
    expect(table[3 * 6 + 5]).toBeCloseTo(Math.cos(3 / 10000 ** (4 / 6)), 6);
    const pe = sg.nn.sinusoidalPositionalEncoding(4, 6);
    expect(pe.parameters()).toEqual([]);
    expect(Object.keys(pe.stateDict())).toEqual([]);
    const y = await pe.forward(sg.zeros([2, 3, 6])).data();
    expect(Array.from(y.slice(18, 36))).toEqual(Array.from(table.slice(0, 18)));
    expect(() => pe.forward(sg.zeros([1, 5, 6]))).toThrow(/has 5 tokens, more than maxLen 4/);
    expect(() => pe.forward(sg.zeros([1, 3, 5]))).toThrow(/must be \[batch, tokens, 6\]/);
  });

  it('learned: pos_embed [1, maxLen, D], sliced to T; gradients reach it', async () => {
    const m = sg.nn.learnedPositionalEmbedding(5, 4, { seed: 1 });
    expect(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([['pos_embed', [1, 5, 4]]]);
    const [g] = sg.grad((p: sg.Tensor) => {
      void p;
      return sg.sum(m.forward(sg.ones([2, 3, 4])));
    }, m.parameters())(m.parameters()[0]);
    const gv = Array.from(await g.data());
    expect(gv.slice(0, 12).every((v) => v === 2)).toBe(true); // two sequences use positions 0–2
    expect(gv.slice(12).every((v) => v === 0)).toBe(true); // positions 3–4 unused
    expect(() => sg.nn.learnedPositionalEmbedding(5, 4, { sed: 1 } as never)).toThrow(/unknown option 'sed'/);
  });
});

describe('patch embedding and class token', () => {
  it('patches become [B, N, D] tokens in row-major order; the class token is prepended and learned', async () => {
    const pe = sg.nn.patchEmbedding(1, 2, 2, { seed: 3 });
    expect(Object.keys(pe.stateDict())).toEqual(['proj.weight', 'proj.bias']);
    const x = sg.tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    const tokens = pe.forward(x);
    expect(tokens.shape).toEqual([1, 4, 2]);
    // Token n is the conv output at patch (n / 2, n % 2): compare with the conv's own output.
    const conv = await pe.proj.forward(x).data(); // [1, 2, 2, 2]
    const t = await tokens.data();
    for (let n = 0; n < 4; n++) for (let d = 0; d < 2; d++) expect(t[n * 2 + d]).toBe(conv[d * 4 + n]);
    const cls = sg.nn.classToken(2);
    const withCls = cls.forward(tokens);
    expect(withCls.shape).toEqual([1, 5, 2]);
    expect(Array.from((await withCls.data()).slice(0, 2))).toEqual([0, 0]);
    const [g] = sg.grad(() => sg.sum(cls.forward(sg.ones([3, 4, 2]))), cls.parameters())(cls.parameters()[0]);
    expect(Array.from(await g.data())).toEqual([3, 3]);
    expect(() => pe.forward(sg.zeros([1, 1, 5, 4]))).toThrow(/H and W multiples of 2/);
  });
});
