// permute.wgsl — out = x with its dimensions reordered (transpose is the 2-axis case).
//
// Work split: one thread per output element, 256 per workgroup (2-D grid when large). Each thread
// turns its output index into coordinates (output shape) and reads x at those coordinates through
// the permuted input strides. Simple and correct for any rank up to 8; a tiled transpose through
// workgroup memory would coalesce the reads as well as the writes.
//
// permute_rows: when the last output dimension is also contiguous in x (stride 1: splitting or merging
// attention heads, [N, L, H, D] ↔ [N, H, L, D]), one thread copies a whole run of that dimension:
// the index arithmetic is paid once per run instead of once per value. The kernel rule
// (src/ops/kernel-rules.ts, permuteRows) takes it on a software adapter, where a thread's loop over
// contiguous values is what a CPU does best; on a GPU neighbouring threads should touch neighbouring
// values, which permute_forward does.

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

// The offset in x of element `index` of the leading `dims` output dimensions (row-major over them).
fn source_offset(index: u32, dims: u32) -> u32 {
  var rest = index;
  var src = 0u;
  for (var d = i32(dims) - 1; d >= 0; d--) {
    let size = dim(params.shape, u32(d));
    src += (rest % size) * dim(params.stride, u32(d));
    rest = rest / size;
  }
  return src;
}

@compute @workgroup_size(256)
fn permute_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= params.n) { return; }
  y[i] = x[source_offset(i, params.rank)];
}

@compute @workgroup_size(256)
fn permute_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let run = dim(params.shape, params.rank - 1u);
  let r = grid_index(gid, nwg, 256u);
  if (r * run >= params.n) { return; }
  let src = source_offset(r, params.rank - 1u);
  let dst = r * run;
  for (var j = 0u; j < run; j++) {
    y[dst + j] = x[src + j];
  }
}
