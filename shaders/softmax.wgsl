// softmax.wgsl — softmax and log-softmax over one axis, and their backward passes.
//
// The host views the tensor as [outer, R, inner] with R the softmax axis, so any axis works without
// a transpose: a "row" is the R elements base + r·inner (r = 0..R-1), contiguous when the axis is the
// last one (inner = 1). `OP` picks the variant: OP_SOFTMAX or OP_LOG_SOFTMAX.
//
// The per-row maths (forward: m = max_r x, s = Σ_r e^(x−m) (two sweeps), then y = e^(x−m) / s or
// y = x − m − log s, so logits of 1e4 never overflow; backward: one sum, then the gradient) lives in
// the row_* functions of common/softmax_rows.wgsl (with the bindings), each walking the elements
// r = first, first + step, … of one row. Two work splits here call them, and a third in
// softmax_subgroup.wgsl (one workgroup per row, reduced with subgroupMax / subgroupAdd where the
// adapter has the `subgroups` feature):
//
// softmax_forward        one workgroup of 256 threads per row (outer·inner rows, the grid folded into
// softmax_backward       2-D when there are more than 65535). Thread lid walks r = lid, lid + 256, …;
//                        the partial results are combined by a tree reduction in workgroup memory.
//                        Rows longer than 256 simply take more strides.
// softmax_forward_rows   one thread per row walking all of it (first 0, step 1): no workgroup memory,
// softmax_backward_rows  no barrier. For short rows (R ≤ 64 leaves most of a 256-thread workgroup
//                        idle) and on software adapters with at least 4 rows (a barrier there
//                        switches every invocation of the workgroup); the host decides. Neighbouring
//                        threads own neighbouring rows, so a non-last axis (inner > 1) reads coalesced.
//
// Every version reads and writes f16 storage where the host sets X_HALF / Y_HALF (forward) or
// Y_IN_HALF / DY_HALF / DX_HALF (backward): see common/softmax_rows.wgsl. Statistics stay f32.
//
// The backward, from the forward's output y and the incoming gradient dy:
//   softmax:      dx = y · (dy − Σ_r dy·y)
//   log-softmax:  dx = dy − e^y · Σ_r dy        (e^y is the softmax)

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/softmax_rows.wgsl"

// ---- one workgroup per row ----------------------------------------------------------------------

@compute @workgroup_size(256)
fn softmax_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;                    // row index in (outer, inner)
  let valid = o < fparams.outer * fparams.inner;    // the same for the whole workgroup
  let base = row_base(o, fparams);
  let R = select(0u, fparams.R, valid);
  let m = workgroup_max(row_max(base, R, lid, WG), lid, WG);
  let s = workgroup_sum(row_sum_exp(base, R, m, lid, WG), lid, WG);
  row_write_forward(base, R, m, s, lid, WG);
}

@compute @workgroup_size(256)
fn softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < bparams.outer * bparams.inner;
  let base = row_base(o, bparams);
  let R = select(0u, bparams.R, valid);
  let total = workgroup_sum(row_backward_sum(base, R, lid, WG), lid, WG);
  row_write_backward(base, R, total, lid, WG);
}

// ---- one thread per row -------------------------------------------------------------------------

@compute @workgroup_size(64)
fn softmax_forward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = grid_index(gid, nwg, ROWS_WG);
  if (o >= fparams.outer * fparams.inner) { return; }
  let base = row_base(o, fparams);
  let R = fparams.R;
  let m = row_max(base, R, 0u, 1u);
  row_write_forward(base, R, m, row_sum_exp(base, R, m, 0u, 1u), 0u, 1u);
}

@compute @workgroup_size(64)
fn softmax_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = grid_index(gid, nwg, ROWS_WG);
  if (o >= bparams.outer * bparams.inner) { return; }
  let base = row_base(o, bparams);
  let R = bparams.R;
  row_write_backward(base, R, row_backward_sum(base, R, 0u, 1u), 0u, 1u);
}
