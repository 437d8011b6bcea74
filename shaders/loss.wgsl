// loss.wgsl — loss functions, forward and backward, with torch.nn.functional semantics.
//
// Cross-entropy (class-index targets), fused log-softmax + NLL:
//   cross_entropy_forward   One workgroup of 64 threads per row of logits (M, C). Sweep 1 finds the
//                           row max m; sweep 2 sums exp(z - m), Σ w_c and Σ w_c (m - z_c); each is
//                           combined by a tree reduction in workgroup memory. Thread 0 then writes
//                             lse   = m + log Σ exp(z - m)                    (saved for the backward)
//                             loss  = (1-ε)·w_t·(lse - z_t) + (ε/C)·Σ_c w_c·(lse - z_c)
//                           and the weight w_t the row adds to the mean's denominator. Every term
//                           is a sum of non-negative numbers, so logits of ±1e4 lose no precision.
//                           Ignored rows (target == ignore_index) give 0 and 0; a target outside
//                           [0, C) is never used as an index: its row gives NaN, and it is
//                           reported in index_errors (src/gpu/device-errors.ts: the next read
//                           throws an error naming it).
//   cross_entropy_forward_rows  The same result with one thread per row doing both sweeps alone: no
//                           workgroup memory, no barrier. For short rows (C ≤ 64 leaves most of a
//                           64-thread workgroup idle) and on software adapters.
//   cross_entropy_reduce    One workgroup of 256 threads: sums the row losses and row weights, and
//                           Σ_c w_c, into `loss` (sum, or sum / Σ w_t for the mean) and `stats`
//                           = [Σ w_t over non-ignored rows, Σ_c w_c] for the backward.
//   cross_entropy_reduce_serial  The same sums by one thread (M ≤ 256 or a software adapter).
//   cross_entropy_backward  One thread per logit (256 per workgroup, grid folded into 2-D):
//                             dz_c = s·(p_c·((1-ε)·w_t + ε·W/C) - (1-ε)·w_t·[c = t] - ε·w_c/C)
//                           with p = exp(z - lse) and s = dloss (per row for 'none', / Σ w_t for
//                           'mean'): the softmax minus the smoothed, weighted one-hot, in one pass.
//                           With TARGET_ONLY = true it writes the target term s·q_c alone
//                           (q_c = (1-ε)·w_t·[c = t] + ε·w_c/C), which does not depend on z: the
//                           second derivative (src/ops/loss.ts) takes Σ_c s·q_c as the row's scale.
//   Overrides: HAS_WEIGHT (false: no class weights, the weight binding is a placeholder; true:
//   weights), REDUCTION (REDUCTION_NONE, _MEAN or _SUM), TARGET_ONLY (cross_entropy_backward: false dz,
//   true s·q).
//
// Elementwise losses: one thread per element, 256 threads per workgroup, grid folded into 2-D (the
// linear index is gid.x + gid.y · num_workgroups.x · 256). The reduction (mean / sum) is done by
// the reduce kernels afterwards; the backward gets the per-element upstream gradient.
//   mse_forward / mse_backward                     (a - b)²                 · 2(a - b)·g
//   l1_forward / l1_backward                       |a - b|                  · sign(a - b)·g
//   huber_forward / huber_backward                 ½d² if |d| < δ else δ(|d| - ½δ) · clamp(d, -δ, δ)·g
//   bce_with_logits_forward / _backward            pw·y·softplus(-x) + (1 - y)·softplus(x), with
//                                                  softplus(v) = max(v, 0) + log1p(e^-|v|) (stable);
//                                                  the backward writes d/dx, d/dy and (with a
//                                                  pos_weight) the per-element d/dpw.
//   Override: HAS_POS_WEIGHT (false: none, the pos_weight binding is a placeholder; true: pos_weight of
//   `pw_size` elements repeated along the leading dimensions, read at i % pw_size).

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/index_errors.wgsl"
// #include "common/cross_entropy_rows.wgsl"

