// sg.models.clip (issue 15 item 4): CLIP's symmetric contrastive loss against a float64 reference
// (values and gradients, diagonal and label-aware targets), the clamped logit scale, the encoders'
// shapes, normalisation and padding, the word tokenizer and digit prompts, zero-shot classification
// learnt on a tiny synthetic task, retrieval metrics, and a tiny end-to-end `train --model clip`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import { evaluateScores, trainClip } from '../../src/cli/clip.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const f32 = (values: number[], shape: number[]) => sg.tensor(new Float32Array(values), shape);
const i32 = (values: ArrayLike<number>, shape: number[]) => sg.tensor(Int32Array.from(values), shape, { dtype: 'i32' });

/** Unit rows of a seeded Gaussian [n, d] (float64). */
function unitRows(n: number, d: number, seed: number): number[][] {
  const r = new sg.Random(seed);
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: d }, () => r.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/**
 * CLIP's loss in float64, written from the pseudocode, with its gradients:
 * logits = e^s·I·Tᵀ; L = ½(mean_i CE(logits[i,:], T[i,:]) + mean_j CE(logits[:,j], T[:,j])).
 * dL/dlogits[i][j] = (softmax_row(i)[j] − t[i][j] + softmax_col(j)[i] − t[i][j]) / 2B.
 */
function clipReference(I: number[][], T: number[][], s: number, targets?: number[][]) {
  const B = I.length;
  const t = targets ?? I.map((_, i) => I.map((__, j) => (i === j ? 1 : 0)));
  const scale = Math.exp(s);
  const dot = (a: number[], b: number[]) => a.reduce((acc, x, k) => acc + x * b[k], 0);
  const logits = I.map((a) => T.map((b) => scale * dot(a, b)));
  const softmax = (v: number[]) => {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return { p: e.map((x) => x / z), lse: m + Math.log(z) };
  };
  let loss = 0;
  const dlogits = logits.map((row) => row.map(() => 0));
  for (let i = 0; i < B; i++) {
    const { p, lse } = softmax(logits[i]);
    for (let j = 0; j < B; j++) {
      loss += t[i][j] * (lse - logits[i][j]) / (2 * B);
      dlogits[i][j] += (p[j] - t[i][j]) / (2 * B);
    }
  }
  for (let j = 0; j < B; j++) {
    const col = logits.map((row) => row[j]);
    const { p, lse } = softmax(col);
    for (let i = 0; i < B; i++) {
      loss += t[i][j] * (lse - col[i]) / (2 * B);
      dlogits[i][j] += (p[i] - t[i][j]) / (2 * B);
    }
  }
  const D = I[0].length;
  const dI = I.map((_, i) => Array.from({ length: D }, (__, k) => scale * T.reduce((a, b, j) => a + dlogits[i][j] * b[k], 0)));
  const dT = T.map((_, j) => Array.from({ length: D }, (__, k) => scale * I.reduce((a, b, i) => a + dlogits[i][j] * b[k], 0)));
  const ds = logits.reduce((a, row, i) => a + row.reduce((b, l, j) => b + dlogits[i][j] * l, 0), 0);
  return { loss, dI, dT, ds };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  expect(worst, `${what}: max relative difference`).toBeLessThan(tol);
}

