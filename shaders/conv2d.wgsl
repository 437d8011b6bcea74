// conv2d.wgsl — 2-D convolution with torch.nn.functional.conv2d semantics, and its two gradients.
//
//   y[n, o, oh, ow] = bias[o] + Σ_{c', kh, kw} x[n, g·Cg + c', ih, iw] · w[o, c', kh, kw]
//   ih = oh·SH − PH + kh·DH,  iw = ow·SW − PW + kw·DW   (taps outside the image read zero padding)
//   g = o / Og is the group of output channel o; Cg = C / G and Og = O / G channels per group.
//
// Layouts: x (N, C, H, W), w (O, Cg, KH, KW), bias (O), y (N, O, OH, OW), all contiguous.
//
// conv2d_forward           v1, direct. One thread per output element (64 per workgroup, 2-D grid
//                          when large): the definition above written as three loops over c', kh, kw,
//                          reading x and w from global memory.
// conv2d_forward_tiled     v2, implicit GEMM with workgroup-memory tiling. Per group the convolution
//                          is a matrix product Y_g[o, p] = Σ_k W_g[o, k] · X_g[k, p] with
//                          k = (c', kh, kw) and p = (n, oh, ow); X_g (the "im2col" matrix) is never
//                          built: its elements are computed from x on the fly while loading a tile.
//                          A 16×16 workgroup computes a 16 (channels) × 16 (positions) block of Y,
//                          one value per thread, walking k in slices of 16 held in workgroup memory:
//                          each loaded x value is used by 16 output channels and each weight by 16
//                          positions, instead of once.
// conv2d_forward_blocked   v3, direct with register blocks: one thread computes 8 output channels
//                          (of one group) × 8 neighbouring output columns, 64 accumulators held
//                          in four mat4x4f. Per tap it loads 8 input values and 8 weights for 64
//                          multiply-adds, where v1 loads 2 values per multiply-add. No workgroup
//                          memory and no barrier: the fastest forward on a software adapter.
// conv2d_backward_input    dx = ∂L/∂x, direct, one thread per INPUT element. Each thread gathers
//                          Σ dy[n, o, oh, ow] · w[o, c', kh, kw] over the output positions whose window
//                          covers it (oh = (h + PH − kh·DH) / SH when that divides exactly and lands in
//                          range). A gather, not a scatter: every dx element has one writer, so no
//                          atomics (WGSL has none for f32) and no races.
// conv2d_backward_input_blocked
//                          The same gather with register blocks: one thread per 8 input channels
//                          (of a group) × 8 neighbouring input columns, walking the group's output
//                          channels and the taps: 8 dy values and 8 weights per 64 multiply-adds.
//                          Taps whose output position falls between strides or outside dy read
//                          zero. No barrier: the input gradient for software adapters.
// conv2d_backward_weight   dw = ∂L/∂w, one workgroup of 64 threads per WEIGHT element: the threads
//                          stride over the N·OH·OW products x · dy that make up that element, then a
//                          tree reduction in workgroup memory (workgroup_sum) adds their 64
//                          partials. A thread per weight would leave most of the GPU idle (a 3×3
//                          layer has few weights and many positions); a workgroup per weight
//                          spreads the long sum.
// conv2d_backward_weight_blocked
//                          dw as a matrix product with a long inner dimension:
//                            dW_g[o, k] = Σ_p dY_g[o, p] · X_g[k, p],  k = (c', kh, kw), p = (n, oh, ow)
//                          One thread per 8 channels o × 8 taps k × a slice of the output rows
//                          (n, oh), holding 64 sums in four mat4x4f (8 + 8 loads per 64 multiply-
//                          adds), written as partial sums (slices, O, Cg·KH·KW); matmul.wgsl's
//                          matmul_splitk_reduce then adds the slices in order. No barrier: the
//                          weight gradient for software adapters.
//
// conv2d_forward_gemm      v4, implicit GEMM on matmul's register tiles (common/tile.wgsl): Y_g = W_g · X_g
//                          as in v2, but a 16×16 workgroup computes 16·TM output channels × 16·TN
//                          positions, each thread a TM × TN block (TM, TN ∈ {4, 8} override
//                          constants; versions gemm4x4, gemm4x8, gemm8x8). Per k a thread reads TM + TN
//                          values from workgroup memory for TM·TN multiply-adds, where v2 reads 2 for 1.
//                          A thread's column of the X_g slice is the same position in every load, so its
//                          (n, oh, ow) is computed once, not per value.
// conv2d_backward_input_gemm
//                          dx as an implicit GEMM on the same tiles: per group
//                            dX_g[c', q] = Σ_j W'_g[c', j] · dY'_g[j, q],  j = (o, kh, kw), q = (n, ih, iw)
//                          where dY'_g[j, q] is dy at the output position whose tap (kh, kw) reads
//                          (ih, iw), or 0 where there is none (between strides, outside dy). Each dx
//                          element is one GEMM output: no scatter, no atomics.
// conv2d_backward_weight_gemm
//                          dw as an implicit GEMM with a long inner dimension, split like matmul_splitk:
//                            dW_g[o, k] = Σ_p dY_g[o, p] · X_g[k, p],  p = (n, oh, ow)
//                          the p range cut into slices (grid z = group × slice), each workgroup writes
//                          its partial block to (slices, O, Cg·KH·KW); matmul_splitk_reduce adds them in
//                          slice order (deterministic).
//
// Why direct (plus one tiled implicit-GEMM forward) rather than implicit GEMM everywhere: the
// direct kernels are the maths written as loops, each gradient is a race-free gather, and they are
// correct for every stride/padding/dilation/group combination with no index algebra to get wrong.
// The bias gradient is a plain reduction (sum of dy over n, oh, ow) done by the reduce kernels.
//
// Binding slots are shared by meaning: slot 0 holds x or its gradient, slot 1 w or its gradient,
// slot 2 y or its gradient; each entry point reads two of them and writes the third.
//
// Half-precision storage (compile's precision: 'mixed', common/half.wgsl): x, w, bias, dy and the
// outputs y, dx are bound as u32 words and each may hold f16 values (two per word), chosen by the bool
// overrides X_HALF, W_HALF, BIAS_HALF, DY_HALF, Y_HALF, DX_HALF; arithmetic stays f32, and with every
// override false the loads and stores are the f32 ones. The weight gradient dw (and its partial sums)
// stays f32. A kernel writing f16 writes whole words: the word of elements (2j, 2j + 1) is written by
// the thread that computes element 2j; when that thread does not also compute 2j + 1 (a run of its
// block ends there: an odd row length, the end of a tile or of a sample), it computes that one
// element directly (conv_y_at / conv_dx_at, the v1 loops), so no two threads write one word. The
// one-element-per-thread kernels (conv2d_forward, conv2d_backward_input) compute both elements of a
// word per thread instead. With even rows (OW, or W for dx) the blocked kernels never need the direct
// element, nor the tile kernels with an even OH·OW (H·W).

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"
// #include "common/outer.wgsl"
// #include "common/tile.wgsl"
// #include "common/half.wgsl"

