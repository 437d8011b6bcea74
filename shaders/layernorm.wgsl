// layernorm.wgsl — layer normalisation over the last C elements of each row (torch.nn.functional.layer_norm
// with C = the product of normalized_shape), forward and backward, after llm.c's layernorm_forward /
// layernorm_backward. Shapes: x, y, dy, dx (rows, C); weight, bias, dweight, dbias (C);
// mean, rstd (rows).
//
// The maths, in the row_* functions of common/layernorm_rows.wgsl (with the bindings) and
// column_sums below, each of which walks the elements first, first + step, … of one row (or column),
// so that every work split shares it (layernorm_subgroup.wgsl adds a third split of the rows: one
// workgroup per row reduced with subgroupAdd, where the adapter has the `subgroups` feature):
//   forward   mean = Σx / C, then var = Σ(x − mean)² / C (biased, as torch; two sweeps are more
//             accurate than E[x²] − mean²). rstd = 1/√(var + eps). y = (x − mean)·rstd·weight + bias.
//             Saves mean and rstd for the backward.
//   backward  with xhat = (x − mean)·rstd and g = dy·weight, one sweep for the pair (Σg, Σg·xhat)
//             gives dx = rstd · (g − mean(g) − xhat · mean(g·xhat)).
//   params    dweight = Σ_rows dy·xhat and dbias = Σ_rows dy, a column reduction with no atomics.
//
// layernorm_forward               one workgroup of 256 threads per row (grid folded into 2-D past 65535
// layernorm_backward              rows). Thread lid walks c = lid, lid + 256, …; tree reductions in
//                                 workgroup memory combine the partial sums.
// layernorm_forward_rows          one thread per row walking all of it: no workgroup memory, no barrier.
// layernorm_backward_rows         For short rows (C ≤ 64 leaves most of a 256-thread workgroup idle)
//                                 and on software adapters with at least 4 rows (a barrier there
//                                 switches every invocation of the workgroup); the host decides.
// layernorm_backward_params       a 32×8 workgroup owns 32 adjacent columns (coalesced reads); its 8
//                                 lanes of rows each sum every 8th row, then the 8 partials are added
//                                 in workgroup memory. One pass, race-free and deterministic.
// layernorm_backward_params_cols  one thread per column summing every row (neighbouring threads read
//                                 neighbouring columns): no workgroup memory, no barrier. For few rows
//                                 (≤ 64: at most 8 per lane above) and on software adapters with at
//                                 least 4 columns; the host decides.
// Half-precision storage: every kernel reads x and dy as f16 where X_HALF / DY_HALF, and writes y and
// dx as f16 where Y_HALF / DX_HALF (a word per thread: common/layernorm_rows.wgsl); mean, rstd, the
// parameters and their gradients stay f32, and so does every sum.
// HAS_WEIGHT / HAS_BIAS (pipeline constants) say whether weight / bias exist; when they do not, the host
// binds the input in their place and the kernel never reads it.

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/layernorm_rows.wgsl"

// ---- one workgroup per row ----------------------------------------------------------------------

@compute @workgroup_size(256)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < fparams.rows;                 // the same for the whole workgroup
  let C = select(0u, fparams.C, valid);
  let base = row * fparams.C;
  let n = f32(fparams.C);
  let m = workgroup_sum(row_sum(base, C, lid, WG), lid, WG) / n;
  let r = rstd_of(workgroup_sum(row_sq_dev(base, C, m, lid, WG), lid, WG), n);
  row_write_forward(base, C, m, r, lid, WG);
  if (lid == 0u && valid) {
    mean[row] = m;
    rstd[row] = r;
  }
}

@compute @workgroup_size(256)
fn layernorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < bparams.rows;
  let C = select(0u, bparams.C, valid);
  let base = row * bparams.C;
  var m = 0.0;
  var r = 0.0;
  if (valid) {
    m = saved_mean[row];
    r = saved_rstd[row];
  }
  let means = workgroup_sum4(vec4f(row_grad_sums(base, C, m, r, lid, WG), 0.0, 0.0), lid, WG).xy / f32(bparams.C);
  row_write_backward(base, C, m, r, means, lid, WG);
}

// ---- one thread per row -------------------------------------------------------------------------

@compute @workgroup_size(64)
fn layernorm_forward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = grid_index(gid, nwg, ROWS_WG);
  if (row >= fparams.rows) { return; }
  let C = fparams.C;
  let base = row * C;
  let n = f32(C);
  let m = row_sum(base, C, 0u, 1u) / n;
  let r = rstd_of(row_sq_dev(base, C, m, 0u, 1u), n);
  row_write_forward(base, C, m, r, 0u, 1u);
  mean[row] = m;
  rstd[row] = r;
}

@compute @workgroup_size(64)
fn layernorm_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = grid_index(gid, nwg, ROWS_WG);
  if (row >= bparams.rows) { return; }
  let C = bparams.C;
  let base = row * C;
  let m = saved_mean[row];
  let r = saved_rstd[row];
  row_write_backward(base, C, m, r, row_grad_sums(base, C, m, r, 0u, 1u) / f32(C), 0u, 1u);
}

// ---- dweight, dbias -----------------------------------------------------------------------------

// (Σ dy·xhat, Σ dy) over the rows first, first + step, … of column c.
fn column_sums(c: u32, first: u32, step: u32) -> vec2f {
  var acc = vec2f(0.0);
  for (var r = first; r < bparams.rows; r += step) {
    let i = r * bparams.C + c;
    let d = dy_at(i);
    acc += vec2f(d * (x_at(i) - saved_mean[r]) * saved_rstd[r], d);
  }
  return acc;
}

const COLS = 32u;   // columns per workgroup
const LANES = 8u;   // row lanes per workgroup
var<workgroup> col_dw: array<array<f32, 32>, 8>;
var<workgroup> col_db: array<array<f32, 32>, 8>;

@compute @workgroup_size(32, 8)
fn layernorm_backward_params(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                             @builtin(local_invocation_id) lid: vec3u) {
  let c = (wid.x + wid.y * nwg.x) * COLS + lid.x;
  let valid = c < bparams.C;
  var sums = vec2f(0.0);
  if (valid) { sums = column_sums(c, lid.y, LANES); }
  col_dw[lid.y][lid.x] = sums.x;
  col_db[lid.y][lid.x] = sums.y;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s / 2u) {
    if (lid.y < s) {
      col_dw[lid.y][lid.x] += col_dw[lid.y + s][lid.x];
      col_db[lid.y][lid.x] += col_db[lid.y + s][lid.x];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && valid) {
    dweight[c] = col_dw[0][lid.x];
    dbias[c] = col_db[0][lid.x];
  }
}

@compute @workgroup_size(64)
fn layernorm_backward_params_cols(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = grid_index(gid, nwg, ROWS_WG);
  if (c >= bparams.C) { return; }
  let sums = column_sums(c, 0u, 1u);
  dweight[c] = sums.x;
  dbias[c] = sums.y;
}
