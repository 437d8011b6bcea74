// Measured kernel choice (autotune): compile(fn, { tune: true }) times, on the adapter at hand, every
// correct kernel version of each tunable op + shape in the plan, and records the plan with the fastest.
//
// Where the candidates come from — one list per op, next to the op's versions; add a version there and
// the tuner times it:
//   matmul                  matmulVersions()   src/ops/matmul.ts (MATMUL_VERSIONS, what each shape allows)
//   linear                  LINEAR_VERSIONS    src/ops/matmul.ts (less those the device lacks a feature for)
//   conv2d and both its     convVersions()     src/ops/conv.ts (CONV_VERSIONS; the gradient ops run their
//   gradient ops                               own kernel unless the version is a gemm one)
//   batchNorm (+backward)   BATCH_NORM_VERSIONS below
//   the row rules           rowVersions() / oneThreadPerRow()   src/ops/kernel-rules.ts (ROW_VERSIONS)
// A new op whose attributes carry `version: 'auto'`: add a line to VERSIONED_OPS. A new rule that
// decides inside encode(): route it through choose() in src/ops/kernel-rules.ts; the tuner finds it.
// Not tuned: attention's rung (composite vs fused is chosen when the step is traced, and an attention
// node's version is never 'auto'), permute (its rule sees no shape to key a choice by).
//
// How, per node of the plan's forward and backward (the optimizer's nodes are left to the fixed rules):
//   probe   encode() runs against a capturing context (no GPU work) once per candidate; candidates
//           that record the same dispatches (kernel, constants, grid) are one candidate, and the one
//           'auto' records is the fixed rule's. Each choose() the encode makes is a site too.
//   time    the node alone, on its own zeroed buffers, each candidate once to warm up (a candidate
//           over 3× the fastest warm-up is dropped), then TUNE_REPEATS runs interleaved across the
//           candidates; the median of each. GPU time from timestamp queries where the device has
//           'timestamp-query', else wall time around submit + onSubmittedWorkDone.
//   pick    the fastest, but only if it beats the fixed rule by TUNE_MARGIN (noise keeps the rule).
//   budget  tuneBudgetMs bounds the tuning's wall time: once spent, the site being timed and every
//           later one keep the fixed rule (a later compile continues: cached sites cost nothing).
//   cache   per adapter and site (src/gpu/tune-cache.ts); 'cached' takes cached choices and the fixed
//           rule elsewhere, never timing.
//   record  the chosen versions are written into the nodes' attributes, the choose() answers held in a
//           scope while record.ts encodes the plan (synchronously), and each row of plan.explain()
//           carries `tuned`.

import { gpu } from '../gpu/device.js';
import type { KernelDef } from '../gpu/kernels.js';
import type { BufferRef, DispatchOptions, EncodeCtx, HalfStorage } from '../gpu/dispatch.js';
import { adapterKey, cachedRecords, cacheLocation, clearCache, storeRecords, type TuneRecord } from '../gpu/tune-cache.js';
import { acquireBuffer, noteSubmit, releaseBuffer, STORAGE_USAGE } from '../memory/pool.js';
import { encodeDispatches, prepare, Recorder, type Prepared, type RecordedCommand, type RecordedDispatch } from '../runtime/executor.js';
import type { Node } from '../tensor/tensor.js';
import { withChoiceScope } from '../ops/kernel-rules.js';
import { linearVersions, MATMUL_VERSION_FEATURES, matmulVersions } from '../ops/matmul.js';
import { convVersions } from '../ops/conv.js';
import { fmtShape, numel, type Meta } from '../util/shape.js';
import { sgError } from '../util/errors.js';
import { textTable } from './plan-views.js';

/** Timed runs per candidate after the warm-up; the median is kept. */
export const TUNE_REPEATS = 5;
/** A candidate replaces the fixed rule only when at least this much faster (a fraction of the rule's time). */
export const TUNE_MARGIN = 0.05;
/** Default of compile's tuneBudgetMs. */
export const TUNE_BUDGET_MS = 5000;

