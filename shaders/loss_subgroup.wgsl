enable subgroups;

// loss_subgroup.wgsl — cross-entropy's fused log-softmax + NLL forward and its final sums: the
// subgroup rung of loss.wgsl's workgroup kernels, compiled only where the adapter has the `subgroups`
// feature (a module that enables it does not compile elsewhere, hence its own file). The backward,
// one thread per logit with no reduction, stays loss.wgsl's cross_entropy_backward.
//
// cross_entropy_forward_subgroup  one workgroup of 64 threads per row of logits (M, C), the same
//                                 split and the same sweeps and row results
//                                 (common/cross_entropy_rows.wgsl) as cross_entropy_forward.
// cross_entropy_reduce_subgroup   one workgroup of 256 threads for the final sums, as
//                                 cross_entropy_reduce.
// What they add: the row max and the sums are combined by subgroupMax / subgroupAdd inside each
// subgroup and then across the subgroups through one slot each in workgroup memory
// (common/subgroup_reduce.wgsl): 2 barriers per reduction instead of the tree's 8 (64 threads) or
// 10 (256), whatever the subgroup size.

// #include "common/subgroup_reduce.wgsl"
// #include "common/cross_entropy_rows.wgsl"

@compute @workgroup_size(64)
fn cross_entropy_forward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                                  @builtin(local_invocation_index) lid: u32) {
  let M = ce_params.M;
  let C = ce_params.C;
  let row = wid.x + wid.y * nwg.x;
  // Every thread takes the same path (barriers need uniform control flow); a row past the end of a
  // folded grid reads row M-1 and writes nothing.
  let valid = row < M;
  let base = min(row, M - 1u) * C;
  let slots = subgroup_slots(lid);
  let row_max = workgroup_max_sg(ce_sweep_max(base, C, lid, CE_WG), slots);
  let sums = workgroup_sum4_sg(vec4f(ce_sweep_sums(base, C, row_max, lid, CE_WG), 0.0), slots);
  if (lid == 0u && valid) {
    write_row(row, base, row_max, sums.x, sums.y, sums.z);
  }
}

@compute @workgroup_size(256)
fn cross_entropy_reduce_subgroup(@builtin(local_invocation_index) lid: u32) {
  let slots = subgroup_slots(lid);
  let sums = workgroup_sum4_sg(vec4f(ce_reduce_partials(lid, 256u), 0.0), slots);
  if (lid == 0u) {
    write_reduced(sums.x, sums.y, sums.z);
  }
}
