// dropout.wgsl — inverted dropout with a counter-based random number generator, and its backward.
//
//   y[i] = keep(i) ? x[i] / (1 − p) : 0            (dropout_forward)
//   dx[i] = keep(i) ? dy[i] / (1 − p) : 0          (dropout_backward)
//
// The mask is never stored: the backward regenerates it from (seed, offset), so forward and
// backward draw exactly the same bits for element i.
//
// THE RNG (the specification; shaders/common/philox.wgsl implements it, shared with the attention
// kernels' dropout; src/reference/dropout.ts implements the same definition on the CPU):
//   Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11),
//   as in Random123:
//     round(ctr, key):  (hi0, lo0) = mulhilo(0xD2511F53, ctr.x)
//                       (hi1, lo1) = mulhilo(0xCD9E8D57, ctr.z)
//                       ctr' = (hi1 ^ ctr.y ^ key.x, lo1, hi0 ^ ctr.w ^ key.y, lo0)
//     bump(key):        key' = (key.x + 0x9E3779B9, key.y + 0xBB67AE85)        (mod 2^32)
//     philox(ctr, key): 10 rounds, the key bumped between consecutive rounds.
//   mulhilo(a, b) = the high and low 32-bit words of the 64-bit product a·b.
//   Element i of a call with seed s (a 64-bit key: key.x = low word, key.y = high word) and offset o:
//     c = o + i as a 64-bit integer;   bits = philox((c_lo, c_hi, 0, 0), (s_lo, s_hi)).x
//     keep(i) = bits >= threshold,     threshold = floor(p · 2^32)   (computed on the host)
//   so P(keep) = 1 − threshold / 2^32 ≈ 1 − p, and the comparison is exact integer arithmetic.
//   Calls that must not share masks use different seeds or non-overlapping offset ranges
//   (torch's Philox offset plays the same role).
//
// Work split: one thread per element, 256 threads per workgroup; grids over 65535 workgroups are
// folded into 2-D (the linear index is gid.x + gid.y · num_workgroups.x · 256).
// Bindings: binding 0 is the input (x, or dy for the backward), binding 2 the output (y, or dx).
//
// Half-precision storage (compile's precision: 'mixed', shaders/common/half.wgsl): the input and the
// output are array<u32> holding f32 bits or f16 pairs, by the IN_HALF and OUT_HALF overrides (the key
// is always two u32 words). With a half output one thread computes the two elements of an output word
// (2t and 2t + 1, each with its own keep(i)); with both overrides false the kernels are as they were.

// #include "common/grid.wgsl"
// #include "common/philox.wgsl"
// #include "common/half.wgsl"

@group(0) @binding(0) var<storage, read> x: array<u32>;           // (n) dropout_forward
@group(0) @binding(0) var<storage, read> dy: array<u32>;          // (n) dropout_backward
@group(0) @binding(1) var<storage, read> key: array<u32>;         // (2) Philox key: seed low, high word
@group(0) @binding(2) var<storage, read_write> y: array<u32>;     // (n) dropout_forward
@group(0) @binding(2) var<storage, read_write> dx: array<u32>;    // (n) dropout_backward
override IN_HALF: bool = false;    // x (dy) holds f16 pairs
override OUT_HALF: bool = false;   // y (dx) is written as f16 pairs
struct Params {
  n: u32,
  offset_lo: u32,    // offset, low 32 bits
  offset_hi: u32,    // offset, high 32 bits
  threshold: u32,    // floor(p · 2^32): element dropped when its random word is below this
  scale: f32,        // 1 / (1 − p)
}
@group(0) @binding(3) var<uniform> params: Params;

const WG = 256u;

// Does element i survive? Counter = offset + i (64-bit add with carry), key = the seed.
fn keep(i: u32) -> bool {
  let lo = params.offset_lo + i;
  let hi = params.offset_hi + select(0u, 1u, lo < i);
  let bits = philox4x32_10(vec4u(lo, hi, 0u, 0u), vec2u(key[0], key[1])).x;
  return bits >= params.threshold;
}

