// common/outer.wgsl — the rank-1 update of a 4×4 register block, shared by the register-blocked
// kernels that `// #include "common/outer.wgsl"` (matmul_reg, conv2d's _blocked kernels).
//
// outer(u, v) = u·vᵀ as a mat4x4f: column j is u · v[j], so `acc += outer(u, v)` adds u[i]·v[j] to
// acc[j][i], 16 multiply-adds from 8 loaded values.
fn outer(u: vec4f, v: vec4f) -> mat4x4f {
  return mat4x4f(u * v.x, u * v.y, u * v.z, u * v.w);
}
