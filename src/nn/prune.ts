// sg.nn.prune — torch.nn.utils.prune: zero the least important weights, with PyTorch's names, masks
// and checkpoint keys.
//
//   await sg.nn.prune.l1Unstructured(layer, 'weight', { amount: 0.3 })      smallest |w| entries
//   await sg.nn.prune.randomUnstructured(layer, 'weight', { amount, seed }) entries at random
//   await sg.nn.prune.lnStructured(layer, 'weight', { amount, n: 2, dim: 0 }) whole slices with the
//                                                                           smallest Ln norm
//   await sg.nn.prune.globalUnstructured([[a, 'weight'], [b, 'weight']], { amount })  L1 over them all
//   await sg.nn.prune.customFromMask(layer, 'weight', mask) · identity(layer, 'weight')
//   await sg.nn.prune.remove(layer, 'weight')     make it permanent · sg.nn.prune.isPruned(model)
//   await sg.nn.prune.compact(model)              a smaller Sequential without the pruned units
//                                                 (zero-padded convs after them: Conv2dWithConstantMap)
//
// The reparametrisation is torch's: pruning `weight` moves the parameter (the same tensor, so an
// optimizer that holds it keeps training it) to `weight_orig`, adds a buffer `weight_mask` (0/1, f32)
// and makes the module's `weight` the product weight_orig × weight_mask. The layers read a parameter
// through `param(name)` (Linear, Conv2d, the norms, Embedding) or the `weight` field (LoRA's factors):
// both give the product on a pruned module, as a lazy op, so it is part of every traced graph — eager
// forwards, valueAndGrad, compiled plans, fit — and the gradient reaching `weight_orig` is dy·mask,
// zero on the pruned entries. stateDict() / sg.save hold `<prefix>.weight_orig` and
// `<prefix>.weight_mask` in torch's order (a module's parameters, `weight_orig` now after `bias`, then
// its buffers), so checkpoints cross to and from torch's pruned modules. Prune a parameter for the first
// time before compiling a plan with sg.compile (fit compiles its own at each call): a plan traced
// earlier keeps the unpruned forward. Pruning it again later is seen by the plan — the new mask is
// written into the mask's buffer, as loadStateDict does. The optimizer can be made before or after
// pruning (`weight_orig` is the parameter tensor `weight` was); as in torch, momentum and weight decay
// still move the pruned entries of `weight_orig` — the mask keeps them out of the forward.
//
// Pruning again combines the masks as torch's PruningContainer does: the new amount counts only what
// is still unpruned (the unpruned entries for an unstructured method, the slices with a nonzero mask for
// a structured one), and the importance is the current pruned weight weight_orig × weight_mask.
//
// `amount`: a fraction in [0, 1] of the entries (slices) rounded half to even as Python's round(), or
// an integer count. JavaScript has one number type, so an integer is always a count, as a Python int:
// `amount: 1` prunes one entry; torch's `amount=1.0` (everything) is the count of all of them.
//
// Ties: which of several entries with equal |w| (slices with equal norms) is pruned is torch.topk's
// choice on the CPU — libstdc++'s std::partial_sort when k·64 ≤ n, else std::nth_element, over
// (value, index) pairs compared by value alone — reproduced here step by step (`topk`), and checked
// against torch on tie-heavy inputs. Slice norms are rounded to f32 before they are compared, as torch
// computes them in f32; norms that differ only below f32 rounding may still order differently.

import { Module, type ModuleOwnState } from './module.js';
import { BatchNorm, Conv2d, Dropout, Lambda, Linear, Sequential, type Conv2dLayerOptions } from './layers.js';
import { add, mul } from '../ops/elementwise.js';
import { conv2d as conv2dOp } from '../ops/conv.js';
import { read, Tensor, tensor } from '../tensor/tensor.js';
import { assignAll } from '../tensor/assign.js';
import { keep } from '../tensor/scope.js';
import { globalRandom, Random } from '../util/random.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions, keysOf } from '../util/options.js';
import { OptionError, sgError, ShapeError } from '../util/errors.js';

export interface PruneAmountOptions {
  /** A fraction in [0, 1] of the (still unpruned) entries, or an integer count of them. */
  amount: number;
}

export interface RandomPruneOptions extends PruneAmountOptions {
  /** Seed of the draw (default: sg.manualSeed's generator). torch's draw is torch.rand's: not reproduced. */
  seed?: number;
}

export interface LnStructuredOptions extends PruneAmountOptions {
  /** The norm: 1, 2, any p > 0, Infinity (max |w|) or -Infinity (min |w|), torch.norm's p. */
  n: number;
  /** The dimension whose slices are pruned (0: output units / channels; negative counts from the end). */
  dim: number;
}

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const PRUNE_AMOUNT_KEYS = keysOf<PruneAmountOptions>({ amount: 1 });
export const RANDOM_PRUNE_KEYS = keysOf<RandomPruneOptions>({ amount: 1, seed: 1 });
export const LN_STRUCTURED_KEYS = keysOf<LnStructuredOptions>({ amount: 1, n: 1, dim: 1 });

// ---- the reparametrisation -------------------------------------------------------------------------------

/** The own parameter and buffer tables pruning rewires (module.ts's @internal hook). */
const own = (m: Module): ModuleOwnState => Module.ownState(m);

/** Per pruned module: each pruned name and the own property `name` had before (restored by remove()). */
const pruned = new WeakMap<Module, Map<string, PropertyDescriptor | undefined>>();

const origOf = (m: Module, name: string): Tensor => own(m).parameters.get(`${name}_orig`)!;
const maskOf = (m: Module, name: string): Tensor => own(m).buffers.get(`${name}_mask`)!;
const isPrunedName = (m: Module, name: string): boolean => pruned.get(m)?.has(name) ?? false;