override HAS_BIAS: bool = false;   // conv2d_forward*: add bias[o] (when false, `bias` is bound but unread)
override X_HALF: bool = false;     // x holds f16 values (two per word)
override W_HALF: bool = false;     // w holds f16 values
override BIAS_HALF: bool = false;  // bias holds f16 values
override DY_HALF: bool = false;    // dy holds f16 values
override Y_HALF: bool = false;     // write y as f16 (whole words, see above)
override DX_HALF: bool = false;    // write dx as f16 (whole words)

@group(0) @binding(0) var<storage, read> x: array<u32>;           // (N, C, H, W), f32 or f16 (X_HALF)
@group(0) @binding(1) var<storage, read> w: array<u32>;           // (O, Cg, KH, KW), f32 or f16 (W_HALF)
@group(0) @binding(2) var<storage, read_write> y: array<u32>;     // (N, O, OH, OW), f32 or f16 (Y_HALF)
@group(0) @binding(0) var<storage, read_write> dx: array<u32>;    // (N, C, H, W), f32 or f16 (DX_HALF)
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;    // (O, Cg, KH, KW)
@group(0) @binding(2) var<storage, read> dy: array<u32>;          // (N, O, OH, OW), f32 or f16 (DY_HALF)
struct Params {
  N: u32, C: u32, H: u32, W: u32,
  O: u32, OH: u32, OW: u32, G: u32,     // G = groups
  KH: u32, KW: u32,
  SH: u32, SW: u32,                     // stride
  PH: u32, PW: u32,                     // zero padding on each side
  DH: u32, DW: u32,                     // dilation
  split_rows: u32,                      // conv2d_backward_weight_blocked: output rows (n, oh) per slice;
                                        // conv2d_backward_weight_gemm: output positions per slice
}
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<storage, read> bias: array<u32>;        // (O), f32 or f16 (BIAS_HALF)

// Element i of an f16 tensor given the word holding it: common/half.wgsl's half_at, spelled out
// because that function's parameter is named `w`, which the binding reflection (wgsl_reflect) would
// take for this file's weight binding — and bind w beside dw in the weight-gradient kernels.
fn half_elem(word: u32, i: u32) -> f32 {
  return half_value((word >> ((i & 1u) * 16u)) & 0xffffu);
}

