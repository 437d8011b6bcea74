// common/matmul.wgsl — what the matmul kernel files share (matmul.wgsl, matmul_subgroup.wgsl): the
// operands' bindings and Params, transposes and the fused epilogue as override constants, element
// access to op(A) and op(B) with the transposes specialised.

// #include "common/float.wgsl"

override HAS_BIAS: bool = false;   // matmul_tiled, matmul_reg, matmul_tile*, matmul_subgroup: add bias[n] to every element of column n
override ACT: u32 = 0u;            // matmul_tiled, matmul_reg, matmul_tile*, matmul_subgroup: then apply one of the ACT_* activations
override TRANS_A: bool = false;    // matmul_reg, matmul_tile*, matmul_subgroup: op(A) = Aᵀ (A stored [K, M])
override TRANS_B: bool = false;    // matmul_reg, matmul_tile*, matmul_subgroup: op(B) = Bᵀ (B stored [N, K])
const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_SIGMOID = 2u;
const ACT_TANH = 3u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;          // (batch, M, N)
struct Params {
  M: u32, N: u32, K: u32,
  a_batch: u32, b_batch: u32,     // batch strides (0 = broadcast)
  sa_m: u32, sa_k: u32,           // strides of op(A) along m and k
  sb_k: u32, sb_n: u32,           // strides of op(B) along k and n
  splits: u32, k_chunk: u32,      // split-K only: S slices of k_chunk values of K (others: 1 and K)
}
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<f32>;             // (N), read when HAS_BIAS

// Element (m, k) of op(A) and (k, n) of op(B) in the current batch; a0 / b0 are batch offsets.
fn a_at(a0: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[a0 + k * params.M + m]; }
  return A[a0 + m * params.K + k];
}
fn b_at(b0: u32, k: u32, n: u32) -> f32 {
  if (TRANS_B) { return B[b0 + n * params.K + k]; }
  return B[b0 + k * params.N + n];
}

// act(v + bias[n]) as the override constants ask; the same formulas as elementwise.wgsl's unary ops.
fn epilogue(v: f32, n: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias[n]; }
  switch ACT {
    case ACT_RELU: { return select(max(z, 0.0), z, is_nan(z)); }   // NaN stays NaN as in PyTorch
    case ACT_SIGMOID: { return sigmoid_stable(z); }
    case ACT_TANH: { return tanh_stable(z); }
    case ACT_NONE, default: { return z; }
  }
}
