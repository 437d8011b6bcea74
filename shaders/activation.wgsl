// activation.wgsl — activations with a parameter or a special function, their first and their second
// derivatives: leaky ReLU, ELU, GELU (exact, with erf, and the tanh approximation), softplus, SiLU.
// (relu, sigmoid and tanh are plain unary ops in elementwise.wgsl.)
//
// Work split: one thread per element, 256 threads per workgroup. Grids larger than 65535 workgroups
// are folded into 2-D, so the linear index is gid.x + gid.y * (num_workgroups.x * 256).
// `OP` (a pipeline constant) picks the activation, one of the ACT_* constants below, so each pipeline
// has no run-time branching on it. src/ops/activation.ts reads those constants by name (ACT_GELU_TANH
// is the op geluTanh), so no code is written twice.
//
// activation_forward            y  = f(x)
// activation_backward           dx = dy · f'(x)               (the gradient of the forward)
// activation_second_derivative  dx = dy · f''(x)              (used by the gradient of the backward:
//                                                              d/dx of g·f'(x) is g·f''(x))
//
// Half-precision storage (compile's precision: 'mixed', shaders/common/half.wgsl): x, y, dy and dx are
// array<u32> holding f32 bits or f16 pairs, per binding by the X_HALF, Y_HALF, DY_HALF and DX_HALF
// overrides; arithmetic is f32. With a half output one thread computes the two elements of an output
// word (2t and 2t + 1; the host halves the grid); with every override false the kernels are the f32
// kernels they were.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/half.wgsl"

override OP: u32 = 0u;
const ACT_LEAKY_RELU = 0u;   // x > 0 ? x : alpha·x   (alpha = negative slope)
const ACT_ELU = 1u;          // x > 0 ? x : alpha·(eˣ − 1)
const ACT_GELU = 2u;         // x·Φ(x), Φ the standard normal CDF, via erf
const ACT_GELU_TANH = 3u;    // ½x·(1 + tanh(√(2/π)·(x + 0.044715x³)))
const ACT_SOFTPLUS = 4u;     // log(1 + e^(βx)) / β, or x where βx > threshold   (PyTorch's rule)
const ACT_SILU = 5u;         // x·σ(x)

// ---- bindings ---------------------------------------------------------------------------------
@group(0) @binding(0) var<storage, read> x: array<u32>;          // (n) the activation's input
@group(0) @binding(1) var<storage, read_write> y: array<u32>;    // (n) forward: f(x)
@group(0) @binding(1) var<storage, read> dy: array<u32>;         // (n) backward: incoming gradient
@group(0) @binding(2) var<storage, read_write> dx: array<u32>;   // (n) backward: dy · f'(x) or dy · f''(x)
override X_HALF: bool = false;
override Y_HALF: bool = false;
override DY_HALF: bool = false;
override DX_HALF: bool = false;
struct Params {
  n: u32,
  alpha: f32,        // leaky_relu's negative slope, elu's alpha
  beta: f32,         // softplus's beta
  threshold: f32,    // softplus's threshold on βx
}
@group(0) @binding(2) var<uniform> fparams: Params;   // forward
@group(0) @binding(3) var<uniform> bparams: Params;   // backward and second derivative

// ---- special functions ------------------------------------------------------------------------
const SQRT1_2 = 0.7071067811865476;          // 1/√2
const INV_SQRT_2PI = 0.3989422804014327;     // 1/√(2π)
const GELU_K = 0.7978845608028654;           // √(2/π)
const GELU_C = 0.044715;

// erf(z) for |z| < 0.5 by its Taylor series (relative error < 2e-7 in f32):
// erf z = 2/√π · z · (1 − z²/3 + z⁴/10 − z⁶/42 + z⁸/216 − z¹⁰/1320 + ...)
fn erf_series(z: f32) -> f32 {
  let s = z * z;
  let p = 1.0 + s * (-1.0 / 3.0 + s * (0.1 + s * (-1.0 / 42.0 + s * (1.0 / 216.0 + s * (-1.0 / 1320.0)))));
  return 1.1283791670955126 * z * p;
}

// erfc(z) for z ≥ 0.5: a Chebyshev fit of log(erfc(z)·eᶻ²/t) in t = 1/(1 + z/2) with relative error
// < 1.2e-7 (Press et al., Numerical Recipes §6.2), so the tail stays accurate where erfc is tiny.
fn erfc_tail(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(p - z * z);
}

// erfc(z) = 1 − erf(z) for any z. Together the two pieces are within 2e-7 of erf everywhere in f32.
fn erfc_any(z: f32) -> f32 {
  if (abs(z) < 0.5) { return 1.0 - erf_series(z); }
  if (z > 0.0) { return erfc_tail(z); }
  return 2.0 - erfc_tail(-z);
}

// Φ(v), the standard normal CDF, = ½·erfc(−v/√2): accurate relative to Φ in the lower tail too.
fn normal_cdf(v: f32) -> f32 {
  return 0.5 * erfc_any(-v * SQRT1_2);
}

// φ(v), the standard normal density.
fn normal_pdf(v: f32) -> f32 {
  return INV_SQRT_2PI * exp(-0.5 * v * v);
}

// eᵛ − 1 for v ≤ 0, keeping the relative accuracy of small |v| (WGSL has no expm1).
fn expm1_neg(v: f32) -> f32 {
  if (v > -1e-3) { return v * (1.0 + v * (0.5 + v / 6.0)); }
  return exp(v) - 1.0;
}