// Element i of x, w, dy and bias as f32, whichever storage they have.
fn x_load(i: u32) -> f32 {
  if (X_HALF) { return half_elem(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}
fn w_load(i: u32) -> f32 {
  if (W_HALF) { return half_elem(w[i >> 1u], i); }
  return bitcast<f32>(w[i]);
}
fn dy_load(i: u32) -> f32 {
  if (DY_HALF) { return half_elem(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}
fn bias_load(i: u32) -> f32 {
  if (BIAS_HALF) { return half_elem(bias[i >> 1u], i); }
  return bitcast<f32>(bias[i]);
}

// Input row (or column) read by output position `o` at kernel tap `k`; may be negative (padding).
fn in_coord(o: u32, k: u32, s: u32, p: u32, d: u32) -> i32 {
  return i32(o * s + k * d) - i32(p);
}

// x[n, c, ih, iw], or 0 in the padding.
fn x_at(n: u32, c: u32, ih: i32, iw: i32) -> f32 {
  if (ih < 0 || iw < 0 || ih >= i32(params.H) || iw >= i32(params.W)) { return 0.0; }
  return x_load(((n * params.C + c) * params.H + u32(ih)) * params.W + u32(iw));
}

// The kernel size, baked into the pipeline when the host knows it (it always does): loops over taps
// then have constant bounds and unroll. 0 = read it from params.
override KH_FIXED: u32 = 0u;
override KW_FIXED: u32 = 0u;
fn taps_h() -> u32 { return select(params.KH, KH_FIXED, KH_FIXED != 0u); }
// Likewise the column stride and dilation (conv2d_forward_blocked): constant offsets between the
// columns a thread reads.
override SW_FIXED: u32 = 0u;
override DW_FIXED: u32 = 0u;
fn stride_w() -> u32 { return select(params.SW, SW_FIXED, SW_FIXED != 0u); }
fn dilation_w() -> u32 { return select(params.DW, DW_FIXED, DW_FIXED != 0u); }
fn taps_w() -> u32 { return select(params.KW, KW_FIXED, KW_FIXED != 0u); }

fn bias_of(o: u32) -> f32 {
  if (HAS_BIAS) { return bias_load(o); }
  return 0.0;
}

// ---- v1: direct forward -------------------------------------------------------------------------
// y at flat index i = ((n·O + o)·OH + oh)·OW + ow, bias included: the definition as three loops. Also
// what the other forward kernels call for the one element of an f16 word they do not compute.
fn conv_y_at(i: u32) -> f32 {
  let ow = i % params.OW;
  let oh = (i / params.OW) % params.OH;
  let o = (i / (params.OW * params.OH)) % params.O;
  let n = i / (params.OW * params.OH * params.O);
  let Cg = params.C / params.G;
  let c0 = (o / (params.O / params.G)) * Cg;   // first input channel of o's group
  var acc = bias_of(o);
  for (var c = 0u; c < Cg; c++) {
    for (var kh = 0u; kh < taps_h(); kh++) {
      let ih = in_coord(oh, kh, params.SH, params.PH, params.DH);
      for (var kw = 0u; kw < taps_w(); kw++) {
        let iw = in_coord(ow, kw, params.SW, params.PW, params.DW);
        acc += x_at(n, c0 + c, ih, iw) * w_load(((o * Cg + c) * taps_h() + kh) * taps_w() + kw);
      }
    }
  }
  return acc;
}

fn y_count() -> u32 {
  return params.N * params.O * params.OH * params.OW;
}

// Y_HALF: the f16 word of y holding element f (even), whose value is v; `next` is element f + 1 when
// `has_next` (this thread computed it), else it is computed here (0 past the end of y).
fn store_y_pair(f: u32, v: f32, has_next: bool, next: f32) {
  var hi = 0.0;
  if (has_next) {
    hi = next;
  } else if (f + 1u < y_count()) {
    hi = conv_y_at(f + 1u);
  }
  y[f >> 1u] = half_pack(v, hi);
}

// Element f of y computed by a thread that also computed f + 1 when `has_next` (value `next`): f32
// storage writes it; f16 storage writes its word when f is even (the word's other element is the
// thread's next one or computed directly) and leaves an odd f to the thread computing f − 1.
fn store_y(f: u32, v: f32, has_next: bool, next: f32) {
  if (!Y_HALF) {
    y[f] = bitcast<u32>(v);
  } else if ((f & 1u) == 0u) {
    store_y_pair(f, v, has_next, next);
  }
}

@compute @workgroup_size(64)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 64u);
  if (Y_HALF) {
    // One thread per f16 word: elements 2t and 2t + 1.
    if (2u * t >= y_count()) { return; }
    store_y_pair(2u * t, conv_y_at(2u * t), false, 0.0);
    return;
  }
  if (t >= y_count()) { return; }
  y[t] = bitcast<u32>(conv_y_at(t));
}

// ---- v2: implicit GEMM, tiled through workgroup memory ------------------------------------------
const TILE = 16u;
var<workgroup> Wt: array<array<f32, 16>, 16>;   // [k in slice][output channel in tile]
var<workgroup> Xt: array<array<f32, 16>, 16>;   // [k in slice][position in tile]

@compute @workgroup_size(16, 16)
fn conv2d_forward_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;                          // position within the tile (column of Y_g)
  let ty = lid.y;                          // output channel within the tile (row of Y_g)
  let g = wid.z % params.G;                // group
  let ptile = wid.x + (wid.z / params.G) * nwg.x;   // position tiles fold into z when very many
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  let Kg = Cg * params.KH * params.KW;     // inner dimension of the GEMM
  let P = params.N * params.OH * params.OW;
  let taps = params.KH * params.KW;

  // This thread's position p (for loading X_g and for its output) and output channel.
  let p = ptile * TILE + tx;
  let p_ok = p < P;
  let ow = p % params.OW;
  let oh = (p / params.OW) % params.OH;
  let n = p / (params.OW * params.OH);
  let ol = wid.y * TILE + ty;              // output channel within the group
  let o = g * Og + ol;
  let o_ok = ol < Og;

  var acc = 0.0;
  for (var k0 = 0u; k0 < Kg; k0 += TILE) {
    // W tile: thread (tx, ty) loads W_g[ol, k0 + tx], its own channel (a row of w is contiguous in k).
    let kwt = k0 + tx;
    var wv = 0.0;
    if (o_ok && kwt < Kg) { wv = w_load(o * Kg + kwt); }
    Wt[tx][ty] = wv;
    // X tile: thread (tx, ty) loads X_g[k0 + ty, p], i.e. x at tap k = (c', kh, kw) of position p.
    let kx = k0 + ty;
    var xv = 0.0;
    if (p_ok && kx < Kg) {
      let c = kx / taps;
      let kh = (kx % taps) / params.KW;
      let kw = kx % params.KW;
      xv = x_at(n, g * Cg + c, in_coord(oh, kh, params.SH, params.PH, params.DH),
                in_coord(ow, kw, params.SW, params.PW, params.DW));
    }
    Xt[ty][tx] = xv;
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      acc += Wt[k][ty] * Xt[k][tx];
    }
    workgroupBarrier();
  }
  if (Y_HALF) {
    // f16 words: the thread of an even element takes its neighbour's value (position p + 1, thread
    // tx + 1) through workgroup memory, after the loop's last barrier.
    var v = acc;
    if (o_ok) { v = acc + bias_of(o); }
    Xt[ty][tx] = v;
    workgroupBarrier();
    if (p_ok && o_ok) {
      let has_next = tx + 1u < TILE && p + 1u < P && (p + 1u) % (params.OH * params.OW) != 0u;
      store_y(((n * params.O + o) * params.OH + oh) * params.OW + ow, v, has_next, Xt[ty][min(tx + 1u, TILE - 1u)]);
    }
    return;
  }
  if (p_ok && o_ok) {
    y[((n * params.O + o) * params.OH + oh) * params.OW + ow] = bitcast<u32>(acc + bias_of(o));
  }
}

// ---- v3: direct, register-blocked ---------------------------------------------------------------
const CB = 8u;   // output channels per thread
const PB = 8u;   // output columns per thread

// Two 4-vectors making one 8-vector (low and high halves).
struct Pair { lo: vec4f, hi: vec4f }

// The 8×8 register block of the blocked kernels, as four 4×4 blocks: acc.rc holds u-half r × v-half c
// of the sum of outer products u·vᵀ, stored by columns (column j of rc is v's element j of half c).
struct Acc8 { ll: mat4x4f, lh: mat4x4f, hl: mat4x4f, hh: mat4x4f }

// acc + u·vᵀ for the 8-vectors u and v.
fn add_outer8(acc: Acc8, u: Pair, v: Pair) -> Acc8 {
  return Acc8(acc.ll + outer(u.lo, v.lo), acc.lh + outer(u.hi, v.lo), acc.hl + outer(u.lo, v.hi), acc.hh + outer(u.hi, v.hi));
}

// w at offsets lo and hi (four each) plus `at`.
fn w8(lo: vec4u, hi: vec4u, at: u32) -> Pair {
  return Pair(vec4f(w_load(lo.x + at), w_load(lo.y + at), w_load(lo.z + at), w_load(lo.w + at)),
              vec4f(w_load(hi.x + at), w_load(hi.y + at), w_load(hi.z + at), w_load(hi.w + at)));
}

// Output channel j of the block starting at channel ob of group g, clamped to the group's last
// channel (threads past the end compute a duplicate and do not store it).
fn block_channel(g: u32, Og: u32, ob: u32, j: u32) -> u32 {
  return g * Og + min(ob + j, Og - 1u);
}

