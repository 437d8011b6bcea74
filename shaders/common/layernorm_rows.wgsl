// common/layernorm_rows.wgsl — the bindings and the per-row maths of layer normalisation, shared by
// shaders/layernorm.wgsl (one thread per row, one workgroup per row with tree reductions, and the
// dweight / dbias column kernels) and shaders/layernorm_subgroup.wgsl (one workgroup per row with
// subgroup reductions), so the maths is written once. layernorm.wgsl's header has the formulas.
//
// Half-precision storage (compile's precision: 'mixed'): x, y, dy and dx are array<u32>, each holding
// f32 bits, or f16 pairs (common/half.wgsl) where its *_HALF override is true; mean, rstd, weight,
// bias, dweight and dbias are always f32, and so is every sum. Reads go through x_at / dy_at. An f16
// y or dx is written a word (two neighbouring elements) at a time by one thread, walking the words
// w = first, first + step, … of the row; the host asks for it only where no word holds two rows'
// elements (C even, or one row: src/ops/kernel-rules.ts, halfRowsOwnWords).
// (The forward's two sweeps are those of common/row_moments.wgsl, which norm.wgsl includes, written
// here over x_at.)

// #include "common/half.wgsl"

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;
override X_HALF: bool = false;
override Y_HALF: bool = false;
override DY_HALF: bool = false;
override DX_HALF: bool = false;

@group(0) @binding(0) var<storage, read> x: array<u32>;               // (rows, C)
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;      // forward: (rows) saved mean
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;      // forward: (rows) saved 1/std
@group(0) @binding(3) var<storage, read_write> y: array<u32>;         // forward: (rows, C)
@group(0) @binding(4) var<storage, read> weight: array<f32>;          // (C)
@group(0) @binding(5) var<storage, read> bias: array<f32>;            // (C)
@group(0) @binding(1) var<storage, read> saved_mean: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(2) var<storage, read> saved_rstd: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(3) var<storage, read> dy: array<u32>;              // backward: (rows, C) incoming gradient
@group(0) @binding(5) var<storage, read_write> dx: array<u32>;        // backward: (rows, C)
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>;   // backward_params: (C)
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;     // backward_params: (C)
struct ForwardParams { rows: u32, C: u32, eps: f32 }
struct BackwardParams { rows: u32, C: u32 }
@group(0) @binding(6) var<uniform> fparams: ForwardParams;
@group(0) @binding(6) var<uniform> bparams: BackwardParams;

const WG = 256u;        // threads per row in the workgroup kernels
const ROWS_WG = 64u;    // rows (columns) per workgroup in the _rows (_cols) kernels

fn x_at(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

fn dy_at(i: u32) -> f32 {
  if (DY_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

// ---- per-row maths: the elements c = first, first + step, … < C of the row starting at `base` ----

// Forward sweep 1: Σ x.
fn row_sum(base: u32, n: u32, first: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var j = first; j < n; j += step) { s += x_at(base + j); }
  return s;
}

// Forward sweep 2: Σ (x − m)².
fn row_sq_dev(base: u32, n: u32, m: f32, first: u32, step: u32) -> f32 {
  var v = 0.0;
  for (var j = first; j < n; j += step) {
    let d = x_at(base + j) - m;
    v += d * d;
  }
  return v;
}

// The forward output at column c of the row, from its mean m and rstd r.
fn forward_value(base: u32, c: u32, m: f32, r: f32) -> f32 {
  var o = (x_at(base + c) - m) * r;
  if (HAS_WEIGHT) { o *= weight[c]; }
  if (HAS_BIAS) { o += bias[c]; }
  return o;
}

// Forward output from the row's mean m and rstd r.
fn row_write_forward(base: u32, C: u32, m: f32, r: f32, first: u32, step: u32) {
  if (Y_HALF) {
    // Word w of the row holds its columns 2w and 2w + 1 (odd C, one row: the last word's upper half
    // is padding, 0).
    for (var w = first; w < (C + 1u) / 2u; w += step) {
      let c = 2u * w;
      var hi = 0.0;
      if (c + 1u < C) { hi = forward_value(base, c + 1u, m, r); }
      y[(base + c) >> 1u] = half_pack(forward_value(base, c, m, r), hi);
    }
  } else {
    for (var c = first; c < C; c += step) {
      y[base + c] = bitcast<u32>(forward_value(base, c, m, r));
    }
  }
}

// (g, xhat) = (dy·weight, (x − m)·r) at column c of the row.
fn grad_terms(base: u32, c: u32, m: f32, r: f32) -> vec2f {
  var g = dy_at(base + c);
  if (HAS_WEIGHT) { g *= weight[c]; }
  return vec2f(g, (x_at(base + c) - m) * r);
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

// The backward output at column c of the row, from its (mean of g, mean of g·xhat).
fn backward_value(base: u32, c: u32, m: f32, r: f32, means: vec2f) -> f32 {
  let t = grad_terms(base, c, m, r);
  return r * (t.x - means.x - t.y * means.y);
}

// Backward output: dx from the row's (mean of g, mean of g·xhat).
fn row_write_backward(base: u32, C: u32, m: f32, r: f32, means: vec2f, first: u32, step: u32) {
  if (DX_HALF) {
    // A word (two neighbouring columns) at a time, as row_write_forward.
    for (var w = first; w < (C + 1u) / 2u; w += step) {
      let c = 2u * w;
      var hi = 0.0;
      if (c + 1u < C) { hi = backward_value(base, c + 1u, m, r, means); }
      dx[(base + c) >> 1u] = half_pack(backward_value(base, c, m, r, means), hi);
    }
  } else {
    for (var c = first; c < C; c += step) {
      dx[base + c] = bitcast<u32>(backward_value(base, c, m, r, means));
    }
  }
}

// rstd from the row's Σ (x − mean)² and its length n.
fn rstd_of(sq_dev: f32, n: f32) -> f32 {
  return 1.0 / sqrt(sq_dev / n + fparams.eps);
}