override HAS_POS_WEIGHT: bool = false;
override TARGET_ONLY: bool = false;

@compute @workgroup_size(64)
fn cross_entropy_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                         @builtin(local_invocation_index) lid: u32) {
  let M = ce_params.M;
  let C = ce_params.C;
  let row = wid.x + wid.y * nwg.x;
  // Every thread takes the same path (barriers need uniform control flow); a row past the end of a
  // folded grid reads row M-1 and writes nothing.
  let valid = row < M;
  let base = min(row, M - 1u) * C;

  let row_max = workgroup_max(ce_sweep_max(base, C, lid, CE_WG), lid, CE_WG);
  let sums = workgroup_sum4(vec4f(ce_sweep_sums(base, C, row_max, lid, CE_WG), 0.0), lid, CE_WG);

  if (lid == 0u && valid) {
    write_row(row, base, row_max, sums.x, sums.y, sums.z);
  }
}

@compute @workgroup_size(64)
fn cross_entropy_forward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = grid_index(gid, nwg, CE_WG);
  if (row >= ce_params.M) { return; }
  let C = ce_params.C;
  let base = row * C;
  let m = ce_sweep_max(base, C, 0u, 1u);
  let sums = ce_sweep_sums(base, C, m, 0u, 1u);
  write_row(row, base, m, sums.x, sums.y, sums.z);
}

@compute @workgroup_size(256)
fn cross_entropy_reduce(@builtin(local_invocation_index) lid: u32) {
  let sums = workgroup_sum4(vec4f(ce_reduce_partials(lid, 256u), 0.0), lid, 256u);
  if (lid == 0u) {
    write_reduced(sums.x, sums.y, sums.z);
  }
}

// The same sums by a single thread, in order: no barrier (for software adapters and short M).
@compute @workgroup_size(1)
fn cross_entropy_reduce_serial() {
  let sums = ce_reduce_partials(0u, 1u);
  write_reduced(sums.x, sums.y, sums.z);
}

@compute @workgroup_size(256)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let M = ce_bparams.M;
  let C = ce_bparams.C;
  let i = grid_index(gid, nwg, 256u);
  if (i >= M * C) { return; }
  let row = i / C;
  let c = i % C;
  let t = targets[row];
  var g = 0.0;
  if (t == ce_bparams.ignore_index) {
    g = 0.0;
  } else if (t < 0 || t >= i32(C)) {
    g = nan_like(logits[i]);
  } else {
    let eps = ce_bparams.smoothing;
    let wt = weight_of(u32(t));
    let p = exp(logits[i] - lse_in[row]);
    var s = 0.0;
    if (REDUCTION == REDUCTION_NONE) {
      s = dloss[row];
    } else if (REDUCTION == REDUCTION_MEAN) {
      s = dloss[0] / stats_in[0];
    } else {
      s = dloss[0];
    }
    let coef = (1.0 - eps) * wt + eps * stats_in[1] / f32(C);
    var q = eps * weight_of(c) / f32(C);
    if (u32(t) == c) { q += (1.0 - eps) * wt; }
    if (TARGET_ONLY) {
      g = s * q;
    } else {
      g = s * (p * coef - q);
    }
  }
  dlogits[i] = g;
}

// ---- elementwise losses: mse, l1, huber -------------------------------------------------------
// forward:  0 a, 1 b, 2 elem_loss, 3 pw_params
// backward: 0 a, 1 b, 2 delem, 3 da, 4 pw_bparams          (db = -da, made by the host)
@group(0) @binding(0) var<storage, read> a: array<f32>;                   // (n) input
@group(0) @binding(1) var<storage, read> b: array<f32>;                   // (n) target
@group(0) @binding(2) var<storage, read_write> elem_loss: array<f32>;     // (n)
struct PointwiseParams { n: u32, delta: f32 }
@group(0) @binding(3) var<uniform> pw_params: PointwiseParams;

