// Host overhead and step figures (#17 items 4 and 5), two reports of `npm run bench`:
//
//   host      the JavaScript one training step costs, the GPU's work excluded: shadergrad's
//             plan.run() up to and including its queue.submit; TensorFlow.js's optimizer.minimize
//             (or variableGrads + applyGradients) and the submit of what it encoded; jax-js's jitted
//             step and the synchronous submit of its kernels (gpuBufferSync: jax-js records lazily).
//             Each step is timed alone, then the GPU is waited for (not timed), so no step's JS
//             competes with the GPU work of the one before. Mean over many steps after a warm-up,
//             the libraries interleaved in blocks.
//   figures   dispatches, bytes moved and FLOPs per shadergrad step against the ideal step
//             (plan.figures(); src/graph/plan-views.ts defines the ideal): numbers that do not depend
//             on the adapter, so progress shows where no GPU is at hand.
//
// The models are the 'train' and 'transformer' groups' rows (bench/rows.ts, bench/rows-transformer.ts).

import type { Impl, Row } from './harness.js';
import type { Peers } from './peers.js';
import { cnnStepRow, mlpStepRow } from './rows.js';
import { transformerStepRow, type TransformerShape } from './rows-transformer.js';
import { fmtCount } from '../src/graph/plan-views.js';
import type { StepFigures } from '../src/index.js';

export const HOST_REPORTS = ['host', 'figures'] as const;

type Scale = 'test' | 'software' | 'hardware';
const BATCH: Record<Scale, number> = { test: 8, software: 64, hardware: 64 };
const TRANSFORMER: Record<Scale, TransformerShape> = {
  test: { layers: 2, d: 32, heads: 2, T: 16, batch: 2, vocab: 16 },
  software: { layers: 4, d: 128, heads: 4, T: 64, batch: 16, vocab: 64 },
  hardware: { layers: 4, d: 128, heads: 4, T: 64, batch: 16, vocab: 64 },
};

/** The three training steps (the same rows as the 'train' and 'transformer' groups). */
async function stepRows(peers: Peers, scale: Scale): Promise<Row[]> {
  return [mlpStepRow(peers, BATCH[scale]), await cnnStepRow(peers, BATCH[scale]), transformerStepRow(peers, TRANSFORMER[scale])];
}

/** 'MLP 784-128-10', 'CNN (CLI cnn) 1×28×28', 'transformer 4×(d 128, 4 heads), T 64': the row's name without batch and optimizer. */
const short = (row: Row) => row.name.replace(/, batch .*$/, '').replace(/ step$/, '');

export interface HostResult { row: string; impl: string; lib: string; meanMs: number; medianMs: number; steps: number; error?: string }

export interface HostOptions {
  /** Untimed steps before measuring (default 3). */
  warmup?: number;
  /** Steps per block; the libraries take turns block by block (default 4). */
  block?: number;
  /**
   * Measured steps per implementation at most (default 200) and at least (default 8: a CNN step of
   * TensorFlow.js takes seconds of GPU time on SwiftShader).
   */
  maxSteps?: number;
  minSteps?: number;
  /** Stop measuring an implementation after this many ms of wall time, once it has minSteps (default 10000). */
  budgetMs?: number;
  log?: (line: string) => void;
}

/** Host milliseconds per step of every implementation of the three training steps. */
export async function hostOverhead(peers: Peers, scale: Scale, o: HostOptions = {}): Promise<HostResult[]> {
  const { warmup = 3, block = 4, maxSteps = 200, minSteps = 8, budgetMs = 10000 } = o;
  const out: HostResult[] = [];
  for (const row of await stepRows(peers, scale)) {
    const live: { impl: Impl; times: number[]; started: number }[] = [];
    for (const impl of row.impls) {
      if (!impl.hostStep) continue;
      try {
        for (let w = 0; w < warmup; w++) await impl.hostStep();
        live.push({ impl, times: [], started: performance.now() });
      } catch (e) {
        out.push({ row: short(row), impl: impl.label, lib: impl.lib, meanMs: NaN, medianMs: NaN, steps: 0, error: (e as Error).message });
      }
    }
    const done = (l: (typeof live)[number]) => l.times.length >= maxSteps || (l.times.length >= minSteps && performance.now() - l.started > budgetMs);
    while (live.some((l) => !done(l))) {
      for (const l of live) {
        if (done(l)) continue;
        for (let i = 0; i < block; i++) l.times.push(await l.impl.hostStep!());
      }
    }
    for (const l of live) {
      const sorted = [...l.times].sort((a, b) => a - b);
      const mean = l.times.reduce((a, b) => a + b, 0) / l.times.length;
      out.push({ row: short(row), impl: l.impl.label, lib: l.impl.lib, meanMs: mean, medianMs: sorted[sorted.length >> 1], steps: l.times.length });
      o.log?.(`  host ${short(row).padEnd(24)} ${l.impl.label.padEnd(36)} ${mean.toFixed(3).padStart(9)} ms/step`);
    }
    for (const impl of row.impls) impl.dispose?.();
  }
  return out;
}

