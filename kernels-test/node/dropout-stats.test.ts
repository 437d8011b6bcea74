// Dropout's mask as a random source: the CPU Philox against Random123's known-answer vectors, the
// kept fraction of 100k elements within 1% of 1 − p, the GPU mask bit-for-bit equal to the CPU one,
// different seeds / offsets giving different masks, the offset acting as a counter shift, and the
// backward regenerating the forward's mask. Bad arguments give clear errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { dropThreshold, keeps, philox4x32 } from '../../src/reference/dropout.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

const N = 100_000;

async function mask(p: number, seed: number | sg.Tensor, offset = 0, n = N): Promise<Uint8Array> {
  const y = await sg.dropout(sg.full([n], 1), p, { seed, offset }).data();
  const scale = Math.fround(1 / (1 - p));
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== scale) throw new Error(`element ${i} is ${y[i]}, expected 0 or ${scale}`);
    m[i] = y[i] === 0 ? 0 : 1;
  }
  return m;
}

const fraction = (m: Uint8Array) => m.reduce((a, b) => a + b, 0) / m.length;
const differing = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0) / a.length;

describe('Philox4x32-10 (CPU reference)', () => {
  // Random123 tests/kat_vectors, the three "philox4x32 10" lines: counter, key, expected output.
  const kat: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  for (const [ctr, key, want] of kat) {
    it(`matches the known answer for key ${key.map((k) => k.toString(16)).join(' ')}`, () => {
      expect(philox4x32(ctr, key)).toEqual(want);
    });
  }
});

describe('dropout mask statistics (100k elements)', () => {
  for (const p of [0.1, 0.5, 0.8]) {
    it(`keeps a fraction within 1% of 1 − p = ${1 - p}`, async () => {
      const f = fraction(await mask(p, 2024));
      expect(Math.abs(f - (1 - p))).toBeLessThan(0.01);
    });
  }

  it('is bit-for-bit the CPU reference mask', async () => {
    const p = 0.3;
    const m = await mask(p, 77, 1000);
    const t = dropThreshold(p);
    let bad = 0;
    for (let i = 0; i < N; i++) if (m[i] !== (keeps(i, [77, 0], 1000, t) ? 1 : 0)) bad++;
    expect(bad).toBe(0);
  });

  it('gives different masks for different seeds, the same mask for the same seed', async () => {
    const p = 0.5;
    const a = await mask(p, 1);
    const b = await mask(p, 2);
    const again = await mask(p, 1);
    expect(differing(a, again)).toBe(0);
    // Independent masks differ at a fraction 2p(1 − p) = 0.5 of positions.
    expect(Math.abs(differing(a, b) - 0.5)).toBeLessThan(0.01);
    // Seeds differing only in the high word are different keys too.
    const hi = await mask(p, 1 + 2 ** 32);
    expect(Math.abs(differing(a, hi) - 0.5)).toBeLessThan(0.01);
  });

  it('gives different masks for different offsets; the offset shifts the counter', async () => {
    const p = 0.5;
    const a = await mask(p, 9, 0);
    const b = await mask(p, 9, N);
    expect(Math.abs(differing(a, b) - 0.5)).toBeLessThan(0.01);
    // Element i at offset k draws counter k + i, like element k + i at offset 0.
    const k = 12345;
    const shifted = await mask(p, 9, k, N - k);
    expect(differing(shifted, a.subarray(k))).toBe(0);
  });

  it('accepts the seed as an i32 tensor of its two key words', async () => {
    const fromNumber = await mask(0.5, 2 ** 33 + 5, 0, 4096);
    const fromTensor = await mask(0.5, sg.tensor(new Int32Array([5, 2]), [2], { dtype: 'i32' }), 0, 4096);
    expect(differing(fromNumber, fromTensor)).toBe(0);
  });

  it('draws a fresh seed from the global generator when none is given, reproducibly after manualSeed', async () => {
    const n = 4096;
    const x = sg.full([n], 1);
    sg.nn.manualSeed(5);
    const a = await sg.dropout(x, 0.5).data();
    const b = await sg.dropout(x, 0.5).data();
    sg.nn.manualSeed(5);
    const c = await sg.dropout(x, 0.5).data();
    expect(Array.from(a)).toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('backward regenerates the forward mask', async () => {
    const n = 10_000;
    const x = sg.full([n], 1);
    const r = sg.tensor(Float32Array.from({ length: n }, (_, i) => 1 + (i % 7)), [n]);
    const f = (v: sg.Tensor) => sg.sum(sg.mul(sg.dropout(v, 0.4, { seed: 31, offset: 5 }), r));
    const [y] = await sg.read(sg.dropout(x, 0.4, { seed: 31, offset: 5 }));
    const [g] = await sg.read(sg.grad(f)(x)[0]);
    const rv = await r.data();
    let bad = 0;
    for (let i = 0; i < n; i++) if (g[i] !== Math.fround(y[i] * rv[i])) bad++;
    expect(bad).toBe(0);
  });
});

describe('dropout argument errors', () => {
  it('rejects p outside [0, 1)', () => {
    const x = sg.full([4], 1);
    expect(() => sg.dropout(x, 1)).toThrow(/dropout: p must be a probability in \[0, 1\), got 1/);
    expect(() => sg.dropout(x, -0.1)).toThrow(/dropout: p must be a probability in \[0, 1\), got -0.1/);
    expect(() => sg.dropout(x, NaN)).toThrow(/p must be a probability/);
    expect(() => sg.dropout(x, 1.5, { training: false })).toThrow(/p must be a probability/);
  });
  it('rejects bad seeds and offsets', () => {
    const x = sg.full([4], 1);
    expect(() => sg.dropout(x, 0.5, { seed: -1 })).toThrow(/seed must be an integer in \[0, 2\^53\)/);
    expect(() => sg.dropout(x, 0.5, { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => sg.dropout(x, 0.5, { seed: sg.tensor([1, 2], [2]) })).toThrow(/seed tensor .* must be an i32 tensor of 2 values/);
    expect(() => sg.dropout(x, 0.5, { offset: -3 })).toThrow(/offset must be an integer in \[0, 2\^53\), got -3/);
  });
  it('rejects integer input', () => {
    const x = sg.tensor(new Int32Array([1, 2]), [2]);
    expect(() => sg.dropout(x, 0.5, { seed: 1 })).toThrow(/dropout: x must be f32, got tensor .* i32/);
  });
});
