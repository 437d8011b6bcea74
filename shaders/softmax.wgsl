// softmax.wgsl — softmax and log-softmax over one axis, and their backward passes.
//
// The host views the tensor as [outer, R, inner] with R the softmax axis, so any axis works without
// a transpose: a "row" is the R elements base + r·inner (r = 0..R-1), contiguous when the axis is the
// last one (inner = 1). Work split: one workgroup of 256 threads per row (outer·inner rows, the grid
// folded into 2-D when there are more than 65535). Each thread strides over the row; partial results
// are combined by a tree reduction in workgroup memory. Rows longer than 256 simply take more strides.
// `OP` picks the variant: 0 softmax, 1 log-softmax.
//
// softmax_forward   numerically stable: m = max_r x, s = Σ_r e^(x−m) (two reductions), then
//                   y = e^(x−m) / s   or   y = x − m − log s.  Logits of 1e4 never overflow.
// softmax_backward  from the forward's output y and the incoming gradient dy (one reduction):
//                   softmax:      dx = y · (dy − Σ_r dy·y)
//                   log-softmax:  dx = dy − e^y · Σ_r dy        (e^y is the softmax)

override OP: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;          // forward input   (outer, R, inner)
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // forward output  (outer, R, inner)
@group(0) @binding(0) var<storage, read> out: array<f32>;        // backward: the forward's output y
@group(0) @binding(1) var<storage, read> dout: array<f32>;       // backward: dy    (outer, R, inner)
@group(0) @binding(2) var<storage, read_write> dinp: array<f32>; // backward: dx    (outer, R, inner)
struct Params { outer: u32, R: u32, inner: u32 }
@group(0) @binding(2) var<uniform> fparams: Params;   // forward
@group(0) @binding(3) var<uniform> bparams: Params;   // backward

const WG = 256u;
var<workgroup> partial: array<f32, 256>;

// Tree reductions over the workgroup. Every thread must call them (barriers in uniform control flow);
// each returns the combined value to all threads and leaves `partial` free for the next reduction.
fn workgroup_max(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = max(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let r = partial[0];
  workgroupBarrier();
  return r;
}

// Where row `o` starts in the [outer, R, inner] view.
fn row_base(o: u32, p: Params) -> u32 {
  return (o / p.inner) * p.R * p.inner + o % p.inner;
}

@compute @workgroup_size(256)
fn softmax_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;                    // row index in (outer, inner)
  let valid = o < fparams.outer * fparams.inner;    // the same for the whole workgroup
  let base = row_base(o, fparams);
  let stride = fparams.inner;
  let R = select(0u, fparams.R, valid);

  var m = -3.4028234663852886e38;
  for (var r = lid; r < R; r += WG) { m = max(m, x[base + r * stride]); }
  m = workgroup_max(m, lid);

  var s = 0.0;
  for (var r = lid; r < R; r += WG) { s += exp(x[base + r * stride] - m); }
  s = workgroup_sum(s, lid);

  if (OP == 1u) {
    let logs = log(s);
    for (var r = lid; r < R; r += WG) {
      let i = base + r * stride;
      y[i] = x[i] - m - logs;
    }
  } else {
    let inv = 1.0 / s;
    for (var r = lid; r < R; r += WG) {
      let i = base + r * stride;
      y[i] = exp(x[i] - m) * inv;
    }
  }
}

@compute @workgroup_size(256)
fn softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < bparams.outer * bparams.inner;
  let base = row_base(o, bparams);
  let stride = bparams.inner;
  let R = select(0u, bparams.R, valid);

  // softmax: Σ dy·y;  log-softmax: Σ dy
  var acc = 0.0;
  for (var r = lid; r < R; r += WG) {
    let i = base + r * stride;
    acc += select(dout[i] * out[i], dout[i], OP == 1u);
  }
  let total = workgroup_sum(acc, lid);

  for (var r = lid; r < R; r += WG) {
    let i = base + r * stride;
    if (OP == 1u) {
      dinp[i] = dout[i] - exp(out[i]) * total;
    } else {
      dinp[i] = out[i] * (dout[i] - total);
    }
  }
}
