// layernorm.wgsl — layer normalisation over the last C elements of each row (torch.nn.functional.layer_norm
// with C = the product of normalized_shape), forward and backward, after llm.c's layernorm_forward /
// layernorm_backward. Shapes: inp, out, dout, dinp (rows, C); weight, bias, dweight, dbias (C);
// mean, rstd (rows).
//
// layernorm_forward          one workgroup of 256 threads per row (grid folded into 2-D past 65535 rows).
//                            Threads stride over the row; two tree reductions in workgroup memory give
//                            mean = Σx / C, then var = Σ(x − mean)² / C (biased, as torch; two passes are
//                            more accurate than E[x²] − mean²). rstd = 1/√(var + eps).
//                            out = (x − mean)·rstd·weight + bias. Saves mean and rstd for the backward.
// layernorm_backward         dinp, one workgroup per row. With xhat = (x − mean)·rstd and g = dout·weight,
//                            one reduction of the pair (Σg, Σg·xhat) gives
//                            dinp = rstd · (g − mean(g) − xhat · mean(g·xhat)).
// layernorm_backward_params  dweight = Σ_rows dout·xhat and dbias = Σ_rows dout, a column reduction
//                            with no atomics: a 32×8 workgroup owns 32 adjacent columns (coalesced reads);
//                            its 8 lanes of rows each sum every 8th row, then the 8 partials are added
//                            in workgroup memory. One pass, race-free and deterministic.
// HAS_WEIGHT / HAS_BIAS (pipeline constants) say whether weight / bias exist; when they do not, the host
// binds the input in their place and the kernel never reads it.

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

@group(0) @binding(0) var<storage, read> inp: array<f32>;             // (rows, C)
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;      // forward: (rows) saved mean
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;      // forward: (rows) saved 1/std
@group(0) @binding(3) var<storage, read_write> out: array<f32>;       // forward: (rows, C)
@group(0) @binding(4) var<storage, read> weight: array<f32>;          // (C)
@group(0) @binding(5) var<storage, read> bias: array<f32>;            // (C)
@group(0) @binding(1) var<storage, read> saved_mean: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(2) var<storage, read> saved_rstd: array<f32>;      // backward: (rows) from the forward
@group(0) @binding(3) var<storage, read> dout: array<f32>;            // backward: (rows, C) incoming gradient
@group(0) @binding(5) var<storage, read_write> dinp: array<f32>;      // backward: (rows, C)
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>;   // backward_params: (C)
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;     // backward_params: (C)
struct ForwardParams { rows: u32, C: u32, eps: f32 }
struct BackwardParams { rows: u32, C: u32 }
@group(0) @binding(6) var<uniform> fparams: ForwardParams;
@group(0) @binding(6) var<uniform> bparams: BackwardParams;

const WG = 256u;
var<workgroup> partial: array<f32, 256>;
var<workgroup> partial2: array<vec2f, 256>;

// Tree reductions over the row's workgroup; all threads call them and all get the result.
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

fn workgroup_sum2(v: vec2f, lid: u32) -> vec2f {
  partial2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial2[lid] += partial2[lid + s]; }
    workgroupBarrier();
  }
  let r = partial2[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(256)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < fparams.rows;                 // the same for the whole workgroup
  let C = select(0u, fparams.C, valid);
  let base = row * fparams.C;
  let n = f32(fparams.C);

  var s = 0.0;
  for (var c = lid; c < C; c += WG) { s += inp[base + c]; }
  let m = workgroup_sum(s, lid) / n;

  var v = 0.0;
  for (var c = lid; c < C; c += WG) {
    let d = inp[base + c] - m;
    v += d * d;
  }
  let r = 1.0 / sqrt(workgroup_sum(v, lid) / n + fparams.eps);

  for (var c = lid; c < C; c += WG) {
    var o = (inp[base + c] - m) * r;
    if (HAS_WEIGHT) { o *= weight[c]; }
    if (HAS_BIAS) { o += bias[c]; }
    out[base + c] = o;
  }
  if (lid == 0u && valid) {
    mean[row] = m;
    rstd[row] = r;
  }
}

@compute @workgroup_size(256)
fn layernorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                      @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  let valid = row < bparams.rows;
  let C = select(0u, bparams.C, valid);
  let base = row * bparams.C;
  let n = f32(bparams.C);
  var m = 0.0;
  var r = 0.0;
  if (valid) {
    m = saved_mean[row];
    r = saved_rstd[row];
  }

  // (Σ g, Σ g·xhat) over the row
  var acc = vec2f(0.0);
  for (var c = lid; c < C; c += WG) {
    var g = dout[base + c];
    if (HAS_WEIGHT) { g *= weight[c]; }
    let xhat = (inp[base + c] - m) * r;
    acc += vec2f(g, g * xhat);
  }
  let sums = workgroup_sum2(acc, lid) / n;        // (mean of g, mean of g·xhat)

  for (var c = lid; c < C; c += WG) {
    var g = dout[base + c];
    if (HAS_WEIGHT) { g *= weight[c]; }
    let xhat = (inp[base + c] - m) * r;
    dinp[base + c] = r * (g - sums.x - xhat * sums.y);
  }
}

const COLS = 32u;   // columns per workgroup
const LANES = 8u;   // row lanes per workgroup
var<workgroup> col_dw: array<array<f32, 32>, 8>;
var<workgroup> col_db: array<array<f32, 32>, 8>;

@compute @workgroup_size(32, 8)
fn layernorm_backward_params(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                             @builtin(local_invocation_id) lid: vec3u) {
  let c = (wid.x + wid.y * nwg.x) * COLS + lid.x;
  let valid = c < bparams.C;
  var dw = 0.0;
  var db = 0.0;
  if (valid) {
    for (var r = lid.y; r < bparams.rows; r += LANES) {
      let i = r * bparams.C + c;
      let d = dout[i];
      dw += d * (inp[i] - saved_mean[r]) * saved_rstd[r];
      db += d;
    }
  }
  col_dw[lid.y][lid.x] = dw;
  col_db[lid.y][lid.x] = db;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s / 2u) {
    if (lid.y < s) {
      col_dw[lid.y][lid.x] += col_dw[lid.y + s][lid.x];
      col_db[lid.y][lid.x] += col_db[lid.y + s][lid.x];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && valid) {
    dweight[c] = col_dw[0][lid.x];
    dbias[c] = col_db[0][lid.x];
  }
}
