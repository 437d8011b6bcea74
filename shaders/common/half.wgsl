// common/half.wgsl — half-precision storage, f32 arithmetic (compile's precision: 'mixed'). A tensor
// stored as f16 keeps two IEEE binary16 values per 32-bit word: element i is half (i & 1) of word
// i >> 1, the even element in the low 16 bits (as pack2x16float and an array<f16> lay them out). A
// kernel binds a tensor that may be half as array<u32> and picks the storage with a bool override per
// binding (`X_HALF`): f32 storage is the word's bits (bitcast), f16 storage goes through these
// functions. A kernel writing f16 writes whole words, i.e. computes the two elements of a word in one
// invocation (no two invocations share a word, so no atomics are needed).
//
// WGSL leaves pack2x16float indeterminate for a value outside f16's finite range and lets the compiler
// assume there are no infinities or NaNs; loss scaling must see an overflow as ±∞ (and a NaN stay a
// NaN), so both directions handle those on the bits. Finite values round as pack2x16float does.

// f32 magnitudes (as bits) at or above 65520 (= 65504 + half an f16 ulp) round to infinity in binary16.
const HALF_OVERFLOW_BITS: u32 = 0x477ff000u;
// 65504, the largest finite binary16, as f32 bits (pack2x16float is only defined up to it).
const HALF_MAX_BITS: u32 = 0x477fe000u;

// The binary16 bits of v (low 16 bits of the result).
fn half_bits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let sign = (b >> 16u) & 0x8000u;
  let mag = b & 0x7fffffffu;
  if (mag > 0x7f800000u) { return sign | 0x7e00u; }           // NaN stays a (quiet) NaN
  if (mag >= HALF_OVERFLOW_BITS) { return sign | 0x7c00u; }   // ±∞, and finite values that round to it
  if (mag > HALF_MAX_BITS) { return sign | 0x7bffu; }         // (65504, 65520) rounds down to ±65504
  return pack2x16float(vec2f(v, 0.0)) & 0xffffu;
}

// The f32 value of binary16 bits h (low 16 bits).
fn half_value(h: u32) -> f32 {
  if ((h & 0x7c00u) == 0x7c00u) {                             // ±∞ or NaN: made on the bits
    return bitcast<f32>(((h & 0x8000u) << 16u) | 0x7f800000u | ((h & 0x3ffu) << 13u));
  }
  return unpack2x16float(h).x;
}

// One word holding (lo, hi).
fn half_pack(lo: f32, hi: f32) -> u32 {
  // Both within f16's finite range (the usual case): one pack2x16float; else value by value.
  if (max(bitcast<u32>(lo) & 0x7fffffffu, bitcast<u32>(hi) & 0x7fffffffu) <= HALF_MAX_BITS) {
    return pack2x16float(vec2f(lo, hi));
  }
  return half_bits(lo) | (half_bits(hi) << 16u);
}

// Both values of a word.
fn half_unpack(w: u32) -> vec2f {
  // Neither half ±∞ / NaN (the usual case): one unpack2x16float; else value by value.
  if ((w & 0x7c00u) != 0x7c00u && (w & 0x7c000000u) != 0x7c000000u) { return unpack2x16float(w); }
  return vec2f(half_value(w & 0xffffu), half_value(w >> 16u));
}

// Element i of a half tensor, given the word that holds it (word i >> 1).
fn half_at(w: u32, i: u32) -> f32 {
  return half_value((w >> ((i & 1u) * 16u)) & 0xffffu);
}
