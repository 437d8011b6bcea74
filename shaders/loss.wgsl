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
//   true s·q), LOGITS_HALF / DLOGITS_HALF (f16 storage of the logits, read by every cross-entropy
//   kernel, and of dlogits, written a word per thread: common/cross_entropy_rows.wgsl).
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
//   kl_forward / kl_backward                       Kullback-Leibler divergence with x = log q (torch's
//                                                  kl_div): t·log t − t·x (0 where t = 0), or with
//                                                  LOG_TARGET e^t·(t − x); the backward writes d/dx
//                                                  and d/dt (not −d/dx here) in one pass.
//   Override: HAS_POS_WEIGHT (false: none, the pos_weight binding is a placeholder; true: pos_weight of
//   `pw_size` elements repeated along the leading dimensions, read at i % pw_size).
//   Half-precision storage: each input and output of these kernels (pos_weight aside) may be f16 (its
//   *_HALF override); with an f16 output a thread takes the two elements of a word instead of one.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/index_errors.wgsl"
// #include "common/cross_entropy_rows.wgsl"
// #include "common/half.wgsl"

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

// dz at logit i = row·C + c (see the header).
fn ce_grad(i: u32) -> f32 {
  let C = ce_bparams.C;
  let row = i / C;
  let c = i % C;
  let t = targets[row];
  if (t == ce_bparams.ignore_index) { return 0.0; }
  if (t < 0 || t >= i32(C)) { return nan_like(logits_at(i)); }
  let eps = ce_bparams.smoothing;
  let wt = weight_of(u32(t));
  let p = exp(logits_at(i) - lse_in[row]);
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
  if (TARGET_ONLY) { return s * q; }
  return s * (p * coef - q);
}

// One thread per logit; with DLOGITS_HALF one thread per word of dlogits (logits 2k and 2k + 1, which
// may be in two rows; the last word of an odd M·C has 0 as its upper half).
@compute @workgroup_size(256)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = ce_bparams.M * ce_bparams.C;
  let k = grid_index(gid, nwg, 256u);
  if (DLOGITS_HALF) {
    let i = 2u * k;
    if (i >= n) { return; }
    var hi = 0.0;
    if (i + 1u < n) { hi = ce_grad(i + 1u); }
    dlogits[k] = half_pack(ce_grad(i), hi);
  } else {
    if (k >= n) { return; }
    dlogits[k] = bitcast<u32>(ce_grad(k));
  }
}

// ---- elementwise losses: mse, l1, huber -------------------------------------------------------
// forward:  0 a, 1 b, 2 elem_loss, 3 pw_params
// backward: 0 a, 1 b, 2 delem, 3 da, 4 pw_bparams          (db = -da, made by the host)
// Half-precision storage: every tensor binding here (a, b, delem, the outputs) is array<u32> holding
// f32 bits, or f16 pairs where its *_HALF override is true (read through a_at, b_at, …). A kernel
// with an f16 output runs one thread per word of it (elements 2k and 2k + 1: elems() below) and
// writes every output of that thread's elements, so no word is written by two threads.
override A_HALF: bool = false;
override B_HALF: bool = false;
override DELEM_HALF: bool = false;
override ELEM_LOSS_HALF: bool = false;
override DA_HALF: bool = false;
@group(0) @binding(0) var<storage, read> a: array<u32>;                   // (n) input
@group(0) @binding(1) var<storage, read> b: array<u32>;                   // (n) target
@group(0) @binding(2) var<storage, read_write> elem_loss: array<u32>;     // (n)
struct PointwiseParams { n: u32, delta: f32 }
@group(0) @binding(3) var<uniform> pw_params: PointwiseParams;

@group(0) @binding(2) var<storage, read> delem: array<u32>;               // (n) upstream gradient
@group(0) @binding(3) var<storage, read_write> da: array<u32>;            // (n)
@group(0) @binding(4) var<uniform> pw_bparams: PointwiseParams;

fn a_at(i: u32) -> f32 {
  if (A_HALF) { return half_at(a[i >> 1u], i); }
  return bitcast<f32>(a[i]);
}

fn b_at(i: u32) -> f32 {
  if (B_HALF) { return half_at(b[i >> 1u], i); }
  return bitcast<f32>(b[i]);
}

fn delem_at(i: u32) -> f32 {
  if (DELEM_HALF) { return half_at(delem[i >> 1u], i); }
  return bitcast<f32>(delem[i]);
}