export type TuneMode = boolean | 'cached';

const BATCH_NORM_VERSIONS = ['fused', 'split'] as const;

/** The versions of an op correct for these shapes, features and (mixed precision) f16 bindings. */
type VersionList = (inMeta: Meta[], outMeta: Meta[], attrs: Record<string, unknown>, features: string[], half?: HalfStorage) => readonly string[];

const hasFeatures = (v: string, features: string[]) =>
  ((MATMUL_VERSION_FEATURES as Record<string, readonly string[] | undefined>)[v] ?? []).every((f) => features.includes(f));

const convList: VersionList = (ins, outs, attrs, f) =>
  convVersions({ x: ins[0].shape, w: ins[1].shape, groups: attrs.groups as number }, f);

/** Ops whose attributes carry `version` ('auto' = the fixed rule): the versions to time for a node. */
export const VERSIONED_OPS: Record<string, VersionList> = {
  matmul: ([a, b], [c], attrs, f, half) => {
    const transA = !!attrs.transA;
    const transB = !!attrs.transB;
    const M = transA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
    const K = transA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const N = transB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    return matmulVersions({ M, N, K, batch: numel(c.shape.slice(0, -2)), transA, transB }, f, { a: half?.inputs[0], b: half?.inputs[1], c: half?.outputs[0] });
  },
  linear: ([x, w], [y], _a, f, half) => linearVersions({ M: numel(x.shape.slice(0, -1)), N: w.shape[0], K: w.shape[1] }, f,
    { a: half?.inputs[0], b: half?.inputs[1], bias: half?.inputs[2], c: half?.outputs[0] }).filter((v) => y && hasFeatures(v, f)),
  conv2d: convList,
  conv2d_backward_input: (ins, outs, attrs, f) => convList([outs[0], ins[1]], outs, attrs, f),
  conv2d_backward_weight: convList,
  batchNorm: () => BATCH_NORM_VERSIONS,
  batchNormBackward: () => BATCH_NORM_VERSIONS,
};

// ---- what was decided (sg.tuning.report) -------------------------------------------------------------

/** One decision: a tunable op or rule at one shape. */
export interface TuningEntry {
  /** The op (matmul, conv2d, …) or the rule (rows.softmax, …). */
  op: string;
  /** The cache key of the site: op or rule, shapes, attributes. */
  site: string;
  /** The plan that asked. */
  plan: string;
  chosen: string;
  fixed: string;
  /** Median ms per candidate version (empty when nothing was measured). */
  ms: Record<string, number>;
  /** ms of the fixed rule ÷ ms of the choice (1 when they are the same; undefined when not measured). */
  gain?: number;
  /** 'measured' now, taken from the 'cache', or the 'fixed' rule (not cached under 'cached', or out of budget). */
  source: 'measured' | 'cache' | 'fixed: not cached' | 'fixed: budget spent';
  timing?: TuneRecord['timing'];
}

export interface TuningReport {
  /** The adapter's cache key; `entries` are this adapter's decisions. */
  adapter: string;
  /** The cache file's path (Node), 'localStorage' (page) or 'memory'. */
  cache: string;
  entries: TuningEntry[];
  /** Timed runs since the process started or since clear() (any adapter): 'cached' adds none. */
  timingRuns: number;
  table: string;
}

const decisions = new Map<string, TuningEntry>();
let timingRuns = 0;

async function report(): Promise<TuningReport> {
  const adapter = adapterKey();
  const entries = [...decisions].filter(([k]) => k.startsWith(`${adapter}\n`)).map(([, e]) => e);
  const head = ['op', 'site', 'chosen', 'fixed', 'gain', 'source', 'candidates (ms)'];
  const body = entries.map((e) => [e.op, e.site, e.chosen, e.fixed, e.gain === undefined ? '' : `${e.gain.toFixed(2)}×`, e.source,
    Object.entries(e.ms).map(([v, ms]) => `${v} ${ms.toFixed(3)}`).join(', ')]);
  const table = `Kernel choices on ${adapter}\n${textTable(head, body)}`;
  return { adapter, cache: await cacheLocation(), entries, timingRuns, table };
}

