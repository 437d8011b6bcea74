// Kernel rules: how an op's 'auto' picks the work split of a row-wise kernel. Softmax, layerNorm,
// the group / instance / RMS norms, batchNorm, the reductions and cross-entropy each have two kernels
// for the same result:
//
//   one workgroup per row   the row is split over the workgroup's threads and combined by a tree
//                           reduction in workgroup memory (a workgroupBarrier per level)
//   one thread per row      the thread walks its row alone: no workgroup memory, no barrier
//
// The reason, once: a short row leaves most threads of a workgroup idle, so it takes the thread
// kernel on any adapter. On a software adapter (SwiftShader) every workgroupBarrier switches every
// invocation of the workgroup, so the thread kernel wins for long rows too — as long as there are
// enough rows to fill its lanes (it runs 4 invocations per SIMD group): with 1 or 2 very long rows a
// thread each leaves lanes and cores idle, and a workgroup each takes about half the time.
//
// Each op's rule below names its two numbers; sg.setKernelRules() (src/gpu/device.ts) makes every
// rule follow one adapter class. compile(..., { tune: true }) replaces a rule by a measurement per
// shape: each choice below goes through choose() (see "measured choices" at the end of this file).

import { gpu, softwareRules } from '../gpu/device.js';
import { sgError } from '../util/errors.js';
import { wgslConsts } from '../gpu/kernels.js';
import { numel } from '../util/shape.js';

/** Threads per workgroup of the one-thread-per-row kernels (their WGSL @workgroup_size). */
export const ROW_THREADS = 64;

export interface RowRule {
  /** Rows of at most this many values take the thread kernel on any adapter. */
  shortRow: number;
  /** On a software adapter, at least this many rows take the thread kernel whatever their length. */
  softwareMinRows: number;
}

/** The rules of the ops that have both kernels: the row is what one thread or one workgroup reduces. */
export const ROW_RULES = {
  /** softmax / logSoftmax: a row is the softmax axis. */
  softmax: { shortRow: 64, softwareMinRows: 4 },
  /** layerNorm forward and dx: a row is the normalised dims. */
  layerNormRows: { shortRow: 64, softwareMinRows: 4 },
  /**
   * layerNorm dweight / dbias: a "row" is a column of the [rows, C] input; up to 64 values fit the 8
   * row lanes of the 32×8 column workgroups at 8 each between barriers.
   */
  layerNormColumns: { shortRow: 64, softwareMinRows: 4 },
  /** groupNorm / instanceNorm / rmsNorm forward and dx (shaders/norm.wgsl): a row is one (sample, group)'s values. */
  normRows: { shortRow: 64, softwareMinRows: 4 },
  /** groupNorm / instanceNorm / rmsNorm dweight / dbias: a "row" is one channel's values over the samples (N·L). */
  normChannels: { shortRow: 64, softwareMinRows: 4 },
  /** batchNorm statistics and backward sums: a row is a channel's N·H·W values. */
  batchNormChannels: { shortRow: 64, softwareMinRows: 4 },
  /**
   * sum / mean / max / min / argmax over an axis: reduce_serial up to 128 values; on a software
   * adapter once there are 64 outputs (a few outputs of a very long axis still take the tree, which
   * spreads the axis over 64 threads).
   */
  reduce: { shortRow: 128, softwareMinRows: 64 },
  /** crossEntropy's fused log-softmax + NLL: a row is one sample's C logits. */
  crossEntropyRows: { shortRow: 64, softwareMinRows: 1 },
  /** crossEntropy's final sums over the M rows: one thread up to 256 rows, a 256-thread tree above. */
  crossEntropySum: { shortRow: 256, softwareMinRows: 1 },
} as const satisfies Record<string, RowRule>;

export type RowRuleName = keyof typeof ROW_RULES;