// x at column iw of the input row starting at `row` (row_ok: that row is inside the image), or 0 in
// the padding. The load is not branched around: in the padding its index may fall outside x, which
// WebGPU's robust buffer access keeps in bounds, and its value is discarded by the select. A negative
// iw becomes a huge u32, so one unsigned comparison checks both ends.
fn x_row_at(row: i32, row_ok: bool, iw: i32) -> f32 {
  let v = x_load(u32(row + iw));
  return select(0.0, v, row_ok && u32(iw) < params.W);
}

@compute @workgroup_size(64)
fn conv2d_forward_blocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let Og = params.O / params.G;
  let Cg = params.C / params.G;
  let col_blocks = (params.OW + PB - 1u) / PB;
  let ch_blocks = (Og + CB - 1u) / CB;
  // Thread → (n, g, channel block, oh, column block), the column block fastest.
  let i = grid_index(gid, nwg, 64u);
  if (i >= params.N * params.G * ch_blocks * params.OH * col_blocks) { return; }
  let ow0 = (i % col_blocks) * PB;
  let oh = (i / col_blocks) % params.OH;
  let t = i / (col_blocks * params.OH);
  let ob = (t % ch_blocks) * CB;
  let g = (t / ch_blocks) % params.G;
  let n = t / (ch_blocks * params.G);
  // Where each of the 8 channels' weights start: w[o, 0, 0, 0].
  let taps = Cg * taps_h() * taps_w();
  let w_lo = vec4u(block_channel(g, Og, ob, 0u), block_channel(g, Og, ob, 1u), block_channel(g, Og, ob, 2u), block_channel(g, Og, ob, 3u)) * taps;
  let w_hi = vec4u(block_channel(g, Og, ob, 4u), block_channel(g, Og, ob, 5u), block_channel(g, Og, ob, 6u), block_channel(g, Og, ob, 7u)) * taps;
  // Input column read by the first of the block's 8 output columns at tap kw = 0 (column p reads
  // iw0 + p·SW).
  let iw0 = i32(ow0 * stride_w()) - i32(params.PW);
  let sw = i32(stride_w());
  // u = the 8 columns, v = the 8 channels: acc.ll[j] is channel ob + j at columns ow0 .. ow0 + 3.
  var acc = Acc8();
  for (var c = 0u; c < Cg; c++) {
    let plane = (n * params.C + g * Cg + c) * params.H;
    for (var kh = 0u; kh < taps_h(); kh++) {
      let ih = in_coord(oh, kh, params.SH, params.PH, params.DH);
      let row_ok = ih >= 0 && ih < i32(params.H);
      let row = (i32(plane) + ih) * i32(params.W);
      for (var kw = 0u; kw < taps_w(); kw++) {
        let iw = iw0 + i32(kw * dilation_w());
        let xs = Pair(vec4f(x_row_at(row, row_ok, iw), x_row_at(row, row_ok, iw + sw),
                            x_row_at(row, row_ok, iw + 2 * sw), x_row_at(row, row_ok, iw + 3 * sw)),
                      vec4f(x_row_at(row, row_ok, iw + 4 * sw), x_row_at(row, row_ok, iw + 5 * sw),
                            x_row_at(row, row_ok, iw + 6 * sw), x_row_at(row, row_ok, iw + 7 * sw)));
        acc = add_outer8(acc, xs, w8(w_lo, w_hi, (c * taps_h() + kh) * taps_w() + kw));
      }
    }
  }
  for (var j = 0u; j < 4u; j++) {
    store_block_row(n, g * Og + ob + j, ob + j < Og, oh, ow0, acc.ll[j], acc.lh[j]);
    store_block_row(n, g * Og + ob + 4u + j, ob + 4u + j < Og, oh, ow0, acc.hl[j], acc.hh[j]);
  }
}

// y[n, o, oh, ow0 .. ow0 + 7] = (lo, hi) + bias[o], the columns inside the image, when `valid`.
fn store_block_row(n: u32, o: u32, valid: bool, oh: u32, ow0: u32, lo: vec4f, hi: vec4f) {
  if (!valid) { return; }
  let b = bias_of(o);
  let row = ((n * params.O + o) * params.OH + oh) * params.OW;
  if (Y_HALF) {
    store_y_run8(row, ow0, lo + vec4f(b), hi + vec4f(b));
    return;
  }
  for (var p = 0u; p < 4u; p++) {
    if (ow0 + p < params.OW) { y[row + ow0 + p] = bitcast<u32>(lo[p] + b); }
    if (ow0 + 4u + p < params.OW) { y[row + ow0 + 4u + p] = bitcast<u32>(hi[p] + b); }
  }
}

// Y_HALF: the 8 values (lo, hi) as the f16 words at..at + 3 of y.
fn store_words8(at: u32, lo: vec4f, hi: vec4f) {
  y[at] = half_pack(lo.x, lo.y);
  y[at + 1u] = half_pack(lo.z, lo.w);
  y[at + 2u] = half_pack(hi.x, hi.y);
  y[at + 3u] = half_pack(hi.z, hi.w);
}

// Element p of the 8-vector (lo, hi).
fn pick8(lo: vec4f, hi: vec4f, p: u32) -> f32 {
  if (p < 4u) { return lo[p]; }
  return hi[p - 4u];
}

// Y_HALF: y at columns ow0 .. ow0 + 7 (those below OW) of the output row starting at flat index `row`,
// values (lo, hi), as f16 words (store_y).
fn store_y_run8(row: u32, ow0: u32, lo: vec4f, hi: vec4f) {
  // The common case, 8 columns from an even flat index: 4 whole words, no neighbour needed.
  if (((row + ow0) & 1u) == 0u && ow0 + 8u <= params.OW) {
    store_words8((row + ow0) >> 1u, lo, hi);
    return;
  }
  for (var p = 0u; p < 8u; p++) {
    if (ow0 + p >= params.OW) { break; }
    let has_next = p < 7u && ow0 + p + 1u < params.OW;
    store_y(row + ow0 + p, pick8(lo, hi, p), has_next, pick8(lo, hi, min(p + 1u, 7u)));
  }
}

