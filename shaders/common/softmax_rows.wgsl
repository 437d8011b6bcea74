// common/softmax_rows.wgsl — the bindings and the per-row maths of softmax / log-softmax, shared by
// shaders/softmax.wgsl (one thread per row, and one workgroup per row with a tree reduction) and
// shaders/softmax_subgroup.wgsl (one workgroup per row with subgroup reductions), so the maths is
// written once. Each row_* function walks the elements r = first, first + step, … < R of one row of
// the [outer, R, inner] view; softmax.wgsl's header has the formulas.
//
// Half-precision storage (compile's precision: 'mixed'): x, y, y_in, dy and dx are array<u32>, each
// holding f32 bits, or f16 pairs (common/half.wgsl) where its *_HALF override is true; the maths is f32
// either way (the max and the sums too). Reads go through x_at / y_in_at / dy_at. An f16 output is
// written a word (two neighbouring elements) at a time by one thread, walking the words k = first,
// first + step, … of the row; the host asks for it only where no word holds two rows' elements (the
// axis is the last one, and R is even or there is one row: src/ops/kernel-rules.ts, halfRowsOwnWords).

// #include "common/half.wgsl"

override OP: u32 = 0u;
const OP_SOFTMAX = 0u;
const OP_LOG_SOFTMAX = 1u;
override X_HALF: bool = false;
override Y_HALF: bool = false;
override Y_IN_HALF: bool = false;
override DY_HALF: bool = false;
override DX_HALF: bool = false;

@group(0) @binding(0) var<storage, read> x: array<u32>;          // forward input   (outer, R, inner)
@group(0) @binding(1) var<storage, read_write> y: array<u32>;    // forward output  (outer, R, inner)
@group(0) @binding(0) var<storage, read> y_in: array<u32>;       // backward: the forward's output y
@group(0) @binding(1) var<storage, read> dy: array<u32>;         // backward: dL/dy (outer, R, inner)
@group(0) @binding(2) var<storage, read_write> dx: array<u32>;   // backward: dL/dx (outer, R, inner)
struct Params { outer: u32, R: u32, inner: u32 }
@group(0) @binding(2) var<uniform> fparams: Params;   // forward
@group(0) @binding(3) var<uniform> bparams: Params;   // backward

const WG = 256u;        // threads per row in the workgroup kernels
const ROWS_WG = 64u;    // rows per workgroup in the _rows kernels

fn x_at(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

fn y_in_at(i: u32) -> f32 {
  if (Y_IN_HALF) { return half_at(y_in[i >> 1u], i); }
  return bitcast<f32>(y_in[i]);
}

fn dy_at(i: u32) -> f32 {
  if (DY_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

// Where row `o` starts in the [outer, R, inner] view.
fn row_base(o: u32, p: Params) -> u32 {
  return (o / p.inner) * p.R * p.inner + o % p.inner;
}

// ---- per-row maths: the elements r = first, first + step, … < R of the row at `base` ------------

// Forward sweep 1: max of x.
fn row_max(base: u32, R: u32, first: u32, step: u32) -> f32 {
  var m = -3.4028234663852886e38;
  for (var r = first; r < R; r += step) { m = max(m, x_at(base + r * fparams.inner)); }
  return m;
}

// Forward sweep 2: Σ e^(x − m).
fn row_sum_exp(base: u32, R: u32, m: f32, first: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var r = first; r < R; r += step) { s += exp(x_at(base + r * fparams.inner) - m); }
  return s;
}

// The forward output at element i, from the row's max m and k = log s (log-softmax) or 1 / s (softmax).
fn forward_value(i: u32, m: f32, k: f32) -> f32 {
  if (OP == OP_LOG_SOFTMAX) { return x_at(i) - m - k; }
  return exp(x_at(i) - m) * k;
}

// Forward output from the row's max m and Σ e^(x − m) = s.
fn row_write_forward(base: u32, R: u32, m: f32, s: f32, first: u32, step: u32) {
  var k = 1.0 / s;
  if (OP == OP_LOG_SOFTMAX) { k = log(s); }
  if (Y_HALF) {
    // Word w of the row holds its elements 2w and 2w + 1 (a row of odd length: the last word's
    // upper half is padding, 0).
    for (var w = first; w < (R + 1u) / 2u; w += step) {
      let i = base + 2u * w;
      var hi = 0.0;
      if (2u * w + 1u < R) { hi = forward_value(i + 1u, m, k); }
      y[i >> 1u] = half_pack(forward_value(i, m, k), hi);
    }
  } else {
    for (var r = first; r < R; r += step) {
      let i = base + r * fparams.inner;
      y[i] = bitcast<u32>(forward_value(i, m, k));
    }
  }
}

// Backward sum: Σ dy·y (softmax) or Σ dy (log-softmax).
fn row_backward_sum(base: u32, R: u32, first: u32, step: u32) -> f32 {
  var acc = 0.0;
  for (var r = first; r < R; r += step) {
    let i = base + r * bparams.inner;
    if (OP == OP_LOG_SOFTMAX) {
      acc += dy_at(i);
    } else {
      acc += dy_at(i) * y_in_at(i);
    }
  }
  return acc;
}

// The backward output at element i from the row's sum.
fn backward_value(i: u32, total: f32) -> f32 {
  if (OP == OP_LOG_SOFTMAX) { return dy_at(i) - exp(y_in_at(i)) * total; }
  return y_in_at(i) * (dy_at(i) - total);
}

// Backward output from the row's sum.
fn row_write_backward(base: u32, R: u32, total: f32, first: u32, step: u32) {
  if (DX_HALF) {
    // A word (two neighbouring elements) at a time, as row_write_forward.
    for (var w = first; w < (R + 1u) / 2u; w += step) {
      let i = base + 2u * w;
      var hi = 0.0;
      if (2u * w + 1u < R) { hi = backward_value(i + 1u, total); }
      dx[i >> 1u] = half_pack(backward_value(i, total), hi);
    }
  } else {
    for (var r = first; r < R; r += step) {
      let i = base + r * bparams.inner;
      dx[i] = bitcast<u32>(backward_value(i, total));
    }
  }
}