// ---- the activations --------------------------------------------------------------------------
fn act_f(v: f32, p: Params) -> f32 {
  // NaN in, NaN out (as PyTorch): min / max / comparisons would otherwise turn it into a number.
  if (is_nan(v)) { return v; }
  switch OP {
    case ACT_LEAKY_RELU: { return select(p.alpha * v, v, v > 0.0); }
    case ACT_ELU: { return select(p.alpha * expm1_neg(min(v, 0.0)), v, v > 0.0); }
    case ACT_GELU: { return v * normal_cdf(v); }
    case ACT_GELU_TANH: { return 0.5 * v * (1.0 + tanh_stable(GELU_K * (v + GELU_C * v * v * v))); }
    case ACT_SOFTPLUS: {
      let u = p.beta * v;
      if (u > p.threshold) { return v; }
      return (max(u, 0.0) + log1p_pos(exp(-abs(u)))) / p.beta;   // log(1 + eᵘ), stable
    }
    case ACT_SILU, default: { return v * sigmoid_stable(v); }
  }
}

// f'(v)
fn act_df(v: f32, p: Params) -> f32 {
  // At NaN, PyTorch's backward formulas take the branch their comparison (v > 0, v <= 0) leaves when it
  // is false: leaky ReLU's slope α, ELU's 1; the others compute NaN.
  if (is_nan(v)) {
    switch OP {
      case ACT_LEAKY_RELU: { return p.alpha; }
      case ACT_ELU: { return 1.0; }
      default: { return v; }
    }
  }
  switch OP {
    case ACT_LEAKY_RELU: { return select(p.alpha, 1.0, v > 0.0); }
    case ACT_ELU: { return select(p.alpha * exp(min(v, 0.0)), 1.0, v > 0.0); }
    case ACT_GELU: { return normal_cdf(v) + v * normal_pdf(v); }
    case ACT_GELU_TANH: {
      // u = k(v + c v³), t = tanh u:  f' = ½(1 + t) + ½ v (1 − t²) u'
      let t = tanh_stable(GELU_K * (v + GELU_C * v * v * v));
      let du = GELU_K * (1.0 + 3.0 * GELU_C * v * v);
      return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du;
    }
    case ACT_SOFTPLUS: {
      let u = p.beta * v;
      if (u > p.threshold) { return 1.0; }
      return sigmoid_stable(u);
    }
    case ACT_SILU, default: {
      let s = sigmoid_stable(v);
      return s * (1.0 + v * (1.0 - s));
    }
  }
}

// f''(v)
fn act_d2f(v: f32, p: Params) -> f32 {
  switch OP {
    case ACT_LEAKY_RELU: { return 0.0; }
    case ACT_ELU: { return select(p.alpha * exp(min(v, 0.0)), 0.0, v > 0.0); }
    case ACT_GELU: { return normal_pdf(v) * (2.0 - v * v); }
    case ACT_GELU_TANH: {
      // f'' = (1 − t²)·u' + ½ v (1 − t²)(u'' − 2 t u'²)
      let t = tanh_stable(GELU_K * (v + GELU_C * v * v * v));
      let s = 1.0 - t * t;
      let du = GELU_K * (1.0 + 3.0 * GELU_C * v * v);
      let d2u = GELU_K * 6.0 * GELU_C * v;
      return s * du + 0.5 * v * s * (d2u - 2.0 * t * du * du);
    }
    case ACT_SOFTPLUS: {
      let u = p.beta * v;
      if (u > p.threshold) { return 0.0; }
      let s = sigmoid_stable(u);
      return p.beta * s * (1.0 - s);
    }
    case ACT_SILU, default: {
      let s = sigmoid_stable(v);
      return s * (1.0 - s) * (2.0 + v * (1.0 - 2.0 * s));
    }
  }
}

// ---- entry points -----------------------------------------------------------------------------
fn x_at(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

fn dy_at(i: u32) -> f32 {
  if (DY_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

fn forward_at(i: u32) -> f32 { return act_f(x_at(i), fparams); }
fn backward_at(i: u32) -> f32 { return dy_at(i) * act_df(x_at(i), bparams); }
fn second_at(i: u32) -> f32 { return dy_at(i) * act_d2f(x_at(i), bparams); }

@compute @workgroup_size(256)
fn activation_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (Y_HALF) {                       // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= fparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < fparams.n) { hi = forward_at(i + 1u); }
    y[t] = half_pack(forward_at(i), hi);
    return;
  }
  if (t >= fparams.n) { return; }
  y[t] = bitcast<u32>(forward_at(t));
}

@compute @workgroup_size(256)
fn activation_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (DX_HALF) {
    let i = 2u * t;
    if (i >= bparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < bparams.n) { hi = backward_at(i + 1u); }
    dx[t] = half_pack(backward_at(i), hi);
    return;
  }
  if (t >= bparams.n) { return; }
  dx[t] = bitcast<u32>(backward_at(t));
}

@compute @workgroup_size(256)
fn activation_second_derivative(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (DX_HALF) {
    let i = 2u * t;
    if (i >= bparams.n) { return; }
    var hi = 0.0;
    if (i + 1u < bparams.n) { hi = second_at(i + 1u); }
    dx[t] = half_pack(second_at(i), hi);
    return;
  }
  if (t >= bparams.n) { return; }
  dx[t] = bitcast<u32>(second_at(t));
}
