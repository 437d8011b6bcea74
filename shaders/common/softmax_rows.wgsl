// common/softmax_rows.wgsl — the bindings and the per-row maths of softmax / log-softmax, shared by
// shaders/softmax.wgsl (one thread per row, and one workgroup per row with a tree reduction) and
// shaders/softmax_subgroup.wgsl (one workgroup per row with subgroup reductions), so the maths is
// written once. Each row_* function walks the elements r = first, first + step, … < R of one row of
// the [outer, R, inner] view; softmax.wgsl's header has the formulas.

override OP: u32 = 0u;
const OP_SOFTMAX = 0u;
const OP_LOG_SOFTMAX = 1u;

@group(0) @binding(0) var<storage, read> x: array<f32>;          // forward input   (outer, R, inner)
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // forward output  (outer, R, inner)
@group(0) @binding(0) var<storage, read> y_in: array<f32>;       // backward: the forward's output y
@group(0) @binding(1) var<storage, read> dy: array<f32>;         // backward: dL/dy (outer, R, inner)
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;   // backward: dL/dx (outer, R, inner)
struct Params { outer: u32, R: u32, inner: u32 }
@group(0) @binding(2) var<uniform> fparams: Params;   // forward
@group(0) @binding(3) var<uniform> bparams: Params;   // backward

const WG = 256u;        // threads per row in the workgroup kernels
const ROWS_WG = 64u;    // rows per workgroup in the _rows kernels

// Where row `o` starts in the [outer, R, inner] view.
fn row_base(o: u32, p: Params) -> u32 {
  return (o / p.inner) * p.R * p.inner + o % p.inner;
}

// ---- per-row maths: the elements r = first, first + step, … < R of the row at `base` ------------

// Forward sweep 1: max of x.
fn row_max(base: u32, R: u32, first: u32, step: u32) -> f32 {
  var m = -3.4028234663852886e38;
  for (var r = first; r < R; r += step) { m = max(m, x[base + r * fparams.inner]); }
  return m;
}

// Forward sweep 2: Σ e^(x − m).
fn row_sum_exp(base: u32, R: u32, m: f32, first: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var r = first; r < R; r += step) { s += exp(x[base + r * fparams.inner] - m); }
  return s;
}

// Forward output from the row's max m and Σ e^(x − m) = s.
fn row_write_forward(base: u32, R: u32, m: f32, s: f32, first: u32, step: u32) {
  if (OP == OP_LOG_SOFTMAX) {
    let logs = log(s);
    for (var r = first; r < R; r += step) {
      let i = base + r * fparams.inner;
      y[i] = x[i] - m - logs;
    }
  } else {
    let inv = 1.0 / s;
    for (var r = first; r < R; r += step) {
      let i = base + r * fparams.inner;
      y[i] = exp(x[i] - m) * inv;
    }
  }
}

// Backward sum: Σ dy·y (softmax) or Σ dy (log-softmax).
fn row_backward_sum(base: u32, R: u32, first: u32, step: u32) -> f32 {
  var acc = 0.0;
  for (var r = first; r < R; r += step) {
    let i = base + r * bparams.inner;
    acc += select(dy[i] * y_in[i], dy[i], OP == OP_LOG_SOFTMAX);
  }
  return acc;
}

// Backward output from the row's sum.
fn row_write_backward(base: u32, R: u32, total: f32, first: u32, step: u32) {
  for (var r = first; r < R; r += step) {
    let i = base + r * bparams.inner;
    if (OP == OP_LOG_SOFTMAX) {
      dx[i] = dy[i] - exp(y_in[i]) * total;
    } else {
      dx[i] = y_in[i] * (dy[i] - total);
    }
  }
}
