// index.wgsl — indexing and shape ops that move data: concat, slice, pad, gather, index_select
// (and through it embedding), with the backward kernels that need more than a copy.
//
// Work split: one thread per element written, 256 threads per workgroup; grids larger than 65535
// workgroups are folded into 2-D, so the linear index is gid.x + gid.y * (num_workgroups.x * 256).
// Every thread writes exactly one element, so no kernel needs atomics and none races.
//
// The forward kernels only copy, so they move raw 32-bit words (array<u32>): the same pipeline
// serves f32 and i32 tensors, bit for bit. The backward kernels that sum read and write f32.
//
// concat_forward         y = one input's block of the concatenation. The host views input t as
//                        [outer, seg_t] and y as [outer, Σ seg]; one dispatch per input copies its
//                        blocks to column offset `offset` of y. (Backward: slices of dy, no kernel.)
// slice_forward          y = x[..., start : start + L·step : step, ...]: x viewed as [outer, D, inner],
//                        y as [outer, L, inner].
// slice_backward         dx = dy placed back where slice_forward took it, 0 elsewhere: one thread per
//                        element of dx (a scatter written as a gather, so every element is written once).
//                        Both slice kernels take half-precision storage (compile's precision: 'mixed',
//                        common/half.wgsl) for an f32 tensor: X_HALF (x / dy holds f16 pairs), Y_HALF
//                        (y / dx written as f16 pairs: one thread per word, elements 2t and 2t + 1, the
//                        second 0 past the end). f16 to f16 moves the 16 bits; f32 to f16 rounds as
//                        half_bits; f16 to f32 widens exactly.
// pad_forward            y = x with `before[d]` elements of `value` before and the rest after each
//                        dimension d (negative amounts crop), torch.nn.functional.pad 'constant'.
//                        The backward of pad is pad with the amounts negated: no kernel of its own.
// gather_forward         torch.gather: y[c] = x[c with c[axis] = index[c]], y and index of one shape.
// gather_backward        dx[c] = Σ_j dy[c with c[axis] = j] over the j with index[...] == c[axis]:
//                        one thread per element of dx walking the index's axis — the scatter-add
//                        written race-free, deterministic (sums in index order).
// index_select_forward   torch.index_select: x viewed as [outer, V, inner], indices (N),
//                        y [outer, N, inner] = x[:, indices[p], :]. Embedding is index_select on
//                        axis 0 of the weight.
// index_select_backward  torch.index_add into zeros: dx[o, v, i] = Σ_{p : indices[p] = v} dy[o, p, i].
//                        One thread per element of dx scanning all N indices; the workgroup stages
//                        256 indices at a time in workgroup memory so each index is read from global
//                        memory once per workgroup, not once per thread. No atomics; sums in index
//                        order, so the embedding gradient is deterministic.
//
// Out-of-range indices (index < 0 or >= the axis size) are rejected on the host when the index
// values are known there. When they are not (large tensors, inside compile(), indices computed on
// the GPU), the kernels never read or write out of bounds: such an index gives a 0 in the forward
// output and contributes nothing to the gradient, and the forward kernels report the first one in
// index_errors (src/gpu/device-errors.ts: the next read throws an error naming it).

// #include "common/grid.wgsl"
// #include "common/shape.wgsl"
// #include "common/index_errors.wgsl"
// #include "common/half.wgsl"

override X_HALF: bool = false;   // slice kernels: x (dy) holds f16 values, two per word
override Y_HALF: bool = false;   // slice kernels: y (dx) written as f16 values, one word per thread

// ---- copies (concat, slice, pad): raw words -------------------------------------------------------
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;

struct ConcatParams {
  n: u32,           // elements of this input = outer · seg
  seg: u32,         // elements of this input per outer index (its axis size · inner)
  out_seg: u32,     // elements of y per outer index (total axis size · inner)
  offset: u32,      // where this input's block starts inside a row of y
}
@group(0) @binding(2) var<uniform> cparams: ConcatParams;

struct SliceParams {
  n: u32,           // elements written: of y (forward) or of dx (backward)
  D: u32,           // size of the sliced axis in x
  L: u32,           // size of the sliced axis in y
  inner: u32,       // product of the dimensions after the axis
  start: u32,
  step: u32,
}
@group(0) @binding(2) var<uniform> sparams: SliceParams;

