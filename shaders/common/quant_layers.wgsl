// common/quant_layers.wgsl — the int8 layers of post-training quantisation (sg.quantize), shared by
// shaders/quant.wgsl (portable dot product) and shaders/quant_dot4.wgsl (the packed builtins). The
// including file defines `fn dot4_i8(a: u32, b: u32) -> i32`: the sum of the products of the four
// signed bytes of a and b. Everything here is integer arithmetic, exact, until the final scale.
//
// Codes: 4 signed bytes per u32 word, byte k in bits 8k .. 8k + 7. Activations are stored as
// s = q − shift (shift 128 for quint8 codes, 0 for qint8) so both operands of the dot product are
// signed, and x_zero = zero_point − shift; then q − zero_point = s − x_zero exactly, and
//   acc[o] = Σ (s − x_zero)·w_q = Σ s·w_q − x_zero·wsum[o]      wsum[o] = Σ w_q (all taps, host)
//   y      = f32(acc) · out_scale[o] + bias[o],  out_scale[o] = f32(scale_x · scale_w[o])
// A tap outside the image reads x_zero in every byte (x_zero4): a zero input quantises to its zero
// point exactly, so its term (s − x_zero)·w is 0, as the padding's zeros give in f32. One dot product
// per word and tap. Words past the channels (C not a multiple of 4) hold zero bytes in w: they add nothing.

@group(0) @binding(0) var<storage, read> xq: array<u32>;          // linear (M, KW) · conv (N, H, W, G, CW)
@group(0) @binding(1) var<storage, read> wq: array<u32>;          // linear (O, KW) · conv (O, KH, KW, CW)
@group(0) @binding(2) var<storage, read> out_scale: array<f32>;   // (O): scale_x · scale_w[o]
@group(0) @binding(3) var<storage, read> bias: array<f32>;        // (O), zeros for a layer without bias
@group(0) @binding(4) var<storage, read> wsum: array<i32>;        // (O): Σ of w[o]'s codes
@group(0) @binding(5) var<storage, read_write> y: array<f32>;     // linear (M, O) · conv (N, O, OH, OW)

struct LinearParams {
  M: u32,          // rows of x
  O: u32,          // out features
  K4: u32,         // words per row: ceil(in features / 4)
  x_zero: i32,     // the activations' zero point − shift
}
@group(0) @binding(6) var<uniform> lparams: LinearParams;

struct ConvParams {
  N: u32, O: u32,           // batch, out channels
  H: u32, W: u32,           // input plane
  OH: u32, OW: u32,         // output plane
  KH: u32, KW: u32,         // kernel
  SH: u32, SW: u32,         // stride
  PH: u32, PW: u32,         // padding
  DH: u32, DW: u32,         // dilation
  G: u32,                   // groups
  OG: u32,                  // out channels per group
  C4: u32,                  // words per pixel per group: ceil(in channels per group / 4)
  x_zero: i32,              // the activations' zero point − shift
  x_zero4: u32,             // x_zero in each of the 4 bytes: the code of a padding tap
}
@group(0) @binding(6) var<uniform> cparams: ConvParams;

const QWG = 64u;

// y[m, o] of the int8 linear layer: one thread per output, walking the K4 words of row m and of w[o].
fn qlinear_at(i: u32) {
  let m = i / lparams.O;
  let o = i % lparams.O;
  let xb = m * lparams.K4;
  let wb = o * lparams.K4;
  var acc = 0;
  for (var j = 0u; j < lparams.K4; j++) {
    acc += dot4_i8(xq[xb + j], wq[wb + j]);
  }
  y[i] = f32(acc - lparams.x_zero * wsum[o]) * out_scale[o] + bias[o];
}

// y[n, o, oh, ow] of the int8 direct convolution (no im2col): one thread per output, walking the
// kernel taps and, per tap, the C4 words of its pixel's group g (x_zero4 for a tap in the padding).
fn qconv2d_at(i: u32) {
  let ow = i % cparams.OW;
  let oh = (i / cparams.OW) % cparams.OH;
  let o = (i / (cparams.OW * cparams.OH)) % cparams.O;
  let n = i / (cparams.OW * cparams.OH * cparams.O);
  let g = o / cparams.OG;
  let words = cparams.G * cparams.C4;   // words per input pixel
  var acc = 0;
  for (var kh = 0u; kh < cparams.KH; kh++) {
    let ih = i32(oh * cparams.SH + kh * cparams.DH) - i32(cparams.PH);
    let row_inside = ih >= 0 && ih < i32(cparams.H);
    for (var kw = 0u; kw < cparams.KW; kw++) {
      let iw = i32(ow * cparams.SW + kw * cparams.DW) - i32(cparams.PW);
      let wb = ((o * cparams.KH + kh) * cparams.KW + kw) * cparams.C4;
      if (row_inside && iw >= 0 && iw < i32(cparams.W)) {
        let xb = ((n * cparams.H + u32(ih)) * cparams.W + u32(iw)) * words + g * cparams.C4;
        for (var j = 0u; j < cparams.C4; j++) { acc += dot4_i8(xq[xb + j], wq[wb + j]); }
      } else {
        for (var j = 0u; j < cparams.C4; j++) { acc += dot4_i8(cparams.x_zero4, wq[wb + j]); }
      }
    }
  }
  y[i] = f32(acc - cparams.x_zero * wsum[o]) * out_scale[o] + bias[o];
}

