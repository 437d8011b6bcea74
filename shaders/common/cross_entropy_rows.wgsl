// common/cross_entropy_rows.wgsl — the cross-entropy bindings, pipeline constants and per-row
// results, shared by shaders/loss.wgsl (the fused forward with one thread or one workgroup per row,
// the final sums, the backward) and shaders/loss_subgroup.wgsl (the forward and the final sums with
// subgroup reductions), so the maths is written once. loss.wgsl's header has the formulas.
//
// Half-precision storage (compile's precision: 'mixed'): logits and dlogits are array<u32> holding f32
// bits, or f16 pairs (common/half.wgsl) where LOGITS_HALF / DLOGITS_HALF; every sum, lse, the row
// losses and weights, stats and the loss stay f32. Logits are read through logits_at.

// #include "common/float.wgsl"
// #include "common/index_errors.wgsl"
// #include "common/half.wgsl"


override HAS_WEIGHT: bool = false;
override REDUCTION: u32 = 1u;       // one of
const REDUCTION_NONE = 0u;
const REDUCTION_MEAN = 1u;
const REDUCTION_SUM = 2u;
override LOGITS_HALF: bool = false;
override DLOGITS_HALF: bool = false;

const MAX_F32 = 3.4028234663852886e38;

// ---- cross-entropy bindings -------------------------------------------------------------------
// forward:  0 logits, 1 targets, 2 class_weight, 3 row_loss, 4 row_weight, 5 lse, 6 ce_params,
//           7 index_errors
// reduce:   0 row_loss_in, 1 row_weight_in, 2 class_weight, 3 loss, 4 stats, 5 ce_reduce_params
// backward: 0 logits, 1 targets, 2 class_weight, 3 lse_in, 4 stats_in, 5 dloss, 6 dlogits, 7 ce_bparams
@group(0) @binding(0) var<storage, read> logits: array<u32>;              // (M, C)
@group(0) @binding(1) var<storage, read> targets: array<i32>;              // (M)
@group(0) @binding(2) var<storage, read> class_weight: array<f32>;        // (C), or a placeholder
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;      // (M)
@group(0) @binding(4) var<storage, read_write> row_weight: array<f32>;    // (M) w_t, 0 where ignored
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;           // (M) log Σ_c exp(z_c)
struct CeParams { M: u32, C: u32, ignore_index: i32, smoothing: f32 }
@group(0) @binding(6) var<uniform> ce_params: CeParams;
@group(0) @binding(7) var<storage, read_write> index_errors: array<atomic<u32>, 8>;

@group(0) @binding(0) var<storage, read> row_loss_in: array<f32>;         // (M)
@group(0) @binding(1) var<storage, read> row_weight_in: array<f32>;       // (M)
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;          // (1)
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;         // (2) [Σ w_t, Σ_c w_c]
struct CeReduceParams { M: u32, C: u32 }
@group(0) @binding(5) var<uniform> ce_reduce_params: CeReduceParams;

@group(0) @binding(3) var<storage, read> lse_in: array<f32>;              // (M)
@group(0) @binding(4) var<storage, read> stats_in: array<f32>;            // (2)
@group(0) @binding(5) var<storage, read> dloss: array<f32>;               // (M) for 'none', else (1)
@group(0) @binding(6) var<storage, read_write> dlogits: array<u32>;       // (M, C)
@group(0) @binding(7) var<uniform> ce_bparams: CeParams;

fn logits_at(i: u32) -> f32 {
  if (LOGITS_HALF) { return half_at(logits[i >> 1u], i); }
  return bitcast<f32>(logits[i]);
}

fn weight_of(c: u32) -> f32 {
  if (HAS_WEIGHT) { return class_weight[c]; }
  return 1.0;
}

const CE_WG = 64u;

// Sweep 1 over the logits c = first, first + step, … < C of the row at `base`: their max.
fn ce_sweep_max(base: u32, C: u32, first: u32, step: u32) -> f32 {
  var m = -MAX_F32;
  for (var c = first; c < C; c += step) { m = max(m, logits_at(base + c)); }
  return m;
}

// Sweep 2, given the row max m: (Σ exp(z − m), Σ w_c, Σ w_c·(m − z_c)).
fn ce_sweep_sums(base: u32, C: u32, m: f32, first: u32, step: u32) -> vec3f {
  var acc = vec3f(0.0);
  for (var c = first; c < C; c += step) {
    let z = logits_at(base + c);
    let w = weight_of(c);
    acc += vec3f(exp(z - m), w, w * (m - z));
  }
  return acc;
}

// The row's results from its max and the sums of sweep 2 (se = Σ exp(z - m), sw = Σ w_c,
// swd = Σ w_c·(m - z_c)).
fn write_row(row: u32, base: u32, row_max: f32, se: f32, sw: f32, swd: f32) {
  let C = ce_params.C;
  let log_se = log(se);                  // lse - m, >= 0
  lse[row] = row_max + log_se;
  let t = targets[row];
  var l = 0.0;
  var wt = 0.0;
  if (t == ce_params.ignore_index) {
    l = 0.0;
    wt = 0.0;
  } else if (t < 0 || t >= i32(C)) {
    l = nan_like(row_max);               // a bad label: never read out of bounds, poison the loss
    wt = l;
    // The first out-of-range target, for the host (check 1 = crossEntropy, detail = ignore_index).
    report_index_error(CHECK_CROSS_ENTROPY, t, row, C, bitcast<u32>(ce_params.ignore_index));
  } else {
    let eps = ce_params.smoothing;
    wt = weight_of(u32(t));
    let nll = (row_max - logits_at(base + u32(t))) + log_se;            // lse - z_t
    let smoothed = sw * log_se + swd;                                   // Σ_c w_c (lse - z_c)
    l = (1.0 - eps) * wt * nll + eps / f32(C) * smoothed;
  }
  row_loss[row] = l;
  row_weight[row] = wt;
}

// The final sums' share of rows and classes i = first, first + step, …: (Σ row losses, Σ row
// weights over the M rows, Σ_c w_c over the C classes).
fn ce_reduce_partials(first: u32, step: u32) -> vec3f {
  var acc = vec3f(0.0);
  for (var i = first; i < ce_reduce_params.M; i += step) {
    acc += vec3f(row_loss_in[i], row_weight_in[i], 0.0);
  }
  for (var c = first; c < ce_reduce_params.C; c += step) {
    acc.z += weight_of(c);
  }
  return acc;
}

// The reduced loss from Σ row losses, Σ row weights and Σ_c w_c.
fn write_reduced(s: f32, w: f32, wc: f32) {
  stats[0] = w;
  stats[1] = wc;
  if (REDUCTION == REDUCTION_MEAN) {
    loss[0] = s / w;       // 0/0 = NaN when every target is ignored, as in torch
  } else if (REDUCTION == REDUCTION_SUM) {
    loss[0] = s;
  }
}