/** The pruned parameter as the forward sees it: `<name>_orig × <name>_mask` (a lazy op). */
function effective(m: Module, name: string): Tensor {
  return mul(origOf(m, name), maskOf(m, name));
}

/** `name` of `m` as the forward sees it: the product when pruned, else the parameter. */
function current(m: Module, name: string): Tensor {
  return isPrunedName(m, name) ? effective(m, name) : own(m).parameters.get(name)!;
}

function describeParams(m: Module): string {
  const params = [...own(m).parameters].map(([n, t]) => `${n} ${fmtShape(t.shape)}`);
  return params.length ? params.join(', ') : 'none';
}

/** The tensor pruning `name` acts on (checked), and whether it is pruned already. */
function target(where: string, m: unknown, name: unknown): { module: Module; t: Tensor; again: boolean } {
  if (!(m instanceof Module)) throw sgError(`${where}: expected a module, got ${m === null ? 'null' : typeof m}`);
  if (typeof name !== 'string') throw sgError(`${where}: the parameter name must be a string, got ${typeof name}`);
  if (isPrunedName(m, name)) return { module: m, t: origOf(m, name), again: true };
  const t = own(m).parameters.get(name);
  if (!t) throw sgError(`${where}: ${m.kind} has no parameter '${name}' (its parameters: ${describeParams(m)})`);
  if (t.dtype !== 'f32') throw sgError(`${where}: ${m.kind}.${name} ${t.describe()} is ${t.dtype}; pruning takes f32 parameters`);
  return { module: m, t, again: false };
}

/**
 * Reparametrise `name` (first pruning) or write its new mask (pruning again): `<name>_orig` holds the
 * parameter, `<name>_mask` the mask, and the module's `param(name)` and `name` field give their product.
 */
async function install(m: Module, name: string, mask: Float32Array): Promise<void> {
  const state = own(m);
  if (isPrunedName(m, name)) {
    // Written into the mask's buffer: a plan compiled after the first pruning sees the new mask.
    const old = maskOf(m, name);
    await assignAll([[old, tensor(mask, old.shape)]]);
    return;
  }
  const maskT = tensor(mask, state.parameters.get(name)!.shape);
  maskT.name = `${name}_mask`;
  let names = pruned.get(m);
  if (!names) {
    names = new Map();
    pruned.set(m, names);
  }
  const p = state.removeParameter(name)!;
  state.setParameter(`${name}_orig`, p); // after the other parameters, as torch's register_parameter
  state.setBuffer(`${name}_mask`, maskT);
  // The layers read parameters through param(name): a pruned name gives orig × mask.
  state.computeParameter(name, () => effective(m, name));
  names.set(name, Object.getOwnPropertyDescriptor(m, name));
  // torch sets module.<name> to orig × mask; here a getter computes it where it is read.
  Object.defineProperty(m, name, { configurable: true, enumerable: true, get: () => effective(m, name) });
}

// ---- amounts and torch.topk ------------------------------------------------------------------------------

function checkAmount(where: string, amount: unknown): number {
  if (typeof amount !== 'number' || Number.isNaN(amount)) {
    throw new OptionError(`shadergrad: ${where}: amount must be a number (a fraction in [0, 1] or an integer count), got ${String(amount)}`);
  }
  if (Number.isInteger(amount) ? amount < 0 : !(amount >= 0 && amount <= 1)) {
    throw new OptionError(`shadergrad: ${where}: amount=${amount} should either be a fraction in [0, 1] or a non-negative integer count`);
  }
  return amount;
}

/** Python's round(): to the nearest integer, halves to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** How many of `size` entries (slices) `amount` prunes: torch's _compute_nparams_toprune and its check. */
function countToPrune(where: string, amount: number, size: number, what: string): number {
  if (!Number.isInteger(amount)) return roundHalfEven(amount * size);
  if (amount > size) throw new OptionError(`shadergrad: ${where}: amount=${amount} should be at most the number of ${what} to prune, ${size}`);
  return amount;
}

/**
 * The indices of the k smallest (or largest) values as torch.topk on the CPU chooses them among ties:
 * aten's topk_impl_loop fills (value, index) pairs and runs std::partial_sort when k·64 ≤ n, else
 * std::nth_element, with a comparator on the value alone (NaN above everything). The libstdc++
 * algorithms are followed step by step (introselect: median-of-three pivot, unguarded partition,
 * insertion sort under 4 elements, heap select past 2·⌊log2 n⌋ levels), so ties land as they do in torch.
 * The set is returned in selection order (which torch then sorts, irrelevant to a mask).
 */
export function topk(values: ArrayLike<number>, k: number, largest: boolean): number[] {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw sgError(`prune.topk: k must be an integer in [0, ${n}], got ${k}`);
  if (k === 0) return [];
  const a = Array.from({ length: n }, (_, i) => i); // a[position] = index of the pair there
  const comp = largest
    ? (x: number, y: number) => { const p = values[x], q = values[y]; return (Number.isNaN(p) && !Number.isNaN(q)) || p > q; }
    : (x: number, y: number) => { const p = values[x], q = values[y]; return (!Number.isNaN(p) && Number.isNaN(q)) || p < q; };
  if (k * 64 <= n) heapSelect(a, 0, k, n, comp); // partial_sort = heap select + sort_heap (order only)
  else nthElement(a, 0, k - 1, n, comp);
  return a.slice(0, k);
}

type Comp = (x: number, y: number) => boolean;

function swap(a: number[], i: number, j: number): void {
  const t = a[i]; a[i] = a[j]; a[j] = t;
}

