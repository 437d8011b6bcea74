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
//
// Half-precision storage (compile's precision: 'mixed', shaders/common/half.wgsl): x and y are
// array<u32> holding f32 (or i32) bits or f16 pairs, by the X_HALF and Y_HALF overrides. With a half y
// a permute_forward thread gathers the two elements of an output word (2t and 2t + 1; the host halves
// the grid), and permute_rows writes its run a word at a time, so it is only used with a half y when
// the run has even length (rows then start on word boundaries; the host falls back to permute_forward
// otherwise). With both overrides false the kernels copy 32-bit words as they did.

// #include "common/grid.wgsl"
// #include "common/shape.wgsl"
// #include "common/half.wgsl"

@group(0) @binding(0) var<storage, read> x: array<u32>;          // f32/i32 bits, or f16 pairs (X_HALF)
@group(0) @binding(1) var<storage, read_write> y: array<u32>;    // (n) = permuted shape; f16 pairs with Y_HALF
struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4u, 2>,    // output shape
  stride: array<vec4u, 2>,   // stride in x of each output dimension
}
@group(0) @binding(2) var<uniform> params: Params;
override X_HALF: bool = false;
override Y_HALF: bool = false;

fn x_at(j: u32) -> f32 {
  if (X_HALF) { return half_at(x[j >> 1u], j); }
  return bitcast<f32>(x[j]);
}

// Element j of x as the 32-bit word an f32 y stores (the bits themselves when x is not half).
fn x_word(j: u32) -> u32 {
  if (X_HALF) { return bitcast<u32>(half_at(x[j >> 1u], j)); }
  return x[j];
}

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
  let t = grid_index(gid, nwg, 256u);
  if (Y_HALF) {                       // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= params.n) { return; }
    var hi = 0.0;
    if (i + 1u < params.n) { hi = x_at(source_offset(i + 1u, params.rank)); }
    y[t] = half_pack(x_at(source_offset(i, params.rank)), hi);
    return;
  }
  if (t >= params.n) { return; }
  y[t] = x_word(source_offset(t, params.rank));
}

@compute @workgroup_size(256)
fn permute_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let run = dim(params.shape, params.rank - 1u);
  let r = grid_index(gid, nwg, 256u);
  if (r * run >= params.n) { return; }
  let src = source_offset(r, params.rank - 1u);
  let dst = r * run;
  if (Y_HALF) {                       // run is even: the row is whole words of y
    for (var j = 0u; j < run; j += 2u) {
      y[(dst + j) >> 1u] = half_pack(x_at(src + j), x_at(src + j + 1u));
    }
    return;
  }
  for (var j = 0u; j < run; j++) {
    y[dst + j] = x_word(src + j);
  }
}
