// common/reduce_ops.wgsl — the bindings and the per-element maths of shaders/reduce.wgsl (sum / mean /
// max / min, argmax / argmin, sums of squares), shared with shaders/reduce_subgroup.wgsl (the same
// reductions with subgroup operations), so the maths is written once: the identity and combine of
// each reduction, the (value, index) order of argmax / argmin, and each thread's share of a row or a
// tensor (the elements first, first + step, …). reduce.wgsl's header says what the kernels compute.
//
// Half-precision storage (compile's precision: 'mixed'): x and y are array<u32> holding f32 bits, or
// f16 pairs (common/half.wgsl) where X_HALF / Y_HALF; x is read through x_at by every kernel here
// (argmax / argmin and the sums of squares too), and every accumulation is f32. With Y_HALF a
// workgroup (reduce_forward*) or a thread (reduce_serial) makes the two outputs of a word of y.

// #include "common/float.wgsl"
// #include "common/half.wgsl"

override OP: u32 = 0u;    // reduce_forward, reduce_serial: one of
const REDUCE_SUM = 0u;
const REDUCE_MEAN = 1u;
const REDUCE_MAX = 2u;
const REDUCE_MIN = 3u;
override ARG: u32 = 0u;   // reduce_arg: one of
const ARG_MAX = 0u;
const ARG_MIN = 1u;
override X_HALF: bool = false;
override Y_HALF: bool = false;

// reduce_forward, reduce_arg, sumsq_partial
@group(0) @binding(0) var<storage, read> x: array<u32>;               // (outer, R, inner); (n) sumsq_partial
@group(0) @binding(1) var<storage, read_write> y: array<u32>;         // (outer, inner)     reduce_forward
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

const WG = 64u;      // threads per output in the workgroup kernels
const SWG = 256u;    // threads per workgroup in sumsq_partial and global_norm_finish

fn x_at(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

// Where output o's row starts in the [outer, R, inner] view (its values are inner apart).
fn reduce_base(o: u32) -> u32 {
  let inner = max(params.inner, 1u);
  return (o / inner) * params.R * params.inner + o % inner;
}

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

// The mean's division, else the value as it is.
fn finish(v: f32) -> f32 {
  if (OP == REDUCE_MEAN) { return v / f32(params.R); }
  return v;
}

// The combine of the row's values r = first, first + step, … < R (identity() when there are none).
fn axis_partial(base: u32, R: u32, first: u32, step: u32) -> f32 {
  var acc = identity();
  for (var r = first; r < R; r += step) {
    acc = combine(acc, x_at(base + r * params.inner));
  }
  return acc;
}

// ---- argmax / argmin: (value, index) pairs ------------------------------------------------------

const NONE = 0xffffffffu;   // "no element yet" (threads past the end of R)
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

// The best (value, index) among the row's values r = first, first + step, … < R ((0, NONE) when none).
struct Best { v: f32, i: u32 }
fn arg_partial(base: u32, R: u32, first: u32, step: u32) -> Best {
  var best = Best(0.0, NONE);
  for (var r = first; r < R; r += step) {
    let v = x_at(base + r * params.inner);
    if (beats(v, r, best.v, best.i)) { best = Best(v, r); }
  }
  return best;
}

// ---- sums of squares ------------------------------------------------------------------------------

// Σ x_i² over the tensor's elements i = first, first + step, … < n (sumsq_partial's grid stride).
fn sumsq_stride(first: u32, step: u32) -> f32 {
  var acc = 0.0;
  for (var i = first; i < sparams.n; i += step) {
    let v = x_at(i);
    acc += v * v;
  }
  return acc;
}

// Σ of the partial sums of squares i = first, first + step, … < count.
fn partials_stride(first: u32, step: u32) -> f32 {
  var acc = 0.0;
  for (var i = first; i < fparams.count; i += step) { acc += sq_in[i]; }
  return acc;
}
