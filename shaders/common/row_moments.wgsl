// common/row_moments.wgsl — the two sweeps of a row's mean and (biased) variance, for the
// normalisation kernels that `// #include "common/row_moments.wgsl"` (norm.wgsl). layernorm.wgsl reads
// x through x_at (f32 or f16 storage) and has the same two sweeps over it in common/layernorm_rows.wgsl.
//
// Both read the including kernel's module-scope `x: array<f32>` binding (WGSL functions cannot take a
// pointer to storage memory), over the values first, first + step, … < n of the row that starts at
// `base`: a workgroup passes (lid, threads) and combines the partial sums, a lone thread (0, 1).
// Two sweeps, Σx then Σ(x − mean)², are more accurate than E[x²] − mean².

// Sweep 1: Σ x.
fn row_sum(base: u32, n: u32, first: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var j = first; j < n; j += step) { s += x[base + j]; }
  return s;
}

// Sweep 2: Σ (x − m)² (with m = 0: Σ x², the mean square of RMS normalisation).
fn row_sq_dev(base: u32, n: u32, m: f32, first: u32, step: u32) -> f32 {
  var v = 0.0;
  for (var j = first; j < n; j += step) {
    let d = x[base + j] - m;
    v += d * d;
  }
  return v;
}