async function clear(): Promise<void> {
  decisions.clear();
  timingRuns = 0;
  await clearCache();
}

/**
 * sg.tuning: `await sg.tuning.report()` — per op and shape, the version chosen, each candidate's time
 * and the gain over the fixed rule; `await sg.tuning.clear()` — forget every choice (cache included).
 */
export const tuning = { report, clear };

// ---- the tuner ---------------------------------------------------------------------------------------

/** A plan's tuned choices, for compile() to record the plan with. */
export interface PlanTuning {
  /** Record the plan: `fn` must encode every node synchronously (record.ts does, before its first await). */
  record<T>(fn: () => T): T;
  /** Per node id: what was chosen, for the explain rows. */
  notes: Map<number, string>;
}

interface Site {
  key: string;
  op: string;
  /** 'version': the node's attribute; else the choose() point. */
  point: string | 'version';
  /** Candidate labels (distinct dispatches), the fixed rule's among them. */
  candidates: string[];
  fixed: string;
}

interface Assignment {
  version?: string;
  rules: Map<string, string>;
}

class BudgetSpent extends Error {}

const DUMMY = { label: 'tune probe', size: 1 << 30 } as unknown as GPUBuffer;

/** What encode() records, as a string (kernels, constants, grids), without touching the GPU. */
function probe(node: Node, a: Assignment, seen?: { point: string; key: string; candidates: string[]; fixed: string }[], half?: HalfStorage): string | null {
  const out: unknown[] = [];
  const { device } = gpu();
  const ctx: EncodeCtx = {
    dispatch: (k: KernelDef, o: DispatchOptions) => void out.push([k.name, o.overrides ?? {}, o.grid]),
    scratch: () => DUMMY,
    fill: (_b: BufferRef, bytes: number, value: number) => void out.push(['fill', bytes, value]),
    limits: {
      maxWorkgroupsPerDim: device.limits.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorage: device.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffers: device.limits.maxStorageBuffersPerShaderStage,
    },
  };
  try {
    withChoiceScope({
      pick: (point, key, candidates, fixed) => {
        seen?.push({ point, key, candidates: [...candidates], fixed });
        return a.rules.get(`${point} ${key}`);
      },
    }, () => node.op.encode!(ctx, {
      inputs: node.inputs.map(() => DUMMY), outputs: node.outputs.map(() => DUMMY),
      inMeta: node.inputs.map(metaOf), outMeta: node.outputs, attrs: withVersion(node.attrs, a.version), half,
    }));
  } catch {
    return null; // a version this shape or device cannot run: not a candidate
  }
  return JSON.stringify(out);
}

const metaOf = (t: { shape: number[]; dtype: Meta['dtype'] }): Meta => ({ shape: t.shape, dtype: t.dtype });

function withVersion(attrs: unknown, version: string | undefined): unknown {
  return version === undefined ? attrs : { ...(attrs as object), version };
}

/** Group `labels` by what they record; returns the groups' first labels and the one 'auto' falls in. */
function distinct(labels: string[], sig: (label: string) => string | null): { candidates: string[]; fixed: string } | null {
  const bySig = new Map<string, string[]>();
  for (const l of labels) {
    const s = sig(l);
    if (s === null) continue;
    bySig.set(s, [...(bySig.get(s) ?? []), l]);
  }
  const groups = [...bySig.values()];
  const named = (g: string[]) => g.find((l) => l !== 'auto') ?? g[0];
  const fixedGroup = groups.find((g) => g.includes('auto'));
  if (!fixedGroup || groups.length < 2) return null;
  return { candidates: groups.map(named), fixed: named(fixedGroup) };
}

