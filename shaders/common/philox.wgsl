// common/philox.wgsl — the counter-based generator Philox4x32-10, shared by the kernels that
// `// #include "common/philox.wgsl"` (dropout.wgsl: dropout and augmentation; attention.wgsl: dropout
// on the attention weights). Its specification, and how a dropout mask is drawn from it, is in the
// header of shaders/dropout.wgsl; src/reference/dropout.ts implements the same definition on the CPU.

// High and low words of the 64-bit product a·b, by 16-bit long multiplication.
fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  // Bits 16..47: the cross terms plus the carry out of the low partial product (< 3 · 2^16).
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

fn philox_round(ctr: vec4u, k: vec2u) -> vec4u {
  let p0 = mulhilo(0xD2511F53u, ctr.x);
  let p1 = mulhilo(0xCD9E8D57u, ctr.z);
  return vec4u(p1.x ^ ctr.y ^ k.x, p1.y, p0.x ^ ctr.w ^ k.y, p0.y);
}

fn philox4x32_10(counter: vec4u, seed: vec2u) -> vec4u {
  var ctr = counter;
  var k = seed;
  ctr = philox_round(ctr, k);
  for (var r = 1u; r < 10u; r++) {
    k = k + vec2u(0x9E3779B9u, 0xBB67AE85u);
    ctr = philox_round(ctr, k);
  }
  return ctr;
}
