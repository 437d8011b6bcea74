// elementwise.wgsl — unary and binary elementwise ops, and broadcast copies.
//
// Work split: one thread per output element (per output word of two when it is half, below), 256
// threads per workgroup. Grids larger than 65535
// workgroups are folded into 2-D, so the linear index is gid.x + gid.y * (num_workgroups.x * 256).
//
// unary_forward   y = f(x), f chosen by the `OP` override constant (one pipeline per op, no
//                 branching at run time). `alpha` is the op's scalar argument where it has one.
// binary_forward  out = a ∘ b with NumPy/PyTorch broadcasting. The host collapses contiguous
//                 dimensions first, so most calls see rank 1; strides of 0 repeat a broadcast operand.
// where_forward   out = cond ? a : b with broadcasting of all three (torch.where); cond is read as
//                 bits, true where nonzero (f32: any value but ±0, NaN included, as torch's bool(NaN);
//                 i32 with COND_INT: any value but 0), so a NaN or ±inf in the branch not taken never
//                 leaks into the result, as it would through cond·a + (1 − cond)·b.
// expand_forward  out = x broadcast to a larger shape (the gradient of a sum).
// chain_forward   a fused chain of up to 8 unary/binary ops over up to 4 inputs, made by compile()'s
//                 fusion pass. Registers 0–3 hold the inputs at this element (a one-element input is
//                 broadcast), step s writes register 4+s from the registers it names, and the last
//                 register is stored: one read per input and one write, instead of a round trip
//                 through memory for every op of the chain. The program is baked in with overrides.
//
// Half-precision storage (compile's precision: 'mixed', shaders/common/half.wgsl): every float binding
// is an array<u32> holding either f32 bits or f16 pairs, chosen per binding by a bool override
// (X_HALF, Y_HALF, A_HALF, ...). Arithmetic is f32 either way. With a half output one thread computes
// the two elements of an output word (elements 2t and 2t + 1; the host halves the grid), so no two
// threads write the same word; with an f32 output one thread computes one element, as before. With
// every override false the half branches fold away and the kernels are the f32 kernels they were.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/shape.wgsl"
// #include "common/half.wgsl"

override OP: u32 = 0u;   // unary_forward: a UNARY_* code, binary_forward: a BINARY_* code (below)

// WGSL leaves max/min with a NaN operand implementation-defined (SwiftShader drops the NaN) and
// log, sqrt and pow of negative numbers indeterminate (SwiftShader returns log|x|);
// PyTorch gives NaN (and real powers for integer exponents), so these are spelled out with the NaN
// and infinity helpers of common/float.wgsl.
fn pow_real(u: f32, v: f32) -> f32 {
  if (u > 0.0) { return pow(u, v); }
  if (u == 0.0) {
    if (v > 0.0) { return 0.0; }
    if (v == 0.0) { return 1.0; }
    return inf_like(u);                                       // 0^negative = +inf
  }
  if (v != floor(v)) { return nan_like(u); }                    // negative base, fractional exponent
  let m = pow(-u, v);
  return select(m, -m, fract(v * 0.5) != 0.0);              // odd exponent keeps the sign
}

// ---- unary ------------------------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> x: array<u32>;          // (n) f32 bits, or ⌈n/2⌉ f16 pairs
@group(0) @binding(1) var<storage, read_write> y: array<u32>;    // (n) f32 bits, or ⌈n/2⌉ f16 pairs
struct UnaryParams { n: u32, alpha: f32 }
@group(0) @binding(2) var<uniform> uparams: UnaryParams;
override X_HALF: bool = false;
override Y_HALF: bool = false;