@group(0) @binding(2) var<storage, read> delem: array<f32>;               // (n) upstream gradient
@group(0) @binding(3) var<storage, read_write> da: array<f32>;            // (n)
@group(0) @binding(4) var<uniform> pw_bparams: PointwiseParams;

@compute @workgroup_size(256)
fn mse_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_params.n) { return; }
  let d = a[i] - b[i];
  elem_loss[i] = d * d;
}

@compute @workgroup_size(256)
fn mse_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_bparams.n) { return; }
  da[i] = 2.0 * (a[i] - b[i]) * delem[i];
}

@compute @workgroup_size(256)
fn l1_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_params.n) { return; }
  elem_loss[i] = abs(a[i] - b[i]);
}

@compute @workgroup_size(256)
fn l1_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_bparams.n) { return; }
  da[i] = sign(a[i] - b[i]) * delem[i];        // 0 where a == b, as torch
}

@compute @workgroup_size(256)
fn huber_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_params.n) { return; }
  let delta = pw_params.delta;
  let d = abs(a[i] - b[i]);
  elem_loss[i] = select(delta * (d - 0.5 * delta), 0.5 * d * d, d < delta);
}

@compute @workgroup_size(256)
fn huber_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pw_bparams.n) { return; }
  let delta = pw_bparams.delta;
  da[i] = clamp(a[i] - b[i], -delta, delta) * delem[i];
}

// ---- binary cross-entropy with logits ---------------------------------------------------------
// forward:  0 a (logits x), 1 b (targets y), 2 pos_weight, 3 bce_loss, 4 bce_params
// backward: 0 a, 1 b, 2 pos_weight, 3 bce_dl, 4 bce_dx, 5 bce_dy, 6 bce_dpw, 7 bce_bparams
@group(0) @binding(2) var<storage, read> pos_weight: array<f32>;          // (pw_size), or a placeholder
@group(0) @binding(3) var<storage, read_write> bce_loss: array<f32>;      // (n)
struct BceParams { n: u32, pw_size: u32 }
@group(0) @binding(4) var<uniform> bce_params: BceParams;

@group(0) @binding(3) var<storage, read> bce_dl: array<f32>;              // (n) upstream gradient
@group(0) @binding(4) var<storage, read_write> bce_dx: array<f32>;        // (n)
@group(0) @binding(5) var<storage, read_write> bce_dy: array<f32>;        // (n)
@group(0) @binding(6) var<storage, read_write> bce_dpw: array<f32>;       // (n), summed to pw's shape by the host
@group(0) @binding(7) var<uniform> bce_bparams: BceParams;

// softplus(v) = log(1 + e^v) = max(v, 0) + log(1 + e^-|v|): no overflow for large |v|.
fn softplus(v: f32) -> f32 {
  return max(v, 0.0) + log1p_pos(exp(-abs(v)));
}

fn pos_weight_at(i: u32, size: u32) -> f32 {
  if (HAS_POS_WEIGHT) { return pos_weight[i % size]; }
  return 1.0;
}

@compute @workgroup_size(256)
fn bce_with_logits_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= bce_params.n) { return; }
  let x = a[i];
  let y = b[i];
  let pw = pos_weight_at(i, bce_params.pw_size);
  // -[pw·y·log σ(x) + (1-y)·log(1-σ(x))], with log σ(x) = -softplus(-x), log(1-σ(x)) = -softplus(x)
  bce_loss[i] = pw * y * softplus(-x) + (1.0 - y) * softplus(x);
}

@compute @workgroup_size(256)
fn bce_with_logits_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= bce_bparams.n) { return; }
  let x = a[i];
  let y = b[i];
  let g = bce_dl[i];
  let pw = pos_weight_at(i, bce_bparams.pw_size);
  let sp_neg = softplus(-x);
  bce_dx[i] = g * (sigmoid_stable(x) * (pw * y + 1.0 - y) - pw * y);
  bce_dy[i] = g * (pw * sp_neg - softplus(x));
  if (HAS_POS_WEIGHT) {
    bce_dpw[i] = g * y * sp_neg;
  }
}
