// common/matmul.wgsl — what the matmul kernel files share (matmul.wgsl, matmul_subgroup.wgsl): the
// operands' bindings and Params, transposes and the fused epilogue as override constants, element
// access to op(A) and op(B) with the transposes specialised, and the stores of C.
//
// Half-precision storage (compile's precision: 'mixed', common/half.wgsl): A, B, bias and C are bound
// as array<u32> and each may hold f16 pairs instead of f32 bits, chosen by the bool overrides A_HALF,
// B_HALF, BIAS_HALF and C_HALF; the arithmetic stays f32. With every override false the loads and
// stores are bitcasts of the words, i.e. what array<f32> compiled to. A kernel writing a half C
// stores whole words: each invocation computes even column pairs (n, n + 1) of its rows, and a pair's
// elements share a word only when a row starts on an even element — N even, or a single row
// (batch · M = 1); the op's half rule (src/ops/matmul.ts) allows a half C for those shapes only.

// #include "common/float.wgsl"
// #include "common/half.wgsl"

override HAS_BIAS: bool = false;   // matmul_tiled, matmul_reg, matmul_tile*, matmul_subgroup: add bias[n] to every element of column n
override ACT: u32 = 0u;            // matmul_tiled, matmul_reg, matmul_tile*, matmul_subgroup: then apply one of the ACT_* activations
override TRANS_A: bool = false;    // matmul_reg, matmul_tile*, matmul_subgroup: op(A) = Aᵀ (A stored [K, M])
override TRANS_B: bool = false;    // matmul_reg, matmul_tile*, matmul_subgroup: op(B) = Bᵀ (B stored [N, K])
override A_HALF: bool = false;     // every matmul kernel: A holds f16 pairs (common/half.wgsl)
override B_HALF: bool = false;     // every matmul kernel: B holds f16 pairs
override BIAS_HALF: bool = false;  // with HAS_BIAS: bias holds f16 pairs
override C_HALF: bool = false;     // every kernel that stores C (or Csum): write f16 pairs, two columns per word
const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_SIGMOID = 2u;
const ACT_TANH = 3u;

// Element storage: f32 bits, or f16 pairs where the *_HALF override says so.
@group(0) @binding(0) var<storage, read> A: array<u32>;                // (batch, M, K), or (batch, K, M) when TRANS_A
@group(0) @binding(1) var<storage, read> B: array<u32>;                // (batch, K, N), or (batch, N, K) when TRANS_B
@group(0) @binding(2) var<storage, read_write> C: array<u32>;          // (batch, M, N)
struct Params {
  M: u32, N: u32, K: u32,
  a_batch: u32, b_batch: u32,     // batch strides (0 = broadcast)
  sa_m: u32, sa_k: u32,           // strides of op(A) along m and k
  sb_k: u32, sb_n: u32,           // strides of op(B) along k and n
  splits: u32, k_chunk: u32,      // split-K only: S slices of k_chunk values of K (others: 1 and K)
}
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<u32>;             // (N), read when HAS_BIAS

// Element i of A, B and bias as stored (f32 bits or f16 pairs).
fn a_load(i: u32) -> f32 {
  if (A_HALF) { return half_at(A[i >> 1u], i); }
  return bitcast<f32>(A[i]);
}
fn b_load(i: u32) -> f32 {
  if (B_HALF) { return half_at(B[i >> 1u], i); }
  return bitcast<f32>(B[i]);
}
fn bias_load(n: u32) -> f32 {
  if (BIAS_HALF) { return half_at(bias[n >> 1u], n); }
  return bitcast<f32>(bias[n]);
}

// Element (m, k) of op(A) and (k, n) of op(B) in the current batch; a0 / b0 are batch offsets.
fn a_at(a0: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return a_load(a0 + k * params.M + m); }
  return a_load(a0 + m * params.K + k);
}
fn b_at(b0: u32, k: u32, n: u32) -> f32 {
  if (TRANS_B) { return b_load(b0 + n * params.K + k); }
  return b_load(b0 + k * params.N + n);
}

// act(v + bias[n]) as the override constants ask; the same formulas as elementwise.wgsl's unary ops.
fn epilogue(v: f32, n: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias_load(n); }
  switch ACT {
    case ACT_RELU: { return select(max(z, 0.0), z, is_nan(z)); }   // NaN stays NaN as in PyTorch
    case ACT_SIGMOID: { return sigmoid_stable(z); }
    case ACT_TANH: { return tanh_stable(z); }
    case ACT_NONE, default: { return z; }
  }
}

// Element i of C (f32 storage).
fn c_store(i: u32, v: f32) {
  C[i] = bitcast<u32>(v);
}

// Elements i and i + 1 of C (f16 storage, i even): one word.
fn c_store_pair(i: u32, v: vec2f) {
  C[i >> 1u] = half_pack(v.x, v.y);
}

// The epilogue of columns n and n + 1, whose sums are acc; a column n + 1 past N (N odd, a single
// row: the last word's upper half lies past the tensor) gives 0.
fn epilogue_pair(acc: vec2f, n: u32) -> vec2f {
  var hi = 0.0;
  if (n + 1u < params.N) { hi = epilogue(acc.y, n + 1u); }
  return vec2f(epilogue(acc.x, n), hi);
}
