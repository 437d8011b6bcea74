// attention.wgsl — scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention):
// the fused forward and backward, FlashAttention-style (Dao et al. 2022, 2023), and the scale/mask
// step of the composite rung (matmul → attention_mask → softmax → matmul).
//
// Shapes (the bindings query, key, value hold q, k, v): the leading dims of q, k and v (batch,
// heads) are flattened into one head index n = b·H + h, n < BH:
//   q [BH, L, E]   k [BH, S, E]   v [BH, S, Ev]   out [BH, L, Ev]   lse [BH, L]
//   mask: any shape that broadcasts to [B, H, L, S], read through strides (0 on a broadcast dim):
//         element (b, h, i, j) is mask[b·mask_sb + h·mask_sh + i·mask_sl + j·mask_ss].
// For query row i of head n the scores are s_j = scale · q_i·k_j + bias_ij, where
//   bias_ij = −∞ (key j takes no part) when causal and j > i (torch's tril(ones(L, S)): aligned at
//             the top left), or when the mask is boolean (mask_kind MASK_BOOL) and 0 (false);
//   bias_ij = the mask's value for a float mask (MASK_FLOAT; a −∞ there takes key j out too);
// and out_i = Σ_j softmax(s)_j · Z_ij · v_j, with Z_ij = keep_ij / (1 − p) with dropout: the
// Philox mask of dropout.wgsl, drawn from counter offset + (n·L + i)·S + j — the flat index of
// weight (n, i, j), as if the L×S weights had been made and passed to dropout — so the composite
// rung and the fused kernels drop the same weights, and the backward redraws them instead of
// storing them.
//
// THE ONLINE SOFTMAX (forward). The scores of row i arrive one key at a time. The thread keeps
//   m    the largest score seen so far
//   l    Σ e^(s_j − m) over the keys seen so far
//   acc  Σ e^(s_j − m) · Z_ij · v_j over the keys seen so far   (Ev values)
// A new score s larger than m changes the reference point: everything summed so far is multiplied
// by c = e^(m − s) (l ← l·c, acc ← acc·c) and m ← s. Then w = e^(s − m) ≤ 1 is added: l ← l + w,
// acc ← acc + w·Z_ij·v_j. At the end out_i = acc / l: the same numbers as the softmax's two sweeps
// (max, then Σ e^(s − max)), in one pass over K and V, no e^x ever above 1 (logits of ±1e4 are
// fine), and no L×S matrix anywhere. The forward saves only the row's log-sum-exp
//   lse_i = m + log l = log Σ_j e^(s_j),   so that   P_ij = e^(s_ij − lse_i)
// rebuilds any weight in the backward. A fully masked row (every score −∞) has l = 0: its output is
// 0, as PyTorch's SDPA gives since 2.5 (its math backend's _safe_softmax, and its fused kernels),
// and its lse is +FLT_MAX, so that e^(s − lse) = 0 there.
//
// THE BACKWARD'S ALGEBRA, for dO = ∂L/∂out:
//   P_ij  = e^(s_ij − lse_i)                      recomputed from q, k and lse, never stored
//   dv_j  = Σ_i P_ij Z_ij dO_i
//   dP_ij = Z_ij · dO_i·v_j                        the gradient of the weight P_ij
//   dS_ij = P_ij (dP_ij − D_i)                     the softmax's gradient, with
//   D_i   = Σ_j P_ij dP_ij = Σ_j P_ij Z_ij dO_i·v_j = dO_i·out_i = rowsum(dO ∘ out)
//   dq_i  = scale · Σ_j dS_ij k_j,    dk_j = scale · Σ_i dS_ij q_i,    dmask_ij = dS_ij (float mask)
// Three passes, so that every output is summed by the one thread that owns it (no atomics, at the
// price of computing P twice):
//   attention_backward_prep   one thread per query row: D_i = dO_i·out_i, kept beside lse_i in `stats`
//   attention_backward_dq     one thread per query row, walking the keys: dq_i
//   attention_backward_dkv    one thread per key row, walking the queries: dk_j and dv_j
//   attention_backward_bias   (only when the float mask's gradient is asked for) one thread per
//                             weight: dS_ij, an L×S tensor per head, summed over the mask's
//                             broadcast dims by the host
// `stats` is [2 + 2·BH·L] words: the Philox key's two words (so the backward kernels fit in 8
// storage buffers), then (lse_i, D_i) per row as f32 bits.
//
// WORK SPLITS. One thread per row — a query row (forward, dq) or a key row (dkv) — and 64 rows per
// workgroup; the grid is [row blocks, heads] (heads past 65535 fold into z). A thread keeps its own
// row of q (or k and v), of dO and its sums in private arrays of DMAX values: E, Ev ≤ DMAX (the host
// takes the composite rung above that).
//   attention_forward, attention_backward_dq, attention_backward_dkv   (the "fused" rung): the 64
//       threads load a tile of the rows they all walk — K and V for a block of queries; Q, dO and the
//       row statistics for a block of keys — into workgroup memory together (TILE_FLOATS values per
//       array, `tile` rows), wait at a barrier, and read the tile from there: each key is read from
//       device memory once per 64 query rows instead of once per row.
//   the same names + _rows   (the "rows" rung): the same functions with `tiled` false: every thread
//       reads its keys (or queries) straight from device memory, and no barrier runs — the idea of
//       matmul_reg and the softmax _rows kernels, which win on a software adapter where a barrier
//       switches every invocation of the workgroup. Here it does not pay (bench/: on SwiftShader the
//       composite rung beats both fused rungs; see the 'attention' rule in src/ops/kernel-rules.ts).
// Causal rows stop at the diagonal: a block of queries i0..i0+63 walks keys 0..i0+63 (each thread
// skipping j > i), a block of keys j0..j0+63 walks queries j0..L−1.
// The options (mask_kind, causal, dropout) are Params fields rather than override constants: the
// branches on them are uniform, and one pipeline per kernel serves every combination — on a
// software adapter a pipeline of the tiled kernels takes seconds to compile.
//
// THE COMPOSITE RUNG'S STEP. attention_mask (one thread per row) turns raw = q·kᵀ into
// scores = scale·raw + bias, −∞ where masked; a row with no score above −∞ is written as zeros and
// flagged in row_keep (0: fully masked, else 1), and the host multiplies the softmax's row by it, so
// the composite also gives 0 there. attention_mask_backward (one thread per element):
// raw_grad = scale·dscores where the score depends on raw (above −∞, in a kept row), else 0.

