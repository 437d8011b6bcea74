// permute.wgsl — out = x with its dimensions reordered (transpose is the 2-axis case).
//
// Work split: one thread per output element, 256 per workgroup (2-D grid when large). Each thread
// turns its output index into coordinates (output shape) and reads x at those coordinates through
// the permuted input strides. Simple and correct for any rank up to 8; a tiled transpose through
// workgroup memory would coalesce the reads as well as the writes.

// #include "common/grid.wgsl"
// #include "common/shape.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // (n) = permuted shape
struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,    // output shape
  stride: array<vec4u, 2>,   // stride in x of each output dimension
}
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn permute_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= params.n) { return; }
  var rest = i;
  var src = 0u;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let size = dim(params.shape, u32(d));
    src += (rest % size) * dim(params.stride, u32(d));
    rest = rest / size;
  }
  y[i] = x[src];
}
