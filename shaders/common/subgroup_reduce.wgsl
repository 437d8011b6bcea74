// common/subgroup_reduce.wgsl — reductions over the threads of a workgroup with subgroup operations:
// the subgroup rung beside common/reduce.wgsl's trees. Only for kernel files that start with
// `enable subgroups;`, which compile only where the adapter has the `subgroups` feature (the ops pick
// those kernels only then: src/ops/kernel-rules.ts, rowVersions).
//
// What it adds over the tree: a tree of 256 values takes 8 rounds through workgroup memory, each
// ending in a workgroupBarrier. Here two levels do it:
//   1. inside each subgroup, subgroupAdd / subgroupMax combine the threads' values in registers (no
//      workgroup memory, no barrier);
//   2. each subgroup's leader writes its value to a slot in workgroup memory; after one barrier every
//      thread combines the slots 0, 1, …, count − 1 in that order, so every thread gets the same
//      result and the order of the additions is fixed for a given adapter.
// So a reduction costs 2 barriers instead of 10 (the tree's 8 rounds, the write before them and the
// trailing one).
//
// Any subgroup size and any grouping of threads: WGSL promises neither a size (SwiftShader and Intel
// may run 4–32 threads per subgroup, NVIDIA 32, AMD 32 or 64) nor that a subgroup is a contiguous run
// of local_invocation_index values, nor that it is full. So the slots are not lid / subgroup_size:
// subgroup_slots() finds them once per workgroup. A subgroup's leader is its thread with the smallest
// lid; each leader sets its bit in a 256-bit mask in workgroup memory, and after one barrier a
// subgroup's slot is the number of leaders with a smaller lid (a popcount), `count` the number of
// subgroups. There are at most as many subgroups as threads, so 256 slots always suffice.
//
// Callers:
//   - the workgroup has at most 256 threads, in one dimension or flattened by local_invocation_index;
//   - call subgroup_slots(lid) once, before the first reduction, and pass its result to each one;
//   - every thread calls every function from uniform control flow (barriers and subgroup operations);
//   - the slots are free again on return (a trailing barrier), so one reduction can follow another.

struct SubgroupSlots {
  slot: u32,      // this thread's subgroup's slot, 0 .. count − 1
  count: u32,     // subgroups in the workgroup
  leader: bool,   // does this thread write its subgroup's slot?
}

// Bit i of word i / 32: thread i leads its subgroup. Workgroup memory starts zeroed (WGSL), so the
// mask needs no clearing.
var<workgroup> sg_leaders: array<atomic<u32>, 8>;
// One value (up to four sums) per subgroup.
var<workgroup> sg_partial: array<vec4f, 256>;

// The slots of this workgroup's subgroups (one barrier; call once per workgroup).
fn subgroup_slots(lid: u32) -> SubgroupSlots {
  let leader = subgroupMin(lid);
  if (lid == leader) { atomicOr(&sg_leaders[lid / 32u], 1u << (lid % 32u)); }
  workgroupBarrier();
  var before = 0u;
  var count = 0u;
  for (var w = 0u; w < 8u; w++) {
    let bits = atomicLoad(&sg_leaders[w]);
    count += countOneBits(bits);
    if (w < leader / 32u) {
      before += countOneBits(bits);
    } else if (w == leader / 32u) {
      before += countOneBits(bits & ((1u << (leader % 32u)) - 1u));
    }
  }
  return SubgroupSlots(before, count, lid == leader);
}

// Up to four sums at once, one per component of v (pass 0 in the unused ones).
fn workgroup_sum4_sg(v: vec4f, s: SubgroupSlots) -> vec4f {
  let part = subgroupAdd(v);
  if (s.leader) { sg_partial[s.slot] = part; }
  workgroupBarrier();
  var total = vec4f(0.0);
  for (var i = 0u; i < s.count; i++) { total += sg_partial[i]; }
  workgroupBarrier();
  return total;
}

// Σ v over the workgroup.
fn workgroup_sum_sg(v: f32, s: SubgroupSlots) -> f32 {
  return workgroup_sum4_sg(vec4f(v, 0.0, 0.0, 0.0), s).x;
}

// max v over the workgroup (like workgroup_max: with a NaN operand, which one wins is up to the device).
fn workgroup_max_sg(v: f32, s: SubgroupSlots) -> f32 {
  let part = subgroupMax(v);
  if (s.leader) { sg_partial[s.slot].x = part; }
  workgroupBarrier();
  var m = sg_partial[0].x;
  for (var i = 1u; i < s.count; i++) { m = max(m, sg_partial[i].x); }
  workgroupBarrier();
  return m;
}