describe('models.clipLoss', () => {
  for (const [name, B, D, s, labels] of [
    ['diagonal targets, B=5 D=7', 5, 7, Math.log(1 / 0.07), undefined],
    ['diagonal targets, B=1 D=3', 1, 3, 0.3, undefined],
    ['label-aware targets, B=6 D=4 (classes 0 1 0 2 1 0)', 6, 4, 2, [0, 1, 0, 2, 1, 0]],
  ] as const) {
    it(`matches the float64 reference, value and gradients: ${name}`, async () => {
      const I = unitRows(B, D, 11 + B);
      const T = unitRows(B, D, 97 + B);
      const tFlat = labels ? sg.models.clipTargets(labels) : undefined;
      const t2d = tFlat ? Array.from({ length: B }, (_, i) => Array.from(tFlat.subarray(i * B, (i + 1) * B))) : undefined;
      const ref = clipReference(I, T, s, t2d);
      const img = f32(I.flat(), [B, D]);
      const txt = f32(T.flat(), [B, D]);
      const scale = f32([s], []);
      const targets = tFlat ? sg.tensor(tFlat, [B, B]) : undefined;
      const [value, [dI, dT, ds]] = await sg.valueAndGrad((a: sg.Tensor, b: sg.Tensor, c: sg.Tensor) =>
        sg.models.clipLoss(a, b, c, targets ? { targets } : {}))(img, txt, scale);
      expectClose([await value.item()], [ref.loss], 1e-5, 'loss');
      expectClose(await dI.data(), ref.dI.flat(), 1e-5, 'dL/dimageEmb');
      expectClose(await dT.data(), ref.dT.flat(), 1e-5, 'dL/dtextEmb');
      expectClose(await ds.data(), [ref.ds], 1e-5, 'dL/dlogitScale');
      if (!labels) {
        // sg.clipLoss normalises inside; on unit rows it is the same loss.
        expectClose([await sg.clipLoss(img, txt, scale).item()], [ref.loss], 1e-5, 'sg.clipLoss');
      }
    });
  }

  it('clipTargets spreads each row over its class; distinct labels give the identity', () => {
    expect(Array.from(sg.models.clipTargets([3, 1, 3]))).toEqual([0.5, 0, 0.5, 0, 1, 0, 0.5, 0, 0.5]);
    expect(Array.from(sg.models.clipTargets([2, 0]))).toEqual([1, 0, 0, 1]);
  });

  it('rejects mismatched inputs, naming them', () => {
    const a = f32([1, 0, 0, 1], [2, 2]);
    expect(() => sg.models.clipLoss(a, f32([1, 0, 0], [1, 3]), f32([0], []))).toThrow(/clipLoss: imageEmb .*\[2, 2\] f32 and textEmb .*\[1, 3\] f32 must both be \[B, D\]/);
    expect(() => sg.models.clipLoss(a, a, f32([0, 1], [2]))).toThrow(/logitScale must have one element.*\[2\]/);
    expect(() => sg.models.clipLoss(a, a, f32([0], []), { targets: f32([1, 0, 0], [3]) })).toThrow(/targets must be f32 \[2, 2\]/);
    expect(() => sg.models.clipLoss(a, a, f32([0], []), { target: a } as never)).toThrow(/unknown option 'target'.*targets/);
  });
});

