// norm.wgsl — group normalisation (torch.nn.functional.group_norm), instance normalisation
// (torch.nn.functional.instance_norm: one group per channel) and RMS normalisation
// (torch.nn.functional.rms_norm), forward and backward, in the style of layernorm.wgsl.
//
// One layout serves the three. x is viewed as (N, C, L): N samples, C channels, L positions per
// channel. Each sample's C channels fall into G groups of Cg = C / G channels, and a "row" is one
// (sample, group): the Cg·L contiguous values x[n, g·Cg … (g+1)·Cg − 1, :]. There are N·G rows; row
// r = n·G + g has the statistics mean[r], rstd[r]. Channel c has weight[c] and bias[c], and value j of
// row r belongs to channel c = g·Cg + j / L.
//   group_norm     (N, C, L = H·W·…, G = num_groups)
//   instance_norm  (N, C, L = H·W·…, G = C)
//   rms_norm       (N = the leading dims, C = the product of normalized_shape, L = 1, G = 1), CENTER = false
//
// The maths, row by row, with n = Cg·L values per row:
//   forward   mean = Σx / n (CENTER; for RMS mean = 0), rstd = 1 / √(Σ(x − mean)² / n + eps): the
//             biased variance, or the mean square for RMS (two sweeps, as in layernorm.wgsl).
//             y = (x − mean)·rstd·weight[c] + bias[c]. Saves mean (CENTER) and rstd.
//   backward  with xhat = (x − mean)·rstd and g = dy·weight[c], one sweep for (Σg, Σg·xhat) gives
//             dx = rstd·(g − mean(g) − xhat·mean(g·xhat))            (no mean(g) term for RMS)
//   params    dweight[c] = Σ dy·xhat and dbias[c] = Σ dy over the N·L values of channel c, each read
//             with the statistics of its own row.
//   running   instance_norm's running statistics, per channel over the N samples (as torch: each
//             instance updates a copy, and the copies are averaged):
//             running_mean' = (1 − momentum)·running_mean + momentum·mean_n(mean)
//             running_var'  = (1 − momentum)·running_var  + momentum·mean_n(var)·L/(L − 1)   (unbiased)
//             with var = 1/rstd² − eps recovered from the saved rstd.
//
// norm_forward                    one workgroup of 256 threads per row (grid folded into 2-D past 65535
// norm_backward                   rows). Thread lid walks j = lid, lid + 256, …; tree reductions in
//                                 workgroup memory (common/reduce.wgsl) combine the partial sums.
// norm_forward_rows               one thread per row walking all of it: no workgroup memory, no barrier.
// norm_backward_rows              For short rows and, on software adapters, many rows (the 'normRows'
//                                 rule of src/ops/kernel-rules.ts); the host decides.
// norm_backward_params            one workgroup per channel: thread lid walks the channel's values
//                                 i = lid, lid + 256, … of the N·L (sample, position) pairs — adjacent
//                                 threads read adjacent positions — and one tree adds (Σ dy·xhat, Σ dy).
// norm_backward_params_channels   one thread per channel walking all its values (adjacent threads read
//                                 adjacent channels, which for L = 1 — RMS — are adjacent in memory).
//                                 For channels of few values and, on software adapters, many channels
//                                 (the 'normChannels' rule).
// norm_running                    one thread per channel: the running statistics above.
// CENTER (pipeline constant) is false for RMS: no mean is computed, written or read (the host binds a
// placeholder). HAS_WEIGHT / HAS_BIAS say whether weight / bias exist; when they do not, the host binds
// the input in their place and the kernel never reads it.

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/row_moments.wgsl"

override CENTER: bool = true;
override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

