// The kernel test harness, shared by Node (vitest + Dawn) and headless Chromium (a Vite page).
// A case is one expression built with the public API and the shapes of its inputs. The harness:
//   1. draws random inputs (seeded, never zero) and poisons every GPU output with NaN first;
//   2. runs the expression on the GPU and replays the same graph on the CPU with the float64
//      references (src/graph/reference-eval.ts) — value vs value;
//   3. differentiates Σ(y · r) for a random r on the GPU (sg.grad, i.e. the ops' gradient rules)
//      and with the references' hand-written backward functions — gradient vs gradient;
//   4. checks the references' backward against central finite differences in float64.
// Tolerance is atol + rtol·|ref|; a failure lists the first mismatches, the max difference and the seed.

import * as sg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { ReferenceRun } from '../src/graph/reference-eval.js';
import type { HostTensor } from '../src/reference/host.js';
import { apply, type NodeOp } from '../src/tensor/tensor.js';
import { opOf } from '../src/ops/op.js';
import { numel, type Meta } from '../src/util/shape.js';
import { packHalf, toHalf, unpackHalf } from '../src/util/half.js';

export interface InputSpec {
  shape: number[];
  /** 'f32' (default) or 'i32'. */
  dtype?: 'f32' | 'i32';
  /** Values drawn from [lo, hi] (f32) avoiding |v| < 0.1·(hi-lo)/2 around 0 unless `allowZero`. */
  range?: [number, number];
  /** For i32: values in [0, intMax). */
  intMax?: number;
  /** Use exactly these values. */
  values?: number[];
  /** No gradient is checked for this input. */
  noGrad?: boolean;
}

export interface Case {
  name: string;
  inputs: (InputSpec | number[])[];
  fn: (...xs: Tensor[]) => Tensor;
  atol?: number;
  rtol?: number;
  /** Check gradients (default: true when there is an f32 input without noGrad). */
  grad?: boolean;
  /** Check the reference backward against finite differences (default true; give a reason to turn off). */
  finiteDifferences?: true | { skip: string };
  seed?: number;
  /**
   * Device features the case needs (e.g. ['subgroups']). Where the adapter lacks one the case is not
   * run and says so: its result carries notRun = 'not run: adapter lacks <feature>' (never a silent skip).
   */
  requires?: string[];
  /**
   * Half-precision storage (compile's precision: 'mixed'): run the op that makes `fn`'s result (its
   * last node) with these inputs read from and outputs written to f16 storage (OpDef.half must allow
   * it), against its reference on the f16-rounded inputs, the result rounded to f16 where stored so.
   * Forward only (a gradient kernel is tested as the forward op it runs); default rtol 2e-3.
   */
  half?: { inputs: boolean[]; outputs?: boolean[] };
  /**
   * A whole check instead of one expression (e.g. a compiled plan against another): returns '' when
   * it passes, else what failed. `inputs` and `fn` are then unused (give [] and an identity).
   */
  check?: () => Promise<string>;
  /** Runs before the case (e.g. setRowVersion to force a kernel version); `after` undoes it, whatever happens. */
  before?: () => void;
  after?: () => void;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  message: string;
  ms: number;
  /** Set when the case could not run on this adapter, with the reason ('not run: adapter lacks subgroups'). */
  notRun?: string;
}

// ---- seeded random numbers (mulberry32) --------------------------------------------------------
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function draw(spec: InputSpec, rand: () => number): Float64Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  if (spec.values) {
    if (spec.values.length !== n) throw new Error(`case input: ${spec.values.length} values for shape [${spec.shape}]`);
    out.set(spec.values);
    return out;
  }
  if (spec.dtype === 'i32') {
    const max = spec.intMax ?? 10;
    for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * max);
    return out;
  }
  const [lo, hi] = spec.range ?? [-1, 1];
  const gap = 0.1 * (hi - lo) / 2;
  for (let i = 0; i < n; i++) {
    let v = 0;
    do v = lo + (hi - lo) * rand();
    while (lo < 0 && hi > 0 && Math.abs(v) < gap);
    out[i] = Math.fround(v);
  }
  return out;
}

function normSpec(s: InputSpec | number[]): InputSpec {
  return Array.isArray(s) ? { shape: s } : s;
}

/** Compare GPU values with reference values; returns a failure text or ''. */
export function compare(what: string, got: ArrayLike<number>, want: HostTensor, atol: number, rtol: number): string {
  if (got.length !== want.data.length) return `${what}: ${got.length} values, reference has ${want.data.length}`;
  let maxDiff = 0;
  let bad = 0;
  const first: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want.data[i];
    const d = Math.abs(g - w);
    const okv = Number.isNaN(w) ? Number.isNaN(g) : (w === g || d <= atol + rtol * Math.abs(w));
    if (!okv || (Number.isNaN(g) && !Number.isNaN(w))) {
      bad++;
      if (first.length < 5) first.push(`[${i}] gpu ${g} ref ${w} (diff ${d.toExponential(2)})`);
    }
    if (Number.isFinite(d) && d > maxDiff) maxDiff = d;
    else if (!Number.isFinite(d) && !(Number.isNaN(g) && Number.isNaN(w)) && g !== w) maxDiff = Infinity;
  }
  if (!bad) return '';
  return `${what} [${want.shape}]: ${bad}/${got.length} mismatches (atol ${atol}, rtol ${rtol}), max diff ${maxDiff.toExponential(3)}; first: ${first.join('; ')}`;
}

