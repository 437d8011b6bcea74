enable subgroups;

// layernorm_subgroup.wgsl — layer normalisation's forward and dx: the subgroup rung of
// layernorm.wgsl's one-workgroup-per-row kernels, compiled only where the adapter has the
// `subgroups` feature (a module that enables it does not compile elsewhere, hence its own file).
// dweight / dbias keep layernorm.wgsl's column kernels.
//
// layernorm_forward_subgroup    one workgroup of 256 threads per row, the same split and the same
// layernorm_backward_subgroup   per-row maths (common/layernorm_rows.wgsl) as layernorm_forward /
//                               layernorm_backward. What it adds: the sums Σx, Σ(x − mean)² and the
//                               backward's pair (Σg, Σg·xhat) are combined by subgroupAdd inside each
//                               subgroup and then across the subgroups through one slot each in
//                               workgroup memory (common/subgroup_reduce.wgsl): 2 barriers per
//                               reduction instead of the tree's 10, whatever the subgroup size.

// #include "common/subgroup_reduce.wgsl"
// #include "common/layernorm_rows.wgsl"

@compute @workgroup_size(256)
fn layernorm_forward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                              @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < fparams.rows;                 // the same for the whole workgroup
  let C = select(0u, fparams.C, valid);
  let base = row * fparams.C;
  let n = f32(fparams.C);
  let slots = subgroup_slots(lid);
  let m = workgroup_sum_sg(row_sum(base, C, lid, WG), slots) / n;
  let r = rstd_of(workgroup_sum_sg(row_sq_dev(base, C, m, lid, WG), slots), n);
  row_write_forward(base, C, m, r, lid, WG);
  if (lid == 0u && valid) {
    mean[row] = m;
    rstd[row] = r;
  }
}

@compute @workgroup_size(256)
fn layernorm_backward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
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
  let slots = subgroup_slots(lid);
  let sums = workgroup_sum4_sg(vec4f(row_grad_sums(base, C, m, r, lid, WG), 0.0, 0.0), slots);
  row_write_backward(base, C, m, r, sums.xy / f32(bparams.C), lid, WG);
}
