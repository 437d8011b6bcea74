// batchnorm.wgsl — batch normalisation over the channel dimension (torch.nn.functional.batch_norm),
// forward and backward.
//
// Layout: x is viewed as (N, C, L) with L = the product of the dimensions after C (H·W for 2-d,
// L for [N, C, L], 1 for [N, C]). Channel c owns the M = N·L values x[n, c, l].
//
//   training  mean[c] = (1/M) Σ x        var[c] = (1/M) Σ (x − mean)²   (biased, used to normalise)
//             rstd[c] = 1 / sqrt(var + eps)
//             y = (x − mean) · rstd · weight[c] + bias[c]
//             running_mean' = (1 − m) · running_mean + m · mean
//             running_var'  = (1 − m) · running_var  + m · var · M / (M − 1)   (unbiased)
//   eval      y = (x − running_mean) / sqrt(running_var + eps) · weight + bias
//   backward  (training; x̂ = (x − mean) · rstd, g = dy)
//             dbias[c] = Σ g        dweight[c] = Σ g · x̂
//             dx = weight · rstd · (g − dbias / M − x̂ · dweight / M)
//
// The per-channel sweeps (the channel_* functions) walk the values first, first + step, … of one
// channel, so that two work splits share them: one workgroup of 256 threads per channel (thread lid
// walks lid, lid + 256, …; tree reductions in workgroup memory combine the partial sums), and one
// thread per channel walking all of it (the _channels kernels: no workgroup memory, no barrier — for
// short channels, M ≤ 64, where most of a workgroup would idle, and on software adapters, where a
// barrier switches every invocation of the workgroup, given at least 4 channels; the host decides).
//
// Entry points (weight and bias are optional: HAS_WEIGHT / HAS_BIAS = false leaves the binding unread):
//   batchnorm_stats            one workgroup of 256 threads per channel. Sweep 1 sums x (tree
//                              reduction in workgroup memory) → mean; sweep 2 sums (x − mean)² → var.
//                              Writes mean, rstd and var (the two-sweep form avoids the cancellation
//                              of E[x²] − E[x]²).
//   batchnorm_stats_channels   the same with one thread per channel.
//   batchnorm_normalize        one thread per element (256 per workgroup, 2-D grid when large):
//                              y = (x − mean) / sqrt(var + eps) · weight + bias. With batchnorm_stats
//                              it is the two-kernel training forward; with the running statistics
//                              bound as mean and var it is the whole eval forward.
//   batchnorm_forward          fused training forward: batchnorm_stats plus a third sweep of the same
//                              workgroup writing y — one dispatch instead of two, and the third read
//                              of a channel's values usually hits the cache. Parallelism is one
//                              workgroup per channel, so the host picks it when there are many
//                              channels or few values per channel, and always with one thread per
//                              channel.
//   batchnorm_forward_channels the same with one thread per channel.
//   batchnorm_running          one thread per channel: the running-statistics update from mean, var.
//   batchnorm_running_cumulative  the same with the factor 1 / num_batches_tracked (torch's
//                              momentum=None, a cumulative moving average) read from `tracked`.
//   batchnorm_backward_reduce  one workgroup per channel: dbias = Σ g, dweight = Σ g · x̂.
//   batchnorm_backward_reduce_channels  the same with one thread per channel.
//   batchnorm_backward_dx      one thread per element: dx from the two sums.
//   batchnorm_backward         fused: both sums, then dx, in one workgroup per channel.
//   batchnorm_backward_channels  the same with one thread per channel.
// Per-channel kernels fold grids over 65535 workgroups into 2-D (channel = wid.x + wid.y · nwg.x, or
// gid.x + gid.y · nwg.x · 64 for the _channels kernels); a workgroup past the last channel runs the
// same barriers and writes nothing.
//
// Half-precision storage (compile's precision: 'mixed', common/half.wgsl): x, dy and the outputs y
// (y_norm) and dx are bound as u32 words and may hold f16 values (two per word), chosen by X_HALF,
// DY_HALF (read), Y_HALF and DX_HALF (written); the statistics, weight, bias, running statistics and
// the sums stay f32, and arithmetic is f32. Writes are whole words: the one-thread-per-element
// kernels (batchnorm_normalize, batchnorm_backward_dx) then run one thread per word (elements 2t and
// 2t + 1, each with its own channel); the per-channel kernels writing y or dx (batchnorm_forward*,
// batchnorm_backward, _channels) walk their channel's values in pairs, which are whole words only when
// L is even (a channel's runs of L values then start at even indices): the host takes the split
// kernels for an odd L.

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/half.wgsl"

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;
override X_HALF: bool = false;    // x holds f16 values
override DY_HALF: bool = false;   // dy holds f16 values
override Y_HALF: bool = false;    // write y (y_norm) as f16, whole words
override DX_HALF: bool = false;   // write dx as f16, whole words