/** Whether `rows` rows of `length` values each take the one-thread-per-row kernel under `rule`. */
export function oneThreadPerRow(rule: RowRuleName, length: number, rows: number, software = softwareRules()): boolean {
  const fixed = threadRule(rule, length, rows, software) ? 'thread' : 'tree';
  return choose(`rows.${rule}`, `${length}x${rows}`, ['thread', 'tree'], fixed) === 'thread';
}

/** The fixed rule of oneThreadPerRow, never a measured choice. */
function threadRule(rule: RowRuleName, length: number, rows: number, software: boolean): boolean {
  const r: RowRule = ROW_RULES[rule];
  return length <= r.shortRow || (software && rows >= r.softwareMinRows);
}

// ---- versions of the row kernels (the ladder a tuner chooses from) --------------------------------
// Each row-wise op has up to three versions of the same result, simplest first:
//   'thread'    one thread per row (the _rows / _serial kernels): no workgroup memory, no barrier
//   'tree'      one workgroup per row, a tree reduction in workgroup memory (common/reduce.wgsl)
//   'subgroup'  one workgroup per row, subgroupAdd / subgroupMax inside each subgroup, then one slot
//               per subgroup in workgroup memory (common/subgroup_reduce.wgsl): 2 barriers per
//               reduction instead of 10. Only where the device has the `subgroups` feature (the
//               <family>_subgroup.wgsl modules do not compile elsewhere).
// rowVersions(rule, features) lists the versions an adapter can run; rowVersion() is what an op runs:
// the version set by setRowVersion (tests, benchmarks, a tuner), else the fixed rule above, which
// picks 'thread' or 'tree' only. One run on SwiftShader (bench/row-versions.ts, bench/RESULTS.md,
// taken while other jobs loaded the machine): the subgroup rung matched the tree for softmax and
// long-row layerNorm, ran 0.91–1.12× the tree's speed for crossEntropy and 1.07–1.8× for sum, max,
// argmax and globalNorm. Not enough to change the fixed rule on one noisy run, so it stays; a tuner
// measuring per shape can pick the rung. Not yet measured on a hardware GPU.

export type RowVersion = 'thread' | 'tree' | 'subgroup';

/**
 * The rules whose ops choose through rowVersion: those above with a subgroup rung (and layerNorm's
 * columns), plus argmax/argmin and globalNorm, which have no 'thread' kernel. The norm and batchNorm
 * rules still choose through oneThreadPerRow alone.
 */
export type RowVersionRule = 'softmax' | 'layerNormRows' | 'layerNormColumns' | 'reduce' | 'argReduce' |
  'crossEntropyRows' | 'crossEntropySum' | 'globalNorm';

/** Each rule's versions, simplest first. */
export const ROW_VERSIONS: Record<RowVersionRule, readonly RowVersion[]> = {
  softmax: ['thread', 'tree', 'subgroup'],
  layerNormRows: ['thread', 'tree', 'subgroup'],
  layerNormColumns: ['thread', 'tree'],
  reduce: ['thread', 'tree', 'subgroup'],
  argReduce: ['tree', 'subgroup'],
  crossEntropyRows: ['thread', 'tree', 'subgroup'],
  crossEntropySum: ['thread', 'tree', 'subgroup'],
  globalNorm: ['tree', 'subgroup'],
};

/** The device features a version needs. */
export const ROW_VERSION_FEATURES: Record<RowVersion, readonly string[]> = { thread: [], tree: [], subgroup: ['subgroups'] };

/** The versions of `rule` a device with `features` can run (e.g. `rowVersions('softmax', device.features)`). */
export function rowVersions(rule: RowVersionRule, features: Iterable<string>): RowVersion[] {
  const has = new Set(features);
  return ROW_VERSIONS[rule].filter((v) => ROW_VERSION_FEATURES[v].every((f) => has.has(f)));
}

const forcedVersions = new Map<RowVersionRule, RowVersion>();

/**
 * Make `rule`'s ops run `version` (undefined: back to the fixed rule) for ops recorded afterwards —
 * for tests and benchmarks that cover each rung, and for a tuner. A version the rule does not have is
 * an error at once; one the device cannot run (a subgroup rung without `subgroups`) when an op runs.
 */
