// common/reduce.wgsl — tree reductions over the threads of a workgroup, shared by the kernels that
// `// #include "common/reduce.wgsl"`.
//
// Each thread brings one value v. The values go to workgroup memory and are combined in rounds: in
// the round of stride s = threads/2, threads/4, …, 1, thread lid < s combines the value at lid + s
// into its own, so 256 values take 8 rounds and the order of the additions is a fixed balanced tree
// (the float64 references' tolerances are set for it).
//
// Callers:
//   - every thread of the workgroup calls the function, from uniform control flow (it has barriers);
//   - `lid` is the local_invocation_index and `threads` the workgroup size (a power of two, ≤ 256);
//   - every thread gets the result, and the scratch memory is free again on return (a trailing
//     barrier), so one reduction can follow another.
// The scratch arrays are declared here, at module scope, rather than passed in: WGSL functions may
// take pointers into function or private memory only (workgroup pointers need the optional
// unrestricted_pointer_parameters language extension). Only entry points that call a reduction get them.

var<workgroup> reduce_scratch: array<f32, 256>;
var<workgroup> reduce_scratch4: array<vec4f, 256>;

// Σ v over the workgroup.
fn workgroup_sum(v: f32, lid: u32, threads: u32) -> f32 {
  return workgroup_reduce(v, lid, threads, false);
}

// max v over the workgroup (WGSL's max: with a NaN operand, which one wins is up to the device).
fn workgroup_max(v: f32, lid: u32, threads: u32) -> f32 {
  return workgroup_reduce(v, lid, threads, true);
}

// Σ v, or max v when `take_max` (the same for every thread).
fn workgroup_reduce(v: f32, lid: u32, threads: u32, take_max: bool) -> f32 {
  reduce_scratch[lid] = v;
  workgroupBarrier();
  for (var s = threads / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (take_max) {
        reduce_scratch[lid] = max(reduce_scratch[lid], reduce_scratch[lid + s]);
      } else {
        reduce_scratch[lid] = reduce_scratch[lid] + reduce_scratch[lid + s];
      }
    }
    workgroupBarrier();
  }
  let r = reduce_scratch[0];
  workgroupBarrier();
  return r;
}

// Up to four sums at once, one per component of v (pass 0 in the unused ones): one tree and one
// set of barriers instead of four, each component added in the same order as workgroup_sum.
fn workgroup_sum4(v: vec4f, lid: u32, threads: u32) -> vec4f {
  reduce_scratch4[lid] = v;
  workgroupBarrier();
  for (var s = threads / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { reduce_scratch4[lid] = reduce_scratch4[lid] + reduce_scratch4[lid + s]; }
    workgroupBarrier();
  }
  let r = reduce_scratch4[0];
  workgroupBarrier();
  return r;
}