fn x_at(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

// The unary ops' codes. src/ops/elementwise.ts reads them by name (UNARY_POW_SCALAR is the op powScalar).
const UNARY_NEG = 0u;           const UNARY_EXP = 1u;           const UNARY_LOG = 2u;
const UNARY_SQRT = 3u;          const UNARY_RELU = 4u;          const UNARY_SIGMOID = 5u;
const UNARY_TANH = 6u;          const UNARY_ABS = 7u;           const UNARY_STEP = 8u;
const UNARY_SIGN = 9u;          const UNARY_SQUARE = 10u;       const UNARY_RECIPROCAL = 11u;
const UNARY_SCALE = 12u;        const UNARY_SHIFT = 13u;        const UNARY_POW_SCALAR = 14u;
const UNARY_COPY = 15u;

fn unary_op(v: f32, alpha: f32) -> f32 {
  return unary_apply(OP, v, alpha);     // OP is a pipeline constant: the switch folds away
}

fn unary_apply(code: u32, v: f32, alpha: f32) -> f32 {
  switch code {
    case UNARY_NEG: { return -v; }
    case UNARY_EXP: { return exp(v); }
    case UNARY_LOG: { return select(log(v), nan_like(v), v < 0.0); }
    case UNARY_SQRT: { return select(sqrt(v), nan_like(v), v < 0.0); }
    case UNARY_RELU: { return select(max(v, 0.0), v, is_nan(v)); }  // NaN stays NaN, as PyTorch
    case UNARY_SIGMOID: { return sigmoid_stable(v); }                // stable for large |v|
    case UNARY_TANH: { return tanh_stable(v); }                      // via exp, stable for large |v|
    case UNARY_ABS: { return abs(v); }
    case UNARY_STEP: { return select(0.0, 1.0, v > 0.0); }           // the derivative of relu
    case UNARY_SIGN: { return sign(v); }
    case UNARY_SQUARE: { return v * v; }
    case UNARY_RECIPROCAL: { return 1.0 / v; }
    case UNARY_SCALE: { return v * alpha; }
    case UNARY_SHIFT: { return v + alpha; }
    case UNARY_POW_SCALAR: { return pow_real(v, alpha); }            // pow with a constant exponent
    case UNARY_COPY, default: { return v; }
  }
}

@compute @workgroup_size(256)
fn unary_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (Y_HALF) {                       // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= uparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < uparams.n) { hi = unary_op(x_at(i + 1u), uparams.alpha); }
    y[t] = half_pack(unary_op(x_at(i), uparams.alpha), hi);
    return;
  }
  if (t >= uparams.n) { return; }
  y[t] = bitcast<u32>(unary_op(x_at(t), uparams.alpha));
}

// ---- binary -----------------------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> a: array<u32>;          // f32 bits or f16 pairs (A_HALF)
@group(0) @binding(1) var<storage, read> b: array<u32>;          // f32 bits or f16 pairs (B_HALF)
@group(0) @binding(2) var<storage, read_write> out: array<u32>;   // (n) = broadcast(shape of a, shape of b)
struct BinaryParams {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,     // output shape after collapsing, up to 8 dims
  astride: array<vec4u, 2>,   // strides of a in elements, 0 where a is broadcast
  bstride: array<vec4u, 2>,
}
@group(0) @binding(3) var<uniform> bparams: BinaryParams;
override A_HALF: bool = false;
override B_HALF: bool = false;
override OUT_HALF: bool = false;

fn a_at(i: u32) -> f32 {
  if (A_HALF) { return half_at(a[i >> 1u], i); }
  return bitcast<f32>(a[i]);
}

fn b_at(i: u32) -> f32 {
  if (B_HALF) { return half_at(b[i >> 1u], i); }
  return bitcast<f32>(b[i]);
}

// The binary ops' codes, read by name in src/ops/elementwise.ts.
const BINARY_ADD = 0u;          const BINARY_SUB = 1u;          const BINARY_MUL = 2u;
const BINARY_DIV = 3u;          const BINARY_MAXIMUM = 4u;      const BINARY_MINIMUM = 5u;
const BINARY_POW = 6u;          const BINARY_EQ = 7u;           const BINARY_GT = 8u;
const BINARY_GE = 9u;

