// reduce.wgsl — sum / mean / max / min over one axis; argmax / argmin; sum of squares and the global
// norm (further down, each with its own header).
//
// The host views the input as [outer, R, inner] (R = the reduced axis) and the output as
// [outer, inner]. Work split: one workgroup of 64 threads per output element; each thread strides
// over R accumulating a partial result, then a tree reduction in workgroup memory combines the 64
// partials. Large output counts fold the grid into 2-D. `OP` selects the reduction.
// reduce_serial: the same result with one thread per output element walking all of R, no workgroup
// memory and no barrier, for short axes (a 64-thread tree over R ≤ 128 values is mostly idle
// threads) and on software adapters (where a barrier switches every invocation of the workgroup).
// The bindings and the per-element maths (identity, combine, argmax's order, each thread's share of
// a row) are in common/reduce_ops.wgsl, shared with reduce_subgroup.wgsl: the same reductions with
// subgroup operations, where the adapter has the `subgroups` feature.
// Half-precision storage: every kernel here reads x as f16 where X_HALF (f32 sums); with Y_HALF,
// reduce_forward's workgroup makes two outputs (one word of y) one after the other and reduce_serial's
// thread two, so no word of y is written twice.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/reduce_ops.wgsl"

var<workgroup> partial: array<f32, 64>;

// Output o's value (finished: the mean divided) by the whole workgroup, valid in thread 0 only. The
// tree of common/reduce.wgsl's workgroup_sum, with combine() in place of + (so max and min propagate
// NaN: common/reduce_ops.wgsl). Every thread calls it (barriers); an o past the end reduces nothing.
// Only thread 0 reads the result, so a second call may follow without a barrier.
fn output_value(o: u32, lid: u32) -> f32 {
  let R = select(0u, params.R, o < params.outer * params.inner);
  partial[lid] = axis_partial(reduce_base(o), R, lid, WG);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      partial[lid] = combine(partial[lid], partial[lid + s]);
    }
    workgroupBarrier();
  }
  var v = 0.0;
  if (lid == 0u) { v = finish(partial[0]); }
  return v;
}

@compute @workgroup_size(64)
fn reduce_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let u = wid.x + wid.y * nwg.x;                 // output element index in (outer, inner); Y_HALF: word
  let total = params.outer * params.inner;
  // Every thread of the workgroup takes the same path, so barriers stay in uniform control flow.
  if (Y_HALF) {
    // Outputs 2u and 2u + 1, one after the other (0 in the upper half past the end).
    let lo = output_value(2u * u, lid);
    let hi = output_value(2u * u + 1u, lid);
    if (lid == 0u && 2u * u < total) { y[u] = half_pack(lo, select(0.0, hi, 2u * u + 1u < total)); }
  } else {
    let v = output_value(u, lid);
    if (lid == 0u && u < total) { y[u] = bitcast<u32>(v); }
  }
}

@compute @workgroup_size(64)
fn reduce_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let u = grid_index(gid, nwg, WG);
  let total = params.outer * params.inner;
  if (Y_HALF) {
    // The two outputs of word u.
    let o = 2u * u;
    if (o >= total) { return; }
    var hi = 0.0;
    if (o + 1u < total) { hi = finish(axis_partial(reduce_base(o + 1u), params.R, 0u, 1u)); }
    y[u] = half_pack(finish(axis_partial(reduce_base(o), params.R, 0u, 1u)), hi);
  } else {
    if (u >= total) { return; }
    y[u] = bitcast<u32>(finish(axis_partial(reduce_base(u), params.R, 0u, 1u)));
  }
}

// ---- argmax / argmin ----------------------------------------------------------------------------
// reduce_arg: the index along R of the largest (ARG_MAX) or smallest (ARG_MIN) element, written as
// i32, for the same [outer, R, inner] view and the same split (one workgroup of 64 per output). Like
// torch: ties go to the first index, and a NaN counts as the extreme value (the first NaN wins).
// Each thread keeps its best (value, index) pair; the tree reduction combines pairs.

var<workgroup> best_val: array<f32, 64>;
var<workgroup> best_idx: array<u32, 64>;

@compute @workgroup_size(64)
fn reduce_arg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < params.outer * params.inner;
  let R = select(0u, params.R, valid);
  let best = arg_partial(reduce_base(o), R, lid, WG);
  best_val[lid] = best.v;
  best_idx[lid] = best.i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s && beats(best_val[lid + s], best_idx[lid + s], best_val[lid], best_idx[lid])) {
      best_val[lid] = best_val[lid + s];
      best_idx[lid] = best_idx[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u && valid) {
    idx[o] = i32(best_idx[0]);
  }
}

// ---- sum of squares and the global norm ---------------------------------------------------------
// globalNorm(t_1, ..., t_k) = sqrt(Σ_t Σ_i t_i²), for gradient clipping, in two steps:
//   sumsq_partial       one dispatch per tensor: G workgroups of 256 threads grid-stride over the
//                       tensor's n elements (G ≤ 256, chosen by the host); workgroup g writes its
//                       sum of squares to partials[out_base + g].
//   global_norm_finish  one workgroup of 256 threads adds all `count` partials and writes the sqrt.

@compute @workgroup_size(256)
fn sumsq_partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let total = workgroup_sum(sumsq_stride(wid.x * SWG + lid, nwg.x * SWG), lid, SWG);
  if (lid == 0u) {
    sq_partial[sparams.out_base + wid.x] = total;
  }
}

@compute @workgroup_size(256)
fn global_norm_finish(@builtin(local_invocation_index) lid: u32) {
  let total = workgroup_sum(partials_stride(lid, SWG), lid, SWG);
  if (lid == 0u) {
    norm[0] = sqrt(total);
  }
}
