// shadergrad train --model gpt and --model vit (issue 15 items 2, 3 and 7): a tiny run on the names corpus prints the
// validation loss beside the bigram baseline, samples and the training cost, and writes its files;
// wrong model/dataset pairs exit 2 with a message.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import * as sg from '../../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'sg-gpt-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errs: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.join(' ')));
  try {
    return { code: await main(argv), out: lines.join('\n'), err: errs.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('shadergrad train --model gpt', () => {
  it('trains on names: val loss beside the bigram baseline, samples, cost; metrics, checkpoint with the tokenizer, report', async () => {
    const out = tmp();
    const r = await run('train', '--model', 'gpt', '--dataset', 'names', '--epochs', '1', '--count', '150', '--batch-size', '8', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/bigram baseline \(counted on the training split\): \d\.\d{3} nats\/char/);
    expect(r.out).toMatch(/epoch 1\/1 loss \d\.\d{3} · val loss \d\.\d{3} nats\/char \(bigram \d\.\d{3}\)/);
    expect(r.out).toMatch(/samples: .+ · .+/);
    expect(r.out).toMatch(/training cost: \d\.\d{3}e\+\d+ FLOPs in \d+ steps \(.+ achieved\) = .+ PFLOP\/s-days/);
    for (const f of ['config.json', 'metrics.jsonl', 'model.safetensors', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ epoch: 1 });
    expect(lines[0].valLoss).toBeGreaterThan(0);
    expect(lines[0].bigram).toBeGreaterThan(1.5);
    expect(lines[1].cost.flops).toBe(lines[1].cost.flopsPerStep * lines[1].cost.steps);
    expect(lines[1].cost.pflopDays).toBeCloseTo(lines[1].cost.flops / 8.64e19, 25);
    const { metadata } = await sg.io.loadCheckpoint(join(out, 'model.safetensors'));
    expect((metadata.tokenizer as { vocab: string[] }).vocab[0]).toBe('.');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Training cost');
    const again = await run('train', '--resume', out);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/a gpt run starts anew/);
  });

  it('--model vit trains the ViT on digits like the CNN and reports the training cost', async () => {
    const out = tmp();
    const r = await run('train', '--model', 'vit', '--dataset', 'mnist', '--epochs', '1', '--count', '60', '--batch-size', '16', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/TransformerEncoder\(/);
    expect(r.out).toMatch(/test: loss \d\.\d{4} accuracy \d\.\d{4}/);
    expect(r.out).toMatch(/training cost: \d\.\d{3}e\+\d+ FLOPs in \d+ steps/);
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
    expect(last.cost.steps).toBe(3); // 60 digits → 48 training digits after the stratified test and validation splits → 3 batches of 16
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Training cost');
  });

  it('refuses model / dataset pairs that do not fit', async () => {
    const a = await run('train', '--model', 'gpt', '--dataset', 'mnist', '--out', tmp());
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--model gpt trains on text: --dataset names or moby-dick, not mnist/);
    const b = await run('train', '--model', 'cnn', '--dataset', 'names', '--out', tmp());
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--dataset names is text: train it with --model gpt/);
  });
});