// #include "common/grid.wgsl"
// #include "common/float.wgsl"
// #include "common/philox.wgsl"

// Which mask (params.mask_kind): none, boolean (i32, nonzero = takes part) or float (added to the scores).
const MASK_NONE = 0u;
const MASK_BOOL = 1u;
const MASK_FLOAT = 2u;

struct Params {
  BH: u32,            // heads in all: the product of the leading dims
  H: u32,             // the last leading dim (n = b·H + h), for the mask's strides
  L: u32,             // query rows
  S: u32,             // key rows
  E: u32,             // q and k features
  Ev: u32,            // v features
  scale: f32,         // multiplies q·k (default 1/√E)
  mask_sb: u32,       // the mask's strides over (b, h, i, j): 0 on broadcast dims
  mask_sh: u32,
  mask_sl: u32,
  mask_ss: u32,
  tile: u32,          // rows per workgroup tile (fused kernels): min(64, TILE_FLOATS / max(E, Ev))
  mask_kind: u32,     // MASK_NONE, MASK_BOOL or MASK_FLOAT
  causal: u32,        // 1: key j takes no part in query row i when j > i
  dropout: u32,       // 1: dropout on the weights (threshold, keep_scale, offset, the key)
  threshold: u32,     // dropout: floor(p · 2^32), a weight is dropped when its random word is below it
  keep_scale: f32,    // dropout: 1 / (1 − p)
  offset_lo: u32,     // dropout: Philox counter of weight (0, 0, 0), low and high words
  offset_hi: u32,
}
@group(0) @binding(0) var<uniform> params: Params;