const fmtSeed = (s: number) => `seed ${s}`;

/** Run one case; never throws (errors become failed results). */
export async function runCase(c: Case, defaultSeed = 1234): Promise<CaseResult> {
  const t0 = performance.now();
  const seed = c.seed ?? hashSeed(c.name, defaultSeed);
  const missing = (c.requires ?? []).filter((f) => !sg.device().features.has(f));
  if (missing.length) return { name: c.name, ok: true, message: '', ms: 0, notRun: `not run: adapter lacks ${missing.join(', ')}` };
  try {
    c.before?.();
    const msg = await checkCase(c, seed);
    return { name: c.name, ok: !msg, message: msg ? `${msg} (${fmtSeed(seed)})` : '', ms: performance.now() - t0 };
  } catch (e) {
    return { name: c.name, ok: false, message: `${(e as Error).stack ?? e} (${fmtSeed(seed)})`, ms: performance.now() - t0 };
  } finally {
    c.after?.();
  }
}

function hashSeed(name: string, base: number): number {
  let h = base >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

async function checkCase(c: Case, seed: number): Promise<string> {
  if (c.check) return c.check();
  if (c.half) return checkHalfCase(c, seed);
  const rand = rng(seed);
  const specs = c.inputs.map(normSpec);
  const values = specs.map((s) => draw(s, rand));
  const xs = specs.map((s, i) => sg.tensor(Float32Array.from(values[i]), s.shape, { dtype: s.dtype ?? 'f32', name: `x${i}` }));
  const atol = c.atol ?? 1e-5;
  const rtol = c.rtol ?? 1e-4;
  const leaves = new Map<Tensor, HostTensor>(xs.map((x, i) => [x, { data: values[i], shape: specs[i].shape }]));

  // Forward: GPU vs reference.
  const y = c.fn(...xs);
  const refRun = new ReferenceRun([y], leaves);
  const want = refRun.value(y);
  const [got] = await sg.read(y);
  const fwd = compare('forward', got, want, atol, rtol);
  if (fwd) return fwd;

  const diffIdx = specs.map((s, i) => i).filter((i) => (specs[i].dtype ?? 'f32') === 'f32' && !specs[i].noGrad);
  const doGrad = c.grad ?? diffIdx.length > 0;
  if (!doGrad) return '';
  if (y.dtype !== 'f32') return 'case asks for gradients of an integer output';

  // Backward: GPU gradient rules vs reference backward, for loss = Σ(y · r).
  const r = draw({ shape: y.shape, range: [-1, 1] }, rand);
  const rT = sg.tensor(Float32Array.from(r), y.shape, { name: 'r' });
  const rHost: HostTensor = { data: r, shape: y.shape };
  const wrt = diffIdx.map((i) => xs[i]);
  const gpuGrads = sg.grad((...args: Tensor[]) => sg.sum(sg.mul(c.fn(...args), rT)), wrt)(...xs);
  const refGrads = refRun.backward(y, rHost, wrt);
  const gotGrads = await sg.read(...gpuGrads);
  for (let k = 0; k < wrt.length; k++) {
    const wantG = refGrads[k] ?? { data: new Float64Array(wrt[k].size), shape: wrt[k].shape };
    const m = compare(`gradient of input ${diffIdx[k]}`, gotGrads[k], wantG, atol * 10, rtol * 10);
    if (m) return m;
  }

  // The reference backward itself, against central finite differences in float64.
  if (c.finiteDifferences === undefined || c.finiteDifferences === true) {
    const m = finiteDifferenceCheck(refRun, y, leaves, wrt, refGrads, rHost, rand);
    if (m) return m;
  }
  return '';
}

/** Both halves of a word NaN: what a half output holds before its kernel writes it. */
const HALF_POISON = 0x7e007e00;

/**
 * A half-storage case: the op of `fn`'s last node runs on f16-packed copies of the inputs marked half
 * (through a wrapper op passing `half` to its encode), against opOf(op).reference on those inputs
 * rounded to f16; outputs marked half are unpacked and compared with the reference rounded to f16.
 */
async function checkHalfCase(c: Case, seed: number): Promise<string> {
  const rand = rng(seed);
  const specs = c.inputs.map(normSpec);
  const values = specs.map((s) => draw(s, rand));
  const xs = specs.map((s, i) => sg.tensor(Float32Array.from(values[i]), s.shape, { dtype: s.dtype ?? 'f32', name: `x${i}` }));
  const y = c.fn(...xs);
  const node = y.node;
  const op = opOf(node.op);
  const inMeta: Meta[] = node.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
  const outMeta = node.outputs;
  const halfIn = node.inputs.map((_, k) => c.half!.inputs[k] ?? false);
  const halfOut = outMeta.map((_, k) => c.half!.outputs?.[k] ?? k === 0);
  if (!op.half) return `op ${op.name} has no half rule (OpDef.half)`;
  const rule = op.half(inMeta, outMeta, node.attrs);
  const refused = [
    ...halfIn.flatMap((h, k) => (h && !rule.reads[k] ? [`input ${k}`] : [])),
    ...halfOut.flatMap((h, k) => (h && !rule.writes[k] ? [`output ${k}`] : [])),
  ];
  if (refused.length) return `op ${op.name}'s half rule refuses f16 storage for ${refused.join(', ')} here`;
  // The node's inputs as the reference sees them (f16-rounded where half) and as the kernel binds them.
  const hostIn: HostTensor[] = [];
  const bound: sg.Tensor[] = [];
  const read = await sg.read(...node.inputs);
  for (let k = 0; k < node.inputs.length; k++) {
    const t = node.inputs[k];
    const v = Float64Array.from(read[k]);
    if (halfIn[k]) {
      if (t.dtype !== 'f32') return `input ${k} is ${t.dtype}: only f32 tensors can be stored as f16`;
      for (let i = 0; i < v.length; i++) v[i] = toHalf(v[i]);
      const words = packHalf(v);
      bound.push(sg.tensor(new Int32Array(words.buffer, 0, words.length), [words.length], { dtype: 'i32', name: `x${k} (f16)` }));
    } else {
      bound.push(t);
    }
    hostIn.push({ data: v, shape: [...t.shape] });
  }
  const wrapper: NodeOp<null> = {
    name: `${op.name} (half storage)`,
    infer: () => outMeta.map((m, k) => (halfOut[k] ? { shape: [Math.ceil(numel(m.shape) / 2)], dtype: 'i32' as const } : m)),
    encode: (ctx, a) => {
      a.outputs.forEach((b, k) => {
        if (halfOut[k]) ctx.fill(b, Math.ceil(numel(outMeta[k].shape) / 2) * 4, HALF_POISON);
      });
      op.encode!(ctx, { ...a, inMeta, outMeta, attrs: node.attrs, half: { inputs: halfIn, outputs: halfOut } });
    },
  };
  const outs = apply(wrapper, bound, null);
  const got = await sg.read(...outs);
  const want = op.reference(hostIn, node.attrs);
  const atol = c.atol ?? 1e-5;
  const rtol = c.rtol ?? 2e-3;
  for (let k = 0; k < outs.length; k++) {
    const n = numel(outMeta[k].shape);
    const g = halfOut[k] ? unpackHalf(new Uint32Array((got[k] as Int32Array).buffer), n) : got[k];
    const w: HostTensor = halfOut[k] ? { data: want[k].data.map(toHalf), shape: want[k].shape } : want[k];
    const m = compare(`output ${k}${halfOut[k] ? ' (f16)' : ''}`, g, w, atol, rtol);
    if (m) return m;
  }
  return '';
}

function finiteDifferenceCheck(
  refRun: ReferenceRun, y: Tensor, leaves: Map<Tensor, HostTensor>, wrt: Tensor[], refGrads: (HostTensor | null)[], r: HostTensor, rand: () => number,
): string {
  const eps = 1e-6;
  const objective = () => {
    refRun.evaluate();
    const v = refRun.value(y);
    let s = 0;
    for (let i = 0; i < v.data.length; i++) s += v.data[i] * r.data[i];
    return s;
  };
  for (let k = 0; k < wrt.length; k++) {
    const leaf = leaves.get(wrt[k])!;
    const n = leaf.data.length;
    const picks = n <= 8 ? [...Array(n).keys()] : Array.from({ length: 8 }, () => Math.floor(rand() * n));
    for (const i of picks) {
      const orig = leaf.data[i];
      leaf.data[i] = orig + eps;
      const up = objective();
      leaf.data[i] = orig - eps;
      const down = objective();
      leaf.data[i] = orig;
      const fd = (up - down) / (2 * eps);
      const an = refGrads[k]?.data[i] ?? 0;
      if (Math.abs(fd - an) > 1e-4 + 1e-3 * Math.abs(fd)) {
        return `reference backward of input ${k} disagrees with finite differences at [${i}]: analytic ${an}, numeric ${fd}`;
      }
    }
  }
  return '';
}

export interface SuiteReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  /** Cases that could not run on this adapter (each result's notRun says why). */
  notRun: number;
}

/** Run whole case tables (used by the Chromium page). */
export async function runTables(tables: Record<string, Case[]>, onResult?: (table: string, r: CaseResult) => void): Promise<SuiteReport> {
  const results: CaseResult[] = [];
  for (const [table, cases] of Object.entries(tables)) {
    for (const c of cases) {
      const r = await runCase(c);
      r.name = `${table} › ${r.name}`;
      results.push(r);
      onResult?.(table, r);
    }
  }
  const notRun = results.filter((r) => r.notRun).length;
  const passed = results.filter((r) => r.ok && !r.notRun).length;
  return { results, passed, failed: results.length - passed - notRun, notRun };
}
