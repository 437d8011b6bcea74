// reduce.wgsl — sum / mean / max / min over one axis.
//
// The host views the input as [outer, R, inner] (R = the reduced axis) and the output as
// [outer, inner]. Work split: one workgroup of 64 threads per output element; each thread strides
// over R accumulating a partial result, then a tree reduction in workgroup memory combines the 64
// partials. Large output counts fold the grid into 2-D. `OP` selects the reduction.

override OP: u32 = 0u;   // 0 sum, 1 mean, 2 max, 3 min

@group(0) @binding(0) var<storage, read> x: array<f32>;          // (outer, R, inner)
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // (outer, inner)
struct Params { outer: u32, R: u32, inner: u32 }
@group(0) @binding(2) var<uniform> params: Params;

const WG = 64u;
var<workgroup> partial: array<f32, 64>;

fn identity() -> f32 {
  switch OP {
    case 2u: { return -3.4028234663852886e38; }
    case 3u: { return 3.4028234663852886e38; }
    default: { return 0.0; }
  }
}

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    case 2u: { return max(u, v); }
    case 3u: { return min(u, v); }
    default: { return u + v; }
  }
}

@compute @workgroup_size(64)
fn reduce_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;                 // output element index in (outer, inner)
  let total = params.outer * params.inner;
  // Every thread of the workgroup takes the same path, so barriers stay in uniform control flow.
  let valid = o < total;
  let outer = o / max(params.inner, 1u);
  let inner = o % max(params.inner, 1u);
  let base = outer * params.R * params.inner + inner;
  var acc = identity();
  if (valid) {
    for (var r = lid; r < params.R; r += WG) {
      acc = combine(acc, x[base + r * params.inner]);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      partial[lid] = combine(partial[lid], partial[lid + s]);
    }
    workgroupBarrier();
  }
  if (lid == 0u && valid) {
    var v = partial[0];
    if (OP == 1u) { v = v / f32(params.R); }
    y[o] = v;
  }
}