@group(0) @binding(1) var<storage, read> query: array<f32>;        // (BH, L, E)  q
@group(0) @binding(2) var<storage, read> key: array<f32>;          // (BH, S, E)  k
@group(0) @binding(3) var<storage, read> value: array<f32>;        // (BH, S, Ev) v
@group(0) @binding(4) var<storage, read> mask: array<f32>;         // broadcast to (B, H, L, S); i32 bits when MASK_BOOL
// forward
@group(0) @binding(5) var<storage, read_write> out: array<f32>;    // (BH, L, Ev)
@group(0) @binding(6) var<storage, read> dkey: array<u32>;         // (2) Philox key, with dropout
@group(0) @binding(7) var<storage, read_write> lse: array<f32>;    // (BH, L) row log-sum-exp (+FLT_MAX: fully masked)
// backward
@group(0) @binding(1) var<storage, read> out_fwd: array<f32>;     // prep: the forward's out (BH, L, Ev)
@group(0) @binding(2) var<storage, read> lse_fwd: array<f32>;     // prep: the forward's lse (BH, L)
@group(0) @binding(5) var<storage, read> dout: array<f32>;        // (BH, L, Ev) ∂L/∂out
@group(0) @binding(7) var<storage, read_write> stats: array<u32>;  // prep: key, then (lse_i, D_i) per row
@group(0) @binding(6) var<storage, read> stats_in: array<u32>;     // the same, read by the other passes
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;     // (BH, L, E)
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;     // (BH, S, E)
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;     // (BH, S, Ev)
@group(0) @binding(7) var<storage, read_write> dbias: array<f32>;  // (BH, L, S) dS, the float mask's gradient
// the composite rung's scale/mask step
@group(0) @binding(1) var<storage, read> raw: array<f32>;             // (BH, L, S) q·kᵀ
@group(0) @binding(5) var<storage, read_write> scores: array<f32>;    // (BH, L, S)
@group(0) @binding(6) var<storage, read_write> row_keep: array<f32>;  // (BH, L) 1, or 0 for a fully masked row
@group(0) @binding(1) var<storage, read> dscores: array<f32>;         // (BH, L, S)
@group(0) @binding(2) var<storage, read> scores_in: array<f32>;       // (BH, L, S)
@group(0) @binding(3) var<storage, read> row_keep_in: array<f32>;     // (BH, L)
@group(0) @binding(5) var<storage, read_write> raw_grad: array<f32>;  // (BH, L, S) ∂L/∂raw

const DMAX = 128u;          // largest E and Ev of the fused kernels (private row arrays)
const ROWS_WG = 64u;        // rows (threads) per workgroup of the row kernels
const TILE_FLOATS = 1024u;  // values per workgroup tile array
const WG = 256u;            // threads per workgroup of the one-thread-per-element kernels
const NEG_MAX = -3.4028234663852886e38;   // "no score yet" for the running max
const POS_MAX = 3.4028234663852886e38;    // the lse of a fully masked row

// A thread's rows: q_i (forward, dq) or k_j (dkv) in row_a, dO_i (dq) or v_j (dkv) in row_b; its
// sums: out_i (forward), dq_i or dk_j in acc_a, dv_j in acc_b.
var<private> row_a: array<f32, DMAX>;
var<private> row_b: array<f32, DMAX>;
var<private> acc_a: array<f32, DMAX>;
var<private> acc_b: array<f32, DMAX>;
var<private> philox_key: vec2u;

// The fused kernels' tiles: K and V rows (forward, dq) or Q and dO rows and their (lse, D) (dkv).
var<workgroup> tile_a: array<f32, TILE_FLOATS>;
var<workgroup> tile_b: array<f32, TILE_FLOATS>;
var<workgroup> tile_stats: array<vec2f, ROWS_WG>;

// ---- masks, scores, dropout ------------------------------------------------------------------------