fn x_at(i: u32) -> f32 {
  if (IN_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}

fn dy_at(i: u32) -> f32 {
  if (IN_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

fn forward_at(i: u32) -> f32 { return select(0.0, x_at(i) * params.scale, keep(i)); }
fn backward_at(i: u32) -> f32 { return select(0.0, dy_at(i) * params.scale, keep(i)); }

@compute @workgroup_size(256)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, WG);
  if (OUT_HALF) {                     // word t: elements 2t and 2t + 1 (the odd tail's high half is 0)
    let i = 2u * t;
    if (i >= params.n) { return; }
    var hi = 0.0;
    if (i + 1u < params.n) { hi = forward_at(i + 1u); }
    y[t] = half_pack(forward_at(i), hi);
    return;
  }
  if (t >= params.n) { return; }
  y[t] = bitcast<u32>(forward_at(t));
}

@compute @workgroup_size(256)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, WG);
  if (OUT_HALF) {
    let i = 2u * t;
    if (i >= params.n) { return; }
    var hi = 0.0;
    if (i + 1u < params.n) { hi = backward_at(i + 1u); }
    dx[t] = half_pack(backward_at(i), hi);
    return;
  }
  if (t >= params.n) { return; }
  dx[t] = bitcast<u32>(backward_at(t));
}

// ---- seed_next: the key of the next step ----------------------------------------------------------
// A compiled training step reuses one dropout key tensor; after each step the plan replaces it with
// seed_next(key) = key + 1 as a 64-bit integer (low word first), so every step draws a new mask.
// One thread.
@group(0) @binding(0) var<storage, read> seed_in: array<u32>;         // (2)
@group(0) @binding(1) var<storage, read_write> seed_out: array<u32>;  // (2)

@compute @workgroup_size(1)
fn seed_next() {
  let lo = seed_in[0] + 1u;
  seed_out[0] = lo;
  seed_out[1] = seed_in[1] + select(0u, 1u, lo == 0u);
}

// ---- augment_forward: random shift, horizontal flip and Gaussian noise for image batches ---------
// The same Philox generator drives training-time data augmentation on the GPU (NCHW images).
//   per sample n:   w = philox((n, 0, 1, 0), key)
//                   shift_y = w.x mod (2·shift + 1) − shift,  shift_x = w.y mod (2·shift + 1) − shift,
//                   flip = flip_p > 0 and (w.z >> 8) / 2^24 < flip_p
//   per element i:  v = philox((i, 0, 2, 0), key);  u1 = ((v.x >> 8) + 0.5) / 2^24, u2 = (v.y >> 8) / 2^24
//                   noise = sqrt(−2 ln u1) · cos(2π u2)           (Box–Muller)
//   y[n, c, h, w] = x[n, c, h − shift_y, (flip ? W − 1 − w : w) − shift_x]  (0 outside the image)
//                   + std · noise
// One thread per output element.
@group(0) @binding(0) var<storage, read> img: array<f32>;          // (N, C, H, W)
@group(0) @binding(1) var<storage, read> akey: array<u32>;         // (2) Philox key
@group(0) @binding(2) var<storage, read_write> aug: array<f32>;    // (N, C, H, W)
struct AugmentParams {
  N: u32, C: u32, H: u32, W: u32,
  shift: u32,        // largest shift in pixels
  flip_p: f32,       // probability of a horizontal flip
  noise_std: f32,    // standard deviation of the added noise
}
@group(0) @binding(3) var<uniform> aparams: AugmentParams;

@compute @workgroup_size(256)
fn augment_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, 256u);
  let total = aparams.N * aparams.C * aparams.H * aparams.W;
  if (i >= total) { return; }
  let k = vec2u(akey[0], akey[1]);
  let w = i % aparams.W;
  let h = (i / aparams.W) % aparams.H;
  let n = i / (aparams.W * aparams.H * aparams.C);
  let c = (i / (aparams.W * aparams.H)) % aparams.C;
  let s = philox4x32_10(vec4u(n, 0u, 1u, 0u), k);
  let span = 2u * aparams.shift + 1u;
  let shift_y = i32(s.x % span) - i32(aparams.shift);
  let shift_x = i32(s.y % span) - i32(aparams.shift);
  let flip = aparams.flip_p > 0.0 && f32(s.z >> 8u) / 16777216.0 < aparams.flip_p;
  let fw = select(i32(w), i32(aparams.W) - 1 - i32(w), flip);
  let sh = i32(h) - shift_y;
  let sw = fw - shift_x;
  var v = 0.0;
  if (sh >= 0 && sw >= 0 && sh < i32(aparams.H) && sw < i32(aparams.W)) {
    v = img[((n * aparams.C + c) * aparams.H + u32(sh)) * aparams.W + u32(sw)];
  }
  if (aparams.noise_std > 0.0) {
    let r = philox4x32_10(vec4u(i, 0u, 2u, 0u), k);
    let u1 = (f32(r.x >> 8u) + 0.5) / 16777216.0;
    let u2 = f32(r.y >> 8u) / 16777216.0;
    v += aparams.noise_std * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  }
  aug[i] = v;
}