// ---- backward w.r.t. the input: gather per input element -----------------------------------------
// Output index along one axis whose window reads input coordinate `i` at tap `k`, or -1 if none.
fn out_coord(i: u32, k: u32, s: u32, p: u32, d: u32, size: u32) -> i32 {
  let t = i32(i + p) - i32(k * d);        // = out · s when tap k of output `out` reads i
  if (t < 0 || t % i32(s) != 0) { return -1; }
  let out = t / i32(s);
  if (out >= i32(size)) { return -1; }
  return out;
}

// dx at flat index i = ((n·C + c)·H + ih)·W + iw: the gather as loops. Also what the other input-
// gradient kernels call for the one element of an f16 word they do not compute.
fn conv_dx_at(i: u32) -> f32 {
  let iw = i % params.W;
  let ih = (i / params.W) % params.H;
  let c = (i / (params.W * params.H)) % params.C;
  let n = i / (params.W * params.H * params.C);
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  let g = c / Cg;
  let cl = c % Cg;                         // channel within the group = w's second index
  var acc = 0.0;
  for (var kh = 0u; kh < taps_h(); kh++) {
    let oh = out_coord(ih, kh, params.SH, params.PH, params.DH, params.OH);
    if (oh < 0) { continue; }
    for (var kw = 0u; kw < taps_w(); kw++) {
      let ow = out_coord(iw, kw, params.SW, params.PW, params.DW, params.OW);
      if (ow < 0) { continue; }
      for (var o = g * Og; o < (g + 1u) * Og; o++) {
        acc += dy_load(((n * params.O + o) * params.OH + u32(oh)) * params.OW + u32(ow)) *
               w_load(((o * Cg + cl) * taps_h() + kh) * taps_w() + kw);
      }
    }
  }
  return acc;
}

fn dx_count() -> u32 {
  return params.N * params.C * params.H * params.W;
}

// DX_HALF: the f16 word of dx holding element f (even), value v; element f + 1 is `next` when
// `has_next`, else computed here (0 past the end of dx).
fn store_dx_pair(f: u32, v: f32, has_next: bool, next: f32) {
  var hi = 0.0;
  if (has_next) {
    hi = next;
  } else if (f + 1u < dx_count()) {
    hi = conv_dx_at(f + 1u);
  }
  dx[f >> 1u] = half_pack(v, hi);
}

// Element f of dx, as store_y does for y.
fn store_dx(f: u32, v: f32, has_next: bool, next: f32) {
  if (!DX_HALF) {
    dx[f] = bitcast<u32>(v);
  } else if ((f & 1u) == 0u) {
    store_dx_pair(f, v, has_next, next);
  }
}

@compute @workgroup_size(64)
fn conv2d_backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 64u);
  if (DX_HALF) {
    // One thread per f16 word: elements 2t and 2t + 1.
    if (2u * t >= dx_count()) { return; }
    store_dx_pair(2u * t, conv_dx_at(2u * t), false, 0.0);
    return;
  }
  if (t >= dx_count()) { return; }
  dx[t] = bitcast<u32>(conv_dx_at(t));
}

// ---- backward w.r.t. the input, register-blocked ----------------------------------------------------
// dy at four output columns `ow` of the row starting at `row`, where `ok`; 0 elsewhere (the index of
// a masked load may be anything: robust buffer access keeps it in bounds).
fn dy_cols4(row: i32, ow: vec4i, ok: vec4<bool>) -> vec4f {
  let at = vec4i(row) + ow;
  return select(vec4f(0.0), vec4f(dy_load(u32(at.x)), dy_load(u32(at.y)), dy_load(u32(at.z)), dy_load(u32(at.w))), ok);
}

// The output columns ow that reach input columns w through tap kw, from num = w + PW − kw·DW
// (= ow·SW): ok where that divides exactly, lands inside dy and the row is valid.
struct OutCols { ow: vec4i, ok: vec4<bool> }
fn out_cols4(num: vec4i, ok_row: bool) -> OutCols {
  let sw = i32(stride_w());
  let ow = num / vec4i(sw);
  let ok = vec4<bool>(ok_row) & (num >= vec4i(0)) & (ow * sw == num) & (ow < vec4i(i32(params.OW)));
  return OutCols(ow, ok);
}

@compute @workgroup_size(64)
fn conv2d_backward_input_blocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let Og = params.O / params.G;
  let Cg = params.C / params.G;
  let col_blocks = (params.W + 7u) / 8u;
  let c_blocks = (Cg + 7u) / 8u;
  // Thread → (n, g, channel block, h, column block), the column block fastest.
  let i = grid_index(gid, nwg, 64u);
  if (i >= params.N * params.G * c_blocks * params.H * col_blocks) { return; }
  let w0 = (i % col_blocks) * 8u;
  let h = (i / col_blocks) % params.H;
  let t = i / (col_blocks * params.H);
  let cb = (t % c_blocks) * 8u;
  let g = (t / c_blocks) % params.G;
  let n = t / (c_blocks * params.G);
  let taps = taps_h() * taps_w();
  // The 8 input channels' offsets inside one output channel's weights (clamped to the last).
  let c_lo = min(vec4u(cb) + vec4u(0u, 1u, 2u, 3u), vec4u(Cg - 1u)) * taps;
  let c_hi = min(vec4u(cb) + vec4u(4u, 5u, 6u, 7u), vec4u(Cg - 1u)) * taps;
  let col_lo = vec4i(i32(w0 + params.PW)) + vec4i(0, 1, 2, 3);
  let col_hi = vec4i(i32(w0 + params.PW)) + vec4i(4, 5, 6, 7);
  // u = the 8 columns, v = the 8 input channels: acc.ll[j] is channel cb + j at columns w0 .. w0 + 3.
  var acc = Acc8();
  for (var o = g * Og; o < (g + 1u) * Og; o++) {
    let w_o = o * Cg * taps;
    let plane = i32((n * params.O + o) * params.OH);
    for (var kh = 0u; kh < taps_h(); kh++) {
      let oh_num = i32(h + params.PH) - i32(kh * params.DH);
      let oh = oh_num / i32(params.SH);
      let row_ok = oh_num >= 0 && oh * i32(params.SH) == oh_num && oh < i32(params.OH);
      let row = (plane + oh) * i32(params.OW);
      for (var kw = 0u; kw < taps_w(); kw++) {
        let shift = vec4i(i32(kw * dilation_w()));
        let lo = out_cols4(col_lo - shift, row_ok);
        let hi = out_cols4(col_hi - shift, row_ok);
        let ds = Pair(dy_cols4(row, lo.ow, lo.ok), dy_cols4(row, hi.ow, hi.ok));
        acc = add_outer8(acc, ds, w8(c_lo, c_hi, w_o + kh * taps_w() + kw));
      }
    }
  }
  for (var j = 0u; j < 4u; j++) {
    store_dx8(n, g * Cg + cb + j, cb + j < Cg, h, w0, acc.ll[j], acc.lh[j]);
    store_dx8(n, g * Cg + cb + 4u + j, cb + 4u + j < Cg, h, w0, acc.hl[j], acc.hh[j]);
  }
}