function attrsKey(attrs: unknown): string {
  const o = (attrs ?? {}) as Record<string, unknown>;
  return Object.keys(o).filter((k) => k !== 'version' && k !== 'hyperGroup').sort()
    .map((k) => `${k}=${JSON.stringify(o[k])}`).join(',');
}

function nodeKey(node: Node, half?: HalfStorage): string {
  const base = `${node.op.name}(${node.inputs.map((t) => `${fmtShape(t.shape)}${t.dtype === 'i32' ? 'i' : ''}`).join(', ')}) ${attrsKey(node.attrs)}`;
  // Mixed precision: which bindings hold f16 (a different kernel, timed and cached apart).
  return half ? `${base} f16=${half.inputs.map(Number).join('')}:${half.outputs.map(Number).join('')}` : base;
}

/** Zeroed buffers for a node's inputs and outputs, and the node encoded into them for one assignment. */
class Bench {
  private readonly buffers: GPUBuffer[];
  private readonly made: { rec: Recorder; prepared: Prepared; dispatches: RecordedDispatch[] }[] = [];

  constructor(private readonly node: Node, private readonly deadline: number, private readonly half?: HalfStorage) {
    const { device } = gpu();
    const sizes = [...node.inputs.map((t) => t.size), ...node.outputs.map((m) => numel(m.shape))];
    this.buffers = sizes.map((n) => acquireBuffer(Math.max(16, Math.ceil(n * 4 / 16) * 16), STORAGE_USAGE, `tune ${node.op.name}`));
    const enc = device.createCommandEncoder();
    for (const b of this.buffers) enc.clearBuffer(b);
    device.queue.submit([enc.finish()]);
    noteSubmit();
  }

