// metrics.wgsl — classification metrics on the GPU, and the row normalisation behind cosine
// similarity.
//
// accuracy_forward           Fraction of rows whose argmax (ties → the lowest index, like
//                            torch.argmax) equals the target. One workgroup of 256 threads: each
//                            thread scans whole rows (stride 256) and counts hits, then adds its
//                            count to the workgroup's atomic total; thread 0 writes count / N.
// accuracy_labels            The same from predicted class indices (i32) instead of scores.
// confusion_matrix_forward   counts[t][p] += 1 for each row (t = target, p = argmax of the row):
//                            one thread per row, atomicAdd on array<atomic<i32>> (the host zeroes
//                            the matrix first). Rows whose target or prediction is outside [0, K)
//                            are skipped, so nothing is written out of bounds.
// confusion_matrix_labels    The same from predicted class indices (i32).
// rownorm_forward            y = x / max(‖x‖, eps) per row of x (N, D), saving ‖x‖: one workgroup
//                            of 64 threads per row (grid folded into 2-D), tree reduction of Σ x².
// rownorm_backward           dx = dy/n - x·(x·dy)/n³ where n = ‖x‖ > eps, else dy/eps: one
//                            workgroup of 64 threads per row, tree reduction of x·dy.

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"

// ---- accuracy and confusion matrix ------------------------------------------------------------
// accuracy:          0 scores | predicted, 1 targets, 2 acc, 3 acc_params
// confusion matrix:  0 scores | predicted, 1 targets, 2 counts, 3 cm_params
@group(0) @binding(0) var<storage, read> scores: array<f32>;              // (N, C) logits or probabilities
@group(0) @binding(0) var<storage, read> predicted: array<i32>;           // (N) class indices
@group(0) @binding(1) var<storage, read> targets: array<i32>;              // (N) class indices
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;           // (1)
struct AccParams { N: u32, C: u32 }
@group(0) @binding(3) var<uniform> acc_params: AccParams;

@group(0) @binding(2) var<storage, read_write> counts: array<atomic<i32>>; // (K, K) rows = true class
struct CmParams { N: u32, C: u32, K: u32 }
@group(0) @binding(3) var<uniform> cm_params: CmParams;

// Index of the largest score in row r; ties go to the lowest index.
fn argmax_row(r: u32, C: u32) -> i32 {
  let base = r * C;
  var best = scores[base];
  var arg = 0u;
  for (var c = 1u; c < C; c++) {
    let v = scores[base + c];
    if (v > best) {
      best = v;
      arg = c;
    }
  }
  return i32(arg);
}

// The workgroup's count of hits (workgroup memory starts at zero). Integer additions give the same
// total in any order, so the threads add their counts atomically instead of through a tree.
var<workgroup> hits: atomic<u32>;

// Adds this thread's count n to `hits` and returns the workgroup's total; all 256 threads must call it.
fn count_hits(n: u32) -> u32 {
  atomicAdd(&hits, n);
  workgroupBarrier();
  return atomicLoad(&hits);
}

@compute @workgroup_size(256)
fn accuracy_forward(@builtin(local_invocation_index) lid: u32) {
  let N = acc_params.N;
  var n = 0u;
  for (var r = lid; r < N; r += 256u) {
    if (argmax_row(r, acc_params.C) == targets[r]) { n += 1u; }
  }
  let total = count_hits(n);
  if (lid == 0u) { acc[0] = f32(total) / f32(N); }
}

@compute @workgroup_size(256)
fn accuracy_labels(@builtin(local_invocation_index) lid: u32) {
  let N = acc_params.N;
  var n = 0u;
  for (var r = lid; r < N; r += 256u) {
    if (predicted[r] == targets[r]) { n += 1u; }
  }
  let total = count_hits(n);
  if (lid == 0u) { acc[0] = f32(total) / f32(N); }
}

fn count_pair(t: i32, p: i32) {
  let K = i32(cm_params.K);
  if (t >= 0 && t < K && p >= 0 && p < K) {
    atomicAdd(&counts[u32(t * K + p)], 1);
  }
}

@compute @workgroup_size(64)
fn confusion_matrix_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = grid_index(gid, nwg, 64u);
  if (r >= cm_params.N) { return; }
  count_pair(targets[r], argmax_row(r, cm_params.C));
}

@compute @workgroup_size(64)
fn confusion_matrix_labels(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = grid_index(gid, nwg, 64u);
  if (r >= cm_params.N) { return; }
  count_pair(targets[r], predicted[r]);
}

// ---- row normalisation ------------------------------------------------------------------------
// forward:  0 rn_x, 1 rn_y, 2 rn_norm, 3 rn_params
// backward: 0 rn_x, 1 rn_norm_in, 2 rn_dy, 3 rn_dx, 4 rn_bparams
@group(0) @binding(0) var<storage, read> rn_x: array<f32>;                // (N, D)
@group(0) @binding(1) var<storage, read_write> rn_y: array<f32>;          // (N, D)
@group(0) @binding(2) var<storage, read_write> rn_norm: array<f32>;       // (N) ‖x‖ (not clamped)
struct RowNormParams { N: u32, D: u32, eps: f32 }
@group(0) @binding(3) var<uniform> rn_params: RowNormParams;

@group(0) @binding(1) var<storage, read> rn_norm_in: array<f32>;          // (N)
@group(0) @binding(2) var<storage, read> rn_dy: array<f32>;               // (N, D)
@group(0) @binding(3) var<storage, read_write> rn_dx: array<f32>;         // (N, D)
@group(0) @binding(4) var<uniform> rn_bparams: RowNormParams;

const RN_WG = 64u;

@compute @workgroup_size(64)
fn rownorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let N = rn_params.N;
  let D = rn_params.D;
  let row = wid.x + wid.y * nwg.x;
  let valid = row < N;                   // uniform per workgroup: barriers stay in uniform control flow
  let base = min(row, N - 1u) * D;
  var ss = 0.0;
  for (var j = lid; j < D; j += RN_WG) {
    let v = rn_x[base + j];
    ss += v * v;
  }
  let n = sqrt(workgroup_sum(ss, lid, RN_WG));
  if (valid) {
    let inv = 1.0 / max(n, rn_params.eps);
    for (var j = lid; j < D; j += RN_WG) {
      rn_y[base + j] = rn_x[base + j] * inv;
    }
    if (lid == 0u) { rn_norm[row] = n; }
  }
}

@compute @workgroup_size(64)
fn rownorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let N = rn_bparams.N;
  let D = rn_bparams.D;
  let row = wid.x + wid.y * nwg.x;
  let valid = row < N;
  let r = min(row, N - 1u);
  let base = r * D;
  var dot = 0.0;
  for (var j = lid; j < D; j += RN_WG) {
    dot += rn_x[base + j] * rn_dy[base + j];
  }
  let xdy = workgroup_sum(dot, lid, RN_WG);
  if (valid) {
    let n = rn_norm_in[r];
    let eps = rn_bparams.eps;
    for (var j = lid; j < D; j += RN_WG) {
      if (n > eps) {
        rn_dx[base + j] = (rn_dy[base + j] - rn_x[base + j] * (xdy / (n * n))) / n;
      } else {
        rn_dx[base + j] = rn_dy[base + j] / eps;    // the norm is clamped to eps: a constant
      }
    }
  }
}