// The elements of thread k of n: (first, count), count 0 past the end. One element per thread, or
// with `pairs` (an f16 output) the two elements of word k (one in the last word of an odd n).
fn elems(k: u32, n: u32, pairs: bool) -> vec2u {
  if (pairs) {
    let i = 2u * k;
    if (i >= n) { return vec2u(i, 0u); }
    return vec2u(i, min(2u, n - i));
  }
  return vec2u(k, select(0u, 1u, k < n));
}

// Output word / element k of an output stored as f16 pairs (`half`: lo, hi) or f32 (lo).
fn store_elem_loss(k: u32, lo: f32, hi: f32) {
  if (ELEM_LOSS_HALF) { elem_loss[k] = half_pack(lo, hi); } else { elem_loss[k] = bitcast<u32>(lo); }
}

fn store_da(k: u32, lo: f32, hi: f32) {
  if (DA_HALF) { da[k] = half_pack(lo, hi); } else { da[k] = bitcast<u32>(lo); }
}

fn mse_value(i: u32) -> f32 {
  let d = a_at(i) - b_at(i);
  return d * d;
}

fn mse_grad(i: u32) -> f32 {
  return 2.0 * (a_at(i) - b_at(i)) * delem_at(i);
}

fn l1_value(i: u32) -> f32 {
  return abs(a_at(i) - b_at(i));
}

fn l1_grad(i: u32) -> f32 {
  return sign(a_at(i) - b_at(i)) * delem_at(i);    // 0 where a == b, as torch
}

fn huber_value(i: u32) -> f32 {
  let delta = pw_params.delta;
  let d = abs(a_at(i) - b_at(i));
  return select(delta * (d - 0.5 * delta), 0.5 * d * d, d < delta);
}

fn huber_grad(i: u32) -> f32 {
  let delta = pw_bparams.delta;
  return clamp(a_at(i) - b_at(i), -delta, delta) * delem_at(i);
}

@compute @workgroup_size(256)
fn mse_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_params.n, ELEM_LOSS_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = mse_value(e.x + 1u); }
  store_elem_loss(k, mse_value(e.x), hi);
}

@compute @workgroup_size(256)
fn mse_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_bparams.n, DA_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = mse_grad(e.x + 1u); }
  store_da(k, mse_grad(e.x), hi);
}

@compute @workgroup_size(256)
fn l1_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_params.n, ELEM_LOSS_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = l1_value(e.x + 1u); }
  store_elem_loss(k, l1_value(e.x), hi);
}

@compute @workgroup_size(256)
fn l1_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_bparams.n, DA_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = l1_grad(e.x + 1u); }
  store_da(k, l1_grad(e.x), hi);
}

@compute @workgroup_size(256)
fn huber_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_params.n, ELEM_LOSS_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = huber_value(e.x + 1u); }
  store_elem_loss(k, huber_value(e.x), hi);
}

@compute @workgroup_size(256)
fn huber_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_bparams.n, DA_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = huber_grad(e.x + 1u); }
  store_da(k, huber_grad(e.x), hi);
}

// ---- binary cross-entropy with logits ---------------------------------------------------------
// forward:  0 a (logits x), 1 b (targets y), 2 pos_weight, 3 bce_loss, 4 bce_params
// backward: 0 a, 1 b, 2 pos_weight, 3 bce_dl, 4 bce_dx, 5 bce_dy, 6 bce_dpw, 7 bce_bparams
// Half-precision storage as above: a, b, bce_dl read as f16 where A_HALF / B_HALF / BCE_DL_HALF, the
// outputs written as f16 where their *_HALF is set (one thread per word then, all three outputs of
// its two elements); pos_weight stays f32.
override BCE_DL_HALF: bool = false;
override BCE_LOSS_HALF: bool = false;
override BCE_DX_HALF: bool = false;
override BCE_DY_HALF: bool = false;
override BCE_DPW_HALF: bool = false;
@group(0) @binding(2) var<storage, read> pos_weight: array<f32>;          // (pw_size), or a placeholder
@group(0) @binding(3) var<storage, read_write> bce_loss: array<u32>;      // (n)
struct BceParams { n: u32, pw_size: u32 }
@group(0) @binding(4) var<uniform> bce_params: BceParams;