  async candidate(a: Assignment): Promise<() => Promise<number>> {
    const { device } = gpu();
    const rec = new Recorder(true);
    rec.op = this.node.op.name;
    const nIn = this.node.inputs.length;
    withChoiceScope({ pick: (point, key) => a.rules.get(`${point} ${key}`) }, () => this.node.op.encode!(rec, {
      inputs: this.buffers.slice(0, nIn), outputs: this.buffers.slice(nIn),
      inMeta: this.node.inputs.map(metaOf), outMeta: this.node.outputs, attrs: withVersion(this.node.attrs, a.version), half: this.half,
    }));
    const { dispatches, prepared } = await prepare(rec.commands as RecordedCommand[]);
    if (prepared.uniform) device.queue.writeBuffer(prepared.uniform, 0, prepared.uniformData);
    this.made.push({ rec, prepared, dispatches });
    const timestamps = gpu().has('timestamp-query');
    const n = dispatches.length;
    let ts: { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer } | null = null;
    if (timestamps && n > 0) {
      ts = {
        querySet: device.createQuerySet({ type: 'timestamp', count: 2 * n }),
        resolve: device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
      this.queries.push(ts);
    }
    return async () => {
      if (performance.now() > this.deadline) throw new BudgetSpent();
      timingRuns++;
      const encoder = device.createCommandEncoder({ label: `tune ${this.node.op.name}` });
      if (ts) {
        const q = ts;
        encodeDispatches(encoder, dispatches, prepared, (i) => ({ querySet: q.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }));
        encoder.resolveQuerySet(q.querySet, 0, 2 * n, q.resolve, 0);
        encoder.copyBufferToBuffer(q.resolve, 0, q.read, 0, 16 * n);
        device.queue.submit([encoder.finish()]);
        noteSubmit();
        await q.read.mapAsync(GPUMapMode.READ);
        const t = new BigInt64Array(q.read.getMappedRange().slice(0));
        q.read.unmap();
        let ms = 0;
        for (let i = 0; i < n; i++) ms += Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6;
        return ms;
      }
      encodeDispatches(encoder, dispatches, prepared);
      const t0 = performance.now();
      device.queue.submit([encoder.finish()]);
      noteSubmit();
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
  }

  private readonly queries: { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer }[] = [];

  async release(): Promise<void> {
    // Wait for the runs in flight before the buffers go back to the pool.
    await gpu().device.queue.onSubmittedWorkDone();
    for (const b of this.buffers) releaseBuffer(b);
    for (const m of this.made) {
      m.rec.abandon();
      if (m.prepared.uniform) releaseBuffer(m.prepared.uniform);
    }
    for (const q of this.queries) {
      q.querySet.destroy();
      q.resolve.destroy();
      q.read.destroy();
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Time a site's candidates on one node; returns the median ms of each (dropped ones: their warm-up). */
async function timeSite(bench: Bench, site: Site, base: Assignment): Promise<{ ms: Record<string, number>; kept: string[] }> {
  const runs = new Map<string, () => Promise<number>>();
  for (const c of site.candidates) {
    const a: Assignment = site.point === 'version'
      ? { version: c, rules: base.rules }
      : { version: base.version, rules: new Map([...base.rules, [`${site.point} ${site.key}`, c]]) };
    runs.set(c, await bench.candidate(a));
  }
  const warm = new Map<string, number>();
  for (const [c, run] of runs) warm.set(c, await run());
  const best = Math.min(...warm.values());
  const kept = site.candidates.filter((c) => c === site.fixed || warm.get(c)! <= 3 * best);
  const samples = new Map<string, number[]>(kept.map((c) => [c, []]));
  for (let r = 0; r < TUNE_REPEATS; r++) {
    for (const c of kept) samples.get(c)!.push(await runs.get(c)!());
  }
  const ms: Record<string, number> = {};
  for (const c of site.candidates) ms[c] = kept.includes(c) ? median(samples.get(c)!) : warm.get(c)!;
  return { ms, kept };
}

/**
 * Choose a version for every tunable site of `nodes` (the plan's forward and backward, in order).
 * `mode` true: cached choices, else measured within `budgetMs`; 'cached': cached choices, else the
 * fixed rules.
 */
export async function tunePlan(nodes: Node[], opts: { mode: true | 'cached'; budgetMs: number; label: string; halfOf?: (node: Node) => HalfStorage | undefined }): Promise<PlanTuning> {
  const { features } = gpu().info;
  const adapter = adapterKey();
  const cache = await cachedRecords(adapter);
  const measured: Record<string, TuneRecord> = {};
  const start = performance.now();
  const deadline = start + opts.budgetMs;
  let spent = false;
  const chosen = new Map<string, string>(); // site key → label, within this plan
  const versions = new Map<Node, string>();
  const rules = new Map<string, string>();
  const notes = new Map<number, string>();
  const timing: TuneRecord['timing'] = gpu().has('timestamp-query') ? 'timestamp-query' : 'wall-clock';

  const decide = async (node: Node, site: Site, base: Assignment, bench: () => Bench): Promise<string> => {
    const done = chosen.get(site.key);
    if (done !== undefined) return done;
    let entry: TuningEntry;
    const hit = cache[site.key];
    const common = { op: site.op, site: site.key, plan: opts.label, fixed: site.fixed };
    if (hit && site.candidates.includes(hit.choice)) {
      entry = { ...common, chosen: hit.choice, ms: hit.ms, gain: gainOf(hit.ms, hit.fixed, hit.choice), source: 'cache', timing: hit.timing };
    } else if (opts.mode === 'cached') {
      entry = { ...common, chosen: site.fixed, ms: {}, source: 'fixed: not cached' };
    } else if (spent || performance.now() > deadline) {
      spent = true;
      entry = { ...common, chosen: site.fixed, ms: {}, source: 'fixed: budget spent' };
    } else {
      try {
        const { ms, kept } = await timeSite(bench(), site, base);
        let pick = site.fixed;
        for (const c of kept) if (ms[c] < ms[pick] * (1 - TUNE_MARGIN) && (pick === site.fixed || ms[c] < ms[pick])) pick = c;
        entry = { ...common, chosen: pick, ms, gain: gainOf(ms, site.fixed, pick), source: 'measured', timing };
        measured[site.key] = { choice: pick, fixed: site.fixed, ms, timing, at: Date.now() };
      } catch (e) {
        if (!(e instanceof BudgetSpent)) throw e;
        spent = true;
        entry = { ...common, chosen: site.fixed, ms: {}, source: 'fixed: budget spent' };
      }
    }
    decisions.set(`${adapter}\n${site.key}`, entry);
    chosen.set(site.key, entry.chosen);
    return entry.chosen;
  };

  for (const node of nodes) {
    if (node.op.alias || !node.op.encode) continue;
    let bench: Bench | undefined;
    const half = opts.halfOf?.(node);
    const getBench = () => (bench ??= new Bench(node, deadline, half));
    try {
      const a: Assignment = { rules };
      const picked: string[] = [];
      // The node's version attribute.
      const list = VERSIONED_OPS[node.op.name];
      const attrs = node.attrs as Record<string, unknown> | null;
      if (list && attrs && attrs.version === 'auto') {
        const ins = node.inputs.map(metaOf);
        const d = distinct(['auto', ...list(ins, node.outputs, attrs, features, half)], (v) => probe(node, { version: v === 'auto' ? undefined : v, rules }, undefined, half));
        if (d) {
          const site: Site = { key: nodeKey(node, half), op: node.op.name, point: 'version', ...d };
          const v = await decide(node, site, a, getBench);
          // The group 'auto' falls in keeps 'auto': the fixed rule, as without tuning.
          if (v !== d.fixed) {
            versions.set(node, v);
            a.version = v;
          }
          picked.push(`${node.op.name}: ${v}${v === d.fixed ? ' (= fixed rule)' : ` (fixed: ${d.fixed})`}`);
        }
      }
      // The choose() points its encode() passes, under the version chosen.
      const seen: { point: string; key: string; candidates: string[]; fixed: string }[] = [];
      probe(node, a, seen, half);
      for (const s of seen) {
        const k = `${s.point} ${s.key}`;
        const d = distinct(['auto', ...s.candidates], (c) => probe(node, {
          version: a.version, rules: c === 'auto' ? new Map([...rules].filter(([x]) => x !== k)) : new Map([...rules, [k, c]]),
        }, undefined, half));
        if (!d) continue;
        const site: Site = { key: k, op: s.point, point: s.point, ...d };
        const v = await decide(node, site, a, getBench);
        rules.set(k, v);
        picked.push(`${s.point}: ${v}${v === d.fixed ? ' (= fixed rule)' : ` (fixed: ${d.fixed})`}`);
      }
      if (picked.length) notes.set(node.id, picked.join('; '));
    } finally {
      await bench?.release();
    }
  }
  if (Object.keys(measured).length) await storeRecords(measured, adapter);

  return {
    notes,
    record<T>(fn: () => T): T {
      for (const [node, v] of versions) node.attrs = { ...(node.attrs as object), version: v };
      const used = new Set<string>();
      const result = withChoiceScope({
        pick: (point, key) => {
          const k = `${point} ${key}`;
          if (rules.has(k)) used.add(k);
          return rules.get(k);
        },
      }, fn);
      const missed = [...rules.keys()].filter((k) => !used.has(k));
      if (missed.length) {
        throw sgError(`compile: internal: the tuned choices ${missed.join(', ')} were not consulted while recording ` +
          '(record.ts must encode every node before its first await)');
      }
      return result;
    },
  };
}

function gainOf(ms: Record<string, number>, fixed: string, choice: string): number | undefined {
  if (choice === fixed) return ms[fixed] !== undefined ? 1 : undefined;
  return ms[fixed] !== undefined && ms[choice] ? ms[fixed] / ms[choice] : undefined;
}