// forward: batchnorm_stats (0-4), batchnorm_forward (0-7), batchnorm_normalize (0-6)
@group(0) @binding(0) var<storage, read> x: array<u32>;                  // (N, C, L), f32 or f16 (X_HALF)
struct Params { N: u32, C: u32, L: u32, eps: f32 }
@group(0) @binding(1) var<uniform> params: Params;                       // every kernel but _running
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;         // (C)
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;         // (C)
@group(0) @binding(4) var<storage, read_write> var_b: array<f32>;        // (C) biased variance
@group(0) @binding(5) var<storage, read> weight: array<f32>;             // (C)
@group(0) @binding(6) var<storage, read> bias: array<f32>;               // (C)
@group(0) @binding(7) var<storage, read_write> y: array<u32>;            // (N, C, L) batchnorm_forward, f32 or f16 (Y_HALF)
@group(0) @binding(2) var<storage, read> stat_mean: array<f32>;          // (C) batch or running mean
@group(0) @binding(3) var<storage, read> stat_var: array<f32>;           // (C) batch or running variance
@group(0) @binding(4) var<storage, read_write> y_norm: array<u32>;       // (N, C, L) batchnorm_normalize, f32 or f16 (Y_HALF)

// batchnorm_running, batchnorm_running_cumulative (stat_mean, stat_var at 2, 3 as above)
@group(0) @binding(0) var<storage, read> running_mean: array<f32>;       // (C)
struct RunningParams { C: u32, momentum: f32, unbias: f32 }              // unbias = M / (M − 1)
@group(0) @binding(1) var<uniform> rparams: RunningParams;
@group(0) @binding(4) var<storage, read_write> new_running_mean: array<f32>; // (C)
@group(0) @binding(5) var<storage, read> running_var: array<f32>;        // (C)
@group(0) @binding(6) var<storage, read_write> new_running_var: array<f32>;  // (C)
@group(0) @binding(7) var<storage, read> tracked: array<i32>;            // [1] num_batches_tracked, _cumulative only

// backward: batchnorm_backward_reduce (0-6), batchnorm_backward (0-8), batchnorm_backward_dx (0-8);
// x and params at 0, 1 and the saved mean as stat_mean at 2, as above
@group(0) @binding(3) var<storage, read> stat_rstd: array<f32>;          // (C) saved rstd
@group(0) @binding(4) var<storage, read> dy: array<u32>;                 // (N, C, L), f32 or f16 (DY_HALF)
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;      // (C) Σ dy · x̂
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;        // (C) Σ dy
@group(0) @binding(5) var<storage, read> sum_dy_xhat: array<f32>;        // (C) dweight, read by _dx
@group(0) @binding(6) var<storage, read> sum_dy: array<f32>;             // (C) dbias, read by _dx
@group(0) @binding(7) var<storage, read> weight_b: array<f32>;           // (C)
@group(0) @binding(8) var<storage, read_write> dx: array<u32>;           // (N, C, L), f32 or f16 (DX_HALF)

const WG = 256u;