@group(0) @binding(3) var<storage, read> bce_dl: array<u32>;              // (n) upstream gradient
@group(0) @binding(4) var<storage, read_write> bce_dx: array<u32>;        // (n)
@group(0) @binding(5) var<storage, read_write> bce_dy: array<u32>;        // (n)
@group(0) @binding(6) var<storage, read_write> bce_dpw: array<u32>;       // (n), summed to pw's shape by the host
@group(0) @binding(7) var<uniform> bce_bparams: BceParams;

// softplus(v) = log(1 + e^v) = max(v, 0) + log(1 + e^-|v|): no overflow for large |v|.
fn softplus(v: f32) -> f32 {
  return max(v, 0.0) + log1p_pos(exp(-abs(v)));
}

fn pos_weight_at(i: u32, size: u32) -> f32 {
  if (HAS_POS_WEIGHT) { return pos_weight[i % size]; }
  return 1.0;
}

fn bce_dl_at(i: u32) -> f32 {
  if (BCE_DL_HALF) { return half_at(bce_dl[i >> 1u], i); }
  return bitcast<f32>(bce_dl[i]);
}

// -[pw·y·log σ(x) + (1-y)·log(1-σ(x))] at element i, with log σ(x) = -softplus(-x), log(1-σ(x)) = -softplus(x).
fn bce_value(i: u32) -> f32 {
  let x = a_at(i);
  let y = b_at(i);
  let pw = pos_weight_at(i, bce_params.pw_size);
  return pw * y * softplus(-x) + (1.0 - y) * softplus(x);
}

// (d/dx, d/dy, d/dpw) at element i.
fn bce_grads(i: u32) -> vec3f {
  let x = a_at(i);
  let y = b_at(i);
  let g = bce_dl_at(i);
  let pw = pos_weight_at(i, bce_bparams.pw_size);
  let sp_neg = softplus(-x);
  return vec3f(g * (sigmoid_stable(x) * (pw * y + 1.0 - y) - pw * y), g * (pw * sp_neg - softplus(x)), g * y * sp_neg);
}

@compute @workgroup_size(256)
fn bce_with_logits_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, bce_params.n, BCE_LOSS_HALF);
  if (e.y == 0u) { return; }
  let lo = bce_value(e.x);
  if (BCE_LOSS_HALF) {
    var hi = 0.0;
    if (e.y == 2u) { hi = bce_value(e.x + 1u); }
    bce_loss[k] = half_pack(lo, hi);
  } else {
    bce_loss[k] = bitcast<u32>(lo);
  }
}

// Output `out` (0 dx, 1 dy, 2 dpw) of the backward for the elements e = (first, count) with values lo
// (and hi for a second element): one f16 word where `half`, else f32 values.
fn bce_store(out: u32, e: vec2u, half: bool, lo: f32, hi: f32) {
  if (half) {
    let w = half_pack(lo, hi);
    switch out {
      case 0u: { bce_dx[e.x >> 1u] = w; }
      case 1u: { bce_dy[e.x >> 1u] = w; }
      default: { bce_dpw[e.x >> 1u] = w; }
    }
    return;
  }
  switch out {
    case 0u: { bce_dx[e.x] = bitcast<u32>(lo); }
    case 1u: { bce_dy[e.x] = bitcast<u32>(lo); }
    default: { bce_dpw[e.x] = bitcast<u32>(lo); }
  }
  if (e.y == 2u) {
    switch out {
      case 0u: { bce_dx[e.x + 1u] = bitcast<u32>(hi); }
      case 1u: { bce_dy[e.x + 1u] = bitcast<u32>(hi); }
      default: { bce_dpw[e.x + 1u] = bitcast<u32>(hi); }
    }
  }
}

@compute @workgroup_size(256)
fn bce_with_logits_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  // Word pairs when any output is f16 (each thread then owns both elements of every output).
  let e = elems(k, bce_bparams.n, BCE_DX_HALF || BCE_DY_HALF || BCE_DPW_HALF);
  if (e.y == 0u) { return; }
  let lo = bce_grads(e.x);
  var hi = vec3f(0.0);
  if (e.y == 2u) { hi = bce_grads(e.x + 1u); }
  bce_store(0u, e, BCE_DX_HALF, lo.x, hi.x);
  bce_store(1u, e, BCE_DY_HALF, lo.y, hi.y);
  if (HAS_POS_WEIGHT) {
    bce_store(2u, e, BCE_DPW_HALF, lo.z, hi.z);
  }
}

