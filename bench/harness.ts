// Benchmark harness: every implementation of a row is checked against the float64 reference
// first, then timed (warm-up, repetitions, median and spread), interleaving the libraries so that
// machine noise hits all of them alike. Works in Node and in the bench page.

export interface Impl {
  /** Library and version label, e.g. 'shadergrad tiled', 'tfjs-webgpu', 'jax-js jit'. */
  label: string;
  lib: 'shadergrad' | 'tfjs' | 'jax';
  /** One timed repetition, resolved when the GPU has finished it. */
  run(): Promise<void>;
  /** The output values, for the correctness check. */
  output(): Promise<ArrayLike<number>>;
  dispose?(): void;
  /** GPU time per run from timestamp queries (shadergrad), measured after the wall-clock runs. */
  gpuMs?(): Promise<number | undefined>;
  /**
   * Host time of one more step (bench/rows-host.ts): the milliseconds of JavaScript that encode and
   * submit it, the GPU's work excluded; resolves after the GPU finished the step (not timed).
   */
  hostStep?(): Promise<number>;
  /** shadergrad's compiled plan of this implementation (compiled on first use), for its step figures. */
  plan?(): Promise<import('../src/index.js').Plan>;
}

export interface Row {
  group: string;
  name: string;
  /** Work per run, from the cost model. */
  flops: number;
  bytes: number;
  /** Reference values at some indices (sampled for large outputs); atol may be given per index. */
  check: { indices: number[]; values: number[]; atol: number | number[]; rtol: number };
  impls: Impl[];
  /** Shown in the table instead of GFLOP/s when the op is memory-bound. */
  unit?: 'GFLOP/s' | 'GB/s' | 'ms';
  /** Samples (e.g. images of a batch) per run: gives samples/s for training steps. */
  samples?: number;
  /** Something a peer cannot do in this row, printed under the table. */
  notes?: string[];
}

export interface Measured {
  group: string;
  row: string;
  impl: string;
  lib: string;
  ok: boolean;
  error?: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  gpuMs?: number;
  gflops: number;
  gbps: number;
  /** Samples per second, for rows with `samples`. */
  samplesPerSec?: number;
  reps: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function verify(row: Row, impl: Impl): Promise<string | undefined> {
  const out = await impl.output();
  const { indices, values, atol, rtol } = row.check;
  for (let k = 0; k < indices.length; k++) {
    const got = out[indices[k]];
    const want = values[k];
    const a = typeof atol === 'number' ? atol : atol[k];
    if (!(Math.abs(got - want) <= a + rtol * Math.abs(want))) {
      return `wrong result at [${indices[k]}]: ${got}, reference ${want}`;
    }
  }
  return undefined;
}

export interface RunOptions {
  warmup: number;
  reps: number;
  /** Stop repeating an implementation after this many ms (at least 2 timed runs). */
  budgetMs: number;
  log?: (line: string) => void;
}

/** Check then time every implementation of every row, interleaving implementations per repetition. */
export async function measure(rows: Row[], opts: RunOptions): Promise<Measured[]> {
  const results: Measured[] = [];
  for (const row of rows) {
    const live: { impl: Impl; times: number[]; spent: number }[] = [];
    for (const impl of row.impls) {
      try {
        await impl.run(); // first run compiles pipelines
        const err = await verify(row, impl);
        if (err) {
          results.push(failed(row, impl, err));
          continue;
        }
        for (let w = 1; w < opts.warmup; w++) await impl.run();
        live.push({ impl, times: [], spent: 0 });
      } catch (e) {
        results.push(failed(row, impl, (e as Error).message));
      }
    }
    for (let r = 0; r < opts.reps; r++) {
      for (const l of live) {
        if (l.times.length >= 2 && l.spent > opts.budgetMs) continue;
        const t0 = performance.now();
        await l.impl.run();
        const dt = performance.now() - t0;
        l.times.push(dt);
        l.spent += dt;
      }
    }
    for (const l of live) {
      const med = median(l.times);
      const gpuMs = l.impl.gpuMs ? await l.impl.gpuMs() : undefined;
      const m: Measured = {
        group: row.group, row: row.name, impl: l.impl.label, lib: l.impl.lib, ok: true,
        medianMs: med, minMs: Math.min(...l.times), maxMs: Math.max(...l.times), gpuMs,
        gflops: row.flops / (med * 1e6), gbps: row.bytes / (med * 1e6), reps: l.times.length,
        ...(row.samples ? { samplesPerSec: row.samples / (med / 1000) } : {}),
      };
      results.push(m);
      opts.log?.(`  ${row.name.padEnd(28)} ${l.impl.label.padEnd(24)} ${med.toFixed(3).padStart(10)} ms`);
    }
    for (const impl of row.impls) impl.dispose?.();
  }
  return results;
}

function failed(row: Row, impl: Impl, error: string): Measured {
  return { group: row.group, row: row.name, impl: impl.label, lib: impl.lib, ok: false, error, medianMs: NaN, minMs: NaN, maxMs: NaN, gflops: NaN, gbps: NaN, reps: 0 };
}

/** A rate (GFLOP/s, GB/s, samples/s) with enough digits to tell small ones apart. */
export function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '';
  return x >= 100 ? x.toFixed(0) : x >= 0.01 ? x.toFixed(2) : x.toPrecision(2);
}

