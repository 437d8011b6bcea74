// fill.wgsl — write one 32-bit pattern into every element of a buffer.
// Used to zero accumulators (scatter-add, atomics) and to poison outputs with NaN in tests.
// One thread per element, 256 threads per workgroup, grid folded into 2-D for large buffers.

// #include "common/grid.wgsl"

@group(0) @binding(0) var<storage, read_write> out: array<u32>;   // (n)
struct Params { n: u32, value: u32 }
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(256)
fn fill_u32(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i < params.n) {
    out[i] = params.value;
  }
}
