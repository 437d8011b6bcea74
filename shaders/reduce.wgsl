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

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"

override OP: u32 = 0u;    // reduce_forward, reduce_serial: one of
const REDUCE_SUM = 0u;
const REDUCE_MEAN = 1u;
const REDUCE_MAX = 2u;
const REDUCE_MIN = 3u;
override ARG: u32 = 0u;   // reduce_arg: one of
const ARG_MAX = 0u;
const ARG_MIN = 1u;

// reduce_forward, reduce_arg, sumsq_partial
@group(0) @binding(0) var<storage, read> x: array<f32>;               // (outer, R, inner); (n) sumsq_partial
@group(0) @binding(1) var<storage, read_write> y: array<f32>;         // (outer, inner)     reduce_forward
@group(0) @binding(1) var<storage, read_write> idx: array<i32>;       // (outer, inner)     reduce_arg
struct Params { outer: u32, R: u32, inner: u32 }
@group(0) @binding(2) var<uniform> params: Params;                    // reduce_forward, reduce_arg

@group(0) @binding(1) var<storage, read_write> sq_partial: array<f32>; // (count)  sumsq_partial
struct SumsqParams { n: u32, out_base: u32 }
@group(0) @binding(2) var<uniform> sparams: SumsqParams;              // sumsq_partial

// global_norm_finish
@group(0) @binding(0) var<storage, read> sq_in: array<f32>;           // (count) partial sums of squares
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;      // (1)
struct FinishParams { count: u32 }
@group(0) @binding(2) var<uniform> fparams: FinishParams;

const WG = 64u;
var<workgroup> partial: array<f32, 64>;

// max / min start from ∓∞ (not ∓FLT_MAX: max([-inf]) is -inf) and propagate NaN as PyTorch does
// (max([1, NaN, 3]) is NaN); WGSL's max/min may return either operand of a NaN pair, so NaN is
// tested on the bits and returned explicitly.
fn identity() -> f32 {
  switch OP {
    // Through `let`: a constant expression may not evaluate to an infinity.
    case REDUCE_MAX: { let bits = 0xff800000u; return bitcast<f32>(bits); }   // -inf
    case REDUCE_MIN: { let bits = 0x7f800000u; return bitcast<f32>(bits); }   // +inf
    default: { return 0.0; }
  }
}

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    case REDUCE_MAX: {
      if (is_nan(u)) { return u; }
      if (is_nan(v)) { return v; }
      return max(u, v);
    }
    case REDUCE_MIN: {
      if (is_nan(u)) { return u; }
      if (is_nan(v)) { return v; }
      return min(u, v);
    }
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
  // The tree of common/reduce.wgsl's workgroup_sum, with combine() in place of + (so max and min
  // propagate NaN as above).
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
    if (OP == REDUCE_MEAN) { v = v / f32(params.R); }
    y[o] = v;
  }
}

@compute @workgroup_size(64)
fn reduce_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = grid_index(gid, nwg, WG);
  if (o >= params.outer * params.inner) { return; }
  let outer = o / params.inner;
  let inner = o % params.inner;
  let base = outer * params.R * params.inner + inner;
  var acc = identity();
  for (var r = 0u; r < params.R; r++) {
    acc = combine(acc, x[base + r * params.inner]);
  }
  if (OP == REDUCE_MEAN) { acc = acc / f32(params.R); }
  y[o] = acc;
}

// ---- argmax / argmin ----------------------------------------------------------------------------
// reduce_arg: the index along R of the largest (ARG_MAX) or smallest (ARG_MIN) element, written as
// i32, for the same [outer, R, inner] view and the same split (one workgroup of 64 per output). Like
// torch: ties go to the first index, and a NaN counts as the extreme value (the first NaN wins).
// Each thread keeps its best (value, index) pair; the tree reduction combines pairs.

const NONE = 0xffffffffu;   // "no element yet" (threads past the end of R)
var<workgroup> best_val: array<f32, 64>;
var<workgroup> best_idx: array<u32, 64>;

// Does candidate (av, ai) beat (bv, bi)? Every element beats NONE; NaN beats numbers; equal values
// (or two NaNs) go to the smaller index.
fn beats(av: f32, ai: u32, bv: f32, bi: u32) -> bool {
  if (bi == NONE) { return ai != NONE; }
  if (ai == NONE) { return false; }
  let an = is_nan(av);
  let bn = is_nan(bv);
  if (an || bn) {
    if (an && bn) { return ai < bi; }
    return an;
  }
  if (av == bv) { return ai < bi; }
  if (ARG == ARG_MAX) { return av > bv; }
  return av < bv;
}

@compute @workgroup_size(64)
fn reduce_arg(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < params.outer * params.inner;
  let outer = o / max(params.inner, 1u);
  let inner = o % max(params.inner, 1u);
  let base = outer * params.R * params.inner + inner;
  var bv = 0.0;
  var bi = NONE;
  if (valid) {
    for (var r = lid; r < params.R; r += WG) {
      let v = x[base + r * params.inner];
      if (beats(v, r, bv, bi)) {
        bv = v;
        bi = r;
      }
    }
  }
  best_val[lid] = bv;
  best_idx[lid] = bi;
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

const SWG = 256u;
@compute @workgroup_size(256)
fn sumsq_partial(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * SWG + lid; i < sparams.n; i += nwg.x * SWG) {
    let v = x[i];
    acc += v * v;
  }
  let total = workgroup_sum(acc, lid, SWG);
  if (lid == 0u) {
    sq_partial[sparams.out_base + wid.x] = total;
  }
}

@compute @workgroup_size(256)
fn global_norm_finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < fparams.count; i += SWG) {
    acc += sq_in[i];
  }
  let total = workgroup_sum(acc, lid, SWG);
  if (lid == 0u) {
    norm[0] = sqrt(total);
  }
}
