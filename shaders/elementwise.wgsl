// elementwise.wgsl — unary and binary elementwise ops, and broadcast copies.
//
// Work split: one thread per output element, 256 threads per workgroup. Grids larger than 65535
// workgroups are folded into 2-D, so the linear index is gid.x + gid.y * (num_workgroups.x * 256).
//
// unary_forward   y = f(x), f chosen by the `OP` override constant (one pipeline per op, no
//                 branching at run time). `alpha` is the op's scalar argument where it has one.
// binary_forward  out = a ∘ b with NumPy/PyTorch broadcasting. The host collapses contiguous
//                 dimensions first, so most calls see rank 1; strides of 0 repeat a broadcast operand.
// expand_forward  out = x broadcast to a larger shape (the gradient of a sum).
// chain_forward   a fused chain of up to 8 unary/binary ops over up to 4 inputs, made by compile()'s
//                 fusion pass. Registers 0–3 hold the inputs at this element (a one-element input is
//                 broadcast), step s writes register 4+s from the registers it names, and the last
//                 register is stored: one read per input and one write, instead of a round trip
//                 through memory for every op of the chain. The program is baked in with overrides.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/shape.wgsl"

override OP: u32 = 0u;

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

fn unary_op(v: f32, alpha: f32) -> f32 {
  return unary_apply(OP, v, alpha);     // OP is a pipeline constant: the switch folds away
}

fn unary_apply(code: u32, v: f32, alpha: f32) -> f32 {
  switch code {
    case 0u: { return -v; }                                   // neg
    case 1u: { return exp(v); }                               // exp
    case 2u: { return select(log(v), nan_like(v), v < 0.0); }  // log
    case 3u: { return select(sqrt(v), nan_like(v), v < 0.0); } // sqrt
    case 4u: { return select(max(v, 0.0), v, is_nan(v)); }       // relu (NaN stays NaN, as PyTorch)
    case 5u: { return sigmoid_stable(v); }                    // sigmoid, stable for large |v|
    case 6u: { return tanh_stable(v); }                       // tanh via exp, stable for large |v|
    case 7u: { return abs(v); }                               // abs
    case 8u: { return select(0.0, 1.0, v > 0.0); }            // step (derivative of relu)
    case 9u: { return sign(v); }                              // sign
    case 10u: { return v * v; }                               // square
    case 11u: { return 1.0 / v; }                             // reciprocal
    case 12u: { return v * alpha; }                           // scale
    case 13u: { return v + alpha; }                           // shift
    case 14u: { return pow_real(v, alpha); }                  // pow with a constant exponent
    default: { return v; }                                    // copy (15)
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

fn binary_op(u: f32, v: f32) -> f32 {
  return binary_apply(OP, u, v);
}

fn binary_apply(code: u32, u: f32, v: f32) -> f32 {
  switch code {
    case 0u: { return u + v; }                                // add
    case 1u: { return u - v; }                                // sub
    case 2u: { return u * v; }                                // mul
    case 3u: { return u / v; }                                // div
    case 4u: { return select(max(u, v), u + v, is_nan(u) || is_nan(v)); }  // maximum (NaN propagates)
    case 5u: { return select(min(u, v), u + v, is_nan(u) || is_nan(v)); }  // minimum (NaN propagates)
    case 6u: { return pow_real(u, v); }                       // pow
    case 7u: { return select(0.0, 1.0, u == v); }             // eq
    case 8u: { return select(0.0, 1.0, u > v); }              // gt
    case 9u: { return select(0.0, 1.0, u >= v); }             // ge
    default: { return u; }
  }
}

// LAYOUT (an override, chosen on the host): 0 any broadcast (index arithmetic below), 1 same shape,
// 2 b is one element, 3 a is one element — the common cases skip the index arithmetic entirely.
override LAYOUT: u32 = 0u;

@compute @workgroup_size(256)
fn binary_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= bparams.n) { return; }
  if (LAYOUT == 1u) { out[i] = binary_op(a[i], b[i]); return; }
  if (LAYOUT == 2u) { out[i] = binary_op(a[i], b[0]); return; }
  if (LAYOUT == 3u) { out[i] = binary_op(a[0], b[i]); return; }
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
// The program is specialised into the pipeline with override constants (step s: kind K<s>, op code
// C<s>, registers A<s> and B<s>), so every branch and register index below is a constant that the
// compiler folds: the chain becomes straight-line code over values held in registers. Only the
// unary ops' constants (alpha) stay in the uniform, so a changed constant needs no new pipeline.
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
  if (kind == 0u) { return unary_apply(code, u, alpha); }
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