describe('models.clip', () => {
  const texts = ['a handwritten seven', 'the number 7', 'a photo of the digit 1'];

  it('has HF CLIPModel names, logit_scale = ln(1/0.07), and L2-normalised embeddings of the right shapes', async () => {
    const tok = sg.models.wordTokenizer(texts);
    const m = await sg.models.clip({ vocab: tok.size, contextLength: tok.contextLength, imageSize: 8, embedDim: 6, width: 8, heads: 2, layers: 1, seed: 3 });
    const keys = Object.keys(m.stateDict());
    for (const k of ['logit_scale', 'vision_model.0.weight', 'text_model.token_embedding.weight', 'text_model.position_embedding.pos_embed',
      'text_model.encoder.layers.0.self_attn.in_proj_weight', 'text_model.final_layer_norm.weight', 'visual_projection.weight', 'text_projection.weight']) {
      expect(keys, k).toContain(k);
    }
    expect(keys).not.toContain('visual_projection.bias');
    expect(m.stateDict()['visual_projection.weight'].shape).toEqual([6, 16 * 2 * 2]);
    expect((await m.logitScaleParam.data())[0]).toBeCloseTo(Math.log(1 / 0.07), 6);
    const img = m.encodeImage(sg.randn([3, 1, 8, 8], { seed: 1 }));
    const txt = m.encodeText(sg.tensor(tok.encodeAll(texts), [3, tok.contextLength], { dtype: 'i32' }));
    expect(img.shape).toEqual([3, 6]);
    expect(txt.shape).toEqual([3, 6]);
    for (const e of [img, txt]) {
      const v = await e.data();
      for (let i = 0; i < 3; i++) expect(Math.hypot(...v.subarray(i * 6, (i + 1) * 6))).toBeCloseTo(1, 5);
    }
    expect(m.logits(sg.randn([2, 1, 8, 8], { seed: 2 }), sg.tensor(tok.encodeAll(texts.slice(0, 2)), [2, tok.contextLength], { dtype: 'i32' })).shape).toEqual([2, 2]);
  });

  it('clamps the logit scale to [0, ln 100] where it is used, with no gradient past the bound', async () => {
    const m = new sg.models.CLIP({ vocab: 5, contextLength: 3, imageSize: 4, embedDim: 4, width: 4, heads: 1, layers: 1, seed: 1 });
    for (const [set, want, grad] of [[10, Math.log(100), 0], [-1, 0, 0], [1.5, 1.5, 1]] as const) {
      await sg.assign(m.logitScaleParam, f32([set], []));
      const [v, [g]] = await sg.valueAndGrad((p: sg.Tensor) => sg.mul(m.logitScale(), 1), [m.logitScaleParam])(m.logitScaleParam);
      expect(await v.item()).toBeCloseTo(want, 6);
      expect((await g.data())[0]).toBe(grad);
    }
    expect(sg.models.MAX_LOGIT_SCALE).toBeCloseTo(4.60517, 5);
  });

  it('pools the last real token (causal) or the mean over real tokens: padding does not change a text\'s embedding', async () => {
    const tok = sg.models.wordTokenizer(texts, { contextLength: 7 });
    const ids = tok.encode('the number 7'); // 3 words, <eot>, 3 pads
    for (const pool of ['eot', 'mean'] as const) {
      const m = await sg.models.clip({ vocab: tok.size, contextLength: 7, imageSize: 4, embedDim: 4, width: 8, heads: 2, layers: 2, pool, seed: 5 });
      const full = await m.encodeText(i32(ids, [1, 7])).data();
      const short = await m.encodeText(i32(ids.subarray(0, 4), [1, 4])).data();
      expectClose(short, Array.from(full), 1e-5, `pool ${pool}`);
      const other = await m.encodeText(i32(tok.encode('a handwritten seven'), [1, 7])).data();
      expect(Math.max(...Array.from(other, (v, i) => Math.abs(v - full[i])))).toBeGreaterThan(1e-3);
    }
  });

  it('rejects bad configurations and inputs with the argument and shape', () => {
    expect(() => new sg.models.CLIP({ vocab: 5, contextLength: 3, width: 6, heads: 4 })).toThrow(/width \(6\) must be divisible by heads \(4\)/);
    expect(() => new sg.models.CLIP({ vocab: 5, contextLength: 3, imageEncoder: sg.nn.flatten() })).toThrow(/give imageFeatures/);
    expect(() => new sg.models.CLIP({ vocab: 5, contextLength: 3, pool: 'max' as never })).toThrow(/pool must be 'eot' or 'mean'/);
    expect(() => new sg.models.CLIP({ vocab: 5, contextLength: 3, padId: 5 })).toThrow(/padId must be an id in \[0, 5\)/);
    expect(() => new sg.models.CLIP({ vocab: 5, contextLength: 3, embed_dim: 4 } as never)).toThrow(/unknown option 'embed_dim'.*embedDim/);
    const m = new sg.models.CLIP({ vocab: 5, contextLength: 3, imageSize: 4, embedDim: 4, width: 4, heads: 1, layers: 1 });
    expect(() => m.encodeText(f32([1, 2, 3], [1, 3]))).toThrow(/ids must be an i32 tensor \[B, L\], got .*\[1, 3\] f32/);
    expect(() => m.encodeText(i32([1, 2, 3, 1], [1, 4]))).toThrow(/longer than contextLength 3/);
    const custom = new sg.models.CLIP({ vocab: 5, contextLength: 3, imageEncoder: sg.nn.flatten(), imageFeatures: 10, embedDim: 4, width: 4, heads: 1, layers: 1 });
    expect(() => custom.encodeImage(sg.zeros([2, 1, 4, 4]))).toThrow(/image encoder gave .*\[2, 16\] f32 for images .*; expected \[B, 10\] \(imageFeatures\)/);
    expect(() => m.classEmbeddings(f32([1], [1]))).toThrow(/classPromptIds must be i32 \[classes, prompts, L\] or \[classes, L\]/);
  });

  it('zero-shot: learns a tiny synthetic task (bright quadrant ↔ its caption) and classifies held-out images', async () => {
    const names = ['top left', 'top right', 'bottom left', 'bottom right'];
    const templates = ['the {} corner', 'bright {}', 'a {} square'];
    const prompts = names.map((n) => templates.map((t) => t.replace('{}', n)));
    const tok = sg.models.wordTokenizer(prompts.flat());
    const L = tok.contextLength;
    const r = new sg.Random(7);
    const image = (c: number) => Float32Array.from({ length: 36 }, (_, p) => {
      const [y, x] = [Math.floor(p / 6), p % 6];
      return (((y < 3 ? 0 : 2) + (x < 3 ? 0 : 1)) === c ? 1 : 0) + 0.3 * r.normal();
    });
    const make = (n: number) => {
      const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
      const x = new Float32Array(n * 36);
      labels.forEach((c, i) => x.set(image(c), i * 36));
      return { x: sg.tensor(x, [n, 1, 6, 6]), labels };
    };
    const encoder = sg.nn.sequential(sg.nn.flatten(), sg.nn.linear(36, 16, { seed: 1 }), sg.nn.relu());
    const m = await sg.models.clip({ vocab: tok.size, contextLength: L, imageEncoder: encoder, imageFeatures: 16, embedDim: 8, width: 8, heads: 2, layers: 1, seed: 2 });
    const B = 8;
    const encoded = prompts.map((ps) => ps.map((p) => tok.encode(p)));
    const opt = sg.optim.adam(m.parameters(), { lr: 0.02 });
    const plan = await sg.compile((x, ids, t) => m.loss(x, ids, { targets: t }), {
      inputs: [{ shape: [B, 1, 6, 6] }, { shape: [B, L], dtype: 'i32' }, { shape: [B, B] }], params: opt.params, optimizer: opt, readEvery: 1,
    });
    for (let s = 0; s < 80; s++) {
      const { x, labels } = make(B);
      plan.run(x, sg.models.samplePromptIds(labels, encoded, r), sg.models.clipTargets(labels));
      x.dispose();
    }
    const losses = (await plan.flush()).map((h) => h.values.loss[0]);
    plan.dispose();
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const test = make(40);
    const classIds = sg.tensor(tok.encodeAll(prompts.flat()), [4, templates.length, L], { dtype: 'i32' });
    const pred = await m.zeroShot(test.x, classIds, { batchSize: 16 });
    expect(pred.length).toBe(40);
    expect(sg.metrics.accuracy(pred, test.labels)).toBeGreaterThanOrEqual(0.9);
    expect(m.training).toBe(true); // zeroShot restores the training mode
    // One prompt per class ([C, L]) works too.
    const first = sg.tensor(tok.encodeAll(prompts.map((p) => p[0])), [4, L], { dtype: 'i32' });
    expect(sg.metrics.accuracy(await m.zeroShot(test.x, first), test.labels)).toBeGreaterThanOrEqual(0.75);
  });
});

