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
//
// Half-precision storage (compile's precision: 'mixed', common/half.wgsl): x, dy, y and dx are bound
// as u32 words and may hold f16 values (two per word), chosen by the overrides X_HALF, DY_HALF (read)
// and Y_HALF, DX_HALF (written); arithmetic and comparisons stay f32; argmax / idx stay i32. A kernel
// writing f16 writes whole words: the one-thread-per-element kernels then run one thread per word
// (elements 2t and 2t + 1, through the same per-element functions), and max_pool2d_backward_tiling
// takes f16 dx only for an even KW (each window row then covers whole words; the host runs the
// gather otherwise).

// #include "common/float.wgsl"
// #include "common/grid.wgsl"
// #include "common/half.wgsl"

override X_HALF: bool = false;    // x holds f16 values
override DY_HALF: bool = false;   // dy holds f16 values
override Y_HALF: bool = false;    // write y as f16 (one thread per word)
override DX_HALF: bool = false;   // write dx as f16 (one thread per word, or per window of even KW)

@group(0) @binding(0) var<storage, read> x: array<u32>;            // (NC, H, W), f32 or f16 (X_HALF)
@group(0) @binding(1) var<storage, read_write> y: array<u32>;      // (NC, OH, OW), f32 or f16 (Y_HALF)
@group(0) @binding(0) var<storage, read_write> dx: array<u32>;     // (NC, H, W), f32 or f16 (DX_HALF)
@group(0) @binding(1) var<storage, read> dy: array<u32>;           // (NC, OH, OW), f32 or f16 (DY_HALF)
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

// Element i of x / dy as f32, whichever storage they have.
fn x_load(i: u32) -> f32 {
  if (X_HALF) { return half_at(x[i >> 1u], i); }
  return bitcast<f32>(x[i]);
}
fn dy_load(i: u32) -> f32 {
  if (DY_HALF) { return half_at(dy[i >> 1u], i); }
  return bitcast<f32>(dy[i]);
}

// The elements of an n-element output that thread t computes, as (first element, how many: 0, 1 or 2):
// element t with f32 storage; with f16 (`half`) the two elements 2t, 2t + 1 of word t (one for the
// last word of an odd n).
fn out_pair(t: u32, n: u32, half: bool) -> vec2u {
  if (!half) { return vec2u(t, select(0u, 1u, t < n)); }
  let f = 2u * t;
  if (f >= n) { return vec2u(f, 0u); }
  return vec2u(f, select(1u, 2u, f + 1u < n));
}

// Write v (and v2 when count is 2) at element f of y / dx: f32 storage writes element f; f16 storage
// writes word f / 2 (f even), a missing second element as 0.
fn put_y(f: u32, count: u32, v: f32, v2: f32) {
  if (Y_HALF) { y[f >> 1u] = half_pack(v, select(0.0, v2, count == 2u)); } else { y[f] = bitcast<u32>(v); }
}
fn put_dx(f: u32, count: u32, v: f32, v2: f32) {
  if (DX_HALF) { dx[f >> 1u] = half_pack(v, select(0.0, v2, count == 2u)); } else { dx[f] = bitcast<u32>(v); }
}

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

// The largest value of output window i and where it is.
struct Best { v: f32, at: i32 }
fn max_window(i: u32) -> Best {
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
      let v = x_load(plane + u32(pos));
      if (best_at < 0 || v > best || is_nan(v)) {
        best = v;
        best_at = pos;
      }
    }
  }
  return Best(best, best_at);
}

@compute @workgroup_size(64)
fn max_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = out_pair(grid_index(gid, nwg, WG), params.NC * params.OH * params.OW, Y_HALF);
  if (e.y == 0u) { return; }
  let a = max_window(e.x);
  argmax[e.x] = a.at;
  var b = a;
  if (Y_HALF && e.y == 2u) {
    b = max_window(e.x + 1u);
    argmax[e.x + 1u] = b.at;
  }
  put_y(e.x, e.y, a.v, b.v);
}

// dx at input element i: dy of every window containing it whose saved argmax is i.
fn max_grad_at(i: u32) -> f32 {
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
      if (idx[o] == me) { acc += dy_load(o); }
    }
  }
  return acc;
}