// dx[n, c, h, w0 .. w0 + 7] = (lo, hi), the columns inside the image, when `valid`.
fn store_dx8(n: u32, c: u32, valid: bool, h: u32, w0: u32, lo: vec4f, hi: vec4f) {
  if (!valid) { return; }
  let row = ((n * params.C + c) * params.H + h) * params.W;
  if (DX_HALF) {
    // As store_y_run8: 8 columns from an even flat index are 4 whole words.
    if (((row + w0) & 1u) == 0u && w0 + 8u <= params.W) {
      let at = (row + w0) >> 1u;
      dx[at] = half_pack(lo.x, lo.y);
      dx[at + 1u] = half_pack(lo.z, lo.w);
      dx[at + 2u] = half_pack(hi.x, hi.y);
      dx[at + 3u] = half_pack(hi.z, hi.w);
      return;
    }
    for (var p = 0u; p < 8u; p++) {
      if (w0 + p >= params.W) { break; }
      let has_next = p < 7u && w0 + p + 1u < params.W;
      store_dx(row + w0 + p, pick8(lo, hi, p), has_next, pick8(lo, hi, min(p + 1u, 7u)));
    }
    return;
  }
  for (var p = 0u; p < 4u; p++) {
    if (w0 + p < params.W) { dx[row + w0 + p] = bitcast<u32>(lo[p]); }
    if (w0 + 4u + p < params.W) { dx[row + w0 + 4u + p] = bitcast<u32>(hi[p]); }
  }
}

// ---- backward w.r.t. the weight: one workgroup per weight element --------------------------------
const RWG = 64u;

@compute @workgroup_size(64)
fn conv2d_backward_weight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(local_invocation_index) lid: u32) {
  let e = wid.x + wid.y * nwg.x;           // weight element (o, c', kh, kw)
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  // Every thread of the workgroup takes the same path, so barriers stay in uniform control flow.
  let valid = e < params.O * Cg * params.KH * params.KW;
  let kw = e % params.KW;
  let kh = (e / params.KW) % params.KH;
  let cl = (e / (params.KW * params.KH)) % Cg;
  let o = e / (params.KW * params.KH * Cg);
  let c = (o / max(Og, 1u)) * Cg + cl;     // the input channel this weight multiplies
  let span = params.OH * params.OW;
  var acc = 0.0;
  if (valid) {
    for (var q = lid; q < params.N * span; q += RWG) {
      let n = q / span;
      let oh = (q % span) / params.OW;
      let ow = q % params.OW;
      let xv = x_at(n, c, in_coord(oh, kh, params.SH, params.PH, params.DH),
                    in_coord(ow, kw, params.SW, params.PW, params.DW));
      acc += xv * dy_load((n * params.O + o) * span + q % span);
    }
  }
  let total = workgroup_sum(acc, lid, RWG);
  if (lid == 0u && valid) { dw[e] = total; }
}

// ---- backward w.r.t. the weight: register blocks over slices of the output rows -------------------
// dy[n, o, oh, ow] for four channels, at offsets `o_off` (= o·OH·OW) from the row start `row`.
fn dy4(o_off: vec4u, row: u32) -> vec4f {
  return vec4f(dy_load(o_off.x + row), dy_load(o_off.y + row), dy_load(o_off.z + row), dy_load(o_off.w + row));
}

// x at four taps: element offsets `at` (valid where `ok`), 0 in the padding. As in x_row_at, the
// load is not branched around; robust buffer access keeps a padding index in bounds.
fn x4(at: vec4i, ok: vec4<bool>) -> vec4f {
  return select(vec4f(0.0), vec4f(x_load(u32(at.x)), x_load(u32(at.y)), x_load(u32(at.z)), x_load(u32(at.w))), ok);
}