// Element i of x / dy as f32, whichever storage they have.
fn x_load(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}
fn dy_load(i: u32) -> f32 {
  if (DY_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

// Flat index of the m-th value (m = n·L + l) of channel c.
fn at(c: u32, m: u32) -> u32 {
  let n = m / params.L;
  let l = m - n * params.L;
  return (n * params.C + c) * params.L + l;
}

fn weight_of(c: u32) -> f32 {
  if (HAS_WEIGHT) { return weight[c]; }
  return 1.0;
}

fn bias_of(c: u32) -> f32 {
  if (HAS_BIAS) { return bias[c]; }
  return 0.0;
}

// ---- per-channel maths: the values m = first, first + step, … of channel c, below `count` for the
// sums (0 in a padding workgroup) and below M = N·L for the writes ---------------------------------

// Σ x.
fn channel_sum(c: u32, count: u32, first: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var m = first; m < count; m += step) { s += x_load(at(c, m)); }
  return s;
}

// Σ (x − mu)².
fn channel_sq_dev(c: u32, count: u32, mu: f32, first: u32, step: u32) -> f32 {
  var q = 0.0;
  for (var m = first; m < count; m += step) {
    let d = x_load(at(c, m)) - mu;
    q += d * d;
  }
  return q;
}

// y = (x − mean) · rstd · weight + bias from st = the channel's (mean, rstd).
fn channel_write_y(c: u32, st: vec2f, first: u32, step: u32) {
  let a = st.y * weight_of(c);
  let b = bias_of(c);
  let M = params.N * params.L;
  if (Y_HALF) {
    // L even: values 2q and 2q + 1 of the channel are neighbours, the two halves of one word.
    for (var q = first; q < M / 2u; q += step) {
      let i = at(c, 2u * q);
      y[i >> 1u] = half_pack((x_load(i) - st.x) * a + b, (x_load(i + 1u) - st.x) * a + b);
    }
    return;
  }
  for (var m = first; m < M; m += step) {
    let i = at(c, m);
    y[i] = bitcast<u32>((x_load(i) - st.x) * a + b);
  }
}

// (Σ g, Σ g · x̂) with the saved mean and rstd.
fn channel_grad_sums(c: u32, count: u32, first: u32, step: u32) -> vec2f {
  if (count == 0u) { return vec2f(0.0); }   // a padding workgroup: c is past the last channel
  var sg = 0.0;
  var sgx = 0.0;
  let mu = stat_mean[c];
  let r = stat_rstd[c];
  for (var m = first; m < count; m += step) {
    let i = at(c, m);
    let g = dy_load(i);
    sg += g;
    sgx += g * (x_load(i) - mu) * r;
  }
  return vec2f(sg, sgx);
}

// dx from the channel's sums (Σ g, Σ g · x̂).
fn channel_write_dx(c: u32, sums: vec2f, first: u32, step: u32) {
  let M = params.N * params.L;
  let inv_m = 1.0 / f32(M);
  let mu = stat_mean[c];
  let r = stat_rstd[c];
  let k = weight_b_of(c) * r;
  if (DX_HALF) {
    // L even: values 2q and 2q + 1 of the channel are the two halves of one word.
    for (var q = first; q < M / 2u; q += step) {
      let i = at(c, 2u * q);
      let lo = k * (dy_load(i) - sums.x * inv_m - (x_load(i) - mu) * r * sums.y * inv_m);
      let hi = k * (dy_load(i + 1u) - sums.x * inv_m - (x_load(i + 1u) - mu) * r * sums.y * inv_m);
      dx[i >> 1u] = half_pack(lo, hi);
    }
    return;
  }
  for (var m = first; m < M; m += step) {
    let i = at(c, m);
    let xhat = (x_load(i) - mu) * r;
    dx[i] = bitcast<u32>(k * (dy_load(i) - sums.x * inv_m - xhat * sums.y * inv_m));
  }
}

fn weight_b_of(c: u32) -> f32 {
  if (HAS_WEIGHT) { return weight_b[c]; }
  return 1.0;
}

// Channel c's (mean, rstd) from its mean mu and biased variance v; written to mean, rstd and var_b
// when `owner` (one thread of the channel's).
fn finish_stats(c: u32, mu: f32, v: f32, owner: bool) -> vec2f {
  let r = 1.0 / sqrt(v + params.eps);
  if (owner) {
    mean[c] = mu;
    rstd[c] = r;
    var_b[c] = v;
  }
  return vec2f(mu, r);
}

// The channel's sums (Σ g, Σ g · x̂), written to dbias and dweight when `owner`.
fn finish_grad_sums(c: u32, sums: vec2f, owner: bool) -> vec2f {
  if (owner) {
    dbias[c] = sums.x;
    dweight[c] = sums.y;
  }
  return sums;
}

// ---- one workgroup per channel ------------------------------------------------------------------
// Workgroup wid.x + wid.y · nwg.x owns channel c; one past the last channel runs the barriers only.

// Channel c's (mean, rstd), to every thread; thread 0 writes the statistics.
fn workgroup_stats(c: u32, lid: u32) -> vec2f {
  let M = params.N * params.L;
  let valid = c < params.C;
  let count = select(0u, M, valid);
  let mu = workgroup_sum(channel_sum(c, count, lid, WG), lid, WG) / f32(M);
  let v = workgroup_sum(channel_sq_dev(c, count, mu, lid, WG), lid, WG) / f32(M);
  return finish_stats(c, mu, v, valid && lid == 0u);
}

// Channel c's (Σ g, Σ g · x̂), to every thread; thread 0 writes them.
fn workgroup_grad_sums(c: u32, lid: u32) -> vec2f {
  let valid = c < params.C;
  let p = channel_grad_sums(c, select(0u, params.N * params.L, valid), lid, WG);
  return finish_grad_sums(c, workgroup_sum4(vec4f(p, 0.0, 0.0), lid, WG).xy, valid && lid == 0u);
}

@compute @workgroup_size(256)
fn batchnorm_stats(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  workgroup_stats(wid.x + wid.y * nwg.x, lid);
}

@compute @workgroup_size(256)
fn batchnorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  let st = workgroup_stats(c, lid);
  if (c < params.C) { channel_write_y(c, st, lid, WG); }   // after the last barrier
}