// ---- Kullback-Leibler divergence (torch.nn.functional.kl_div) -----------------------------------
// forward:  0 a (input x = log q), 1 b (target t), 2 elem_loss, 3 pw_params     (pw_params.delta unused)
// backward: 0 a, 1 b, 2 delem (g), 3 da (d/dx), 4 pw_bparams, 5 kl_db (d/dt)
// Per element, as torch computes it (and differentiates it, by autograd):
//   LOG_TARGET false   ℓ = xlogy(t, t) − t·x          d/dx = −t·g    d/dt = g·(log t + 1 − x)
//   LOG_TARGET true    ℓ = e^t·(t − x)               d/dx = −e^t·g  d/dt = g·e^t·(t − x + 1)
// xlogy(t, t) is 0 at t = 0 and NaN for t < 0; d/dt is NaN at t = 0 (torch's xlogy backward has
// g·t/t there) and wherever t ≤ 0, +∞ or NaN. WGSL lets the compiler assume there are no infinities
// or NaNs, so those edges are made explicitly: 0·∞ is NaN (kl_mul), as in IEEE arithmetic.
// Half-precision storage: a, b, delem read as f16 where A_HALF / B_HALF / DELEM_HALF; elem_loss, da
// and kl_db written as f16 where ELEM_LOSS_HALF / DA_HALF / DB_HALF (one thread per word of the
// outputs then, both outputs of its two elements, as bce_with_logits_backward).
override LOG_TARGET: bool = false;
override DB_HALF: bool = false;
@group(0) @binding(5) var<storage, read_write> kl_db: array<u32>;         // (n) d/dtarget

fn kl_is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

// a·b, with IEEE's 0·∞ = NaN made explicit.
fn kl_mul(a: f32, b: f32) -> f32 {
  if ((a == 0.0 && kl_is_inf(b)) || (b == 0.0 && kl_is_inf(a))) { return nan_like(a); }
  return a * b;
}

// xlogy(t, t) = t·log t: 0 at t = 0, NaN for t < 0 or NaN, +∞ at +∞.
fn kl_xlogx(t: f32) -> f32 {
  if (is_nan(t) || t < 0.0) { return nan_like(t); }
  if (t == 0.0 || kl_is_inf(t)) { return t; }
  return t * log(t);
}

fn kl_value(i: u32) -> f32 {
  let x = a_at(i);
  let t = b_at(i);
  if (LOG_TARGET) { return kl_mul(exp(t), t - x); }
  return kl_xlogx(t) - kl_mul(t, x);
}

// (d/dx, d/dt) at element i.
fn kl_grads(i: u32) -> vec2f {
  let x = a_at(i);
  let t = b_at(i);
  let g = delem_at(i);
  if (LOG_TARGET) {
    let e = exp(t);
    let ge = kl_mul(g, e);
    return vec2f(-ge, kl_mul(kl_mul(g, t - x), e) + ge);
  }
  var dt = nan_like(t);
  if (!is_nan(t) && t > 0.0 && !kl_is_inf(t)) { dt = g * log(t) + g - kl_mul(g, x); }
  return vec2f(-kl_mul(t, g), dt);
}

@compute @workgroup_size(256)
fn kl_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  let e = elems(k, pw_params.n, ELEM_LOSS_HALF);
  if (e.y == 0u) { return; }
  var hi = 0.0;
  if (e.y == 2u) { hi = kl_value(e.x + 1u); }
  store_elem_loss(k, kl_value(e.x), hi);
}

@compute @workgroup_size(256)
fn kl_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = grid_index(gid, nwg, 256u);
  // Word pairs when either output is f16 (the thread then owns both elements of both outputs).
  let e = elems(k, pw_bparams.n, DA_HALF || DB_HALF);
  if (e.y == 0u) { return; }
  let lo = kl_grads(e.x);
  var hi = vec2f(0.0);
  if (e.y == 2u) { hi = kl_grads(e.x + 1u); }
  if (DA_HALF) {
    da[k] = half_pack(lo.x, hi.x);
  } else {
    da[e.x] = bitcast<u32>(lo.x);
    if (e.y == 2u) { da[e.x + 1u] = bitcast<u32>(hi.x); }
  }
  if (DB_HALF) {
    kl_db[k] = half_pack(lo.y, hi.y);
  } else {
    kl_db[e.x] = bitcast<u32>(lo.y);
    if (e.y == 2u) { kl_db[e.x + 1u] = bitcast<u32>(hi.y); }
  }
}