// −∞ (on the bits: WGSL lets a compiler assume there are no infinities, so no comparison with one).
fn is_neg_inf(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

fn mask_index(n: u32, i: u32, j: u32) -> u32 {
  return (n / params.H) * params.mask_sb + (n % params.H) * params.mask_sh + i * params.mask_sl + j * params.mask_ss;
}

// Does the causal or the boolean mask take key j out of query row i?
fn masked_out(n: u32, i: u32, j: u32) -> bool {
  if (params.causal != 0u && j > i) { return true; }
  return params.mask_kind == MASK_BOOL && bitcast<u32>(mask[mask_index(n, i, j)]) == 0u;
}

// The score from q_i·k_j (or raw): scale · dot, plus the float mask. Skipped when it is −∞.
fn score(n: u32, i: u32, j: u32, dot: f32) -> f32 {
  var s = params.scale * dot;
  if (params.mask_kind == MASK_FLOAT) { s += mask[mask_index(n, i, j)]; }
  return s;
}

// Z_ij: 1 / (1 − p) for a kept weight, 0 for a dropped one, 1 without dropout. The counter
// offset + (n·L + i)·S + j is a 64-bit integer (its low and high words, with carries).
fn dropout_factor(n: u32, i: u32, j: u32) -> f32 {
  if (params.dropout == 0u) { return 1.0; }
  let rs = mulhilo(n * params.L + i, params.S);        // (n·L + i)·S: (high, low)
  let lo1 = rs.y + j;
  let lo = lo1 + params.offset_lo;
  let hi = rs.x + params.offset_hi + select(0u, 1u, lo1 < j) + select(0u, 1u, lo < lo1);
  let bits = philox4x32_10(vec4u(lo, hi, 0u, 0u), philox_key).x;
  return select(0.0, params.keep_scale, bits >= params.threshold);
}

// lse_r and D_r from the statistics the prep pass wrote.
fn stat_lse(r: u32) -> f32 {
  return bitcast<f32>(stats_in[2u + 2u * r]);
}

fn stat_d(r: u32) -> f32 {
  return bitcast<f32>(stats_in[3u + 2u * r]);
}

fn load_stats_key() {
  if (params.dropout != 0u) { philox_key = vec2u(stats_in[0], stats_in[1]); }
}

// ---- tiles: element e of a row the workgroup walks, from the tile (tiled) or device memory ---------

// Rows per tile step: the tile's rows, or all of them at once when nothing is tiled.
fn tile_step(count: u32, tiled: bool) -> u32 {
  return select(max(count, 1u), params.tile, tiled);
}

// K and V rows j0 ..< j1 of head n into tile_a and tile_b (all threads of the workgroup call it).
fn load_kv_tile(n: u32, j0: u32, j1: u32, lid: u32) {
  workgroupBarrier();   // every thread is done with the previous tile
  let kb = (n * params.S + j0) * params.E;
  for (var t = lid; t < (j1 - j0) * params.E; t += ROWS_WG) { tile_a[t] = key[kb + t]; }
  let vb = (n * params.S + j0) * params.Ev;
  for (var t = lid; t < (j1 - j0) * params.Ev; t += ROWS_WG) { tile_b[t] = value[vb + t]; }
  workgroupBarrier();
}

// Q and dO rows i0 ..< i1 of head n, and their (lse, D), into tile_a, tile_b and tile_stats.
fn load_q_tile(n: u32, i0: u32, i1: u32, lid: u32) {
  workgroupBarrier();
  let qb = (n * params.L + i0) * params.E;
  for (var t = lid; t < (i1 - i0) * params.E; t += ROWS_WG) { tile_a[t] = query[qb + t]; }
  let ob = (n * params.L + i0) * params.Ev;
  for (var t = lid; t < (i1 - i0) * params.Ev; t += ROWS_WG) { tile_b[t] = dout[ob + t]; }
  if (lid < i1 - i0) {
    let r = n * params.L + i0 + lid;
    tile_stats[lid] = vec2f(stat_lse(r), stat_d(r));
  }
  workgroupBarrier();
}

// k_j[e], v_j[e] (jt = j − j0: the row in the tile), q_i[e], dO_i[e] (it = i − i0), (lse_i, D_i).
fn k_at(n: u32, j: u32, jt: u32, e: u32, tiled: bool) -> f32 {
  if (tiled) { return tile_a[jt * params.E + e]; }
  return key[(n * params.S + j) * params.E + e];
}

fn v_at(n: u32, j: u32, jt: u32, e: u32, tiled: bool) -> f32 {
  if (tiled) { return tile_b[jt * params.Ev + e]; }
  return value[(n * params.S + j) * params.Ev + e];
}

fn q_at(n: u32, i: u32, it: u32, e: u32, tiled: bool) -> f32 {
  if (tiled) { return tile_a[it * params.E + e]; }
  return query[(n * params.L + i) * params.E + e];
}

fn dout_at(n: u32, i: u32, it: u32, e: u32, tiled: bool) -> f32 {
  if (tiled) { return tile_b[it * params.Ev + e]; }
  return dout[(n * params.L + i) * params.Ev + e];
}

fn stats_at(n: u32, i: u32, it: u32, tiled: bool) -> vec2f {
  if (tiled) { return tile_stats[it]; }
  let r = n * params.L + i;
  return vec2f(stat_lse(r), stat_d(r));
}

// The head of a row kernel's workgroup: heads run along y, those past 65535 fold into z.
fn head_of(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.y + wid.z * nwg.y;
}

// The keys a block of query rows i0 ..< i0 + 64 of head n walks (0 for a head past the end).
fn block_keys(n: u32, i0: u32) -> u32 {
  if (n >= params.BH) { return 0u; }
  if (params.causal != 0u) { return min(params.S, i0 + ROWS_WG); }
  return params.S;
}

// ---- forward: one query row per thread -------------------------------------------------------------

// Query row i0 + lid of head n: the online softmax over the keys of the block.
fn forward_block(n: u32, i0: u32, lid: u32, tiled: bool) {
  if (params.dropout != 0u) { philox_key = vec2u(dkey[0], dkey[1]); }
  let i = i0 + lid;
  let keys = block_keys(n, i0);   // the same for the whole workgroup
  let valid = i < params.L && n < params.BH;
  let E = params.E;
  let Ev = params.Ev;
  if (valid) {
    for (var e = 0u; e < E; e++) { row_a[e] = query[(n * params.L + i) * E + e]; }
    for (var e = 0u; e < Ev; e++) { acc_a[e] = 0.0; }
  }
  var m = NEG_MAX;   // the running max
  var l = 0.0;       // the running Σ e^(s − m)
  let step = tile_step(keys, tiled);
  for (var j0 = 0u; j0 < keys; j0 += step) {
    let j1 = min(j0 + step, keys);
    if (tiled) { load_kv_tile(n, j0, j1, lid); }
    if (valid) {
      for (var j = j0; j < j1; j++) {
        if (masked_out(n, i, j)) { continue; }
        var dot = 0.0;
        for (var e = 0u; e < E; e++) { dot += row_a[e] * k_at(n, j, j - j0, e, tiled); }
        let s = score(n, i, j, dot);
        if (is_neg_inf(s)) { continue; }
        if (s > m) {
          // A new max: rescale what was summed against the old one (nothing yet when l = 0).
          if (l > 0.0) {
            let c = exp(m - s);
            l *= c;
            for (var e = 0u; e < Ev; e++) { acc_a[e] *= c; }
          }
          m = s;
        }
        let w = exp(s - m);
        l += w;
        let wz = w * dropout_factor(n, i, j);
        if (wz != 0.0) {
          for (var e = 0u; e < Ev; e++) { acc_a[e] += wz * v_at(n, j, j - j0, e, tiled); }
        }
      }
    }
  }
  if (valid) {
    let r = n * params.L + i;
    if (l > 0.0) {
      let inv = 1.0 / l;
      for (var e = 0u; e < Ev; e++) { out[r * Ev + e] = acc_a[e] * inv; }
      lse[r] = m + log(l);
    } else {
      for (var e = 0u; e < Ev; e++) { out[r * Ev + e] = 0.0; }
      lse[r] = POS_MAX;
    }
  }
}

@compute @workgroup_size(64)
fn attention_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  forward_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, true);
}