fn binary_op(u: f32, v: f32) -> f32 {
  return binary_apply(OP, u, v);
}

fn binary_apply(code: u32, u: f32, v: f32) -> f32 {
  switch code {
    case BINARY_ADD: { return u + v; }
    case BINARY_SUB: { return u - v; }
    case BINARY_MUL: { return u * v; }
    case BINARY_DIV: { return u / v; }
    case BINARY_MAXIMUM: { return select(max(u, v), u + v, is_nan(u) || is_nan(v)); }  // NaN propagates
    case BINARY_MINIMUM: { return select(min(u, v), u + v, is_nan(u) || is_nan(v)); }  // NaN propagates
    case BINARY_POW: { return pow_real(u, v); }
    case BINARY_EQ: { return select(0.0, 1.0, u == v); }
    case BINARY_GT: { return select(0.0, 1.0, u > v); }
    case BINARY_GE: { return select(0.0, 1.0, u >= v); }
    default: { return u; }
  }
}

// LAYOUT (an override, chosen on the host): any broadcast (the index arithmetic below), or one of the
// common cases, which skip the index arithmetic entirely: same shape, b one element, a one element.
override LAYOUT: u32 = 0u;
const LAYOUT_STRIDED = 0u;
const LAYOUT_SAME = 1u;
const LAYOUT_B_SCALAR = 2u;
const LAYOUT_A_SCALAR = 3u;

@compute @workgroup_size(256)
fn binary_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (OUT_HALF) {                     // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= bparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < bparams.n) { hi = binary_at(i + 1u); }
    out[t] = half_pack(binary_at(i), hi);
    return;
  }
  if (t >= bparams.n) { return; }
  out[t] = bitcast<u32>(binary_at(t));
}

// Output element i of a ∘ b.
fn binary_at(i: u32) -> f32 {
  if (LAYOUT == LAYOUT_SAME) { return binary_op(a_at(i), b_at(i)); }
  if (LAYOUT == LAYOUT_B_SCALAR) { return binary_op(a_at(i), b_at(0u)); }
  if (LAYOUT == LAYOUT_A_SCALAR) { return binary_op(a_at(0u), b_at(i)); }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(bparams.rank) - 1; d >= 0; d--) {
    let size = dim(bparams.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    ia += c * dim(bparams.astride, u32(d));
    ib += c * dim(bparams.bstride, u32(d));
  }
  return binary_op(a_at(ia), b_at(ib));
}

// ---- where (ternary select) --------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> when_true: array<u32>;      // f32 bits or f16 pairs (T_HALF)
@group(0) @binding(2) var<storage, read> when_false: array<u32>;     // f32 bits or f16 pairs (F_HALF)
@group(0) @binding(3) var<storage, read_write> selected: array<u32>;  // (n) = broadcast of the three shapes
struct WhereParams {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,     // output shape after collapsing, up to 8 dims
  cstride: array<vec4u, 2>,   // strides of cond, 0 where it is broadcast
  tstride: array<vec4u, 2>,   // of when_true
  fstride: array<vec4u, 2>,   // of when_false
}
@group(0) @binding(4) var<uniform> wparams: WhereParams;
override COND_INT: bool = false;
override COND_HALF: bool = false;    // an f32 cond stored as f16 pairs (never with COND_INT)
override T_HALF: bool = false;
override F_HALF: bool = false;
override SEL_HALF: bool = false;

@compute @workgroup_size(256)
fn where_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (SEL_HALF) {                     // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= wparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < wparams.n) { hi = where_at(i + 1u); }
    selected[t] = half_pack(where_at(i), hi);
    return;
  }
  if (t >= wparams.n) { return; }
  selected[t] = bitcast<u32>(where_at(t));
}