@compute @workgroup_size(256)
fn batchnorm_backward_reduce(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                             @builtin(local_invocation_index) lid: u32) {
  workgroup_grad_sums(wid.x + wid.y * nwg.x, lid);
}

@compute @workgroup_size(256)
fn batchnorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  let sums = workgroup_grad_sums(c, lid);
  if (c < params.C) { channel_write_dx(c, sums, lid, WG); }   // after the last barrier
}

// ---- one thread per channel ---------------------------------------------------------------------

const CH_WG = 64u;   // channels per workgroup in the _channels kernels

// Channel c's (mean, rstd) by this thread alone, written.
fn thread_stats(c: u32) -> vec2f {
  let M = params.N * params.L;
  let mu = channel_sum(c, M, 0u, 1u) / f32(M);
  return finish_stats(c, mu, channel_sq_dev(c, M, mu, 0u, 1u) / f32(M), true);
}

// Channel c's (Σ g, Σ g · x̂) by this thread alone, written.
fn thread_grad_sums(c: u32) -> vec2f {
  return finish_grad_sums(c, channel_grad_sums(c, params.N * params.L, 0u, 1u), true);
}

@compute @workgroup_size(64)
fn batchnorm_stats_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, CH_WG);
  if (c < params.C) { thread_stats(c); }
}

@compute @workgroup_size(64)
fn batchnorm_forward_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, CH_WG);
  if (c < params.C) { channel_write_y(c, thread_stats(c), 0u, 1u); }
}

@compute @workgroup_size(64)
fn batchnorm_backward_reduce_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, CH_WG);
  if (c < params.C) { thread_grad_sums(c); }
}

@compute @workgroup_size(64)
fn batchnorm_backward_channels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, CH_WG);
  if (c < params.C) { channel_write_dx(c, thread_grad_sums(c), 0u, 1u); }
}

// ---- one thread per element ---------------------------------------------------------------------

// y at element i, normalised with stat_mean / stat_var.
fn normalized_at(i: u32) -> f32 {
  let c = (i / params.L) % params.C;
  let r = 1.0 / sqrt(stat_var[c] + params.eps);
  return (x_load(i) - stat_mean[c]) * r * weight_of(c) + bias_of(c);
}

@compute @workgroup_size(256)
fn batchnorm_normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  let n = params.N * params.C * params.L;
  if (Y_HALF) {
    // One thread per word: elements 2i and 2i + 1 (the second 0 past the end).
    if (2u * i >= n) { return; }
    var hi = 0.0;
    if (2u * i + 1u < n) { hi = normalized_at(2u * i + 1u); }
    y_norm[i] = half_pack(normalized_at(2u * i), hi);
    return;
  }
  if (i >= n) { return; }
  y_norm[i] = bitcast<u32>(normalized_at(i));
}

// running' = (1 − m) · running + m · statistic for channel c (the variance unbiased).
fn running_update(c: u32, m: f32) {
  new_running_mean[c] = (1.0 - m) * running_mean[c] + m * stat_mean[c];
  new_running_var[c] = (1.0 - m) * running_var[c] + m * stat_var[c] * rparams.unbias;
}

@compute @workgroup_size(64)
fn batchnorm_running(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, 64u);
  if (c >= rparams.C) { return; }
  running_update(c, rparams.momentum);
}

// torch's momentum=None: the factor is 1 / num_batches_tracked, the count after this batch (read on
// the GPU, so compiled steps see each step's count); rparams.momentum is not read.
@compute @workgroup_size(64)
fn batchnorm_running_cumulative(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, 64u);
  if (c >= rparams.C) { return; }
  running_update(c, 1.0 / f32(tracked[0]));
}

// dx at element i from the channel's sums.
fn dx_at(i: u32) -> f32 {
  let c = (i / params.L) % params.C;
  let inv_m = 1.0 / f32(params.N * params.L);
  let r = stat_rstd[c];
  let xhat = (x_load(i) - stat_mean[c]) * r;
  return weight_b_of(c) * r * (dy_load(i) - sum_dy[c] * inv_m - xhat * sum_dy_xhat[c] * inv_m);
}

@compute @workgroup_size(256)
fn batchnorm_backward_dx(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  let n = params.N * params.C * params.L;
  if (DX_HALF) {
    // One thread per word: elements 2i and 2i + 1 (the second 0 past the end).
    if (2u * i >= n) { return; }
    var hi = 0.0;
    if (2u * i + 1u < n) { hi = dx_at(2u * i + 1u); }
    dx[i] = half_pack(dx_at(2u * i), hi);
    return;
  }
  if (i >= n) { return; }
  dx[i] = bitcast<u32>(dx_at(i));
}
