// quant_dot4.wgsl — the int8 layers of quant.wgsl on WGSL's packed dot-product builtin: one
// dot4I8Packed(a, b) (the sum of the products of the four signed bytes of a and b, as a single
// instruction where the hardware has one) instead of unpacking the bytes. A file of its own because it
// needs the WGSL language feature `packed_4x8_integer_dot_product`: used only where the instance lists
// it in wgslLanguageFeatures (src/gpu/device.ts: wgslLanguageFeature). The activations are stored as
// signed bytes (quant.wgsl: q − 128 for quint8), so the signed builtin serves both activation types and
// dot4U8Packed is not needed.
//
// qlinear_dot4     y (M, O) = x · Wᵀ in int8: one thread per output (common/quant_layers.wgsl).
// qlinear_blocked_dot4   the same with a 4-row × 4-output register block per thread.
// qconv2d_dot4     y (N, O, OH, OW), the direct convolution: one thread per output.
// qconv2d_blocked_dot4   the same with a 4-channel × 4-column register block per thread.
// The quantisation of x is quant.wgsl's quantize_packed. 64 threads per workgroup, 2-D grids when large.

requires packed_4x8_integer_dot_product;

// #include "common/grid.wgsl"
// #include "common/quant_layers.wgsl"

fn dot4_i8(a: u32, b: u32) -> i32 {
  return dot4I8Packed(a, b);
}

@compute @workgroup_size(64)
fn qlinear_dot4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < lparams.M * lparams.O) { qlinear_at(i); }
}

@compute @workgroup_size(64)
fn qlinear_blocked_dot4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < qlinear_blocked_threads()) { qlinear_blocked_at(i); }
}

@compute @workgroup_size(64)
fn qconv2d_dot4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < cparams.N * cparams.O * cparams.OH * cparams.OW) { qconv2d_at(i); }
}

@compute @workgroup_size(64)
fn qconv2d_blocked_dot4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, QWG);
  if (i < qconv2d_blocked_threads()) { qconv2d_blocked_at(i); }
}
