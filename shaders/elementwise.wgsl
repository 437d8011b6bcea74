// elementwise.wgsl — unary and binary elementwise ops, and broadcast copies.
//
// Work split: one thread per output element, 256 threads per workgroup. Grids larger than 65535
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

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/shape.wgsl"

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
@group(0) @binding(0) var<storage, read> x: array<f32>;          // (n)
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // (n)
struct UnaryParams { n: u32, alpha: f32 }
@group(0) @binding(2) var<uniform> uparams: UnaryParams;

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
  let i = grid_index(gid, nwg, 256u);
  if (i >= uparams.n) { return; }
  y[i] = unary_op(x[i], uparams.alpha);
}

// ---- binary -----------------------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (n) = broadcast(shape of a, shape of b)
struct BinaryParams {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,     // output shape after collapsing, up to 8 dims
  astride: array<vec4u, 2>,   // strides of a in elements, 0 where a is broadcast
  bstride: array<vec4u, 2>,
}
@group(0) @binding(3) var<uniform> bparams: BinaryParams;

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
  let i = grid_index(gid, nwg, 256u);
  if (i >= bparams.n) { return; }
  if (LAYOUT == LAYOUT_SAME) { out[i] = binary_op(a[i], b[i]); return; }
  if (LAYOUT == LAYOUT_B_SCALAR) { out[i] = binary_op(a[i], b[0]); return; }
  if (LAYOUT == LAYOUT_A_SCALAR) { out[i] = binary_op(a[0], b[i]); return; }
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
  out[i] = binary_op(a[ia], b[ib]);
}

// ---- where (ternary select) --------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> when_true: array<f32>;
@group(0) @binding(2) var<storage, read> when_false: array<f32>;
@group(0) @binding(3) var<storage, read_write> selected: array<f32>;  // (n) = broadcast of the three shapes
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

@compute @workgroup_size(256)
fn where_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= wparams.n) { return; }
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
  let bits = cond[ic];
  let take = select((bits & 0x7fffffffu) != 0u, bits != 0u, COND_INT);
  // Read only the chosen branch (select() would read both).
  if (take) { selected[i] = when_true[it]; } else { selected[i] = when_false[iff]; }
}

// ---- expand (broadcast copy) ------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;  // (n) = target shape
struct ExpandParams {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,     // target shape after collapsing
  stride: array<vec4u, 2>,    // strides of src, 0 on broadcast dimensions
}
@group(0) @binding(2) var<uniform> eparams: ExpandParams;

@compute @workgroup_size(256)
fn expand_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= eparams.n) { return; }
  var rest = i;
  var isrc = 0u;
  for (var d = i32(eparams.rank) - 1; d >= 0; d--) {
    let size = dim(eparams.shape, u32(d));
    isrc += (rest % size) * dim(eparams.stride, u32(d));
    rest = rest / size;
  }
  dst[i] = src[isrc];
}

// ---- fused chain ------------------------------------------------------------------------------
// The program is specialised into the pipeline with override constants (step s: kind K<s>, STEP_UNARY
// or STEP_BINARY; op code C<s>, a UNARY_* or BINARY_* code; registers A<s> and B<s>), so every branch
// and register index below is a constant that the compiler folds: the chain becomes straight-line
// code over values held in registers. Only the unary ops' constants (alpha) stay in the uniform, so
// a changed constant needs no new pipeline.
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read> in3: array<f32>;
@group(0) @binding(4) var<storage, read_write> fused: array<f32>;   // (n)
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

fn chain_input(k: u32, i: u32) -> f32 {
  let j = select(i, 0u, ((cparams.scalars >> k) & 1u) != 0u);
  switch k {
    case 0u: { return in0[j]; }
    case 1u: { return in1[j]; }
    case 2u: { return in2[j]; }
    default: { return in3[j]; }
  }
}

fn chain_step(kind: u32, code: u32, u: f32, v: f32, alpha: f32) -> f32 {
  if (kind == STEP_UNARY) { return unary_apply(code, u, alpha); }
  return binary_apply(code, u, v);
}

@compute @workgroup_size(256)
fn chain_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= cparams.n) { return; }
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
  fused[i] = r[3u + STEPS];
}
