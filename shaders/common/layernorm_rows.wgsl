// common/layernorm_rows.wgsl — the bindings and the per-row maths of layer normalisation, shared by
// shaders/layernorm.wgsl (one thread per row, one workgroup per row with tree reductions, and the
// dweight / dbias column kernels) and shaders/layernorm_subgroup.wgsl (one workgroup per row with
// subgroup reductions), so the maths is written once. layernorm.wgsl's header has the formulas.
// Includes common/row_moments.wgsl (the forward's two sweeps).

// #include "common/row_moments.wgsl"

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

@group(0) @binding(0) var<storage, read> x: array<f32>;               // (rows, C)
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;      // forward: (rows) saved mean
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;      // forward: (rows) saved 1/std
@group(0) @binding(3) var<storage, read_write> y: array<f32>;         // forward: (rows, C)
@group(0) @binding(4) var<storage, read> weight: array<f32>;          // (C)
@group(0) @binding(5) var<storage, read> bias: array<f32>;            // (C)
@group(0) @binding(1) var<storage, read> saved_mean: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(2) var<storage, read> saved_rstd: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(3) var<storage, read> dy: array<f32>;              // backward: (rows, C) incoming gradient
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;        // backward: (rows, C)
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>;   // backward_params: (C)
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;     // backward_params: (C)
struct ForwardParams { rows: u32, C: u32, eps: f32 }
struct BackwardParams { rows: u32, C: u32 }
@group(0) @binding(6) var<uniform> fparams: ForwardParams;
@group(0) @binding(6) var<uniform> bparams: BackwardParams;

const WG = 256u;        // threads per row in the workgroup kernels
const ROWS_WG = 64u;    // rows (columns) per workgroup in the _rows (_cols) kernels

// ---- per-row maths: the elements c = first, first + step, … < C of the row starting at `base` ----

// The forward sweeps Σx and Σ(x − m)², row_sum and row_sq_dev, are in common/row_moments.wgsl.

// Forward output from the row's mean m and rstd r.
fn row_write_forward(base: u32, C: u32, m: f32, r: f32, first: u32, step: u32) {
  for (var c = first; c < C; c += step) {
    var o = (x[base + c] - m) * r;
    if (HAS_WEIGHT) { o *= weight[c]; }
    if (HAS_BIAS) { o += bias[c]; }
    y[base + c] = o;
  }
}

// (g, xhat) = (dy·weight, (x − m)·r) at column c of the row.
fn grad_terms(base: u32, c: u32, m: f32, r: f32) -> vec2f {
  var g = dy[base + c];
  if (HAS_WEIGHT) { g *= weight[c]; }
  return vec2f(g, (x[base + c] - m) * r);
}

// Backward sweep: (Σ g, Σ g·xhat).
fn row_grad_sums(base: u32, C: u32, m: f32, r: f32, first: u32, step: u32) -> vec2f {
  var acc = vec2f(0.0);
  for (var c = first; c < C; c += step) {
    let t = grad_terms(base, c, m, r);
    acc += vec2f(t.x, t.x * t.y);
  }
  return acc;
}

// Backward output: dx from the row's (mean of g, mean of g·xhat).
fn row_write_backward(base: u32, C: u32, m: f32, r: f32, means: vec2f, first: u32, step: u32) {
  for (var c = first; c < C; c += step) {
    let t = grad_terms(base, c, m, r);
    dx[base + c] = r * (t.x - means.x - t.y * means.y);
  }
}

// rstd from the row's Σ (x − mean)² and its length n.
fn rstd_of(sq_dev: f32, n: f32) -> f32 {
  return 1.0 / sqrt(sq_dev / n + fparams.eps);
}