@compute @workgroup_size(64)
fn attention_forward_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(local_invocation_index) lid: u32) {
  forward_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, false);
}

// ---- backward ---------------------------------------------------------------------------------------

// D_r = dO_r·out_r beside lse_r, and the key in front: one thread per query row r = n·L + i.
@compute @workgroup_size(64)
fn attention_backward_prep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = grid_index(gid, nwg, ROWS_WG);
  if (r == 0u) {
    stats[0] = select(0u, dkey[0], params.dropout != 0u);
    stats[1] = select(0u, dkey[1], params.dropout != 0u);
  }
  if (r >= params.BH * params.L) { return; }
  var d = 0.0;
  for (var e = 0u; e < params.Ev; e++) { d += dout[r * params.Ev + e] * out_fwd[r * params.Ev + e]; }
  stats[2u + 2u * r] = bitcast<u32>(lse_fwd[r]);
  stats[3u + 2u * r] = bitcast<u32>(d);
}

// dS_ij from q_i·k_j (dot), dO_i·v_j (dov), lse_i and D_i; also P_ij·Z_ij (the weight's share of dv).
fn score_grad(n: u32, i: u32, j: u32, dot: f32, dov: f32, st: vec2f) -> vec2f {
  let p = exp(score(n, i, j, dot) - st.x);
  let z = dropout_factor(n, i, j);
  return vec2f(p * (z * dov - st.y), p * z);
}

