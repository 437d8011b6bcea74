// common/float.wgsl — float helpers WGSL does not have, shared by the kernels that
// `// #include "common/float.wgsl"`: NaN tests and NaN / infinity values, and numerically stable
// sigmoid, tanh and log1p.
//
// WGSL lets the compiler assume there are no NaNs (so `v != v` may fold to false), leaves max/min with
// a NaN operand implementation-defined, and allows no NaN or infinity as a constant; PyTorch's
// semantics need all three, so NaN is tested on the bits and NaN / ∞ are made at run time from the
// bits of a value.

// Is v a NaN (exponent all ones, mantissa not zero)?
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// A quiet NaN (made from v's bits, so it is not a constant expression).
fn nan_like(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | 0x7fc00000u);
}

// +∞ (made from v's bits, so it is not a constant expression).
fn inf_like(v: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(v) & 0u) | 0x7f800000u);
}

// σ(v) = 1 / (1 + e^−v) without overflow for large |v|.
fn sigmoid_stable(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

// tanh(v) through e^(−2|v|), which never overflows (some backends' tanh gives NaN for large |v|).
fn tanh_stable(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// log(1 + u) for u ≥ 0, keeping the relative accuracy of small u (1 + u would round to 1).
fn log1p_pos(u: f32) -> f32 {
  if (u < 1e-4) { return u * (1.0 - u * (0.5 - u / 3.0)); }
  return log(1.0 + u);
}
