// A small seeded random number generator for everything on the CPU side that must be reproducible:
// weight initialisation, data shuffling, splits, synthetic data sets.
//
// The generator is xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit outputs, period 2^128 − 1.
// The seed (any finite number) is expanded into the four state words with splitmix32, so nearby seeds
// (0, 1, 2, ...) give unrelated streams. Math.imul keeps every product in 32-bit integer arithmetic, so
// the same seed gives the same numbers in every JavaScript engine.

import { sgError } from './errors.js';

/** One step of splitmix32: advances `state` and returns a well-mixed 32-bit value. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const TWO_32 = 4294967296;

/** A writable array-like that `shuffle` can permute in place (Array, typed arrays). */
export interface MutableArrayLike<T> {
  length: number;
  [index: number]: T;
}

export class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  /** The second value of the last Box–Muller pair, used by the next normal() call. */
  private spare: number | undefined;

  constructor(seed = 0) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw sgError(`Random: seed must be a finite number, got ${seed}`);
    // Mix both 32-bit halves of the seed's float64 bits, so 1, 1.5, -1 and 2**40 all differ (−0 counts as 0).
    const bits = new Uint32Array(new Float64Array([seed === 0 ? 0 : seed]).buffer);
    const st = { s: bits[0] ^ Math.imul(bits[1], 0x9e3779b1) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1; // the all-zero state is a fixed point
  }

  /** The next raw 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw sgError(`Random.int: n must be a positive integer, got ${n}`);
    if (n <= TWO_32) {
      // Reject the top sliver of [0, 2^32) that would make small residues more likely.
      const limit = TWO_32 - (TWO_32 % n);
      let u = this.nextUint32();
      while (u >= limit) u = this.nextUint32();
      return u % n;
    }
    if (n > Number.MAX_SAFE_INTEGER) throw sgError(`Random.int: n must be at most 2^53 − 1, got ${n}`);
    // 53 random bits, then rejection as above.
    const range = 2 ** 53;
    const limit = range - (range % n);
    let u: number;
    do u = (this.nextUint32() >>> 11) * TWO_32 + this.nextUint32(); while (u >= limit);
    return u % n;
  }

  /** A normal sample (Box–Muller transform; the pair's second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    let z: number;
    if (this.spare !== undefined) {
      z = this.spare;
      this.spare = undefined;
    } else {
      const u1 = 1 - this.next(); // in (0, 1]: log(u1) is finite
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      z = r * Math.cos(2 * Math.PI * u2);
      this.spare = r * Math.sin(2 * Math.PI * u2);
    }
    return mean + std * z;
  }

  /** Fisher–Yates shuffle of `array` in place; returns it. */
  shuffle<A extends MutableArrayLike<unknown>>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /** A random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw sgError(`Random.permutation: n must be an integer ≥ 0, got ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** One element of `items`, uniformly. */
  choice<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw sgError('Random.choice: cannot choose from an empty array');
    return items[this.int(items.length)];
  }

  /**
   * A new generator whose stream is independent of this one (seeded from this generator's next
   * outputs). Forking advances this generator, so the sequence of forks is itself reproducible.
   */
  fork(): Random {
    const child = new Random(0);
    const st = { s: this.nextUint32() ^ Math.imul(this.nextUint32(), 0x9e3779b1) };
    child.a = splitmix32(st);
    child.b = splitmix32(st);
    child.c = splitmix32(st);
    child.d = splitmix32(st);
    if ((child.a | child.b | child.c | child.d) === 0) child.d = 1;
    return child;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A generator from a seed, or the generator itself. */
export function toRandom(seedOrRandom: number | Random | undefined, fallbackSeed = 0): Random {
  if (seedOrRandom instanceof Random) return seedOrRandom;
  return new Random(seedOrRandom ?? fallbackSeed);
}

// ---- the global generator ----------------------------------------------------------------------

let generator = new Random(0x5eed);

/** Seed the generator used by initializers, dropout seeds and data shuffling defaults. */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw sgError(`manualSeed: seed must be a finite number, got ${seed}`);
  generator = new Random(seed);
}

/** The global generator (initializers draw from it unless given their own seed). */
export function globalRandom(): Random {
  return generator;
}