// dq_i = scale · Σ_j dS_ij k_j for query row i = i0 + lid of head n, walking the block's keys.
fn dq_block(n: u32, i0: u32, lid: u32, tiled: bool) {
  load_stats_key();
  let i = i0 + lid;
  let keys = block_keys(n, i0);
  let valid = i < params.L && n < params.BH;
  let E = params.E;
  let Ev = params.Ev;
  let r = n * params.L + i;
  var st = vec2f(0.0);
  if (valid) {
    for (var e = 0u; e < E; e++) { row_a[e] = query[r * E + e]; acc_a[e] = 0.0; }
    for (var e = 0u; e < Ev; e++) { row_b[e] = dout[r * Ev + e]; }
    st = vec2f(stat_lse(r), stat_d(r));
  }
  let step = tile_step(keys, tiled);
  for (var j0 = 0u; j0 < keys; j0 += step) {
    let j1 = min(j0 + step, keys);
    if (tiled) { load_kv_tile(n, j0, j1, lid); }
    if (valid) {
      for (var j = j0; j < j1; j++) {
        if (masked_out(n, i, j)) { continue; }
        var dot = 0.0;
        for (var e = 0u; e < E; e++) { dot += row_a[e] * k_at(n, j, j - j0, e, tiled); }
        if (is_neg_inf(score(n, i, j, dot))) { continue; }
        var dov = 0.0;
        for (var e = 0u; e < Ev; e++) { dov += row_b[e] * v_at(n, j, j - j0, e, tiled); }
        let ds = params.scale * score_grad(n, i, j, dot, dov, st).x;
        for (var e = 0u; e < E; e++) { acc_a[e] += ds * k_at(n, j, j - j0, e, tiled); }
      }
    }
  }
  if (valid) {
    for (var e = 0u; e < E; e++) { dq[r * E + e] = acc_a[e]; }
  }
}

// dk_j = scale · Σ_i dS_ij q_i and dv_j = Σ_i P_ij Z_ij dO_i for key row j = j0 + lid of head n,
// walking the queries from the first that sees the block (causal: j0) to L.
fn dkv_block(n: u32, j0: u32, lid: u32, tiled: bool) {
  load_stats_key();
  let j = j0 + lid;
  let first = select(0u, j0, params.causal != 0u);
  let valid = j < params.S && n < params.BH;
  let E = params.E;
  let Ev = params.Ev;
  let c = n * params.S + j;
  if (valid) {
    for (var e = 0u; e < E; e++) { row_a[e] = key[c * E + e]; acc_a[e] = 0.0; }
    for (var e = 0u; e < Ev; e++) { row_b[e] = value[c * Ev + e]; acc_b[e] = 0.0; }
  }
  let queries = select(params.L, 0u, n >= params.BH);
  let step = tile_step(queries, tiled);
  for (var i0 = first; i0 < queries; i0 += step) {
    let i1 = min(i0 + step, queries);
    if (tiled) { load_q_tile(n, i0, i1, lid); }
    if (valid) {
      for (var i = i0; i < i1; i++) {
        if (masked_out(n, i, j)) { continue; }
        var dot = 0.0;
        for (var e = 0u; e < E; e++) { dot += q_at(n, i, i - i0, e, tiled) * row_a[e]; }
        if (is_neg_inf(score(n, i, j, dot))) { continue; }
        var dov = 0.0;
        for (var e = 0u; e < Ev; e++) { dov += dout_at(n, i, i - i0, e, tiled) * row_b[e]; }
        let g = score_grad(n, i, j, dot, dov, stats_at(n, i, i - i0, tiled));
        let ds = params.scale * g.x;
        for (var e = 0u; e < E; e++) { acc_a[e] += ds * q_at(n, i, i - i0, e, tiled); }
        if (g.y != 0.0) {
          for (var e = 0u; e < Ev; e++) { acc_b[e] += g.y * dout_at(n, i, i - i0, e, tiled); }
        }
      }
    }
  }
  if (valid) {
    for (var e = 0u; e < E; e++) { dk[c * E + e] = acc_a[e]; }
    for (var e = 0u; e < Ev; e++) { dv[c * Ev + e] = acc_b[e]; }
  }
}

