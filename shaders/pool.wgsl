// pool.wgsl — 2-D max and average pooling with torch.nn.functional semantics, and their gradients.
//
// The N and C dimensions are independent planes: tensors are viewed as (NC, H, W) for the input and
// (NC, OH, OW) for the output. Window (oh, ow) covers input rows oh·SH − PH … oh·SH − PH + KH − 1
// (likewise columns); rows and columns outside the image are padding.
//
// max_pool2d_forward    one thread per output: the largest value of its window — padding counts as
//                       −∞, i.e. is never chosen; a NaN wins, as in PyTorch — and where it is, as the
//                       flat index h·W + w within the input plane (PyTorch's return_indices layout).
//                       The first maximum wins a tie.
// max_pool2d_backward   dx, one thread per INPUT element: it gathers dy from every window that
//                       contains it and whose saved argmax is this element. A gather, not a scatter
//                       through the indices, so overlapping windows (stride < kernel) never race and
//                       no atomics are needed (WGSL has none for f32).
// max_pool2d_backward_tiling
//                       the same dx when the windows tile the input exactly (stride = kernel, no
//                       padding, H = OH·KH, W = OW·KW, e.g. 2×2 pooling of an even image): one thread
//                       per WINDOW writes its KH·KW inputs, dy at the saved argmax and 0 elsewhere.
//                       Every input has exactly one writer, so it is still race-free, with a quarter
//                       of the threads of the gather for 2×2 windows.
// max_pool2d_gather     y[o] = x[argmax[o]]: reads a tensor shaped like the input at saved indices
//                       (the gradient of max_pool2d_backward with respect to dy).
// avg_pool2d_forward    one thread per output: the window sum divided by KH·KW when padding is
//                       counted (count_include_pad, PyTorch's default) or by the number of real
//                       pixels in the window otherwise.
// avg_pool2d_backward   dx, one thread per INPUT element: Σ dy[o] / divisor(o) over the windows
//                       that contain it (again a race-free gather).
// All use 64 threads per workgroup, with grids folded into 2-D when large.
//
// Binding slots are shared by meaning: slot 0 is the input or its gradient, slot 1 the output or
// its gradient, slot 3 the argmax indices.

// #include "common/float.wgsl"
// #include "common/grid.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;            // (NC, H, W)
@group(0) @binding(1) var<storage, read_write> y: array<f32>;      // (NC, OH, OW)
@group(0) @binding(0) var<storage, read_write> dx: array<f32>;     // (NC, H, W)
@group(0) @binding(1) var<storage, read> dy: array<f32>;           // (NC, OH, OW)
struct Params {
  NC: u32, H: u32, W: u32, OH: u32, OW: u32,
  KH: u32, KW: u32,
  SH: u32, SW: u32,             // stride
  PH: u32, PW: u32,             // padding on each side
  include_pad: u32,             // avg: 1 = divide by KH·KW, 0 = by the real pixels in the window
}
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;  // (NC, OH, OW), written by the forward
@group(0) @binding(3) var<storage, read> idx: array<i32>;           // (NC, OH, OW), read by the others

const WG = 64u;

// The first output index along one axis whose window contains input coordinate i, and the last
// (first > last when none does).
fn first_window(i: u32, k: u32, s: u32, p: u32) -> u32 {
  let t = i32(i + p) - i32(k) + 1;         // window o contains i when o·s >= t and o·s <= i + p
  if (t <= 0) { return 0u; }
  return (u32(t) + s - 1u) / s;
}

fn last_window(i: u32, s: u32, p: u32, size: u32) -> i32 {
  return min(i32((i + p) / s), i32(size) - 1);
}

// Pixels of window (oh, ow) that the average divides by.
fn divisor(oh: u32, ow: u32) -> f32 {
  let h0 = i32(oh * params.SH) - i32(params.PH);
  let w0 = i32(ow * params.SW) - i32(params.PW);
  var h1 = h0 + i32(params.KH);
  var w1 = w0 + i32(params.KW);
  if (params.include_pad == 1u) {
    // Windows are clipped to the padded image: a ceil_mode window reaching past the right padding
    // divides by its part inside H + PH only (torch's pool_size).
    h1 = min(h1, i32(params.H + params.PH));
    w1 = min(w1, i32(params.W + params.PW));
    return f32((h1 - h0) * (w1 - w0));
  }
  let hs = max(h0, 0);
  let ws = max(w0, 0);
  h1 = min(h1, i32(params.H));
  w1 = min(w1, i32(params.W));
  return f32((h1 - hs) * (w1 - ws));
}