struct PadParams {
  n: u32,                      // elements of y
  rank: u32,
  value: u32,                  // the fill value's bits (f32 or i32)
  out_shape: array<vec4u, 2>,  // shape of y, up to 8 dims
  in_shape: array<vec4u, 2>,   // shape of x
  before: array<vec4i, 2>,     // elements added before each dimension (negative: cropped)
}
@group(0) @binding(2) var<uniform> pparams: PadParams;

// ---- gathers: data in, indices, data out --------------------------------------------------------
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
// Their backward kernels: gradient in, the same indices, gradient out (sums, so f32).
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

struct GatherParams {
  n: u32,                      // elements written: of y (forward) or of dx (backward)
  rank: u32,
  axis: u32,
  size: u32,                   // x's size along axis: valid indices are 0 ..< size
  ishape: array<vec4u, 2>,     // shape of index (= shape of y)
  xshape: array<vec4u, 2>,     // shape of x
  xstride: array<vec4u, 2>,    // strides of x
}
@group(0) @binding(3) var<uniform> gparams: GatherParams;

struct IndexParams {
  n: u32,           // elements written: of y (forward) or of dx (backward)
  V: u32,           // x's size along the axis: valid indices are 0 ..< V
  N: u32,           // number of indices
  inner: u32,       // product of the dimensions after the axis
}
@group(0) @binding(3) var<uniform> iparams: IndexParams;

// The forward kernels' report of the first out-of-range index (check 2 = gather, 3 = index_select).
@group(0) @binding(4) var<storage, read_write> index_errors: array<atomic<u32>, 8>;

// ---- concat -------------------------------------------------------------------------------------
@compute @workgroup_size(256)
fn concat_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= cparams.n) { return; }
  let o = i / cparams.seg;
  let r = i % cparams.seg;
  y[o * cparams.out_seg + cparams.offset + r] = x[i];
}

// ---- slice --------------------------------------------------------------------------------------
// Element j of x: its f32 bits, or (X_HALF) its f16 bits.
fn slice_src(j: u32) -> u32 {
  if (X_HALF) { return (x[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu; }
  return x[j];
}

// An element of x (slice_src's bits) as stored in y: f16 bits (Y_HALF) or f32 bits.
fn slice_store_bits(b: u32) -> u32 {
  if (X_HALF == Y_HALF) { return b; }
  if (Y_HALF) { return half_bits(bitcast<f32>(b)); }
  return bitcast<u32>(half_value(b));
}

// Where element i of y comes from in x.
fn slice_source_index(i: u32) -> u32 {
  let inner = i % sparams.inner;
  let l = (i / sparams.inner) % sparams.L;
  let o = i / (sparams.inner * sparams.L);
  return (o * sparams.D + sparams.start + l * sparams.step) * sparams.inner + inner;
}

@compute @workgroup_size(256)
fn slice_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (Y_HALF) {
    // One thread per word of y: elements 2t and 2t + 1 (0 past the end).
    if (2u * t >= sparams.n) { return; }
    var hi = 0u;
    if (2u * t + 1u < sparams.n) { hi = slice_store_bits(slice_src(slice_source_index(2u * t + 1u))); }
    y[t] = slice_store_bits(slice_src(slice_source_index(2u * t))) | (hi << 16u);
    return;
  }
  if (t >= sparams.n) { return; }
  y[t] = slice_store_bits(slice_src(slice_source_index(t)));
}

// Here x is dy (outer, L, inner) and y is dx (outer, D, inner): element i of dx as stored in y (0 where
// the slice did not take it; the bits of 0 are 0 in f32 and f16).
fn slice_backward_bits(i: u32) -> u32 {
  let inner = i % sparams.inner;
  let d = (i / sparams.inner) % sparams.D;
  let o = i / (sparams.inner * sparams.D);
  if (d >= sparams.start) {
    let rel = d - sparams.start;
    let l = rel / sparams.step;
    if (rel % sparams.step == 0u && l < sparams.L) {
      return slice_store_bits(slice_src((o * sparams.L + l) * sparams.inner + inner));
    }
  }
  return 0u;
}

@compute @workgroup_size(256)
fn slice_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 256u);
  if (Y_HALF) {
    if (2u * t >= sparams.n) { return; }
    var hi = 0u;
    if (2u * t + 1u < sparams.n) { hi = slice_backward_bits(2u * t + 1u); }
    y[t] = slice_backward_bits(2u * t) | (hi << 16u);
    return;
  }
  if (t >= sparams.n) { return; }
  y[t] = slice_backward_bits(t);
}

