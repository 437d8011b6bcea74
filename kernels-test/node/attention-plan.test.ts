// Attention inside compiled steps (issue 14 items 8 and 10): a small self-attention block with an
// AdamW parameter group setup trains in a plan, explain() lists the attention kernels like any
// other, and steady-state steps create no buffers, pipelines or bind groups and submit once each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const B = 2;
const T = 5;
const D = 8;
const H = 2;

/** x [B, T, D] → causal self-attention over H heads → mean-pooled logits for 3 classes. */
function block(model: sg.nn.Module, x: Tensor, version: 'composite' | 'fused'): Tensor {
  const [wq, wk, wv, ln, lnb, head, headB] = model.parameters();
  const heads = (t: Tensor) => sg.permute(sg.reshape(t, [B, T, H, D / H]), [0, 2, 1, 3]);
  const h = sg.layerNorm(x, [D], ln, lnb);
  const a = sg.scaledDotProductAttention(heads(sg.matmul(h, wq)), heads(sg.matmul(h, wk)), heads(sg.matmul(h, wv)), { causal: true, version });
  const y = sg.add(x, sg.reshape(sg.permute(a, [0, 2, 1, 3]), [B, T, D]));
  return sg.linear(sg.mean(y, 1), head, headB);
}

function model(seed: number): sg.nn.Module {
  sg.manualSeed(seed);
  class Block extends sg.nn.Module {
    constructor() {
      super('Block');
      for (const n of ['wq', 'wk', 'wv']) this.add(n, sg.nn.init.normal([D, D], 0, 0.3));
      this.add('ln.weight', sg.nn.init.ones([D]));
      this.add('ln.bias', sg.nn.init.zeros([D]));
      this.add('head.weight', sg.nn.init.normal([3, D], 0, 0.3));
      this.add('head.bias', sg.nn.init.zeros([3]));
    }
    private add(name: string, t: Tensor) {
      this.addParameter(name.replace('.', '_'), t);
    }
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  return new Block();
}

describe('attention in a compiled step', () => {
  for (const version of ['composite', 'fused'] as const) {
    it(`${version}: trains with parameter groups, explain() shows its kernels, steady state creates nothing`, async () => {
      const m = model(1);
      const p = m.parameters();
      const opt = sg.optim.adamW([{ params: [p[0], p[1], p[2], p[5]] }, { params: [p[3], p[4], p[6]], weightDecay: 0 }], { lr: 0.05, weightDecay: 0.01 });
      const X = Float32Array.from({ length: B * T * D }, (_, i) => Math.cos(i * 0.7));
      const Y = new Int32Array([0, 2]);
      const plan = await sg.compile((x, y) => sg.crossEntropy(block(m, x, version), y), {
        inputs: [{ shape: [B, T, D] }, { shape: [B], dtype: 'i32' }], params: opt.params, optimizer: opt, readEvery: 5,
      });
      const kernels = plan.explain().map((r) => r.kernel);
      if (version === 'fused') expect(kernels).toEqual(expect.arrayContaining(['attention_forward', 'attention_backward_dq', 'attention_backward_dkv']));
      else expect(kernels).toEqual(expect.arrayContaining(['attention_mask', 'attention_mask_backward']));
      plan.run(X, Y);
      await plan.flush();
      sg.resetStats();
      for (let i = 0; i < 20; i++) plan.run(X, Y);
      const s = sg.stats();
      expect([s.buffersCreated, s.pipelinesCreated, s.bindGroupsCreated, s.submits]).toEqual([0, 0, 0, 20]);
      const losses = (await plan.flush()).map((r) => r.values.loss[0]);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5); // it learns the two labels
      plan.dispose();
      opt.dispose();
    });
  }
});