@group(0) @binding(0) var<storage, read> x: array<f32>;                   // (N, C, L)
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;          // forward: (N·G) saved mean
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;          // forward: (N·G) saved 1/std
@group(0) @binding(3) var<storage, read_write> y: array<f32>;             // forward: (N, C, L)
@group(0) @binding(4) var<storage, read> weight: array<f32>;              // (C)
@group(0) @binding(5) var<storage, read> bias: array<f32>;                // (C)
@group(0) @binding(1) var<storage, read> saved_mean: array<f32>;          // backward, running: (N·G)
@group(0) @binding(2) var<storage, read> saved_rstd: array<f32>;          // backward, running: (N·G)
@group(0) @binding(3) var<storage, read> dy: array<f32>;                  // backward: (N, C, L) incoming gradient
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;            // backward: (N, C, L)
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>;       // backward_params: (C)
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;         // backward_params: (C)
@group(0) @binding(3) var<storage, read> running_mean: array<f32>;        // running: (C)
@group(0) @binding(4) var<storage, read> running_var: array<f32>;         // running: (C)
@group(0) @binding(5) var<storage, read_write> new_running_mean: array<f32>; // running: (C)
@group(0) @binding(7) var<storage, read_write> new_running_var: array<f32>;  // running: (C)
struct Params { N: u32, C: u32, L: u32, G: u32, eps: f32 }
struct RunningParams { N: u32, C: u32, L: u32, eps: f32, momentum: f32 }
@group(0) @binding(6) var<uniform> params: Params;
@group(0) @binding(6) var<uniform> rparams: RunningParams;

const WG = 256u;        // threads per row (channel) in the workgroup kernels
const ROWS_WG = 64u;    // rows (channels) per workgroup in the _rows (_channels) kernels

// ---- the layout -----------------------------------------------------------------------------------

// Values per row: Cg·L.
fn row_len() -> u32 {
  return (params.C / params.G) * params.L;
}

// The channel of value j of row `row`.
fn channel_of(row: u32, j: u32) -> u32 {
  return (row % params.G) * (params.C / params.G) + j / params.L;
}

// ---- per-row maths: the values j = first, first + step, … < n of the row starting at `base` -------

// The forward sweeps Σx and Σ(x − m)², row_sum and row_sq_dev, are in common/row_moments.wgsl.

// rstd from the row's Σ (x − mean)² and its length n.
fn rstd_of(sq_dev: f32, n: f32) -> f32 {
  return 1.0 / sqrt(sq_dev / n + params.eps);
}

// Forward output from the row's mean m and rstd r.
fn row_write_forward(row: u32, base: u32, n: u32, m: f32, r: f32, first: u32, step: u32) {
  for (var j = first; j < n; j += step) {
    var o = (x[base + j] - m) * r;
    let c = channel_of(row, j);
    if (HAS_WEIGHT) { o *= weight[c]; }
    if (HAS_BIAS) { o += bias[c]; }
    y[base + j] = o;
  }
}

// (g, xhat) = (dy·weight, (x − m)·r) at value j of the row.
fn grad_terms(row: u32, base: u32, j: u32, m: f32, r: f32) -> vec2f {
  var g = dy[base + j];
  if (HAS_WEIGHT) { g *= weight[channel_of(row, j)]; }
  return vec2f(g, (x[base + j] - m) * r);
}

// Backward sweep: (Σ g, Σ g·xhat).
fn row_grad_sums(row: u32, base: u32, n: u32, m: f32, r: f32, first: u32, step: u32) -> vec2f {
  var acc = vec2f(0.0);
  for (var j = first; j < n; j += step) {
    let t = grad_terms(row, base, j, m, r);
    acc += vec2f(t.x, t.x * t.y);
  }
  return acc;
}

// Backward output: dx from the row's (mean of g, mean of g·xhat); mean of g is 0 for RMS.
fn row_write_backward(row: u32, base: u32, n: u32, m: f32, r: f32, means: vec2f, first: u32, step: u32) {
  var a = means.x;
  if (!CENTER) { a = 0.0; }
  for (var j = first; j < n; j += step) {
    let t = grad_terms(row, base, j, m, r);
    dx[base + j] = r * (t.x - a - t.y * means.y);
  }
}

// The saved statistics of a row for the backward (mean 0 for RMS).
fn saved_stats(row: u32) -> vec2f {
  var m = 0.0;
  if (CENTER) { m = saved_mean[row]; }
  return vec2f(m, saved_rstd[row]);
}

// ---- one workgroup per row ----------------------------------------------------------------------

