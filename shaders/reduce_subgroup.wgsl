enable subgroups;

// reduce_subgroup.wgsl — sum / mean / max / min over one axis, argmax / argmin, and the global norm's
// sums of squares: the subgroup rung of reduce.wgsl's workgroup kernels, compiled only where the
// adapter has the `subgroups` feature (a module that enables it does not compile elsewhere, hence its
// own file). Same bindings, splits and per-element maths (common/reduce_ops.wgsl) as reduce.wgsl:
//
// reduce_forward_subgroup        one workgroup of 64 threads per output, as reduce_forward
// reduce_arg_subgroup            one workgroup of 64 threads per output, as reduce_arg
// sumsq_partial_subgroup         G workgroups of 256 threads per tensor, as sumsq_partial
// global_norm_finish_subgroup    one workgroup of 256 threads, as global_norm_finish
//
// What they add: each thread's partial result is combined inside its subgroup by subgroup operations
// (subgroupAdd; subgroupMax / subgroupMin; for argmax the extreme value, then the smallest index
// holding it), then across the subgroups through one slot each in workgroup memory
// (common/subgroup_reduce.wgsl): 2 barriers instead of the tree's 8 (64 threads) or 10 (256),
// whatever the subgroup size. PyTorch's NaN rules hold as in reduce.wgsl: subgroupMax / subgroupMin
// may return either operand of a NaN pair, so NaNs are found apart (on the bits) and win explicitly.
// Half-precision storage (X_HALF, Y_HALF) as in reduce.wgsl: a workgroup makes a word's two outputs.

// #include "common/subgroup_reduce.wgsl"
// #include "common/reduce_ops.wgsl"

// ---- sum / mean / max / min ---------------------------------------------------------------------

// combine() over the subgroup's values v.
fn subgroup_combine(v: f32) -> f32 {
  if (OP == REDUCE_MAX || OP == REDUCE_MIN) {
    let any_nan = subgroupMax(select(0u, 1u, is_nan(v)));
    let clean = select(v, identity(), is_nan(v));
    var m = subgroupMin(clean);
    if (OP == REDUCE_MAX) { m = subgroupMax(clean); }
    return select(m, nan_like(m), any_nan == 1u);
  }
  return subgroupAdd(v);
}

// combine() over the workgroup's values v, in slot order across the subgroups.
fn workgroup_combine_sg(v: f32, s: SubgroupSlots) -> f32 {
  let part = subgroup_combine(v);
  if (s.leader) { sg_partial[s.slot].x = part; }
  workgroupBarrier();
  var acc = sg_partial[0].x;
  for (var i = 1u; i < s.count; i++) { acc = combine(acc, sg_partial[i].x); }
  workgroupBarrier();
  return acc;
}

// Output o's value (finished: the mean divided) by the whole workgroup; an o past the end reduces nothing.
fn output_value_sg(o: u32, lid: u32, slots: SubgroupSlots) -> f32 {
  let R = select(0u, params.R, o < params.outer * params.inner);   // the same for the whole workgroup
  return finish(workgroup_combine_sg(axis_partial(reduce_base(o), R, lid, WG), slots));
}

@compute @workgroup_size(64)
fn reduce_forward_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                           @builtin(local_invocation_index) lid: u32) {
  let u = wid.x + wid.y * nwg.x;                   // output element index in (outer, inner); Y_HALF: word
  let total = params.outer * params.inner;
  let slots = subgroup_slots(lid);
  if (Y_HALF) {
    // Outputs 2u and 2u + 1 (one word of y), as reduce_forward.
    let lo = output_value_sg(2u * u, lid, slots);
    let hi = output_value_sg(2u * u + 1u, lid, slots);
    if (lid == 0u && 2u * u < total) { y[u] = half_pack(lo, select(0.0, hi, 2u * u + 1u < total)); }
  } else {
    let v = output_value_sg(u, lid, slots);
    if (lid == 0u && u < total) { y[u] = bitcast<u32>(v); }
  }
}

// ---- argmax / argmin ----------------------------------------------------------------------------

var<workgroup> sg_best_idx: array<u32, 256>;   // beside sg_partial[slot].x, the value

// The best of the subgroup's (value, index) pairs by beats(): the first NaN if there is one, else the
// smallest index holding the extreme value (a pair with index NONE holds no element).
fn subgroup_best(b: Best) -> Best {
  let real = b.i != NONE;
  let nan = real && is_nan(b.v);
  let first_nan = subgroupMin(select(NONE, b.i, nan));
  let number = real && !nan;
  var ext: f32;
  if (ARG == ARG_MAX) {
    let ninf = 0xff800000u;
    ext = subgroupMax(select(bitcast<f32>(ninf), b.v, number));
  } else {
    let pinf = 0x7f800000u;
    ext = subgroupMin(select(bitcast<f32>(pinf), b.v, number));
  }
  let first_ext = subgroupMin(select(NONE, b.i, number && b.v == ext));
  if (first_nan != NONE) { return Best(nan_like(ext), first_nan); }
  return Best(ext, first_ext);
}

@compute @workgroup_size(64)
fn reduce_arg_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                       @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < params.outer * params.inner;
  let R = select(0u, params.R, valid);
  let slots = subgroup_slots(lid);
  let part = subgroup_best(arg_partial(reduce_base(o), R, lid, WG));
  if (slots.leader) {
    sg_partial[slots.slot].x = part.v;
    sg_best_idx[slots.slot] = part.i;
  }
  workgroupBarrier();
  if (lid == 0u && valid) {
    var best = Best(sg_partial[0].x, sg_best_idx[0]);
    for (var i = 1u; i < slots.count; i++) {
      let v = sg_partial[i].x;
      let k = sg_best_idx[i];
      if (beats(v, k, best.v, best.i)) { best = Best(v, k); }
    }
    idx[o] = i32(best.i);
  }
}

// ---- sum of squares and the global norm ---------------------------------------------------------

@compute @workgroup_size(256)
fn sumsq_partial_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(local_invocation_index) lid: u32) {
  let slots = subgroup_slots(lid);
  let total = workgroup_sum_sg(sumsq_stride(wid.x * SWG + lid, nwg.x * SWG), slots);
  if (lid == 0u) {
    sq_partial[sparams.out_base + wid.x] = total;
  }
}

@compute @workgroup_size(256)
fn global_norm_finish_subgroup(@builtin(local_invocation_index) lid: u32) {
  let slots = subgroup_slots(lid);
  let total = workgroup_sum_sg(partials_stride(lid, SWG), slots);
  if (lid == 0u) {
    norm[0] = sqrt(total);
  }
}
