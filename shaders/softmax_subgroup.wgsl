enable subgroups;

// softmax_subgroup.wgsl — softmax and log-softmax over one axis, and their backward passes: the
// subgroup rung of softmax.wgsl's one-workgroup-per-row kernels, compiled only where the adapter has
// the `subgroups` feature (a module that enables it does not compile elsewhere, hence its own file).
//
// softmax_forward_subgroup    one workgroup of 256 threads per row, the same split and the same
// softmax_backward_subgroup   per-row maths (common/softmax_rows.wgsl) as softmax_forward /
//                             softmax_backward. What it adds: the row's max and sums are combined by
//                             subgroupMax / subgroupAdd inside each subgroup and then across the
//                             subgroups through one slot each in workgroup memory
//                             (common/subgroup_reduce.wgsl): 2 barriers per reduction instead of the
//                             tree's 10, whatever the subgroup size.

// #include "common/subgroup_reduce.wgsl"
// #include "common/softmax_rows.wgsl"

@compute @workgroup_size(256)
fn softmax_forward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                            @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;                    // row index in (outer, inner)
  let valid = o < fparams.outer * fparams.inner;    // the same for the whole workgroup
  let base = row_base(o, fparams);
  let R = select(0u, fparams.R, valid);
  let slots = subgroup_slots(lid);
  let m = workgroup_max_sg(row_max(base, R, lid, WG), slots);
  let s = workgroup_sum_sg(row_sum_exp(base, R, m, lid, WG), slots);
  row_write_forward(base, R, m, s, lid, WG);
}

@compute @workgroup_size(256)
fn softmax_backward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                             @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < bparams.outer * bparams.inner;
  let base = row_base(o, bparams);
  let R = select(0u, bparams.R, valid);
  let slots = subgroup_slots(lid);
  let total = workgroup_sum_sg(row_backward_sum(base, R, lid, WG), slots);
  row_write_backward(base, R, total, lid, WG);
}
