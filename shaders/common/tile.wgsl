// common/tile.wgsl — workgroup tiles with register tiles, shared by matmul.wgsl's matmul_tile*
// kernels and conv2d.wgsl's conv2d_forward_gemm (its implicit GEMM on the same tiles).
//
// A 16×16 workgroup computes a (16·TM) × (16·TN) block of C = A·B; each thread holds a TM × TN block
// of it in registers (TileAcc). K is walked in slices: the kernel copies a slice of A (16·TM rows ×
// tk values of k) into Ta and the matching slice of B (tk × 16·TN) into Tb, then every thread does
// tk rank-1 updates of its block from workgroup memory: per k it reads TM + TN values and does
// TM·TN multiply-adds (8×8: 16 reads for 64 multiply-adds, against 8 for 16 with 4×4).
//
// Layout: Ta holds element (r, k) of the slice at Ta[base + k·(4·TM) + r/4][r % 4], i.e. for each k
// the 16·TM rows as vec4s of four consecutive rows (Tb likewise, columns). Thread (tx, ty) owns the
// row quads ty, ty + 16, … and the column quads tx, tx + 16, …: at each k the 16 threads of a row read
// 16 consecutive vec4s (no bank conflicts on a GPU) and neighbouring threads store neighbouring
// columns of C. `base` selects one of two buffers in the double-buffered kernel (0 otherwise).

override TM: u32 = 4u;   // rows of C per thread: 4 or 8
override TN: u32 = 4u;   // columns of C per thread: 4 or 8
const TK = 16u;          // values of K per slice (the double-buffered kernel: two slices of 8)

// 16 values of k × 16·TM rows (or two buffers of 8), as vec4s: 4 KiB per 4 rows of TM.
var<workgroup> Ta: array<vec4f, TM * 64u>;
var<workgroup> Tb: array<vec4f, TN * 64u>;

// A thread's TM × TN block: acc[i][j4] is row i, columns 4·j4 .. 4·j4 + 3 (room for 8 × 8).
alias TileAcc = array<array<vec4f, 2>, 8>;

// Element (r, k) of the A slice and (k, c) of the B slice, in the buffer at `base`.
fn put_a(base: u32, k: u32, r: u32, v: f32) {
  Ta[base + k * 4u * TM + r / 4u][r % 4u] = v;
}
fn put_b(base: u32, k: u32, c: u32, v: f32) {
  Tb[base + k * 4u * TN + c / 4u][c % 4u] = v;
}

// Row of the block (0 .. 16·TM) held in accumulator row i of thread row ty, and the first column of
// accumulator quad j4 of thread column tx.
fn tile_row(ty: u32, i: u32) -> u32 {
  return ((i / 4u) * 16u + ty) * 4u + i % 4u;
}
fn tile_col(tx: u32, j4: u32) -> u32 {
  return (j4 * 16u + tx) * 4u;
}

// acc += the slice's product for this thread: tk rank-1 updates from Ta / Tb at base_a / base_b.
fn tile_multiply(base_a: u32, base_b: u32, tk: u32, tx: u32, ty: u32, acc: ptr<function, TileAcc>) {
  for (var k = 0u; k < tk; k++) {
    var av: array<vec4f, 2>;
    var bv: array<vec4f, 2>;
    for (var i4 = 0u; i4 < TM / 4u; i4++) { av[i4] = Ta[base_a + k * 4u * TM + i4 * 16u + ty]; }
    for (var j4 = 0u; j4 < TN / 4u; j4++) { bv[j4] = Tb[base_b + k * 4u * TN + j4 * 16u + tx]; }
    for (var i = 0u; i < TM; i++) {
      let a = av[i / 4u][i % 4u];
      for (var j4 = 0u; j4 < TN / 4u; j4++) { (*acc)[i][j4] += a * bv[j4]; }
    }
  }
}