export function setRowVersion(rule: RowVersionRule, version?: RowVersion): void {
  if (!(rule in ROW_VERSIONS)) throw sgError(`setRowVersion: no row rule '${String(rule)}'; the rules are ${Object.keys(ROW_VERSIONS).join(', ')}`);
  if (version === undefined) {
    forcedVersions.delete(rule);
    return;
  }
  if (!ROW_VERSIONS[rule].includes(version)) {
    throw sgError(`setRowVersion: '${rule}' has the versions ${ROW_VERSIONS[rule].join(', ')}, not '${String(version)}'`);
  }
  forcedVersions.set(rule, version);
}

/**
 * The version `rule`'s op runs for `rows` rows of `length` values: the one set by setRowVersion, else a
 * measured choice inside a tuned plan (choose()), else the fixed rule.
 */
export function rowVersion(rule: RowVersionRule, length: number, rows: number): RowVersion {
  const forced = forcedVersions.get(rule);
  if (forced) {
    const missing = ROW_VERSION_FEATURES[forced].filter((f) => !gpu().has(f));
    if (missing.length) {
      throw sgError(`the '${forced}' version of '${rule}' needs the device feature ${missing.join(', ')}, which this adapter ` +
        `lacks; its versions here: ${rowVersions(rule, gpu().info.features).join(', ')}`);
    }
    return forced;
  }
  const fixed = rule === 'argReduce' || rule === 'globalNorm' ? 'tree'
    : threadRule(rule, length, rows, softwareRules()) ? 'thread' : 'tree';
  return choose(`rows.${rule}`, `${length}x${rows}`, rowVersions(rule, gpu().info.features), fixed);
}

/**
 * A shape seen around `axis` as [outer, R, inner]: R values along the axis, `inner` apart; the row
 * kernels and the reductions work on this view instead of transposing.
 */
export function axisView(shape: readonly number[], axis: number): { outer: number; R: number; inner: number } {
  return { outer: numel(shape.slice(0, axis)), R: shape[axis], inner: numel(shape.slice(axis + 1)) };
}

// ---- half-precision storage of the row kernels ----------------------------------------------------
// Every version of the rules above (thread, tree, subgroup; layerNorm's column kernels) reads f16
// storage the same way (the per-row maths is shared in shaders/common/*_rows.wgsl and reduce_ops.wgsl)
// and writes it the same way, so half flags never narrow rowVersions() nor choose(): the condition for
// an f16 output is the layout's, not the version's. A row kernel writes f16 a whole word (two
// neighbouring elements) per thread; a row may then take a word only if no other row has an element
// in it: the row is contiguous (inner = 1) and starts at an even element (R even), or it is the only
// row. The reductions write output pairs per thread or workgroup instead, any layout.

/** Whether rows of the [outer, R, inner] view can each be written as whole f16 words (see above). */
export function halfRowsOwnWords(v: { outer: number; R: number; inner: number }): boolean {
  return v.outer * v.inner <= 1 || (v.inner === 1 && v.R % 2 === 0);
}

/** The *_HALF override constants for the flags that are set (none when all storage is f32, so f32 pipelines stay as they were). */
export function halfOverrides(flags: Record<string, boolean | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, on] of Object.entries(flags)) if (on) out[name] = 1;
  return out;
}