// Output element i of where(cond, when_true, when_false).
fn where_at(i: u32) -> f32 {
  var rest = i;
  var ic = 0u;
  var it = 0u;
  var iff = 0u;
  for (var d = i32(wparams.rank) - 1; d >= 0; d--) {
    let size = dim(wparams.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    ic += c * dim(wparams.cstride, u32(d));
    it += c * dim(wparams.tstride, u32(d));
    iff += c * dim(wparams.fstride, u32(d));
  }
  var take: bool;
  if (COND_HALF) {
    take = ((cond[ic >> 1u] >> ((ic & 1u) * 16u)) & 0x7fffu) != 0u;   // the f16's bits, sign dropped
  } else {
    let bits = cond[ic];
    take = select((bits & 0x7fffffffu) != 0u, bits != 0u, COND_INT);
  }
  // Read only the chosen branch (select() would read both).
  if (take) {
    if (T_HALF) { return half_at(when_true[it >> 1u], it); }
    return bitcast<f32>(when_true[it]);
  }
  if (F_HALF) { return half_at(when_false[iff >> 1u], iff); }
  return bitcast<f32>(when_false[iff]);
}

// ---- expand (broadcast copy) ------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> src: array<u32>;        // f32 or i32 bits, or f16 pairs (SRC_HALF)
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;  // (n) = target shape; f16 pairs with DST_HALF
struct ExpandParams {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,     // target shape after collapsing
  stride: array<vec4u, 2>,    // strides of src, 0 on broadcast dimensions
}
@group(0) @binding(2) var<uniform> eparams: ExpandParams;
// Half storage only for f32 tensors (the host never sets these for i32). With both false the kernel
// copies 32-bit words, whatever their type.
override SRC_HALF: bool = false;
override DST_HALF: bool = false;

// The offset in src of output element i.
fn expand_source(i: u32) -> u32 {
  var rest = i;
  var isrc = 0u;
  for (var d = i32(eparams.rank) - 1; d >= 0; d--) {
    let size = dim(eparams.shape, u32(d));
    isrc += (rest % size) * dim(eparams.stride, u32(d));
    rest = rest / size;
  }
  return isrc;
}

fn src_at(j: u32) -> f32 {
  if (SRC_HALF) { return half_at(src[j >> 1u], j); }
  return bitcast<f32>(src[j]);
}

@compute @workgroup_size(256)
fn expand_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (DST_HALF) {                     // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= eparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < eparams.n) { hi = src_at(expand_source(i + 1u)); }
    dst[t] = half_pack(src_at(expand_source(i)), hi);
    return;
  }
  if (t >= eparams.n) { return; }
  let j = expand_source(t);
  if (SRC_HALF) { dst[t] = bitcast<u32>(half_at(src[j >> 1u], j)); } else { dst[t] = src[j]; }
}

// ---- fused chain ------------------------------------------------------------------------------
// The program is specialised into the pipeline with override constants (step s: kind K<s>, STEP_UNARY
// or STEP_BINARY; op code C<s>, a UNARY_* or BINARY_* code; registers A<s> and B<s>), so every branch
// and register index below is a constant that the compiler folds: the chain becomes straight-line
// code over values held in registers. Only the unary ops' constants (alpha) stay in the uniform, so
// a changed constant needs no new pipeline.
// Each input and the output hold f32 bits or f16 pairs, independently (IN<k>_HALF, FUSED_HALF).
@group(0) @binding(0) var<storage, read> in0: array<u32>;
@group(0) @binding(1) var<storage, read> in1: array<u32>;
@group(0) @binding(2) var<storage, read> in2: array<u32>;
@group(0) @binding(3) var<storage, read> in3: array<u32>;
@group(0) @binding(4) var<storage, read_write> fused: array<u32>;   // (n)
struct ChainParams {
  n: u32,
  scalars: u32,                 // bit k set: input k has one element (broadcast)
  alpha: array<vec4f, 2>,       // per step: the unary op's constant
}
@group(0) @binding(5) var<uniform> cparams: ChainParams;