@compute @workgroup_size(64)
fn max_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= params.NC * params.OH * params.OW) { return; }
  let ow = i % params.OW;
  let oh = (i / params.OW) % params.OH;
  let plane = (i / (params.OW * params.OH)) * params.H * params.W;
  var best = 0.0;
  var best_at = -1;
  for (var kh = 0u; kh < params.KH; kh++) {
    let h = i32(oh * params.SH + kh) - i32(params.PH);
    if (h < 0 || h >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let w = i32(ow * params.SW + kw) - i32(params.PW);
      if (w < 0 || w >= i32(params.W)) { continue; }
      let pos = h * i32(params.W) + w;
      let v = x[plane + u32(pos)];
      if (best_at < 0 || v > best || is_nan(v)) {
        best = v;
        best_at = pos;
      }
    }
  }
  y[i] = best;
  argmax[i] = best_at;
}

@compute @workgroup_size(64)
fn max_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= params.NC * params.H * params.W) { return; }
  let w = i % params.W;
  let h = (i / params.W) % params.H;
  let nc = i / (params.W * params.H);
  let me = i32(h * params.W + w);
  var acc = 0.0;
  let oh_end = last_window(h, params.SH, params.PH, params.OH);
  let ow_end = last_window(w, params.SW, params.PW, params.OW);
  for (var oh = i32(first_window(h, params.KH, params.SH, params.PH)); oh <= oh_end; oh++) {
    for (var ow = i32(first_window(w, params.KW, params.SW, params.PW)); ow <= ow_end; ow++) {
      let o = (nc * params.OH + u32(oh)) * params.OW + u32(ow);
      if (idx[o] == me) { acc += dy[o]; }
    }
  }
  dx[i] = acc;
}

@compute @workgroup_size(64)
fn max_pool2d_backward_tiling(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = grid_index(gid, nwg, WG);
  if (o >= params.NC * params.OH * params.OW) { return; }
  let ow = o % params.OW;
  let oh = (o / params.OW) % params.OH;
  let nc = o / (params.OW * params.OH);
  let at = idx[o];
  let g = dy[o];
  let h0 = oh * params.KH;
  let w0 = ow * params.KW;
  for (var kh = 0u; kh < params.KH; kh++) {
    let row = (nc * params.H + h0 + kh) * params.W;
    for (var kw = 0u; kw < params.KW; kw++) {
      let pos = i32((h0 + kh) * params.W + w0 + kw);
      dx[row + w0 + kw] = select(0.0, g, pos == at);
    }
  }
}

@compute @workgroup_size(64)
fn max_pool2d_gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= params.NC * params.OH * params.OW) { return; }
  let nc = i / (params.OW * params.OH);
  y[i] = x[nc * params.H * params.W + u32(idx[i])];
}

@compute @workgroup_size(64)
fn avg_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= params.NC * params.OH * params.OW) { return; }
  let ow = i % params.OW;
  let oh = (i / params.OW) % params.OH;
  let plane = (i / (params.OW * params.OH)) * params.H * params.W;
  var acc = 0.0;
  for (var kh = 0u; kh < params.KH; kh++) {
    let h = i32(oh * params.SH + kh) - i32(params.PH);
    if (h < 0 || h >= i32(params.H)) { continue; }
    for (var kw = 0u; kw < params.KW; kw++) {
      let w = i32(ow * params.SW + kw) - i32(params.PW);
      if (w < 0 || w >= i32(params.W)) { continue; }
      acc += x[plane + u32(h) * params.W + u32(w)];
    }
  }
  y[i] = acc / divisor(oh, ow);
}

@compute @workgroup_size(64)
fn avg_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= params.NC * params.H * params.W) { return; }
  let w = i % params.W;
  let h = (i / params.W) % params.H;
  let nc = i / (params.W * params.H);
  var acc = 0.0;
  let oh_end = last_window(h, params.SH, params.PH, params.OH);
  let ow_end = last_window(w, params.SW, params.PW, params.OW);
  for (var oh = i32(first_window(h, params.KH, params.SH, params.PH)); oh <= oh_end; oh++) {
    for (var ow = i32(first_window(w, params.KW, params.SW, params.PW)); ow <= ow_end; ow++) {
      let o = (nc * params.OH + u32(oh)) * params.OW + u32(ow);
      acc += dy[o] / divisor(u32(oh), u32(ow));
    }
  }
  dx[i] = acc;
}
