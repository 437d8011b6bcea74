// quant.wgsl — int8 inference for post-training quantisation (sg.quantize): quantise the f32
// activations, then int8 linear and convolution layers with exact i32 sums. The version here works on
// every adapter; quant_dot4.wgsl has the same layers on the packed dot-product builtins.
//
// quantize_packed    x (N, C, H, W) f32 → codes (N, H, W, G, C4) u32, one thread per word: the four
//                    channels 4j .. 4j + 3 of group g at one pixel, each
//                      q = clamp(round(x · inv_scale) + zero_point, qmin, qmax)
//                    (f32 product, round half to even: torch.quantize_per_tensor), stored as the
//                    signed byte q − shift (shift 128 for quint8, 0 for qint8). Channels are packed
//                    innermost (NHWC) so one word feeds one 4-wide dot product of a convolution tap;
//                    a linear layer's input (M, K) is the case H = W = 1, G = 1. Bytes past the
//                    group's channels are 0.
// qlinear_forward    y (M, O) = x · Wᵀ in int8 (common/quant_layers.wgsl): one thread per output.
// qlinear_blocked    the same with a 4-row × 4-output register block per thread.
// qconv2d_forward    y (N, O, OH, OW), torch's conv2d geometry (stride, padding, dilation, groups),
//                    a direct convolution: one thread per output walks its taps (common/quant_layers.wgsl).
// qconv2d_blocked    the same with a 4-channel × 4-column register block per thread: a quarter of
//                    the loads per dot product (common/quant_layers.wgsl).
// The dot product of four signed bytes is unpacked here with extractBits (sign-extending) and four
// multiplies, the portable rung; quant_dot4.wgsl replaces it by one dot4I8Packed.
// All use 64 threads per workgroup, with grids folded into 2-D when large.

// #include "common/grid.wgsl"
// #include "common/quant_layers.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;           // (N, C, H, W)
@group(0) @binding(1) var<storage, read_write> codes: array<u32>; // (N, H, W, G, C4)

struct QuantizeParams {
  N: u32, C: u32, HW: u32,   // input shape, H·W pixels
  G: u32, CG: u32, C4: u32,  // groups, channels per group, words per group: ceil(CG / 4)
  inv_scale: f32,            // f32(1 / scale), as torch multiplies by it
  zero_point: i32,
  qmin: i32, qmax: i32,      // 0, 255 (quint8) or −128, 127 (qint8)
  shift: i32,                // 128 (quint8) or 0: the stored byte is q − shift
}
@group(0) @binding(2) var<uniform> qparams: QuantizeParams;

// The sum of the products of the four signed bytes of a and b, unpacked one byte at a time.
fn dot4_i8(a: u32, b: u32) -> i32 {
  var s = 0;
  for (var k = 0u; k < 32u; k += 8u) {
    s += extractBits(bitcast<i32>(a), k, 8u) * extractBits(bitcast<i32>(b), k, 8u);
  }
  return s;
}

@compute @workgroup_size(64)
fn quantize_packed(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  let words = qparams.G * qparams.C4;
  if (i >= qparams.N * qparams.HW * words) { return; }
  let j = i % qparams.C4;
  let g = (i / qparams.C4) % qparams.G;
  let p = (i / words) % qparams.HW;
  let n = i / (words * qparams.HW);
  var packed = 0u;
  for (var b = 0u; b < 4u; b++) {
    let c = 4u * j + b;
    if (c >= qparams.CG) { break; }
    let v = x[(n * qparams.C + g * qparams.CG + c) * qparams.HW + p];
    let q = clamp(round(v * qparams.inv_scale) + f32(qparams.zero_point), f32(qparams.qmin), f32(qparams.qmax));
    packed |= (u32(i32(q) - qparams.shift) & 0xffu) << (8u * b);
  }
  codes[i] = packed;
}

@compute @workgroup_size(64)
fn qlinear_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < lparams.M * lparams.O) { qlinear_at(i); }
}

@compute @workgroup_size(64)
fn qlinear_blocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < qlinear_blocked_threads()) { qlinear_blocked_at(i); }
}

@compute @workgroup_size(64)
fn qconv2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < cparams.N * cparams.O * cparams.OH * cparams.OW) { qconv2d_at(i); }
}

@compute @workgroup_size(64)
fn qconv2d_blocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < qconv2d_blocked_threads()) { qconv2d_blocked_at(i); }
}