describe('word tokenizer and digit prompts', () => {
  it('round-trips every digit prompt; <pad> = 0, <eot> = 1, then the sorted words', () => {
    const prompts = sg.models.digitPrompts();
    expect(prompts.length).toBe(10);
    expect(prompts[7]).toContain('a handwritten seven');
    expect(prompts[7]).toContain('a photo of the digit 7');
    expect(prompts.every((p) => p.length === sg.models.DIGIT_TEMPLATES.length)).toBe(true);
    const tok = sg.models.wordTokenizer(prompts.flat());
    expect(tok.vocab.slice(0, 2)).toEqual(['<pad>', '<eot>']);
    expect([...tok.vocab.slice(2)]).toEqual([...tok.vocab.slice(2)].sort());
    expect(tok.vocab).toContain('seven');
    expect(tok.vocab).toContain('7');
    for (const p of prompts.flat()) expect(tok.decode(tok.encode(p))).toBe(p);
    const ids = tok.encode('The   number SEVEN');
    expect(ids.length).toBe(tok.contextLength);
    expect(Array.from(ids.subarray(3))).toEqual([1, ...new Array(tok.contextLength - 4).fill(0)]);
    expect(tok.decode(ids)).toBe('the number seven');
    const all = tok.encodeAll(['the number seven', 'a handwritten 7']);
    expect(all.length).toBe(2 * tok.contextLength);
    expect(tok.decode(all.subarray(tok.contextLength))).toBe('a handwritten 7');
    expect(sg.models.digitPrompts(['{digit} is {word}'])[3]).toEqual(['3 is three']);
  });

  it('refuses unknown words, texts too long, bad ids and bad templates, naming them', () => {
    const tok = sg.models.wordTokenizer(['a handwritten seven', 'the number seven'], { contextLength: 4 });
    expect(() => tok.encode('a handwriten seven')).toThrow(/unknown word 'handwriten' in "a handwriten seven" \(did you mean 'handwritten'\?\)/);
    expect(() => tok.encode('the number seven seven')).toThrow(/has 4 words; with <eot> that is more than contextLength 4/);
    expect(() => tok.encode('   ')).toThrow(/no words/);
    expect(() => tok.encode('<eot>')).toThrow(/unknown word '<eot>'/);
    expect(() => tok.decode([2, 99])).toThrow(/id 99 at position 1 is not in \[0, 7\)/);
    expect(() => sg.models.wordTokenizer([])).toThrow(/non-empty array of strings/);
    expect(() => sg.models.wordTokenizer(['a b c'], { contextLength: 1 })).toThrow(/contextLength must be an integer ≥ 2/);
    expect(() => sg.models.wordTokenizer(['a <pad>'])).toThrow(/reserved token <pad>/);
    expect(() => sg.models.wordTokenizer(['a'], { context_length: 3 } as never)).toThrow(/unknown option 'context_length'/);
    expect(() => sg.models.digitPrompts(['a digit'])).toThrow(/template 0 \("a digit"\) must contain \{word\} or \{digit\}/);
    const enc = [[tok.encode('a handwritten seven')]];
    expect(() => sg.models.samplePromptIds([0, 1], enc, new sg.Random(1))).toThrow(/label 1 at position 1 has no prompts/);
  });
});