@compute @workgroup_size(64)
fn conv2d_backward_weight_blocked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let Og = params.O / params.G;
  let Cg = params.C / params.G;
  let Kg = Cg * params.KH * params.KW;
  let o_blocks = (Og + 7u) / 8u;
  let k_blocks = (Kg + 7u) / 8u;
  let rows = params.N * params.OH;
  let slices = (rows + params.split_rows - 1u) / params.split_rows;
  // Thread → (slice, g, channel block, tap block), the tap block fastest.
  let i = grid_index(gid, nwg, 64u);
  if (i >= slices * params.G * o_blocks * k_blocks) { return; }
  let kb = (i % k_blocks) * 8u;
  let ob = ((i / k_blocks) % o_blocks) * 8u;
  let g = (i / (k_blocks * o_blocks)) % params.G;
  let s = i / (k_blocks * o_blocks * params.G);
  // The 8 taps (clamped to the last; their sums are not stored): input channel plane, and the
  // row / column offsets of the tap relative to oh·SH, ow·SW.
  let k_lo = min(vec4u(kb) + vec4u(0u, 1u, 2u, 3u), vec4u(Kg - 1u));
  let k_hi = min(vec4u(kb) + vec4u(4u, 5u, 6u, 7u), vec4u(Kg - 1u));
  let taps = params.KH * params.KW;
  let hw = params.H * params.W;
  let plane_lo = vec4i((vec4u(g * Cg) + k_lo / taps) * hw);
  let plane_hi = vec4i((vec4u(g * Cg) + k_hi / taps) * hw);
  let dh_lo = vec4i((k_lo / params.KW) % params.KH * params.DH) - i32(params.PH);
  let dh_hi = vec4i((k_hi / params.KW) % params.KH * params.DH) - i32(params.PH);
  let dw_lo = vec4i(k_lo % params.KW * params.DW) - i32(params.PW);
  let dw_hi = vec4i(k_hi % params.KW * params.DW) - i32(params.PW);
  // The 8 channels' offsets in dy (clamped like the taps).
  let span = params.OH * params.OW;
  let o_lo = (vec4u(g * Og) + min(vec4u(ob) + vec4u(0u, 1u, 2u, 3u), vec4u(Og - 1u))) * span;
  let o_hi = (vec4u(g * Og) + min(vec4u(ob) + vec4u(4u, 5u, 6u, 7u), vec4u(Og - 1u))) * span;
  // u = the 8 taps, v = the 8 channels: acc.ll[j] is channel ob + j at taps kb .. kb + 3.
  var acc = Acc8();
  let r_end = min((s + 1u) * params.split_rows, rows);
  for (var r = s * params.split_rows; r < r_end; r++) {
    let n = r / params.OH;
    let oh = r % params.OH;
    let ih_lo = vec4i(i32(oh * params.SH)) + dh_lo;
    let ih_hi = vec4i(i32(oh * params.SH)) + dh_hi;
    let H = vec4i(i32(params.H));
    let rok_lo = (ih_lo >= vec4i(0)) & (ih_lo < H);
    let rok_hi = (ih_hi >= vec4i(0)) & (ih_hi < H);
    let img = i32(n * params.C * hw);
    let xrow_lo = vec4i(img) + plane_lo + ih_lo * i32(params.W);
    let xrow_hi = vec4i(img) + plane_hi + ih_hi * i32(params.W);
    let dyrow = n * params.O * span + oh * params.OW;
    for (var ow = 0u; ow < params.OW; ow++) {
      let iw_lo = vec4i(i32(ow * params.SW)) + dw_lo;
      let iw_hi = vec4i(i32(ow * params.SW)) + dw_hi;
      let xs = Pair(x4(xrow_lo + iw_lo, rok_lo & (vec4u(iw_lo) < vec4u(params.W))),
                    x4(xrow_hi + iw_hi, rok_hi & (vec4u(iw_hi) < vec4u(params.W))));
      acc = add_outer8(acc, xs, Pair(dy4(o_lo, dyrow + ow), dy4(o_hi, dyrow + ow)));
    }
  }
  // Partial sums of slice s: dw viewed as (slices, O, Kg).
  for (var j = 0u; j < 4u; j++) {
    store_taps8(s, g * Og + ob + j, ob + j < Og, kb, Kg, acc.ll[j], acc.lh[j]);
    store_taps8(s, g * Og + ob + 4u + j, ob + 4u + j < Og, kb, Kg, acc.hl[j], acc.hh[j]);
  }
}

// dw[s, o, kb .. kb + 7] = (lo, hi), the taps below Kg, when `valid`.
fn store_taps8(s: u32, o: u32, valid: bool, kb: u32, Kg: u32, lo: vec4f, hi: vec4f) {
  if (!valid) { return; }
  let base = (s * params.O + o) * Kg + kb;
  for (var t = 0u; t < 4u; t++) {
    if (kb + t < Kg) { dw[base + t] = lo[t]; }
    if (kb + 4u + t < Kg) { dw[base + 4u + t] = hi[t]; }
  }
}

// ---- v4: implicit GEMM on register tiles, forward and both gradients ----------------------------
// The three kernels share common/tile.wgsl's workgroup tiles (Ta / Tb, TK, tile_multiply); only the
// loads and the stores differ. In each, the thread's column of the B slice (a position, or a tap) is
// li % (16·TN) in every load, since 16·TN divides the 256 threads: its coordinates are computed once.

// Output position p of the GEMM columns, p = (n · OH + oh) · OW + ow.
struct OutPos { n: u32, oh: u32, ow: u32 }
fn out_pos(p: u32) -> OutPos {
  return OutPos(p / (params.OH * params.OW), (p / params.OW) % params.OH, p % params.OW);
}

// X_g[k, p]: x at tap k = (c', kh, kw) of output position `at`, in group g's channels; 0 in the padding.
fn im2col(g: u32, Cg: u32, k: u32, at: OutPos) -> f32 {
  let taps = taps_h() * taps_w();
  let kh = (k % taps) / taps_w();
  let kw = k % taps_w();
  return x_at(at.n, g * Cg + k / taps, in_coord(at.oh, kh, params.SH, params.PH, params.DH),
              in_coord(at.ow, kw, params.SW, params.PW, params.DW));
}

@compute @workgroup_size(16, 16)
fn conv2d_forward_gemm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                       @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.z % params.G;
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  let Kg = Cg * taps_h() * taps_w();
  let P = params.N * params.OH * params.OW;
  let bn = 16u * TN;
  let row0 = wid.y * 16u * TM;                         // first output channel (within the group)
  let col0 = (wid.x + (wid.z / params.G) * nwg.x) * bn; // first position (tiles fold into z)
  let lc = li % bn;
  let lp = col0 + lc;
  let lpos = out_pos(min(lp, P - 1u));
  var acc: TileAcc;
  for (var k0 = 0u; k0 < Kg; k0 += TK) {
    // W_g slice: 16·TM channels × TK taps, k fastest (a row of w is contiguous in k).
    for (var e = 0u; e < TM; e++) {
      let idx = li + e * 256u;
      let r = idx / TK;
      let k = k0 + idx % TK;
      var v = 0.0;
      if (row0 + r < Og && k < Kg) { v = w_load((g * Og + row0 + r) * Kg + k); }
      put_a(0u, idx % TK, r, v);
    }
    // X_g slice: TK taps × 16·TN positions; this thread's position lp.
    for (var e = 0u; e < TN; e++) {
      let kk = li / bn + e * (256u / bn);
      var v = 0.0;
      if (lp < P && k0 + kk < Kg) { v = im2col(g, Cg, k0 + kk, lpos); }
      put_b(0u, kk, lc, v);
    }
    workgroupBarrier();
    tile_multiply(0u, 0u, TK, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let ol = row0 + tile_row(lid.y, i);
    if (ol >= Og) { continue; }
    let o = g * Og + ol;
    let b = bias_of(o);
    for (var j4 = 0u; j4 < TN / 4u; j4++) {
      for (var j = 0u; j < 4u; j++) {
        let p = col0 + tile_col(lid.x, j4) + j;
        if (p < P) {
          let at = out_pos(p);
          let f = ((at.n * params.O + o) * params.OH + at.oh) * params.OW + at.ow;
          if (Y_HALF) {
            // The quad's next position, when it is in the same image (f + 1 is then its flat index).
            let has_next = j < 3u && p + 1u < P && (p + 1u) % (params.OH * params.OW) != 0u;
            store_y(f, acc[i][j4][j] + b, has_next, acc[i][j4][min(j + 1u, 3u)] + b);
          } else {
            y[f] = bitcast<u32>(acc[i][j4][j] + b);
          }
        }
      }
    }
  }
}