/** std::nth_element → std::__introselect. */
function nthElement(a: number[], first: number, nth: number, last: number, comp: Comp): void {
  if (first === last || nth === last) return;
  let depth = 2 * (31 - Math.clz32(last - first)); // 2·std::__lg(n)
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(a, first, nth + 1, last, comp);
      swap(a, first, nth);
      return;
    }
    depth--;
    // std::__unguarded_partition_pivot
    const mid = first + Math.floor((last - first) / 2);
    moveMedianToFirst(a, first, first + 1, mid, last - 1, comp);
    const cut = unguardedPartition(a, first + 1, last, first, comp);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(a, first, last, comp);
}

function moveMedianToFirst(a: number[], result: number, x: number, y: number, z: number, comp: Comp): void {
  if (comp(a[x], a[y])) {
    if (comp(a[y], a[z])) swap(a, result, y);
    else if (comp(a[x], a[z])) swap(a, result, z);
    else swap(a, result, x);
  } else if (comp(a[x], a[z])) swap(a, result, x);
  else if (comp(a[y], a[z])) swap(a, result, z);
  else swap(a, result, y);
}

function unguardedPartition(a: number[], first: number, last: number, pivot: number, comp: Comp): number {
  for (;;) {
    while (comp(a[first], a[pivot])) first++;
    last--;
    while (comp(a[pivot], a[last])) last--;
    if (!(first < last)) return first;
    swap(a, first, last);
    first++;
  }
}

function insertionSort(a: number[], first: number, last: number, comp: Comp): void {
  if (first === last) return;
  for (let i = first + 1; i !== last; i++) {
    const val = a[i];
    if (comp(val, a[first])) {
      for (let j = i; j > first; j--) a[j] = a[j - 1];
      a[first] = val;
    } else {
      let hole = i;
      while (comp(val, a[hole - 1])) { a[hole] = a[hole - 1]; hole--; }
      a[hole] = val;
    }
  }
}

function heapSelect(a: number[], first: number, middle: number, last: number, comp: Comp): void {
  const len = middle - first;
  if (len >= 2) { // std::__make_heap
    for (let parent = Math.floor((len - 2) / 2); ; parent--) {
      adjustHeap(a, first, parent, len, a[first + parent], comp);
      if (parent === 0) break;
    }
  }
  for (let i = middle; i < last; i++) {
    if (comp(a[i], a[first])) { // std::__pop_heap(first, middle, i)
      const value = a[i];
      a[i] = a[first];
      adjustHeap(a, first, 0, len, value, comp);
    }
  }
}

function adjustHeap(a: number[], first: number, hole: number, len: number, value: number, comp: Comp): void {
  const top = hole;
  let second = hole;
  while (second < Math.floor((len - 1) / 2)) {
    second = 2 * (second + 1);
    if (comp(a[first + second], a[first + second - 1])) second--;
    a[first + hole] = a[first + second];
    hole = second;
  }
  if ((len & 1) === 0 && second === Math.floor((len - 2) / 2)) {
    second = 2 * (second + 1);
    a[first + hole] = a[first + second - 1];
    hole = second - 1;
  }
  // std::__push_heap
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && comp(a[first + parent], value)) {
    a[first + hole] = a[first + parent];
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  a[first + hole] = value;
}

// ---- masks (torch's compute_mask, combined as PruningContainer does) -------------------------------------

/** The importance (the pruned weight, as torch's getattr(module, name)) and the current mask of a target. */
async function valuesOf(m: Module, name: string, again: boolean, t: Tensor): Promise<{ w: Float32Array; mask: Float32Array }> {
  if (!again) return { w: (await read(t))[0] as Float32Array, mask: new Float32Array(t.size).fill(1) };
  const [w, mask] = await read(effective(m, name), maskOf(m, name));
  return { w: w as Float32Array, mask: Float32Array.from(mask) };
}

/**
 * Unstructured pruning of the entries still unpruned (mask = 1): `score` of each (|w| for L1, a random
 * draw for random) decides; the `count(size)` entries torch.topk picks (smallest, or largest) go to 0.
 */
function pruneEntries(mask: Float32Array, score: (i: number) => number, count: (size: number) => number, largest: boolean): Float32Array {
  const live: number[] = [];
  mask.forEach((v, i) => { if (v === 1) live.push(i); });
  const k = count(live.length);
  const out = Float32Array.from(mask);
  for (const j of topk(live.map(score), k, largest)) out[live[j]] = 0;
  return out;
}

/** Ln norm of values as torch.norm's p (in f64, rounded to f32 as torch's result). */
function norm(xs: number[], p: number): number {
  let r: number;
  if (p === Infinity) r = xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  else if (p === -Infinity) r = xs.reduce((m, x) => Math.min(m, Math.abs(x)), Infinity);
  else if (p === 1) r = xs.reduce((s, x) => s + Math.abs(x), 0);
  else if (p === 2) r = Math.sqrt(xs.reduce((s, x) => s + x * x, 0));
  else r = xs.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
  return Math.fround(r);
}

/** torch's LnStructured inside a PruningContainer: only the slices along `dim` with a nonzero mask count. */
function pruneSlices(where: string, w: Float32Array, mask: Float32Array, shape: number[], amount: number, p: number, dim: number): Float32Array {
  const size = shape[dim];
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const outer = w.length / (size * inner);
  const slice = (c: number, of: Float32Array): number[] => {
    const xs: number[] = [];
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) xs.push(of[(o * size + c) * inner + i]);
    return xs;
  };
  const live = Array.from({ length: size }, (_, c) => c).filter((c) => slice(c, mask).some((v) => v !== 0));
  const k = countToPrune(where, amount, live.length, `slices along dim ${dim}`);
  const out = Float32Array.from(mask);
  if (k === 0) return out;
  const kept = new Set(topk(live.map((c) => norm(slice(c, w), p)), live.length - k, true).map((j) => live[j]));
  for (const c of live) {
    if (kept.has(c)) continue;
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out[(o * size + c) * inner + i] = 0;
  }
  return out;
}