@compute @workgroup_size(64)
fn max_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = out_pair(grid_index(gid, nwg, WG), params.NC * params.H * params.W, DX_HALF);
  if (e.y == 0u) { return; }
  var v2 = 0.0;
  if (DX_HALF && e.y == 2u) { v2 = max_grad_at(e.x + 1u); }
  put_dx(e.x, e.y, max_grad_at(e.x), v2);
}

@compute @workgroup_size(64)
fn max_pool2d_backward_tiling(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let o = grid_index(gid, nwg, WG);
  if (o >= params.NC * params.OH * params.OW) { return; }
  let ow = o % params.OW;
  let oh = (o / params.OW) % params.OH;
  let nc = o / (params.OW * params.OH);
  let at = idx[o];
  let g = dy_load(o);
  let h0 = oh * params.KH;
  let w0 = ow * params.KW;
  for (var kh = 0u; kh < params.KH; kh++) {
    let row = (nc * params.H + h0 + kh) * params.W;
    if (DX_HALF) {
      // KW even (the host's condition): W = OW·KW and w0 are even, so the row's pairs are whole words.
      let pos0 = i32((h0 + kh) * params.W + w0);
      for (var kw = 0u; kw < params.KW; kw += 2u) {
        let p = pos0 + i32(kw);
        dx[(row + w0 + kw) >> 1u] = half_pack(select(0.0, g, p == at), select(0.0, g, p + 1 == at));
      }
      continue;
    }
    for (var kw = 0u; kw < params.KW; kw++) {
      let pos = i32((h0 + kh) * params.W + w0 + kw);
      dx[row + w0 + kw] = bitcast<u32>(select(0.0, g, pos == at));
    }
  }
}

@compute @workgroup_size(64)
fn max_pool2d_gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = out_pair(grid_index(gid, nwg, WG), params.NC * params.OH * params.OW, Y_HALF);
  if (e.y == 0u) { return; }
  let span = params.OW * params.OH;
  let hw = params.H * params.W;
  var v2 = 0.0;
  if (Y_HALF && e.y == 2u) { v2 = x_load(((e.x + 1u) / span) * hw + u32(idx[e.x + 1u])); }
  put_y(e.x, e.y, x_load((e.x / span) * hw + u32(idx[e.x])), v2);
}

// The average of output window i.
fn avg_window(i: u32) -> f32 {
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
      acc += x_load(plane + u32(h) * params.W + u32(w));
    }
  }
  return acc / divisor(oh, ow);
}

@compute @workgroup_size(64)
fn avg_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = out_pair(grid_index(gid, nwg, WG), params.NC * params.OH * params.OW, Y_HALF);
  if (e.y == 0u) { return; }
  var v2 = 0.0;
  if (Y_HALF && e.y == 2u) { v2 = avg_window(e.x + 1u); }
  put_y(e.x, e.y, avg_window(e.x), v2);
}

// dx at input element i: Σ dy / divisor over the windows containing it.
fn avg_grad_at(i: u32) -> f32 {
  let w = i % params.W;
  let h = (i / params.W) % params.H;
  let nc = i / (params.W * params.H);
  var acc = 0.0;
  let oh_end = last_window(h, params.SH, params.PH, params.OH);
  let ow_end = last_window(w, params.SW, params.PW, params.OW);
  for (var oh = i32(first_window(h, params.KH, params.SH, params.PH)); oh <= oh_end; oh++) {
    for (var ow = i32(first_window(w, params.KW, params.SW, params.PW)); ow <= ow_end; ow++) {
      let o = (nc * params.OH + u32(oh)) * params.OW + u32(ow);
      acc += dy_load(o) / divisor(u32(oh), u32(ow));
    }
  }
  return acc;
}

@compute @workgroup_size(64)
fn avg_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = out_pair(grid_index(gid, nwg, WG), params.NC * params.H * params.W, DX_HALF);
  if (e.y == 0u) { return; }
  var v2 = 0.0;
  if (DX_HALF && e.y == 2u) { v2 = avg_grad_at(e.x + 1u); }
  put_dx(e.x, e.y, avg_grad_at(e.x), v2);
}