@compute @workgroup_size(64)
fn attention_backward_dq(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                         @builtin(local_invocation_index) lid: u32) {
  dq_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, true);
}

@compute @workgroup_size(64)
fn attention_backward_dq_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                              @builtin(local_invocation_index) lid: u32) {
  dq_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, false);
}

@compute @workgroup_size(64)
fn attention_backward_dkv(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                          @builtin(local_invocation_index) lid: u32) {
  dkv_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, true);
}

@compute @workgroup_size(64)
fn attention_backward_dkv_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                               @builtin(local_invocation_index) lid: u32) {
  dkv_block(head_of(wid, nwg), wid.x * ROWS_WG, lid, false);
}

// dS_ij for every weight (the float mask's gradient before the host sums its broadcast dims): one
// thread per weight (n, i, j); 0 where the weight takes no part.
@compute @workgroup_size(256)
fn attention_backward_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, WG);
  if (t >= params.BH * params.L * params.S) { return; }
  load_stats_key();
  let j = t % params.S;
  let r = t / params.S;
  let i = r % params.L;
  let n = r / params.L;
  var ds = 0.0;
  if (!masked_out(n, i, j)) {
    var dot = 0.0;
    for (var e = 0u; e < params.E; e++) { dot += query[r * params.E + e] * key[(n * params.S + j) * params.E + e]; }
    if (!is_neg_inf(score(n, i, j, dot))) {
      var dov = 0.0;
      for (var e = 0u; e < params.Ev; e++) { dov += dout[r * params.Ev + e] * value[(n * params.S + j) * params.Ev + e]; }
      ds = score_grad(n, i, j, dot, dov, vec2f(stat_lse(r), stat_d(r))).x;
    }
  }
  dbias[t] = ds;
}

// ---- the composite rung's scale/mask step --------------------------------------------------------------

// scores = scale·raw + bias (−∞ where masked) for row r = n·L + i; zeros and row_keep = 0 when
// nothing is left of the row. One thread per row.
@compute @workgroup_size(64)
fn attention_mask(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = grid_index(gid, nwg, ROWS_WG);
  if (r >= params.BH * params.L) { return; }
  let n = r / params.L;
  let i = r % params.L;
  let base = r * params.S;
  var kept = false;
  for (var j = 0u; j < params.S; j++) {
    var s = -inf_like(raw[base + j]);
    if (!masked_out(n, i, j)) { s = score(n, i, j, raw[base + j]); }
    scores[base + j] = s;
    kept = kept || !is_neg_inf(s);
  }
  if (!kept) {
    for (var j = 0u; j < params.S; j++) { scores[base + j] = 0.0; }
  }
  row_keep[r] = select(0.0, 1.0, kept);
}

// raw_grad = scale·dscores where the score depends on raw, else 0. One thread per element.
@compute @workgroup_size(256)
fn attention_mask_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, WG);
  if (t >= params.BH * params.L * params.S) { return; }
  let live = row_keep_in[t / params.S] != 0.0 && !is_neg_inf(scores_in[t]);
  raw_grad[t] = select(0.0, params.scale * dscores[t], live);
}