// ---- the pruning functions -------------------------------------------------------------------------------

/**
 * torch.nn.utils.prune.l1_unstructured: prune `amount` of the (still unpruned) entries of `module.<name>`
 * with the smallest |w|. Returns the module.
 */
export async function l1Unstructured<M extends Module>(module: M, name: string, opts: PruneAmountOptions): Promise<M> {
  const where = 'prune.l1Unstructured';
  checkOptions(where, opts, PRUNE_AMOUNT_KEYS);
  const amount = checkAmount(where, opts?.amount);
  const { t, again } = target(where, module, name);
  const { w, mask } = await valuesOf(module, name, again, t);
  const what = `unpruned entries of ${module.kind}.${name} ${fmtShape(t.shape)}`;
  await install(module, name, pruneEntries(mask, (i) => Math.abs(w[i]), (n) => countToPrune(where, amount, n, what), false));
  return module;
}

/**
 * torch.nn.utils.prune.random_unstructured: prune `amount` of the (still unpruned) entries at random —
 * the count is torch's; the draw is shadergrad's seeded generator, not torch.rand.
 */
export async function randomUnstructured<M extends Module>(module: M, name: string, opts: RandomPruneOptions): Promise<M> {
  const where = 'prune.randomUnstructured';
  checkOptions(where, opts, RANDOM_PRUNE_KEYS);
  const amount = checkAmount(where, opts?.amount);
  if (opts?.seed !== undefined && !Number.isFinite(opts.seed)) throw new OptionError(`shadergrad: ${where}: seed must be a finite number, got ${String(opts.seed)}`);
  const { t, again } = target(where, module, name);
  const { mask } = await valuesOf(module, name, again, t);
  const rng = opts?.seed === undefined ? globalRandom() : new Random(opts.seed);
  const draws = Array.from(mask, () => rng.next());
  const what = `unpruned entries of ${module.kind}.${name} ${fmtShape(t.shape)}`;
  await install(module, name, pruneEntries(mask, (i) => draws[i], (n) => countToPrune(where, amount, n, what), true));
  return module;
}

/**
 * torch.nn.utils.prune.ln_structured: prune `amount` of the (still unpruned) slices of `module.<name>`
 * along `dim` — whole output units / channels for dim 0, input columns / channels for dim 1 — with the
 * smallest Ln norm (n = 1, 2, any p > 0, ±Infinity). Returns the module.
 */
export async function lnStructured<M extends Module>(module: M, name: string, opts: LnStructuredOptions): Promise<M> {
  const where = 'prune.lnStructured';
  checkOptions(where, opts, LN_STRUCTURED_KEYS);
  const amount = checkAmount(where, opts?.amount);
  const { n, dim } = opts ?? ({} as Partial<LnStructuredOptions>);
  if (typeof n !== 'number' || !(n > 0 || n === -Infinity)) {
    throw new OptionError(`shadergrad: ${where}: n must be a norm order p > 0, Infinity or -Infinity (torch.norm's p), got ${String(n)}`);
  }
  const { t, again } = target(where, module, name);
  if (t.rank < 2) throw sgError(`${where}: ${module.kind}.${name} ${t.describe()} has ${t.rank} dimension(s); structured pruning needs at least 2`, ShapeError);
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < -t.rank || dim >= t.rank) {
    throw new OptionError(`shadergrad: ${where}: dim must be an integer in [${-t.rank}, ${t.rank - 1}] for ${module.kind}.${name} ${fmtShape(t.shape)}, got ${String(dim)}`);
  }
  const { w, mask } = await valuesOf(module, name, again, t);
  await install(module, name, pruneSlices(`${where}(${module.kind}.${name} ${fmtShape(t.shape)})`, w, mask, t.shape, amount, n, dim < 0 ? dim + t.rank : dim));
  return module;
}

/**
 * torch.nn.utils.prune.global_unstructured with L1Unstructured: the entries of all the given parameters
 * compete together; `amount` of those still unpruned with the smallest |w| are pruned, wherever they are.
 */
export async function globalUnstructured(params: [Module, string][], opts: PruneAmountOptions): Promise<void> {
  const where = 'prune.globalUnstructured';
  checkOptions(where, opts, PRUNE_AMOUNT_KEYS);
  const amount = checkAmount(where, opts?.amount);
  if (!Array.isArray(params) || !params.length) throw sgError(`${where}: params must be a non-empty list of [module, name] pairs`);
  const targets = params.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw sgError(`${where}: params[${i}] must be a [module, name] pair`);
    return { ...target(`${where}: params[${i}]`, pair[0], pair[1]), name: pair[1] };
  });
  targets.forEach((a, i) => targets.slice(0, i).forEach((b, j) => {
    if (a.module === b.module && a.name === b.name) throw sgError(`${where}: params[${j}] and params[${i}] are the same parameter (${a.module.kind}.${a.name})`);
  }));
  const values = await Promise.all(targets.map((x) => valuesOf(x.module, x.name, x.again, x.t)));
  const total = values.reduce((s, v) => s + v.w.length, 0);
  const w = new Float32Array(total);
  const mask = new Float32Array(total);
  let at = 0;
  for (const v of values) { w.set(v.w, at); mask.set(v.mask, at); at += v.w.length; }
  const what = `unpruned entries of the ${targets.length} parameters (${total} entries)`;
  const all = pruneEntries(mask, (i) => Math.abs(w[i]), (n) => countToPrune(where, amount, n, what), false);
  at = 0;
  for (const [i, x] of targets.entries()) {
    await install(x.module, x.name, all.slice(at, at + values[i].w.length));
    at += values[i].w.length;
  }
}

