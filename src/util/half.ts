// IEEE binary16 on the CPU, for half-precision storage (compile's precision: 'mixed'): rounding a
// number to the nearest f16 (ties to even, ±∞ from 65520 up, as the kernels' shaders/common/half.wgsl
// stores), its 16-bit pattern and back, and packing a Float32Array as the kernels store it (two
// values per 32-bit word, the even element in the low half). Node 20 has no Float16Array.

const TWO_M24 = 2 ** -24;
const TWO_M14 = 2 ** -14;

function roundEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The binary16 value nearest to x (ties to even); NaN stays NaN, |x| ≥ 65520 becomes ±∞. */
export function toHalf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const s = x < 0 || Object.is(x, -0) ? -1 : 1;
  if (a >= 65520) return s * Infinity;
  if (a < TWO_M14) return s * roundEven(a / TWO_M24) * TWO_M24;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (e - 10);
  return s * roundEven(a / ulp) * ulp;
}

/** The 16-bit pattern of the binary16 nearest to x. */
export function halfBits(x: number): number {
  const h = toHalf(x);
  if (Number.isNaN(h)) return 0x7e00;
  const sign = h < 0 || Object.is(h, -0) ? 0x8000 : 0;
  const a = Math.abs(h);
  if (a === Infinity) return sign | 0x7c00;
  if (a < TWO_M14) return sign | (a / TWO_M24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | (a / 2 ** (e - 10) - 1024);
}

/** The value of a 16-bit binary16 pattern. */
export function fromHalfBits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * TWO_M24;
  return s * (1024 + m) * 2 ** (e - 25);
}

/** Values packed as f16 storage: ⌈n / 2⌉ words, element i in half (i & 1) of word i >> 1. */
export function packHalf(values: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] |= halfBits(values[i]) << ((i & 1) * 16);
  return out;
}

/** The first `n` values of f16 storage. */
export function unpackHalf(words: ArrayLike<number>, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = fromHalfBits((words[i >> 1] >>> ((i & 1) * 16)) & 0xffff);
  return out;
}