@compute @workgroup_size(256)
fn norm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < params.N * params.G;          // the same for the whole workgroup
  let len = row_len();
  let n = select(0u, len, valid);
  let base = row * len;
  var m = 0.0;
  if (CENTER) { m = workgroup_sum(row_sum(base, n, lid, WG), lid, WG) / f32(len); }
  let r = rstd_of(workgroup_sum(row_sq_dev(base, n, m, lid, WG), lid, WG), f32(len));
  row_write_forward(row, base, n, m, r, lid, WG);
  if (lid == 0u && valid) {
    if (CENTER) { mean[row] = m; }
    rstd[row] = r;
  }
}

@compute @workgroup_size(256)
fn norm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < params.N * params.G;
  let len = row_len();
  let n = select(0u, len, valid);
  let base = row * len;
  var s = vec2f(0.0);
  if (valid) { s = saved_stats(row); }
  let sums = workgroup_sum4(vec4f(row_grad_sums(row, base, n, s.x, s.y, lid, WG), 0.0, 0.0), lid, WG).xy;
  row_write_backward(row, base, n, s.x, s.y, sums / f32(len), lid, WG);
}

// ---- one thread per row -------------------------------------------------------------------------

@compute @workgroup_size(64)
fn norm_forward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = grid_index(gid, nwg, ROWS_WG);
  if (row >= params.N * params.G) { return; }
  let n = row_len();
  let base = row * n;
  var m = 0.0;
  if (CENTER) { m = row_sum(base, n, 0u, 1u) / f32(n); }
  let r = rstd_of(row_sq_dev(base, n, m, 0u, 1u), f32(n));
  row_write_forward(row, base, n, m, r, 0u, 1u);
  if (CENTER) { mean[row] = m; }
  rstd[row] = r;
}

@compute @workgroup_size(64)
fn norm_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = grid_index(gid, nwg, ROWS_WG);
  if (row >= params.N * params.G) { return; }
  let n = row_len();
  let base = row * n;
  let s = saved_stats(row);
  row_write_backward(row, base, n, s.x, s.y, row_grad_sums(row, base, n, s.x, s.y, 0u, 1u) / f32(n), 0u, 1u);
}

// ---- dweight, dbias -----------------------------------------------------------------------------

// (Σ dy·xhat, Σ dy) over the values i = first, first + step, … < N·L of channel c (i = n·L + l).
fn channel_sums(c: u32, first: u32, step: u32) -> vec2f {
  let L = params.L;
  let Cg = params.C / params.G;
  var acc = vec2f(0.0);
  for (var i = first; i < params.N * L; i += step) {
    let n = i / L;
    let at = (n * params.C + c) * L + i % L;
    let s = saved_stats(n * params.G + c / Cg);
    let d = dy[at];
    acc += vec2f(d * (x[at] - s.x) * s.y, d);
  }
  return acc;
}

@compute @workgroup_size(256)
fn norm_backward_params(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  let valid = c < params.C;                       // the same for the whole workgroup
  var part = vec2f(0.0);
  if (valid) { part = channel_sums(c, lid, WG); }
  let sums = workgroup_sum4(vec4f(part, 0.0, 0.0), lid, WG);
  if (lid == 0u && valid) {
    dweight[c] = sums.x;
    dbias[c] = sums.y;
  }
}

@compute @workgroup_size(64)
fn norm_backward_params_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, ROWS_WG);
  if (c >= params.C) { return; }
  let sums = channel_sums(c, 0u, 1u);
  dweight[c] = sums.x;
  dbias[c] = sums.y;
}

// ---- instance norm's running statistics ---------------------------------------------------------

@compute @workgroup_size(64)
fn norm_running(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, ROWS_WG);
  if (c >= rparams.C) { return; }
  var sum_mean = 0.0;
  var sum_var = 0.0;
  for (var n = 0u; n < rparams.N; n++) {
    let row = n * rparams.C + c;                  // one group per channel: row (n, c)
    let r = saved_rstd[row];
    sum_mean += saved_mean[row];
    sum_var += 1.0 / (r * r) - rparams.eps;
  }
  let N = f32(rparams.N);
  let L = f32(rparams.L);
  let m = rparams.momentum;
  new_running_mean[c] = (1.0 - m) * running_mean[c] + m * sum_mean / N;
  new_running_var[c] = (1.0 - m) * running_var[c] + m * (sum_var / N) * L / (L - 1.0);
}
