// matmul_subgroup.wgsl — v9 of the matmul ladder (v1–v8: matmul.wgsl): C[b] = op(A[b]) · op(B[b])
// with register blocks whose op(A) values are shared across a subgroup. A file of its own because it
// `enable`s subgroups: compiled only on a device with the `subgroups` feature.
//
// matmul_subgroup   A workgroup of 64 invocations computes an 8 × 256 block of C: invocation t owns
//                   the 8 rows of the block and columns 4t .. 4t + 3, 32 accumulators (8 vec4). Every
//                   invocation needs the same 8 values of op(A) per k. Instead of each loading them
//                   (v5, matmul_reg, loads 8 per k per thread), the k dimension is walked in chunks of
//                   subgroup_size values: lane l loads op(A)'s 8 rows at k0 + l once, and for each k of
//                   the chunk every lane takes lane (k − k0)'s values with subgroupShuffle — a register
//                   exchange, no workgroup memory and no barrier. Per k a lane then loads only its 4
//                   values of op(B). Works for any subgroup size (the chunk is min(subgroup_size, 64):
//                   a 64-invocation workgroup holds whole subgroups of up to 64 lanes). Rows and columns
//                   past M and N read the last valid one (clamped) and are not stored, so every lane
//                   stays active for the shuffles. Same transposes and fused epilogue as v5, and the
//                   same half-precision storage (common/matmul.wgsl: any of A, B, bias and C f16).
// Grid (ceil(N / 256), ceil(M / 8), batch).

enable subgroups;

// #include "common/matmul.wgsl"

const SG_ROWS = 8u;       // rows of C per workgroup (and per invocation)
const SG_THREADS = 64u;   // invocations per workgroup, each 4 columns

@compute @workgroup_size(64)
fn matmul_subgroup(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32,
                   @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) sg_size: u32) {
  let row0 = wid.y * SG_ROWS;
  let col = wid.x * SG_THREADS * 4u + t * 4u;
  let a0 = wid.z * params.a_batch;
  let b0 = wid.z * params.b_batch;
  let last_m = params.M - 1u;
  let n = min(vec4u(col) + vec4u(0u, 1u, 2u, 3u), vec4u(params.N - 1u));
  let chunk = min(sg_size, SG_THREADS);
  var acc: array<vec4f, 8>;
  for (var k0 = 0u; k0 < params.K; k0 += chunk) {
    // This lane's share of op(A): the 8 rows at k = k0 + lane (clamped; lanes past K are never read).
    let k_own = min(k0 + lane, params.K - 1u);
    var own: array<f32, 8>;
    for (var i = 0u; i < SG_ROWS; i++) { own[i] = a_at(a0, min(row0 + i, last_m), k_own); }
    let steps = min(chunk, params.K - k0);
    for (var kk = 0u; kk < steps; kk++) {
      let k = k0 + kk;
      let b = vec4f(b_at(b0, k, n.x), b_at(b0, k, n.y), b_at(b0, k, n.z), b_at(b0, k, n.w));
      for (var i = 0u; i < SG_ROWS; i++) { acc[i] += subgroupShuffle(own[i], kk) * b; }
    }
  }
  let c0 = wid.z * params.M * params.N;
  for (var i = 0u; i < SG_ROWS; i++) {
    let m = row0 + i;
    if (m >= params.M) { break; }
    if (C_HALF) {   // even column pairs (col is a multiple of 4)
      for (var j = 0u; j < 4u; j += 2u) {
        if (col + j < params.N) { c_store_pair(c0 + m * params.N + col + j, epilogue_pair(vec2f(acc[i][j], acc[i][j + 1u]), col + j)); }
      }
      continue;
    }
    for (var j = 0u; j < 4u; j++) {
      if (col + j < params.N) { c_store(c0 + m * params.N + col + j, epilogue(acc[i][j], col + j)); }
    }
  }
}