/**
 * torch.nn.utils.prune.custom_from_mask: prune `module.<name>` with `mask` (0/1 values of its shape;
 * a Tensor, typed array or array), multiplied into any mask it already has.
 */
export async function customFromMask<M extends Module>(module: M, name: string, mask: Tensor | ArrayLike<number>): Promise<M> {
  const where = 'prune.customFromMask';
  const { t, again } = target(where, module, name);
  const given = mask instanceof Tensor ? mask : undefined;
  if (given && given.shape.join() !== t.shape.join()) {
    throw sgError(`${where}: the mask ${given.describe()} must have the shape of ${module.kind}.${name}, ${fmtShape(t.shape)}`, ShapeError);
  }
  const m = given ? Float32Array.from((await read(given))[0]) : Float32Array.from(mask as ArrayLike<number>);
  if (m.length !== t.size) throw sgError(`${where}: the mask has ${m.length} values; ${module.kind}.${name} ${fmtShape(t.shape)} has ${t.size}`, ShapeError);
  const old = (await valuesOf(module, name, again, t)).mask;
  await install(module, name, m.map((v, i) => v * old[i]));
  return module;
}

/** torch.nn.utils.prune.identity: the pruning reparametrisation with a mask of ones (prunes nothing). */
export async function identity<M extends Module>(module: M, name: string): Promise<M> {
  const { t, again } = target('prune.identity', module, name);
  await install(module, name, (await valuesOf(module, name, again, t)).mask);
  return module;
}

/**
 * torch.nn.utils.prune.remove: make the pruning of `module.<name>` permanent. The parameter tensor that
 * was `<name>_orig` becomes `<name>` again, holding orig × mask (written in place, so an optimizer that
 * holds it keeps it); `<name>_orig` and `<name>_mask` disappear. As in torch, `<name>` now comes after
 * the module's other parameters in stateDict().
 */
export async function remove<M extends Module>(module: M, name: string): Promise<M> {
  const where = 'prune.remove';
  if (!(module instanceof Module)) throw sgError(`${where}: expected a module, got ${module === null ? 'null' : typeof module}`);
  if (!isPrunedName(module, name)) {
    throw sgError(`${where}: parameter '${name}' of ${module.kind} is not pruned (nothing to remove; its parameters: ${describeParams(module)})`);
  }
  const state = own(module);
  const orig = origOf(module, name);
  const product = effective(module, name);
  const names = pruned.get(module)!;
  const field = names.get(name);
  names.delete(name);
  state.computeParameter(name, undefined);
  state.removeParameter(`${name}_orig`);
  state.removeBuffer(`${name}_mask`);
  state.setParameter(name, orig);
  // The field `name` (Linear.weight, ...) holds the parameter again; a module without one loses the getter.
  if (field) Object.defineProperty(module, name, { ...field, value: orig });
  else Reflect.deleteProperty(module, name);
  await assignAll([[orig, product]]);
  return module;
}

/** torch.nn.utils.prune.is_pruned: whether `module` or any module inside it has a pruned parameter. */
export function isPruned(module: Module): boolean {
  if ((pruned.get(module)?.size ?? 0) > 0) return true;
  return module.namedChildren().some(([, c]) => isPruned(c));
}

// ---- compact: a smaller model without the pruned units ---------------------------------------------------

export interface CompactResult {
  /** The new model (plain parameters, weights orig × mask; the original model is unchanged). */
  model: Sequential;
  /** Parameter values of the model before (pruned entries included) and after. */
  parametersBefore: number;
  parametersAfter: number;
  /**
   * Each Linear / Conv2d / BatchNorm with its weight shape before and after; `constantMap` where the
   * layer became a Conv2dWithConstantMap (a zero-padded conv after dropped channels with a nonzero constant).
   */
  layers: { index: number; kind: string; before: number[]; after: number[]; constantMap?: true }[];
}

/** The values a Conv2dWithConstantMap starts with (prune.compact computes them). */
export interface ConstantMapConvValues {
  /** [out, in, KH, KW], row-major. */
  weight: Float32Array;
  /** [out], or undefined for a convolution without bias. */
  bias?: Float32Array;
  /** [out, 1, KH, KW]: Σ over the dropped input channels c of v_c · weight[o, c, ky, kx]. */
  constantWeight: Float32Array;
}

/**
 * A Conv2d plus the map its dropped input channels leave behind — made by prune.compact where a
 * zero-padded convolution follows channels that were dropped while carrying a nonzero constant v_c (a
 * pruned channel's bias, through batch norm and activations). Such a channel's contribution to output
 * channel o at (y, x) is v_c times the sum of the kernel taps that land inside the image: the same
 * everywhere in the interior, less at the border where taps fall on the zero padding, so no bias can
 * hold it. Together the dropped channels act as one extra input channel that is 1 inside the image and
 * 0 in the padding, with the weight `constant_weight` [out, 1, KH, KW] = Σ_c v_c · w[:, c]:
 *
 *   forward(x) = conv2d(x, weight, bias) + conv2d(ones[1, 1, H, W], constant_weight)   (same geometry)
 *
 *   M[o, y, x] = Σ_c v_c · Σ_{taps (ky, kx) inside the H×W image} w[o, c, ky, kx]
 *
 * The map depends on the input's H×W, so it is computed in each forward, by the same conv2d (so every
 * stride, dilation and padding, 'same' with its extra bottom/right row included, lines up exactly), from
 * a 1-channel input of ones kept per H×W; the map itself is not cached, so it follows `constant_weight`
 * after loadStateDict / sg.load. It costs one output-sized add and a 1-input-channel convolution.
 * `constant_weight` is a persistent buffer (key `<i>.constant_weight` in stateDict() and sg.save's
 * file), not a parameter: it comes from the dropped channels' frozen weights and constants, so training
 * the compacted model (parameters(): weight and bias, as a Conv2d) keeps it fixed. torch.nn has no such
 * layer: sg.io.exportPytorch refuses it rather than writing a plain Conv2d that would lose the map.
 */
