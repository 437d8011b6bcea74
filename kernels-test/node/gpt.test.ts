// sg.models.gpt (issue 15 item 2): a tiny causal transformer language model — its state-dict names,
// GPT-2 initialisation, weight tying, causality, training in a compiled step, seeded sampling and
// attention maps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { Random } from '../../src/util/random.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const ids = (values: number[], shape: number[]) => sg.tensor(Int32Array.from(values), shape, { dtype: 'i32' });

describe('models.gpt', () => {
  it('has torch-compatible block names, tied embeddings (no head weight) and GPT-2 initialisation', async () => {
    const m = await sg.models.gpt({ vocab: 11, blockSize: 8, layers: 2, heads: 2, dim: 16, seed: 1 });
    const keys = Object.keys(m.stateDict());
    expect(keys.slice(0, 4)).toEqual(['tok_emb.weight', 'pos_emb.pos_embed', 'blocks.layers.0.self_attn.in_proj_weight', 'blocks.layers.0.self_attn.in_proj_bias']);
    expect(keys).toContain('blocks.layers.1.linear2.weight');
    expect(keys.slice(-2)).toEqual(['blocks.norm.weight', 'blocks.norm.bias']);
    expect(keys.some((k) => k.startsWith('head'))).toBe(false);
    const sd = m.stateDict();
    const std = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);
    expect(std(await sd['tok_emb.weight'].data())).toBeCloseTo(0.02, 2);
    expect(std(await sd['blocks.layers.0.linear1.weight'].data())).toBeCloseTo(0.02, 2);
    expect(std(await sd['blocks.layers.0.linear2.weight'].data())).toBeCloseTo(0.02 / 2, 2); // 0.02/√(2·2)
    expect(Array.from(await sd['blocks.layers.1.linear1.bias'].data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await sd['blocks.norm.weight'].data()).every((v) => v === 1)).toBe(true);
    // Different parameters of one shape got different values (per-parameter seeds).
    const [a, b] = [await sd['blocks.layers.0.linear1.weight'].data(), await sd['blocks.layers.1.linear1.weight'].data()];
    expect(Array.from(a)).not.toEqual(Array.from(b));
    // The same seed, the same model.
    const again = await sg.models.gpt({ vocab: 11, blockSize: 8, layers: 2, heads: 2, dim: 16, seed: 1 });
    expect(Array.from(await again.stateDict()['blocks.layers.1.linear1.weight'].data())).toEqual(Array.from(b));
  });

  it('is causal: a later token does not change earlier logits; logits use the tied embedding', async () => {
    const m = (await sg.models.gpt({ vocab: 7, blockSize: 6, layers: 1, heads: 2, dim: 8, dropout: 0, seed: 2 })).eval();
    const y1 = await m.forward(ids([1, 2, 3, 4, 5], [1, 5])).data();
    const y2 = await m.forward(ids([1, 2, 3, 4, 0], [1, 5])).data();
    expect(Array.from(y1.slice(0, 4 * 7))).toEqual(Array.from(y2.slice(0, 4 * 7)));
    expect(Array.from(y1.slice(4 * 7))).not.toEqual(Array.from(y2.slice(4 * 7)));
    // The head is the embedding: its gradient gets both the lookup's and the head's contributions.
    const w = m.tokEmb.weight;
    const [g] = sg.grad(() => m.loss(ids([1, 2, 3], [1, 3]), ids([2, 3, 4], [1, 3])), [w])();
    const rows = await g.data();
    expect(rows.slice(6 * 8).some((v) => v !== 0)).toBe(true); // token 6 never appears: only the head reaches it
  });

  it('trains in a compiled step and then continues a learned pattern greedily; sampling is seeded', async () => {
    const V = 6;
    const T = 8;
    const N = 8;
    const m = await sg.models.gpt({ vocab: V, blockSize: T, layers: 2, heads: 2, dim: 16, dropout: 0, seed: 3 });
    // Sequences counting up mod V from different starts: the next token is always (t + 1) mod V.
    const X = Int32Array.from({ length: N * T }, (_, i) => (Math.floor(i / T) + (i % T)) % V);
    const Y = Int32Array.from(X, (t) => (t + 1) % V);
    const opt = sg.optim.adamW(m.parameters(), { lr: 0.01, weightDecay: 0 });
    const plan = await sg.compile((x, y) => m.loss(x, y), {
      inputs: [{ shape: [N, T], dtype: 'i32' }, { shape: [N, T], dtype: 'i32' }], params: opt.params, optimizer: opt, readEvery: 10,
    });
    for (let i = 0; i < 120; i++) plan.run(X, Y);
    const losses = (await plan.flush()).map((r) => r.values.loss[0]);
    expect(losses[losses.length - 1]).toBeLessThan(0.1); // from ≈ ln 6 = 1.8
    expect(losses[0]).toBeGreaterThan(5 * losses[losses.length - 1]);
    plan.dispose();
    opt.dispose();
    const greedy = await m.generate([2, 3], { maxTokens: 10, temperature: 0 });
    expect(Array.from(greedy)).toEqual([2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1]); // past blockSize too (a sliding window)
    const s1 = await m.generate([0], { maxTokens: 6, temperature: 2, seed: 9 });
    const s2 = await m.generate([0], { maxTokens: 6, temperature: 2, seed: 9 });
    expect(Array.from(s1)).toEqual(Array.from(s2));
    expect(Array.from(await m.generate([0], { maxTokens: 6, topK: 1, seed: 4 }))).toEqual([0, 1, 2, 3, 4, 5, 0]);
    expect(Array.from(await m.generate([4], { maxTokens: 10, temperature: 0, stopToken: 0 }))).toEqual([4, 5, 0]);
    expect(m.training).toBe(true); // generate restores the mode
    // Attention maps: [heads, T, T], rows sum to 1, nothing above the diagonal.
    const maps = await m.eval().attentionMaps(ids([1, 2, 3, 4], [1, 4]), 1).data();
    for (let h = 0; h < 2; h++) {
      for (let i = 0; i < 4; i++) {
        const row = Array.from(maps.slice((h * 4 + i) * 4, (h * 4 + i + 1) * 4));
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(row.slice(i + 1).every((v) => v === 0)).toBe(true);
      }
    }
  });

  it('samples tokens with the softmax(logits / temperature) distribution over the top k', () => {
    const rng = new Random(5);
    const counts = [0, 0, 0];
    const n = 30000;
    for (let i = 0; i < n; i++) counts[sg.models.sampleToken([0, Math.log(2), -50], 1, undefined, rng)]++;
    expect(counts[0] / n).toBeCloseTo(1 / 3, 1.7);
    expect(counts[1] / n).toBeCloseTo(2 / 3, 1.7);
    expect(counts[2]).toBe(0);
    const top1 = Array.from({ length: 50 }, () => sg.models.sampleToken([0.1, 0.3, 0.2], 5, 1, rng));
    expect(new Set(top1)).toEqual(new Set([1]));
    expect(sg.models.sampleToken([0.1, 0.3, 0.2], 0, undefined, rng)).toBe(1);
  });

  it('rejects bad configurations, inputs and sampling options', async () => {
    expect(() => new sg.models.GPT({ vocab: 5, blockSize: 4, dim: 10, heads: 4 })).toThrow(/dim \(10\) must be divisible by heads \(4\)/);
    expect(() => new sg.models.GPT({ vocab: 0, blockSize: 4 })).toThrow(/vocab must be a positive integer/);
    expect(() => new sg.models.GPT({ vocab: 5, blockSize: 4, layer: 2 } as never)).toThrow(/layer/);
    const m = new sg.models.GPT({ vocab: 5, blockSize: 4, layers: 1, heads: 1, dim: 4 });
    expect(() => m.forward(ids([1, 2, 3, 4, 0], [1, 5]))).toThrow(/longer than blockSize 4/);
    expect(() => m.forward(sg.tensor([1, 2], [1, 2]))).toThrow(/ids must be an i32 tensor \[N, T\]/);
    await expect(m.generate([7])).rejects.toThrow(/prompt token 7 at position 0 is not in \[0, 5\)/);
    await expect(m.generate([1], { temperature: -1 })).rejects.toThrow(/temperature must be a finite number ≥ 0/);
    await expect(m.generate([1], { topK: 0 })).rejects.toThrow(/topK must be a positive integer/);
    await expect(m.generate([])).rejects.toThrow(/at least one token/);
  });
});