const STEP_UNARY = 0u;
const STEP_BINARY = 1u;
override STEPS: u32 = 1u;       // 1..8
override INPUTS: u32 = 1u;      // 1..4; unbound inputs alias in0 and are never read
override K0: u32 = 0u; override C0: u32 = 0u; override A0: u32 = 0u; override B0: u32 = 0u;
override K1: u32 = 0u; override C1: u32 = 0u; override A1: u32 = 0u; override B1: u32 = 0u;
override K2: u32 = 0u; override C2: u32 = 0u; override A2: u32 = 0u; override B2: u32 = 0u;
override K3: u32 = 0u; override C3: u32 = 0u; override A3: u32 = 0u; override B3: u32 = 0u;
override K4: u32 = 0u; override C4: u32 = 0u; override A4: u32 = 0u; override B4: u32 = 0u;
override K5: u32 = 0u; override C5: u32 = 0u; override A5: u32 = 0u; override B5: u32 = 0u;
override K6: u32 = 0u; override C6: u32 = 0u; override A6: u32 = 0u; override B6: u32 = 0u;
override K7: u32 = 0u; override C7: u32 = 0u; override A7: u32 = 0u; override B7: u32 = 0u;
override IN0_HALF: bool = false; override IN1_HALF: bool = false;
override IN2_HALF: bool = false; override IN3_HALF: bool = false;
override FUSED_HALF: bool = false;

fn chain_input(k: u32, i: u32) -> f32 {
  let j = select(i, 0u, ((cparams.scalars >> k) & 1u) != 0u);
  let w = j >> 1u;
  switch k {
    case 0u: { if (IN0_HALF) { return half_at(in0[w], j); } return bitcast<f32>(in0[j]); }
    case 1u: { if (IN1_HALF) { return half_at(in1[w], j); } return bitcast<f32>(in1[j]); }
    case 2u: { if (IN2_HALF) { return half_at(in2[w], j); } return bitcast<f32>(in2[j]); }
    default: { if (IN3_HALF) { return half_at(in3[w], j); } return bitcast<f32>(in3[j]); }
  }
}

fn chain_step(kind: u32, code: u32, u: f32, v: f32, alpha: f32) -> f32 {
  if (kind == STEP_UNARY) { return unary_apply(code, u, alpha); }
  return binary_apply(code, u, v);
}

@compute @workgroup_size(256)
fn chain_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (FUSED_HALF) {                   // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= cparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < cparams.n) { hi = chain_at(i + 1u); }
    fused[t] = half_pack(chain_at(i), hi);
    return;
  }
  if (t >= cparams.n) { return; }
  fused[t] = bitcast<u32>(chain_at(t));
}

// The chain's result at element i.
fn chain_at(i: u32) -> f32 {
  var r: array<f32, 12>;            // registers: inputs 0–3, then one per step
  r[0] = chain_input(0u, i);
  if (INPUTS > 1u) { r[1] = chain_input(1u, i); }
  if (INPUTS > 2u) { r[2] = chain_input(2u, i); }
  if (INPUTS > 3u) { r[3] = chain_input(3u, i); }
  let al = cparams.alpha;
  r[4] = chain_step(K0, C0, r[A0], r[B0], al[0].x);
  if (STEPS > 1u) { r[5] = chain_step(K1, C1, r[A1], r[B1], al[0].y); }
  if (STEPS > 2u) { r[6] = chain_step(K2, C2, r[A2], r[B2], al[0].z); }
  if (STEPS > 3u) { r[7] = chain_step(K3, C3, r[A3], r[B3], al[0].w); }
  if (STEPS > 4u) { r[8] = chain_step(K4, C4, r[A4], r[B4], al[1].x); }
  if (STEPS > 5u) { r[9] = chain_step(K5, C5, r[A5], r[B5], al[1].y); }
  if (STEPS > 6u) { r[10] = chain_step(K6, C6, r[A6], r[B6], al[1].z); }
  if (STEPS > 7u) { r[11] = chain_step(K7, C7, r[A7], r[B7], al[1].w); }
  return r[3u + STEPS];
}