// ---- attention ------------------------------------------------------------------------------------
// scaledDotProductAttention has three rungs (src/ops/attention.ts): 'composite' (matmul → scale/mask →
// softmax → matmul, the L×S weights in memory), 'fused' (FlashAttention-style: one thread per row, K
// and V tiles through workgroup memory, no L×S matrix) and 'rows' (the same fused kernels reading
// device memory directly: no barrier). 'auto':
//   composite  when max(E, Ev) > DMAX: the fused kernels hold a thread's row in private arrays of
//              DMAX values (shaders/attention.wgsl);
//   composite  on a software adapter: measured fastest there (bench/RESULTS.md: causal fwd+bwd
//              8×4×128×32 on SwiftShader, composite 179 ms, fused 522 ms, rows 664 ms; 2.7–3.7× ahead
//              of both at 4×4×32×32, 8×4×64×32 and 1×4×256×32 too): its matmuls run matmul_reg, 8×8
//              outputs per thread in registers, where a fused thread does a multiply-add per value it
//              reads. Only at toy sizes (1×2×16×8: 1.0 ms against 1.5) do the rows kernels' fewer
//              dispatches win, not worth a rule, so no rule picks 'rows';
//   fused      otherwise: on a GPU the L×S matrices are the memory traffic FlashAttention removes
//              (not yet measured on a hardware adapter).

export type AttentionRung = 'composite' | 'fused' | 'rows';

export const ATTENTION_RULE = {
  /** The largest E and Ev of the fused rungs (DMAX of shaders/attention.wgsl). */
  maxFusedHeadDim: wgslConsts('attention.wgsl').DMAX,
} as const;

/** The rung 'auto' runs for head dim max(E, Ev). */
export function attentionRung(headDim: number, software = softwareRules()): AttentionRung {
  if (headDim > ATTENTION_RULE.maxFusedHeadDim || software) return 'composite';
  return 'fused';
}

// ---- permute ----------------------------------------------------------------------------------------
// permute_forward: one thread per output value (coalesced writes on a GPU). permute_rows: one thread
// per run of the last output dimension when that dimension is contiguous in the input too. On
// SwiftShader (a 2-layer ViT step, batch 32, dim 64, 4 heads, profiled) the permutes took 634 ms of
// 1616 (39 %) one value per thread and 104 ms of 1295 with rows: a thread's contiguous loop replaces
// a division per dimension per value. GPUs keep one value per thread (coalesced), not yet measured.

export const PERMUTE_RULE = {
  /** The shortest contiguous run worth a thread of its own on a software adapter. */
  softwareMinRun: 4,
} as const;

/** Whether a permute whose last output dimension is a contiguous run of `run` input values copies by rows. */
export function permuteByRows(run: number, innerStride: number, software = softwareRules()): boolean {
  return software && innerStride === 1 && run >= PERMUTE_RULE.softwareMinRun;
}

// ---- measured choices (autotune) --------------------------------------------------------------------
// A rule above that has several correct kernels for a shape decides through choose(point, key,
// candidates, fixed): `point` names the rule ('rows.softmax'), `key` the shape it sees ('128x64': row
// length × rows), `candidates` every version that is correct here, `fixed` what the rule picks. Outside
// a choice scope (eager code, compile without `tune`) it returns `fixed`. src/graph/tune.ts opens a
// scope while it probes, times and finally records a plan's nodes, so the plan runs the measured
// version. Ops whose choice is an attribute (`version: 'auto'` of matmul, linear, conv2d and its
// gradients, batchNorm) are tuned by rewriting that attribute instead (src/graph/tune.ts,
// VERSIONED_OPS). A new rule with several kernels: route its decision through choose() and the tuner
// finds it by itself.

/** What a choice scope answers: the version to run at (point, key), or undefined for the fixed rule. */
export interface ChoiceScope {
  pick(point: string, key: string, candidates: readonly string[], fixed: string): string | undefined;
}

let scope: ChoiceScope | null = null;

/** Run `fn` (synchronously) with `s` answering every choose() inside it. */
export function withChoiceScope<T>(s: ChoiceScope, fn: () => T): T {
  const prev = scope;
  scope = s;
  try {
    return fn();
  } finally {
    scope = prev;
  }
}

/** The version a rule runs: the scope's answer when it is one of `candidates`, else `fixed`. */
export function choose<V extends string>(point: string, key: string, candidates: readonly V[], fixed: V): V {
  if (!scope || candidates.length < 2) return fixed;
  const v = scope.pick(point, key, candidates, fixed);
  return v !== undefined && (candidates as readonly string[]).includes(v) ? (v as V) : fixed;
}