// ---- pad ----------------------------------------------------------------------------------------
@compute @workgroup_size(256)
fn pad_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= pparams.n) { return; }
  var rest = i;
  var src = 0u;
  var stride = 1u;                               // stride of dimension d in x
  var inside = true;
  for (var d = i32(pparams.rank) - 1; d >= 0; d--) {
    let size = dim(pparams.out_shape, u32(d));
    let c = i32(rest % size) - dim_i(pparams.before, u32(d));
    rest = rest / size;
    let in_size = dim(pparams.in_shape, u32(d));
    if (c < 0 || c >= i32(in_size)) {
      inside = false;
    } else {
      src += u32(c) * stride;
    }
    stride *= in_size;
  }
  var v = pparams.value;
  if (inside) { v = x[src]; }                   // read x only inside it (select() would read both)
  y[i] = v;
}

// ---- gather -------------------------------------------------------------------------------------
@compute @workgroup_size(256)
fn gather_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= gparams.n) { return; }
  let j = indices[i];
  if (j < 0 || u32(j) >= gparams.size) {
    out[i] = 0u;                                 // out of range: never read outside x
    report_index_error(CHECK_GATHER, j, i, gparams.size, gparams.axis);
    return;
  }
  var rest = i;
  var src = 0u;
  for (var d = i32(gparams.rank) - 1; d >= 0; d--) {
    let size = dim(gparams.ishape, u32(d));
    var c = rest % size;
    rest = rest / size;
    if (u32(d) == gparams.axis) { c = u32(j); }
    src += c * dim(gparams.xstride, u32(d));
  }
  out[i] = x[src];
}

@compute @workgroup_size(256)
fn gather_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= gparams.n) { return; }
  // Coordinates of this element of dx; its position in index (and dy) with the axis coordinate 0.
  var rest = i;
  var base = 0u;
  var istride = 1u;
  var axis_stride = 1u;
  var want = 0u;                                // this element's coordinate on the axis
  var covered = true;                            // index reaches this element's other coordinates
  for (var d = i32(gparams.rank) - 1; d >= 0; d--) {
    let size = dim(gparams.xshape, u32(d));
    let c = rest % size;
    rest = rest / size;
    let isize = dim(gparams.ishape, u32(d));
    if (u32(d) == gparams.axis) {
      want = c;
      axis_stride = istride;
    } else if (c >= isize) {
      covered = false;
    } else {
      base += c * istride;
    }
    istride *= isize;
  }
  var acc = 0.0;
  if (covered) {
    let J = dim(gparams.ishape, gparams.axis);
    for (var j = 0u; j < J; j++) {
      let at = base + j * axis_stride;
      if (indices[at] == i32(want)) { acc += dy[at]; }
    }
  }
  dx[i] = acc;
}

// ---- index_select (and embedding) -----------------------------------------------------------------
@compute @workgroup_size(256)
fn index_select_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  if (i >= iparams.n) { return; }
  let inner = i % iparams.inner;
  let p = (i / iparams.inner) % iparams.N;
  let o = i / (iparams.inner * iparams.N);
  let v = indices[p];
  if (v < 0 || u32(v) >= iparams.V) {
    out[i] = 0u;                                 // out of range: never read outside x
    if (o == 0u && inner == 0u) { report_index_error(CHECK_INDEX_SELECT, v, p, iparams.V, 0u); }
    return;
  }
  out[i] = x[(o * iparams.V + u32(v)) * iparams.inner + inner];
}

var<workgroup> tile: array<i32, 256>;

@compute @workgroup_size(256)
fn index_select_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                         @builtin(local_invocation_index) li: u32) {
  let i = grid_index(gid, nwg, 256u);
  // No early return: every thread helps stage the indices and reaches every barrier.
  let valid = i < iparams.n;
  let inner = i % iparams.inner;
  let v = i32((i / iparams.inner) % iparams.V);
  let o = i / (iparams.inner * iparams.V);
  var acc = 0.0;
  for (var p0 = 0u; p0 < iparams.N; p0 += 256u) {
    if (p0 + li < iparams.N) { tile[li] = indices[p0 + li]; }
    workgroupBarrier();
    if (valid) {
      let count = min(256u, iparams.N - p0);
      for (var q = 0u; q < count; q++) {
        if (tile[q] == v) { acc += dy[(o * iparams.N + p0 + q) * iparams.inner + inner]; }
      }
    }
    workgroupBarrier();
  }
  if (valid) { dx[i] = acc; }
}