// dY'_g[j, q]: dy[n, g·Og + o, oh, ow] for j = (o, kh, kw) at input position q = (n, ih, iw), where tap
// (kh, kw) of output (oh, ow) reads (ih, iw); 0 where no output does.
fn dy_tap(g: u32, Og: u32, j: u32, n: u32, ih: u32, iw: u32) -> f32 {
  let taps = taps_h() * taps_w();
  let kh = (j % taps) / taps_w();
  let kw = j % taps_w();
  let oh = out_coord(ih, kh, params.SH, params.PH, params.DH, params.OH);
  let ow = out_coord(iw, kw, params.SW, params.PW, params.DW, params.OW);
  if (oh < 0 || ow < 0) { return 0.0; }
  return dy_load(((n * params.O + g * Og + j / taps) * params.OH + u32(oh)) * params.OW + u32(ow));
}

@compute @workgroup_size(16, 16)
fn conv2d_backward_input_gemm(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                              @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.z % params.G;
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  let taps = taps_h() * taps_w();
  let J = Og * taps;                                   // inner dimension
  let Q = params.N * params.H * params.W;              // columns: input positions
  let bn = 16u * TN;
  let row0 = wid.y * 16u * TM;                         // first input channel (within the group)
  let col0 = (wid.x + (wid.z / params.G) * nwg.x) * bn;
  let lc = li % bn;
  let lq = col0 + lc;
  let q = min(lq, Q - 1u);
  let ln = q / (params.H * params.W);
  let lih = (q / params.W) % params.H;
  let liw = q % params.W;
  var acc: TileAcc;
  for (var k0 = 0u; k0 < J; k0 += TK) {
    // W'_g slice: 16·TM input channels × TK of j = (o, kh, kw): w[g·Og + o, c', kh, kw].
    for (var e = 0u; e < TM; e++) {
      let idx = li + e * 256u;
      let r = idx / TK;
      let j = k0 + idx % TK;
      var v = 0.0;
      if (row0 + r < Cg && j < J) { v = w_load(((g * Og + j / taps) * Cg + row0 + r) * taps + j % taps); }
      put_a(0u, idx % TK, r, v);
    }
    for (var e = 0u; e < TN; e++) {
      let kk = li / bn + e * (256u / bn);
      var v = 0.0;
      if (lq < Q && k0 + kk < J) { v = dy_tap(g, Og, k0 + kk, ln, lih, liw); }
      put_b(0u, kk, lc, v);
    }
    workgroupBarrier();
    tile_multiply(0u, 0u, TK, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let cl = row0 + tile_row(lid.y, i);
    if (cl >= Cg) { continue; }
    for (var j4 = 0u; j4 < TN / 4u; j4++) {
      for (var j = 0u; j < 4u; j++) {
        let qq = col0 + tile_col(lid.x, j4) + j;
        if (qq < Q) {
          let n = qq / (params.H * params.W);
          let f = ((n * params.C + g * Cg + cl) * params.H * params.W) + qq % (params.H * params.W);
          if (DX_HALF) {
            // The quad's next position, when it is in the same image (f + 1 is then its flat index).
            let has_next = j < 3u && qq + 1u < Q && (qq + 1u) % (params.H * params.W) != 0u;
            store_dx(f, acc[i][j4][j], has_next, acc[i][j4][min(j + 1u, 3u)]);
          } else {
            dx[f] = bitcast<u32>(acc[i][j4][j]);
          }
        }
      }
    }
  }
}

@compute @workgroup_size(16, 16)
fn conv2d_backward_weight_gemm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                               @builtin(local_invocation_index) li: u32) {
  let g = wid.z % params.G;
  let s = wid.z / params.G;                            // slice of the positions
  let Cg = params.C / params.G;
  let Og = params.O / params.G;
  let Kg = Cg * taps_h() * taps_w();                   // columns: taps
  let P = params.N * params.OH * params.OW;            // inner dimension
  let span = params.OH * params.OW;
  let p_begin = s * params.split_rows;                 // split_rows: positions per slice, a multiple of TK
  let p_end = min(p_begin + params.split_rows, P);
  let bn = 16u * TN;
  let row0 = wid.y * 16u * TM;                         // first output channel (within the group)
  let col0 = wid.x * bn;                               // first tap
  let lc = li % bn;
  let lk = col0 + lc;
  var acc: TileAcc;
  for (var k0 = p_begin; k0 < p_end; k0 += TK) {
    // dY_g slice: 16·TM channels × TK positions, positions fastest (contiguous within an image).
    for (var e = 0u; e < TM; e++) {
      let idx = li + e * 256u;
      let r = idx / TK;
      let p = k0 + idx % TK;
      var v = 0.0;
      if (row0 + r < Og && p < p_end) { v = dy_load(((p / span) * params.O + g * Og + row0 + r) * span + p % span); }
      put_a(0u, idx % TK, r, v);
    }
    // X_g slice, transposed: TK positions × 16·TN taps; this thread's tap lk.
    for (var e = 0u; e < TN; e++) {
      let kk = li / bn + e * (256u / bn);
      var v = 0.0;
      if (lk < Kg && k0 + kk < p_end) { v = im2col(g, Cg, lk, out_pos(k0 + kk)); }
      put_b(0u, kk, lc, v);
    }
    workgroupBarrier();
    tile_multiply(0u, 0u, TK, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
  // Partial sums of slice s: dw viewed as (slices, O, Kg).
  for (var i = 0u; i < TM; i++) {
    let ol = row0 + tile_row(lid.y, i);
    if (ol >= Og) { continue; }
    for (var j4 = 0u; j4 < TN / 4u; j4++) {
      for (var j = 0u; j < 4u; j++) {
        let k = col0 + tile_col(lid.x, j4) + j;
        if (k < Kg) { dw[(s * params.O + g * Og + ol) * Kg + k] = acc[i][j4][j]; }
      }
    }
  }
}