/** peer median / ours, for shadergrad's lines ('' otherwise). */
export function ratio(r: Measured, peer?: Measured): string {
  return peer && r.ok && r.lib === 'shadergrad' ? `${(peer.medianMs / r.medianMs).toFixed(2)}×` : '';
}

/** A row's results in the order of its implementations, and the fastest ok result of a library. */
export function rowResults(results: Measured[], row: Row): { rs: Measured[]; best: (lib: string) => Measured | undefined } {
  const order = (r: Measured) => row.impls.findIndex((i) => i.label === r.impl);
  const rs = results.filter((r) => r.row === row.name && r.group === row.group).sort((a, b) => order(a) - order(b));
  const best = (lib: string) => rs.filter((r) => r.lib === lib && r.ok).sort((a, b) => a.medianMs - b.medianMs)[0];
  return { rs, best };
}

const HEAD = ['row', 'implementation', 'median ms', 'spread ms', 'GPU ms', 'GFLOP/s', 'GB/s', 'samples/s', 'vs tfjs', 'vs jax'];

/** The table's cells: one line per implementation, with ours/peer ratios per row; and the failures. */
function tableBody(results: Measured[], rows: Row[], digits: number): { body: string[][]; failures: string[] } {
  const body: string[][] = [];
  const failures: string[] = [];
  for (const row of rows) {
    const { rs, best } = rowResults(results, row);
    const tf = best('tfjs');
    const jx = best('jax');
    for (const r of rs) {
      if (!r.ok) {
        body.push([row.name, r.impl, 'FAILED', '', '', '', '', '', '', '']);
        failures.push(`FAILED ${row.name} · ${r.impl}: ${r.error ?? ''}`);
        continue;
      }
      body.push([row.name, r.impl, r.medianMs.toFixed(digits), `${r.minMs.toFixed(digits - 1)}–${r.maxMs.toFixed(digits - 1)}`,
        r.gpuMs === undefined ? '' : r.gpuMs.toFixed(digits), fmtRate(r.gflops), fmtRate(r.gbps), fmtRate(r.samplesPerSec), ratio(r, tf), ratio(r, jx)]);
    }
  }
  return { body, failures };
}

/** The same table in Markdown (for bench/RESULTS.md and the README). */
export function formatMarkdown(results: Measured[], rows: Row[]): string {
  const { body, failures } = tableBody(results, rows, 1);
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...body.map((b) => `| ${b.join(' | ')} |`), ...failures.map((f) => `\n${f}`)].join('\n');
}

/** The result table: one line per implementation, with ours/peer ratios per row. */
export function formatResults(results: Measured[], rows: Row[]): string {
  const lines: string[] = [];
  const head = HEAD;
  const { body, failures } = tableBody(results, rows, 3);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  lines.push(head.map((h, i) => h.padEnd(w[i])).join('  '));
  lines.push(w.map((x) => '-'.repeat(x)).join('  '));
  for (const b of body) lines.push(b.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  lines.push('ratios: peer median time / ours (above 1× = shadergrad faster)');
  lines.push(...failures);
  const notes = new Set(rows.flatMap((row) => (row.notes ?? []).map((n) => `note [${row.group}]: ${n}`)));
  lines.push(...notes);
  return lines.join('\n');
}