export class Conv2dWithConstantMap extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  readonly kernel: [number, number];
  readonly opts: Conv2dLayerOptions;
  /** The all-ones [1, 1, H, W] inputs of the map, per input size 'H×W'. */
  private readonly ones = new Map<string, Tensor>();

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], opts: Conv2dLayerOptions, values: ConstantMapConvValues) {
    super('Conv2dWithConstantMap');
    const { init: _i, seed: _s, ...geometry } = opts;
    if ((geometry.groups ?? 1) !== 1) throw sgError(`Conv2dWithConstantMap: groups must be 1, got ${geometry.groups}`);
    this.kernel = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.opts = { ...geometry, bias: !!values.bias };
    const shape = [outChannels, inChannels, ...this.kernel];
    const expect = (name: string, v: Float32Array | undefined, s: number[]) => {
      const n = s.reduce((a, d) => a * d, 1);
      if (!(v instanceof Float32Array) || v.length !== n) {
        throw sgError(`Conv2dWithConstantMap: ${name} must be a Float32Array of ${fmtShape(s)} = ${n} values, got ${v instanceof Float32Array ? v.length : typeof v}`, ShapeError);
      }
      return tensor(v, s);
    };
    this.weight = this.addParameter('weight', expect('weight', values.weight, shape));
    if (values.bias) this.bias = this.addParameter('bias', expect('bias', values.bias, [outChannels]));
    this.addBuffer('constant_weight', expect('constantWeight', values.constantWeight, [outChannels, 1, ...this.kernel]));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw sgError(`Conv2dWithConstantMap(${this.inChannels}, ${this.outChannels}): input ${x.describe()} must be [N, ${this.inChannels}, H, W]`, ShapeError);
    }
    const { bias: _b, ...conv } = this.opts;
    const y = conv2dOp(x, this.param('weight'), this.bias ? this.param('bias') : null, conv);
    return add(y, conv2dOp(this.onesOf(x.shape[2], x.shape[3]), this.buffer('constant_weight'), null, conv));
  }

  private onesOf(h: number, w: number): Tensor {
    const key = `${h}×${w}`;
    let t = this.ones.get(key);
    if (!t) {
      t = keep(tensor(new Float32Array(h * w).fill(1), [1, 1, h, w]));
      t.name = `ones ${key}`;
      this.ones.set(key, t);
    }
    return t;
  }

  protected override describeArgs(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel ${this.kernel.join('×')}, constant map`;
  }
}

/**
 * The activations between two layers while their units are being dropped: which channels (dim 1 of
 * [N, C, ...], or the features of a Linear) are kept, the constant each dropped one carries (its bias,
 * mapped through what followed), and whether a Flatten has turned each channel into a block of features.
 */
interface Dropped {
  keep: boolean[];
  value: Float64Array;
  from: 'linear' | 'conv';
  flattened: boolean;
}

const ELEMENTWISE = new Set(['ReLU', 'Sigmoid', 'Tanh', 'LeakyReLU', 'ELU', 'GELU', 'Softplus', 'SiLU']);

/** The largest padding of a convolution (0 for 'valid'; 'same' pads when the dilated kernel is wider than 1). */
function convPadding(c: Conv2d | Conv2dWithConstantMap): number {
  const p = c.opts.padding ?? 0;
  if (p === 'valid') return 0;
  if (p === 'same') {
    const d = typeof c.opts.dilation === 'number' ? [c.opts.dilation, c.opts.dilation] : c.opts.dilation ?? [1, 1];
    return Math.max(d[0] * (c.kernel[0] - 1), d[1] * (c.kernel[1] - 1));
  }
  return typeof p === 'number' ? p : Math.max(p[0], p[1]);
}

/** The output units / channels whose mask slice (dim 0) is all zero. */
async function zeroRows(m: Module): Promise<boolean[] | undefined> {
  if (!isPrunedName(m, 'weight')) return undefined;
  const mask = maskOf(m, 'weight');
  const [v] = await read(mask);
  const rows = mask.shape[0];
  const per = mask.size / rows;
  return Array.from({ length: rows }, (_, r) => v.subarray(r * per, (r + 1) * per).every((x) => x === 0));
}

/**
 * A smaller model without the units pruned away: for a Sequential of Linear / Conv2d layers (with
 * BatchNorm, activations, pooling, Flatten and Dropout between them) pruned with lnStructured along
 * the output dim (dim 0), every output unit / channel whose mask is all zero is dropped, with the
 * matching input columns of the next Linear or Conv2d (a block of columns for a Linear after Flatten)
 * and the matching batch-norm channels. A dropped unit still outputs its bias; that constant, carried
 * through the batch norm (running statistics), activations and pooling in between, is added into the
 * next layer's bias — or, for a zero-padded Conv2d (whose border outputs see only the taps inside the
 * image), the next layer becomes a Conv2dWithConstantMap that adds the position-dependent map of the
 * dropped channels — so the outputs are the same in eval mode (in training mode a batch norm maps a
 * constant channel to its β instead, so they differ there). The last Linear / Conv2d keeps all its
 * outputs. Throws, naming the layer, where this cannot hold: an AvgPool2d averaging over zero padding
 * after a dropped channel with a nonzero value, pruned output channels of a Conv2dWithConstantMap whose
 * map is not zero (compacting a compacted model again), grouped convolutions, other layer kinds.
 */
export async function compact(model: Module): Promise<CompactResult> {
  if (!(model instanceof Sequential)) throw sgError(`prune.compact: expected a Sequential, got ${model instanceof Module ? model.kind : typeof model}`);
  const layers = model.layers;
  const isWeighted = (l: Module): l is Linear | Conv2d | Conv2dWithConstantMap => l instanceof Linear || l instanceof Conv2d || l instanceof Conv2dWithConstantMap;
  const lastWeighted = layers.reduce((last, l, i) => (isWeighted(l) ? i : last), -1);
  const out: Module[] = [];
  const copies: [Tensor, Tensor][] = [];
  const report: CompactResult['layers'] = [];
  let dropped: Dropped | undefined;

  for (const [i, layer] of layers.entries()) {
    const where = `prune.compact: layer ${i} (${layer.kind})`;
    if (isWeighted(layer)) {
      const isConv = !(layer instanceof Linear);
      const [w, b] = await read(current(layer, 'weight'), ...(layer.bias ? [current(layer, 'bias')] : []));
      const shape = [...(isConv ? [layer.outChannels, layer.inChannels / (layer.opts.groups ?? 1), ...layer.kernel] : [layer.outFeatures, layer.inFeatures])];
      const [outN, inN] = shape;
      const per = shape.slice(2).reduce((a, c) => a * c, 1); // kernel positions of one (out, in) pair
      const bias = Float64Array.from(b ?? new Float32Array(outN));
      // A zero-padded conv's dropped inputs: Σ_c v_c · w[o, c] per tap (Conv2dWithConstantMap's constant_weight).
      let taps: Float64Array | undefined;
      if (layer instanceof Conv2dWithConstantMap) taps = Float64Array.from((await read(own(layer).buffers.get('constant_weight')!))[0]);
      // Inputs: which columns stay, and what the dropped ones add to the bias (or to the constant map).
      let keepIn = Array<boolean>(inN).fill(true);
      if (dropped) {
        if (isConv && (layer.opts.groups ?? 1) !== 1) throw sgError(`${where}: a grouped convolution (groups ${layer.opts.groups}) after dropped channels cannot be shrunk`);
        if (isConv && dropped.flattened) throw sgError(`${where}: follows a Flatten of dropped channels`);
        const C = dropped.keep.length;
        const block = isConv || !dropped.flattened ? 1 : inN / C;
        if (!Number.isInteger(block) || C * block !== inN) {
          throw sgError(`${where}: takes ${inN} inputs, which do not split into the ${C} units of the layer before`, ShapeError);
        }
        const pad = layer instanceof Linear ? 0 : convPadding(layer);
        keepIn = Array.from({ length: inN }, (_, j) => dropped!.keep[Math.floor(j / block)]);
        for (let c = 0; c < C; c++) {
          const v = dropped.value[c];
          if (dropped.keep[c] || v === 0) continue;
          if (pad > 0) {
            // Zero padding: the border sees only some taps, so the constant goes into the map, tap by tap.
            taps ??= new Float64Array(outN * per);
            for (let o = 0; o < outN; o++) for (let q = 0; q < per; q++) taps[o * per + q] += v * w[(o * inN + c) * per + q];
            continue;
          }
          for (let o = 0; o < outN; o++) {
            let s = 0;
            for (let j = c * block; j < (c + 1) * block; j++) for (let q = 0; q < per; q++) s += w[(o * inN + j) * per + q];
            bias[o] += v * s;
          }
        }
        dropped = undefined;
      }
      // Outputs: the rows the mask zeroed, unless this is the last Linear / Conv2d.
      const zero = i < lastWeighted ? await zeroRows(layer) : undefined;
      const keepOut = zero ? zero.map((z) => !z) : Array<boolean>(outN).fill(true);
      if (!keepOut.some(Boolean)) throw sgError(`${where}: all ${outN} output units are pruned; nothing would be left to compute the next layer from`);
      if (zero?.some(Boolean)) {
        if (isConv && (layer.opts.groups ?? 1) !== 1) throw sgError(`${where}: a grouped convolution's output channels cannot be dropped`);
        const varying = taps && keepOut.findIndex((k, o) => !k && taps!.subarray(o * per, (o + 1) * per).some((t) => t !== 0));
        if (varying !== undefined && varying >= 0) {
          throw sgError(`${where}: output channel ${varying} is pruned, but it carries the constant map of dropped input channels (zero padding makes it vary across positions), not one constant the layers after could take`);
        }
        dropped = { keep: keepOut, value: Float64Array.from(keepOut, (k, o) => (k ? 0 : bias[o])), from: isConv ? 'conv' : 'linear', flattened: false };
      }
      const rows = keepOut.flatMap((k, o) => (k ? [o] : []));
      const cols = keepIn.flatMap((k, j) => (k ? [j] : []));
      const nw = new Float32Array(rows.length * cols.length * per);
      rows.forEach((o, r) => cols.forEach((j, c) => {
        for (let q = 0; q < per; q++) nw[(r * cols.length + c) * per + q] = w[(o * inN + j) * per + q];
      }));
      const nb = Float32Array.from(rows, (o) => bias[o]);
      const withBias = !!layer.bias || nb.some((v) => v !== 0);
      const groups = isConv ? (layer.opts.groups ?? 1) : 1;
      const nt = taps && Float32Array.from(rows.flatMap((o) => Array.from(taps!.subarray(o * per, (o + 1) * per))));
      let next: Linear | Conv2d | Conv2dWithConstantMap;
      if (layer instanceof Linear) next = new Linear(cols.length, rows.length, { bias: withBias, seed: 0 });
      else if (nt?.some((t) => t !== 0)) {
        next = new Conv2dWithConstantMap(cols.length, rows.length, layer.kernel, layer.opts, { weight: nw, bias: withBias ? nb : undefined, constantWeight: nt });
      } else next = new Conv2d(cols.length * groups, rows.length, layer.kernel, { ...(layer.opts as Conv2dLayerOptions), bias: withBias, seed: 0 });
      if (!(next instanceof Conv2dWithConstantMap)) {
        copies.push([next.weight, tensor(nw, next.weight.shape)]);
        if (next.bias) copies.push([next.bias, tensor(nb, [rows.length])]);
      }
      report.push({ index: i, kind: layer.kind, before: shape, after: [...next.weight.shape], ...(next instanceof Conv2dWithConstantMap ? { constantMap: true as const } : {}) });
      out.push(next);
    } else if (layer instanceof BatchNorm) {
      const affine = layer.opts.affine ?? true;
      const ts = [...(affine ? [current(layer, 'weight'), current(layer, 'bias')] : []),
        own(layer).buffers.get('running_mean')!, own(layer).buffers.get('running_var')!];
      const vals = await read(...ts);
      const [g, beta] = affine ? [vals[0], vals[1]] : [undefined, undefined];
      const [rm, rv] = affine ? [vals[2], vals[3]] : [vals[0], vals[1]];
      const C = layer.numFeatures;
      let keepC = Array<boolean>(C).fill(true);
      if (dropped) {
        if (dropped.flattened) throw sgError(`${where}: follows a Flatten of dropped channels; compact shrinks a batch norm placed before the Flatten`);
        if (dropped.keep.length !== C) throw sgError(`${where}: has ${C} features, the layer before has ${dropped.keep.length} units`, ShapeError);
        keepC = dropped.keep;
        const eps = layer.opts.eps ?? 1e-5;
        dropped.value = dropped.value.map((v, c) => (dropped!.keep[c] ? 0 : (v - rm[c]) / Math.sqrt(rv[c] + eps) * (g ? g[c] : 1) + (beta ? beta[c] : 0)));
      }
      const idx = keepC.flatMap((k, c) => (k ? [c] : []));
      const pick = (v: ArrayLike<number>) => tensor(Float32Array.from(idx, (c) => v[c]), [idx.length]);
      const next = new BatchNorm(layer.kind, idx.length, layer.rank, { ...layer.opts });
      const nOwn = own(next);
      if (affine) copies.push([nOwn.parameters.get('weight')!, pick(g!)], [nOwn.parameters.get('bias')!, pick(beta!)]);
      copies.push([nOwn.buffers.get('running_mean')!, pick(rm)], [nOwn.buffers.get('running_var')!, pick(rv)]);
      const count = own(layer).buffers.get('num_batches_tracked')!;
      copies.push([nOwn.buffers.get('num_batches_tracked')!, tensor((await read(count))[0], [], { dtype: 'i32' })]);
      report.push({ index: i, kind: layer.kind, before: [C], after: [idx.length] });
      out.push(next);
    } else if (layer instanceof Dropout) {
      out.push(new Dropout(layer.p)); // identity in eval; a fresh random key
    } else if (layer instanceof Lambda) {
      if (dropped && ELEMENTWISE.has(layer.kind)) {
        const d = dropped;
        const idx = d.keep.flatMap((k, c) => (k ? [] : [c]));
        const [mapped] = await read(layer.forward(tensor(Float32Array.from(idx, (c) => d.value[c]), [1, idx.length])));
        idx.forEach((c, j) => { d.value[c] = mapped[j]; });
      } else if (dropped && layer.kind === 'Flatten') {
        const { startDim, endDim } = layer.config as { startDim: number; endDim: number };
        if (dropped.from !== 'conv' || startDim !== 1 || !(endDim === -1 || endDim === 3)) {
          throw sgError(`${where}: only Flatten(1, -1) of a convolution's channels is handled after dropped units (got Flatten(${startDim}, ${endDim}) after a ${dropped.from === 'conv' ? 'Conv2d' : 'Linear'})`);
        }
        dropped.flattened = true;
      } else if (dropped && (layer.kind === 'MaxPool2d' || layer.kind === 'AvgPool2d' || layer.kind === 'GlobalAvgPool2d')) {
        if (dropped.flattened) throw sgError(`${where}: follows a Flatten of dropped channels`);
        // Pooling a constant map gives the constant — except averaging over zero padding.
        const cfg = layer.config as { padding?: number | [number, number]; countIncludePad?: boolean };
        const pad = typeof cfg.padding === 'number' ? cfg.padding : Math.max(...(cfg.padding ?? [0]));
        if (layer.kind === 'AvgPool2d' && pad > 0 && (cfg.countIncludePad ?? true) && dropped.value.some((v, c) => !dropped!.keep[c] && v !== 0)) {
          throw sgError(`${where}: averages over zero padding (padding ${pad}, countIncludePad), so a dropped channel's nonzero constant would not stay constant`);
        }
      } else if (dropped) {
        throw sgError(`${where}: cannot carry dropped units through a ${layer.kind}; compact handles activations (${[...ELEMENTWISE].join(', ')}), pooling, Flatten, Dropout and BatchNorm between Linear / Conv2d layers`);
      }
      out.push(layer); // no state: shared with the original model
    } else {
      throw sgError(`${where}: compact handles Linear, Conv2d, BatchNorm1d/2d, activations, pooling, Flatten and Dropout layers, not a ${layer.kind}`);
    }
  }
  await assignAll(copies);
  const smaller = new Sequential(...out).train(model.training);
  return { model: smaller, parametersBefore: model.numParameters(true), parametersAfter: smaller.numParameters(true), layers: report };
}
