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
//                 fusion pass: a tiny register machine. Registers 0–3 hold the inputs at this element
//                 (a one-element input is broadcast), step s writes register 4+s from the registers its
//                 instruction names, and the last register is stored. One read per input and one write,
//                 instead of a round trip through memory for every op of the chain.

override OP: u32 = 0u;

// WGSL leaves log, sqrt and pow of negative numbers indeterminate (SwiftShader returns log|x|);
// PyTorch gives NaN (and real powers for integer exponents), so these are spelled out. NaN and
// infinity cannot be WGSL constants, so they are made at run time from the bits of a value.
fn nan_like(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | 0x7fc00000u);
}

fn inf_like(v: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(v) & 0u) | 0x7f800000u);
}

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
    case 4u: { return max(v, 0.0); }                          // relu
    case 5u: {                                                // sigmoid, stable for large |v|
      if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
      let e = exp(v);
      return e / (1.0 + e);
    }
    case 6u: {                                                // tanh via exp, stable for large |v|
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
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
  let i = gid.x + gid.y * nwg.x * 256u;
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
    case 4u: { return max(u, v); }                            // maximum
    case 5u: { return min(u, v); }                            // minimum
    case 6u: { return pow_real(u, v); }                       // pow
    case 7u: { return select(0.0, 1.0, u == v); }             // eq
    case 8u: { return select(0.0, 1.0, u > v); }              // gt
    case 9u: { return select(0.0, 1.0, u >= v); }             // ge
    default: { return u; }
  }
}

fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(256)
fn binary_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= bparams.n) { return; }
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
  let i = gid.x + gid.y * nwg.x * 256u;
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
@group(0) @binding(0) var<storage, read> in0: array<f32>;
@group(0) @binding(1) var<storage, read> in1: array<f32>;
@group(0) @binding(2) var<storage, read> in2: array<f32>;
@group(0) @binding(3) var<storage, read> in3: array<f32>;
@group(0) @binding(4) var<storage, read_write> fused: array<f32>;   // (n)
struct ChainParams {
  n: u32,
  steps: u32,
  scalars: u32,                 // bit k set: input k has one element (broadcast)
  inputs: u32,                  // inputs actually bound (the others alias in0 and are never read)
  prog: array<vec4u, 8>,        // per step: (kind 0 unary / 1 binary, op code, register a, register b)
  alpha: array<vec4f, 2>,       // per step: the unary op's constant
}
@group(0) @binding(5) var<uniform> cparams: ChainParams;

fn load_input(k: u32, i: u32) -> f32 {
  let j = select(i, 0u, ((cparams.scalars >> k) & 1u) != 0u);
  switch k {
    case 0u: { return in0[j]; }
    case 1u: { return in1[j]; }
    case 2u: { return in2[j]; }
    default: { return in3[j]; }
  }
}

@compute @workgroup_size(256)
fn chain_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= cparams.n) { return; }
  var r: array<f32, 12>;
  for (var k = 0u; k < cparams.inputs; k++) { r[k] = load_input(k, i); }
  for (var s = 0u; s < cparams.steps; s++) {
    let ins = cparams.prog[s];
    if (ins.x == 0u) {
      r[4u + s] = unary_apply(ins.y, r[ins.z], cparams.alpha[s / 4u][s % 4u]);
    } else {
      r[4u + s] = binary_apply(ins.y, r[ins.z], r[ins.w]);
    }
  }
  fused[i] = r[3u + cparams.steps];
}