describe('retrieval metrics of the CLIP report', () => {
  it('zero-shot accuracy, image → text (sg.metrics) and text → image metrics from a score matrix', () => {
    // 4 images (labels 0 0 1 1) × 2 classes.
    const scores = new Float32Array([0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.6, 0.5]);
    const ev = evaluateScores(scores, [0, 0, 1, 1], 2);
    expect(ev.accuracy).toBe(0.5); // images 0 and 2 right
    expect(ev.confusion).toEqual([[1, 1], [1, 1]]);
    // Each image ranks the 2 classes: its own first for images 0 and 2, second for 1 and 3.
    expect(ev.imageToText.recallAtK).toEqual({ 1: 0.5 });
    expect(ev.imageToText.mrr).toBeCloseTo(0.75, 6);
    expect(ev.imageToText.ndcg).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 6);
    // Class 0 ranks images 0 (0.9), 3 (0.6), 2 (0.3), 1 (0.2): its digits 0, 1 at ranks 1 and 4;
    // class 1 ranks images 1 (0.8), 2 (0.7), 3 (0.5), 0 (0.1): its digits 2, 3 at ranks 2 and 3.
    expect(ev.textToImage.precisionAtK).toEqual({ 1: 0.5 });
    expect(ev.textToImage.mrr).toBeCloseTo((1 + 1 / 2) / 2, 6);
    const idcg = 1 + 1 / Math.log2(3);
    expect(ev.textToImage.ndcg).toBeCloseTo(((1 + 1 / Math.log2(5)) / idcg + (1 / Math.log2(3) + 1 / 2) / idcg) / 2, 6);
  });
});

describe('shadergrad train --model clip (tiny)', () => {
  it('trains one epoch on a few digits and writes config, metrics, checkpoint and report', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sg-clip-')), 'run');
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
    try {
      await trainClip({
        model: 'clip', dataset: 'mnist', epochs: 1, batchSize: 16, lr: 3e-3, optimizer: 'adam', scheduler: 'constant', weightDecay: 0, seed: 2, count: 120, patience: 3,
      }, out);
    } finally {
      console.log = log;
    }
    for (const f of ['config.json', 'metrics.jsonl', 'model.safetensors', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].epoch).toBe(1);
    expect(Number.isFinite(lines[0].trainLoss)).toBe(true);
    expect(lines[0].valAccuracy).toBeGreaterThanOrEqual(0);
    const test = lines[lines.length - 1].test;
    expect(test.accuracy).toBeGreaterThanOrEqual(0);
    expect(Object.keys(test.imageToText.recallAtK)).toEqual(['1', '3', '5']);
    expect(Object.keys(test.textToImage.precisionAtK)).toEqual(['1', '10']);
    expect(logs.some((l) => /^epoch 1\/1 loss .* zero-shot val acc/.test(l))).toBe(true);
    expect(logs.some((l) => /^test: zero-shot accuracy/.test(l))).toBe(true);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Retrieval (test digits)');
    expect(html).toContain('class="cm"');
    // The checkpoint loads into a CLIP of the recorded configuration.
    await sg.init({ quiet: true });
    const { metadata } = await sg.io.loadCheckpoint(join(out, 'model.safetensors'));
    const cfg = (metadata.clip as Record<string, unknown>);
    const m = new sg.models.CLIP({ vocab: (metadata.tokenizer as string[]).length, contextLength: cfg.contextLength as number, seed: 1 });
    await sg.load(m, join(out, 'model.safetensors'));
  });
});
