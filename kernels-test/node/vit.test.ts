// sg.models.vit (issue 15 item 3): a Vision Transformer as an nn.Sequential — timm-style names,
// shapes, fit on a tiny image task, and exportPytorch's code for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { pytorchModelCode } from '../../src/io/pytorch-export.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

describe('models.vit', () => {
  it('has the ViT layout: patches, class token, positions, encoder, class-token head', () => {
    const m = sg.models.vit({ imageSize: 8, patchSize: 4, classes: 3, dim: 8, depth: 2, heads: 2, seed: 1 });
    const sd = m.stateDict();
    expect(Object.keys(sd).slice(0, 5)).toEqual(['0.proj.weight', '0.proj.bias', '1.cls_token', '2.pos_embed', '4.layers.0.self_attn.in_proj_weight']);
    expect(sd['2.pos_embed'].shape).toEqual([1, 5, 8]); // 4 patches + the class token
    expect(sd['4.layers.1.linear1.weight'].shape).toEqual([16, 8]);
    expect(Object.keys(sd).slice(-4)).toEqual(['4.norm.weight', '4.norm.bias', '6.weight', '6.bias']);
    expect(m.forward(sg.zeros([2, 1, 8, 8])).shape).toEqual([2, 3]);
    const code = pytorchModelCode(m);
    expect(code).toContain('TokenPool(\'cls\')');
    expect(code).toContain('class TokenPool(nn.Module):');
    expect(() => sg.models.vit({ imageSize: 10, patchSize: 4, classes: 2 })).toThrow(/patchSize \(4\) must divide imageSize \(10\)/);
    expect(() => sg.models.vit({ classes: 2, heads: 3 })).toThrow(/embedDim \(64\) must be divisible by numHeads \(3\)/);
  });

  it('learns a tiny image task with fit (bright left half vs bright right half)', async () => {
    const n = 64;
    const x = new Float32Array(n * 64);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      for (let p = 0; p < 64; p++) x[i * 64 + p] = ((p % 8 < 4) === (y[i] === 0) ? 1 : 0) + 0.1 * Math.sin(i * 7 + p);
    }
    const data = sg.data.fromArrays(x, y, { xShape: [1, 8, 8], numClasses: 2 });
    const m = sg.models.vit({ imageSize: 8, patchSize: 4, classes: 2, dim: 8, depth: 1, heads: 2, seed: 2 });
    const h = await sg.train.fit(m, { data, loss: 'crossEntropy', optimizer: sg.optim.adamW(m.parameters(), { lr: 0.01 }), epochs: 8, batchSize: 16, seed: 1, metrics: ['accuracy'] });
    const last = h.epochs[h.epochs.length - 1];
    expect(last.trainLoss).toBeLessThan(h.epochs[0].trainLoss * 0.5);
    expect(last.trainAccuracy).toBeGreaterThan(0.9);
  });
});
