// common/shape.wgsl — reading shapes, strides and offsets passed in a uniform, shared by the kernels
// that `// #include "common/shape.wgsl"`.
//
// Up to 8 dimensions travel as array<vec4u, 2> (uniforms need 16-byte aligned arrays): dimension d is
// component d % 4 of vector d / 4.
fn dim(v: array<vec4u, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// The same for signed values (e.g. pad amounts, negative when cropping).
fn dim_i(v: array<vec4i, 2>, d: u32) -> i32 {
  return v[d / 4u][d % 4u];
}