// The same convolution with a register block per thread: 4 output channels (of one group) × 4
// output columns, 16 i32 accumulators. Per tap and word a thread loads 4 words of x (one per
// column, x_zero4 in the padding) and 4 of w (one per channel) for 16 dot products, where the
// one-output-per-thread kernel loads 2 words per dot product. Channels past the group's last and
// columns past OW compute on clamped / padding values and are not stored.
const QB = 4u;   // output channels and output columns per thread

fn qconv2d_blocked_at(i: u32) {
  let owb_n = (cparams.OW + QB - 1u) / QB;       // column blocks per output row
  let ob_n = (cparams.OG + QB - 1u) / QB;        // channel blocks per group
  let owb = i % owb_n;
  let oh = (i / owb_n) % cparams.OH;
  let ob = (i / (owb_n * cparams.OH)) % (ob_n * cparams.G);
  let n = i / (owb_n * cparams.OH * ob_n * cparams.G);
  let g = ob / ob_n;
  let o0 = g * cparams.OG + (ob % ob_n) * QB;
  let last_o = g * cparams.OG + cparams.OG - 1u;
  let ow0 = owb * QB;
  let words = cparams.G * cparams.C4;
  var acc: array<vec4i, 4>;   // acc[channel k][column c]
  for (var kh = 0u; kh < cparams.KH; kh++) {
    let ih = i32(oh * cparams.SH + kh * cparams.DH) - i32(cparams.PH);
    let row_inside = ih >= 0 && ih < i32(cparams.H);
    for (var kw = 0u; kw < cparams.KW; kw++) {
      for (var j = 0u; j < cparams.C4; j++) {
        var xw = vec4u(cparams.x_zero4);
        for (var c = 0u; c < QB; c++) {
          let iw = i32((ow0 + c) * cparams.SW + kw * cparams.DW) - i32(cparams.PW);
          if (row_inside && iw >= 0 && iw < i32(cparams.W)) {
            xw[c] = xq[((n * cparams.H + u32(ih)) * cparams.W + u32(iw)) * words + g * cparams.C4 + j];
          }
        }
        for (var k = 0u; k < QB; k++) {
          let o = min(o0 + k, last_o);
          let w4 = wq[((o * cparams.KH + kh) * cparams.KW + kw) * cparams.C4 + j];
          acc[k] += vec4i(dot4_i8(xw.x, w4), dot4_i8(xw.y, w4), dot4_i8(xw.z, w4), dot4_i8(xw.w, w4));
        }
      }
    }
  }
  for (var k = 0u; k < QB; k++) {
    let o = o0 + k;
    if (o > last_o) { break; }
    for (var c = 0u; c < QB; c++) {
      let ow = ow0 + c;
      if (ow >= cparams.OW) { break; }
      y[((n * cparams.O + o) * cparams.OH + oh) * cparams.OW + ow] =
        f32(acc[k][c] - cparams.x_zero * wsum[o]) * out_scale[o] + bias[o];
    }
  }
}

// Threads of the blocked convolution: one per (n, block of 4 channels of a group, oh, block of 4 columns).
fn qconv2d_blocked_threads() -> u32 {
  return cparams.N * cparams.G * ((cparams.OG + QB - 1u) / QB) * cparams.OH * ((cparams.OW + QB - 1u) / QB);
}

// The linear layer with a register block per thread: 4 rows × 4 outputs, 16 i32 accumulators; per
// word a thread loads 4 words of x and 4 of w for 16 dot products. Rows and outputs past the end
// compute on clamped ones and are not stored.
fn qlinear_blocked_at(i: u32) {
  let ob_n = (lparams.O + QB - 1u) / QB;
  let o0 = (i % ob_n) * QB;
  let m0 = (i / ob_n) * QB;
  var acc: array<vec4i, 4>;   // acc[row r][output k]
  for (var j = 0u; j < lparams.K4; j++) {
    var w4: vec4u;
    for (var k = 0u; k < QB; k++) { w4[k] = wq[min(o0 + k, lparams.O - 1u) * lparams.K4 + j]; }
    for (var r = 0u; r < QB; r++) {
      let x4 = xq[min(m0 + r, lparams.M - 1u) * lparams.K4 + j];
      acc[r] += vec4i(dot4_i8(x4, w4.x), dot4_i8(x4, w4.y), dot4_i8(x4, w4.z), dot4_i8(x4, w4.w));
    }
  }
  for (var r = 0u; r < QB; r++) {
    let m = m0 + r;
    if (m >= lparams.M) { break; }
    for (var k = 0u; k < QB; k++) {
      let o = o0 + k;
      if (o >= lparams.O) { break; }
      y[m * lparams.O + o] = f32(acc[r][k] - lparams.x_zero * wsum[o]) * out_scale[o] + bias[o];
    }
  }
}

// Threads of the blocked linear layer: one per block of 4 rows × 4 outputs.
fn qlinear_blocked_threads() -> u32 {
  return ((lparams.M + QB - 1u) / QB) * ((lparams.O + QB - 1u) / QB);
}