/** ours ÷ a peer's mean host time, with the target it is held to. */
function share(ours: HostResult | undefined, peer: HostResult | undefined, target: number): string {
  if (!ours || !peer || !Number.isFinite(ours.meanMs) || !Number.isFinite(peer.meanMs)) return '';
  const r = ours.meanMs / peer.meanMs;
  return `${r.toFixed(2)}× (${r <= target ? 'met' : 'not met'}: ≤ ${target}×)`;
}

/** The host report in Markdown: per model, each implementation's host ms/step, and ours ÷ each peer. */
export function formatHost(results: HostResult[]): string {
  const head = '| model | implementation | host ms/step (mean) | median | steps | ours ÷ tfjs | ours ÷ jax-js jit |';
  const lines = [head, '|---|---|---:|---:|---:|---:|---:|'];
  for (const row of [...new Set(results.map((r) => r.row))]) {
    const rs = results.filter((r) => r.row === row);
    const ours = rs.find((r) => r.lib === 'shadergrad');
    for (const r of rs) {
      if (r.error) {
        lines.push(`| ${row} | ${r.impl} | FAILED: ${r.error} | | | | |`);
        continue;
      }
      const mine = r.lib === 'shadergrad';
      lines.push(`| ${row} | ${r.impl} | ${r.meanMs.toFixed(3)} | ${r.medianMs.toFixed(3)} | ${r.steps} | ` +
        `${mine ? share(ours, rs.find((x) => x.lib === 'tfjs'), 0.2) : ''} | ${mine ? share(ours, rs.find((x) => x.lib === 'jax'), 0.5) : ''} |`);
    }
  }
  lines.push('', 'host: the JS of one step (encode + submit), the GPU excluded; tfjs includes the submit of what minimize encoded, jax-js the synchronous submit of the kernels its jitted call recorded.');
  return lines.join('\n');
}

export interface FiguresResult { row: string; figures: StepFigures }

/** shadergrad's step figures for the three training steps (nothing is run). */
export async function stepFiguresReport(scale: Scale): Promise<FiguresResult[]> {
  const out: FiguresResult[] = [];
  for (const row of await stepRows({ notes: [] }, scale)) {
    const ours = row.impls.find((i) => i.lib === 'shadergrad' && i.plan);
    if (!ours) continue;
    const plan = await ours.plan!();
    out.push({ row: short(row), figures: plan.figures() });
    ours.dispose?.();
  }
  return out;
}

export function formatFigures(results: FiguresResult[]): string {
  const x = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
  const lines = [
    '| model | dispatches | copies | FLOPs | ideal FLOPs | × ideal | bytes moved | ideal bytes | × ideal | uploaded B/step |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { row, figures: f } of results) {
    lines.push(`| ${row} | ${f.dispatches} | ${f.copies} | ${fmtCount(f.flops)} | ${fmtCount(f.ideal.flops)} | ${x(f.flops, f.ideal.flops)} | ` +
      `${fmtCount(f.bytes)} | ${fmtCount(f.ideal.bytes)} | ${x(f.bytes, f.ideal.bytes)} | ${fmtCount(f.uploadBytes)} |`);
  }
  lines.push('', 'ideal bytes: parameters read + written once, gradients written + read once, optimizer state read + written once, the batch read once, saved activations written + read once; ideal FLOPs: the forward\'s matmul/conv/attention FLOPs × 3 (forward, weight and input gradients), × 2 where the input is the batch. Bytes and FLOPs from the ops\' cost models.');
  return lines.join('\n');
}
