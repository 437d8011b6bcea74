// Memory scopes for eager code and the leak report.
//
//   sg.tidy(fn)       every tensor created while fn runs is disposed when it ends, except what fn
//                     returns (tensors anywhere in arrays/objects) and what sg.keep() marked;
//                     fn may be async (the scope then ends when its promise settles)
//   using t = ...     a tensor is Disposable: disposed at the end of the block (TypeScript 5.2+)
//   sg.keep(t)        take t out of every open scope (it outlives them)
//   sg.stats().liveTensors         tensors neither disposed nor garbage-collected
//   sg.debugLeaks(true); sg.leakReport()   where each live tensor was created
//
// Tensors that are never disposed are still freed when garbage-collected (tensor.ts). Scopes make
// that prompt and deterministic, which a GPU with a few GB needs.
//
// A caveat of async scopes (as with any scope stack in JS): while an async tidy() is open, tensors
// created by OTHER concurrent tasks are attributed to it too. Return or keep() what must survive,
// or use `using` / dispose() in code that runs concurrently.

import { registerGauge } from '../gpu/stats.js';
import { sgError } from '../util/errors.js';

/**
 * What a scope needs of a tensor. Tensor (tensor.ts) has these members; naming them here keeps this
 * file below tensor.ts, which records every tensor it creates here.
 */
interface Tensor {
  readonly isDisposed: boolean;
  readonly storage: unknown;
  dispose(): void;
  describe(): string;
}

let live = 0;
registerGauge('liveTensors', () => live);
const scopes: Set<Tensor>[] = [];
const kept = new WeakSet<Tensor>();

interface Origin {
  ref: WeakRef<Tensor>;
  stack: string;
}
let debug: { all: Set<Origin>; byTensor: WeakMap<Tensor, Origin> } | null = null;

/** @internal called by the Tensor constructor */
export function noteTensorCreated(t: Tensor): void {
  live++;
  if (scopes.length) scopes[scopes.length - 1].add(t);
  if (debug) {
    const o = { ref: new WeakRef(t), stack: (new Error().stack ?? '').split('\n').slice(3).join('\n') };
    debug.all.add(o);
    debug.byTensor.set(t, o);
  }
}

/** @internal called when a tensor is disposed (with it) or collected (without) */
export function noteTensorGone(t?: Tensor): void {
  live = Math.max(0, live - 1);
  if (t && debug) {
    const o = debug.byTensor.get(t);
    if (o) debug.all.delete(o);
  }
}

/** Tensors created and neither disposed nor garbage-collected yet. */
export function liveTensors(): number {
  return live;
}

/**
 * Record where each tensor is created from now on (a stack trace per tensor: slow, for debugging),
 * so leakReport() can say where live tensors come from. `false` stops and forgets.
 */
export function debugLeaks(on = true): void {
  debug = on ? (debug ?? { all: new Set(), byTensor: new WeakMap() }) : null;
}

export interface LeakEntry {
  tensor: string;
  /** Where the tensor was created (stack trace, innermost first). */
  createdAt: string;
}

/** Live tensors created since debugLeaks(true), grouped by creation site (most tensors first). */
export function leakReport(): { live: number; sites: { count: number; createdAt: string; example: string }[] } {
  if (!debug) throw sgError('leakReport() needs sg.debugLeaks(true) before the tensors are created');
  const bySite = new Map<string, { count: number; createdAt: string; example: string }>();
  let n = 0;
  for (const o of debug.all) {
    const t = o.ref.deref();
    if (!t || t.isDisposed) {
      debug.all.delete(o);
      continue;
    }
    n++;
    const site = bySite.get(o.stack);
    if (site) site.count++;
    else bySite.set(o.stack, { count: 1, createdAt: o.stack, example: t.describe() });
  }
  return { live: n, sites: [...bySite.values()].sort((a, b) => b.count - a.count) };
}

/** Keep `t` alive past every open tidy() scope (returns it). */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  for (const s of scopes) s.delete(t);
  return t;
}

/** The tensors reachable in a tidy() result: the result itself, or inside arrays, Maps and plain objects. */
function tensorsIn(value: unknown, isTensor: (v: unknown) => v is Tensor, out = new Set<Tensor>(), seen = new Set<unknown>()): Set<Tensor> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, isTensor, out, seen);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, isTensor, out, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) tensorsIn(v, isTensor, out, seen);
  return out;
}

/** The tensor module registers how to recognise, realise and dispose tensors (avoids an import cycle). */
let hooks: { isTensor: (v: unknown) => v is Tensor; realiseNow: (ts: Tensor[]) => void } | null = null;

/** @internal */
export function setScopeHooks(h: typeof hooks): void {
  hooks = h;
}

/**
 * Run `fn` and dispose every tensor it created, except those it returns and those passed to
 * keep(). Pending computations of the returned tensors are queued first, so disposing the
 * intermediates they are computed from is safe. Works with async functions (see the caveat above).
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(a: string | (() => T), b?: () => T): T {
  const fn = typeof a === 'function' ? a : b;
  if (typeof fn !== 'function') throw sgError('tidy expects a function (optionally after a name)');
  const scope = new Set<Tensor>();
  scopes.push(scope);
  const close = (result: unknown) => {
    const i = scopes.lastIndexOf(scope);
    if (i >= 0) scopes.splice(i, 1);
    const h = hooks!;
    const out = tensorsIn(result, h.isTensor);
    const survivors = [...out].filter((t) => !t.isDisposed);
    // Queue what the results still need before their inputs go.
    const pending = survivors.filter((t) => !t.storage);
    if (pending.length) h.realiseNow(pending);
    for (const t of scope) {
      if (out.has(t) || kept.has(t)) continue;
      t.dispose();
    }
    // Results belong to the enclosing scope, if any.
    const parent = scopes[scopes.length - 1];
    if (parent) for (const t of out) if (scope.has(t)) parent.add(t);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    close(undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        close(v);
        return v;
      },
      (e) => {
        close(undefined);
        throw e;
      },
    ) as T;
  }
  close(result);
  return result;
}
