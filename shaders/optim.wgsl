// optim.wgsl — optimizer updates over a packed parameter arena, L1/L2 penalties and gradient
// clipping, with torch.optim / torch.nn.utils semantics.
//
// The training library keeps every parameter of a model in one flat f32 buffer (the arena, P values),
// the gradients in another and each optimizer state in one more, so ONE dispatch of an update entry
// point updates every parameter. Work split for all elementwise entry points: one thread per element,
// 256 per workgroup, the grid folded into 2-D when P / 256 exceeds the per-dimension limit.
// Hyper-parameters that change from step to step (learning rate, bias corrections, Adagrad's decayed
// rate) are uniforms, so a schedule needs no new pipeline; the structural choices (momentum, centered, amsgrad) pick the entry
// point, because they decide which state buffers are bound.
//
// Entry point                        computes (g = −grad if maximize else grad; g += λ·θ if λ = weight decay ≠ 0)
// sgd_update                         θ ← θ − lr·g
// sgd_update_momentum                b ← g on the first step, else μ·b + (1 − τ)·g;  θ ← θ − lr·(g + μ·b if nesterov else b)
// rmsprop_update                     v ← α·v + (1 − α)·g²;  θ ← θ − lr·g / (√v + ε)
// rmsprop_update_momentum            as above with b ← μ·b + g / (√v + ε);  θ ← θ − lr·b
// rmsprop_update_centered            ḡ ← lerp(ḡ, g, 1 − α);  the denominator is √(v − ḡ²) + ε
// rmsprop_update_centered_momentum   both of the above
// adagrad_update                     s ← s + g²;  θ ← θ − clr·g / (√s + ε),  clr = lr / (1 + (t − 1)·lr_decay)
// adam_update                        m ← lerp(m, g, 1 − β₁);  v ← β₂·v + (1 − β₂)·g²;
//                                    θ ← θ·(1 − lr·λ) [AdamW only];  θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)
// adam_update_vec4                   adam_update on four elements per thread (vec4 views of the same
//                                    slots), for n a multiple of 4 — always so in a compiled plan,
//                                    whose arenas are padded to 256 bytes
// adam_update_amsgrad                v̂max ← max(v̂max, v) and v̂max replaces v in the denominator
// *_state_* / *_apply_*              the two 9-buffer updates (AMSGrad, centered RMSprop with momentum)
//                                    split into two dispatches of ≤ 8 storage buffers, for adapters
//                                    that offer only WebGPU's default of 8 per shader stage
// penalty_grad                       g_out = g + l1·sign(θ) + l2·θ      (the gradient of l1·Σ|θ| + l2/2·Σθ²)
// penalty_value_partial/_finish      l1·Σ|θ| + l2/2·Σθ², a two-pass reduction (see below)
// clip_grad_norm_partial/_scale      ‖g‖_q, then g·min(1, max_norm / (‖g‖_q + 1e-6))
// clip_grad_value                    clamp(g, −c, c)
//
// The reductions run in two passes with no CPU round-trip. Pass 1 (`*_partial`): `nparts` ≤ 256
// workgroups; each thread strides over the arena (step nparts·256) accumulating its elements, then a
// tree reduction in workgroup memory (workgroup_sum, or workgroup_reduce taking the max for the
// ∞-norm) leaves one partial per workgroup. Pass 2 combines the ≤ 256 partials:
// `penalty_value_finish` in one workgroup; `clip_grad_norm_scale` in EVERY workgroup of the
// elementwise scaling pass (256 loads, cheap), so the norm and the scaling share one dispatch.
//
// Bindings. Binding 0 is the uniform of the entry point's family; the update entry points share the
// slots below, each using a prefix of them (so the number of state buffers picks the entry point;
// the two-pass *_state_* / *_apply_* entry points bind a subset, by explicit binding numbers):
//
//   slot         binding   sgd            rmsprop                           adagrad   adam
//   state0       4 / 5     momentum_buf   square_avg                        sum       exp_avg
//   state1       6 / 7     -              momentum_buf, or grad_avg (*)     -         exp_avg_sq
//   state2       8 / 9     -              grad_avg (centered + momentum)    -         max_exp_avg_sq (amsgrad)
//   (*) rmsprop_update_momentum binds momentum_buf there, rmsprop_update_centered grad_avg.
// `stateK` is the state before the step (read), `stateK_out` after it (written).

// #include "common/grid.wgsl"
// #include "common/reduce.wgsl"

@group(0) @binding(1) var<storage, read> param: array<f32>;            // (P) θ before the step
@group(0) @binding(2) var<storage, read> grad: array<f32>;             // (P) ∂L/∂θ
@group(0) @binding(3) var<storage, read_write> param_out: array<f32>;  // (P) θ after the step
@group(0) @binding(4) var<storage, read> state0: array<f32>;           // (P)
@group(0) @binding(5) var<storage, read_write> state0_out: array<f32>; // (P)
@group(0) @binding(6) var<storage, read> state1: array<f32>;           // (P)
@group(0) @binding(7) var<storage, read_write> state1_out: array<f32>; // (P)
@group(0) @binding(8) var<storage, read> state2: array<f32>;           // (P)
@group(0) @binding(9) var<storage, read_write> state2_out: array<f32>; // (P)

const WG = 256u;

// The gradient an update uses: negated when maximizing, then plus weight_decay·θ (only when the
// decay is non-zero, as torch does, so an infinite θ with no decay cannot make it NaN).
fn effective_grad(i: u32, maximize: u32, weight_decay: f32) -> f32 {
  var g = grad[i];
  if (maximize != 0u) { g = -g; }
  if (weight_decay != 0.0) { g = g + weight_decay * param[i]; }
  return g;
}

// torch.lerp(start, end, w) = start + w·(end − start), evaluated from the nearer end like PyTorch.
fn lerp(start: f32, end: f32, w: f32) -> f32 {
  if (abs(w) < 0.5) { return start + w * (end - start); }
  return end - (end - start) * (1.0 - w);
}

// ---- SGD (torch.optim.SGD) ------------------------------------------------------------------------
struct SgdParams {
  n: u32,
  lr: f32,
  momentum: f32,       // μ
  dampening: f32,      // τ
  weight_decay: f32,   // λ
  nesterov: u32,
  maximize: u32,
  first_step: u32,     // 1: the momentum buffer starts as the gradient (torch: buffer is None)
}
@group(0) @binding(0) var<uniform> sgd_params: SgdParams;

@compute @workgroup_size(256)
fn sgd_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= sgd_params.n) { return; }
  let g = effective_grad(i, sgd_params.maximize, sgd_params.weight_decay);
  param_out[i] = param[i] - sgd_params.lr * g;
}

@compute @workgroup_size(256)
fn sgd_update_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= sgd_params.n) { return; }
  let g = effective_grad(i, sgd_params.maximize, sgd_params.weight_decay);
  var buf = g;
  if (sgd_params.first_step == 0u) {
    buf = state0[i] * sgd_params.momentum + (1.0 - sgd_params.dampening) * g;
  }
  var d = buf;
  if (sgd_params.nesterov != 0u) { d = g + sgd_params.momentum * buf; }
  state0_out[i] = buf;
  param_out[i] = param[i] - sgd_params.lr * d;
}

// ---- RMSprop (torch.optim.RMSprop) -----------------------------------------------------------------
struct RmspropParams {
  n: u32,
  lr: f32,
  alpha: f32,          // smoothing constant α
  eps: f32,
  weight_decay: f32,
  momentum: f32,       // μ (only read by the momentum entry points)
  maximize: u32,
}
@group(0) @binding(0) var<uniform> rmsprop_params: RmspropParams;

// v ← α·v + (1 − α)·g²
fn rmsprop_square_avg(v: f32, g: f32) -> f32 {
  return v * rmsprop_params.alpha + (1.0 - rmsprop_params.alpha) * g * g;
}

@compute @workgroup_size(256)
fn rmsprop_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  let g = effective_grad(i, rmsprop_params.maximize, rmsprop_params.weight_decay);
  let v = rmsprop_square_avg(state0[i], g);
  let avg = sqrt(v) + rmsprop_params.eps;
  state0_out[i] = v;
  param_out[i] = param[i] - rmsprop_params.lr * (g / avg);
}

@compute @workgroup_size(256)
fn rmsprop_update_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  let g = effective_grad(i, rmsprop_params.maximize, rmsprop_params.weight_decay);
  let v = rmsprop_square_avg(state0[i], g);
  let avg = sqrt(v) + rmsprop_params.eps;
  let buf = state1[i] * rmsprop_params.momentum + g / avg;
  state0_out[i] = v;
  state1_out[i] = buf;
  param_out[i] = param[i] - rmsprop_params.lr * buf;
}

@compute @workgroup_size(256)
fn rmsprop_update_centered(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  let g = effective_grad(i, rmsprop_params.maximize, rmsprop_params.weight_decay);
  let v = rmsprop_square_avg(state0[i], g);
  let gbar = lerp(state1[i], g, 1.0 - rmsprop_params.alpha);
  let avg = sqrt(v - gbar * gbar) + rmsprop_params.eps;
  state0_out[i] = v;
  state1_out[i] = gbar;
  param_out[i] = param[i] - rmsprop_params.lr * (g / avg);
}

// Centered RMSprop with momentum at i: the new (v, b, ḡ).
fn centered_momentum_state(i: u32) -> vec3f {
  let g = effective_grad(i, rmsprop_params.maximize, rmsprop_params.weight_decay);
  let v = rmsprop_square_avg(state0[i], g);
  let gbar = lerp(state2[i], g, 1.0 - rmsprop_params.alpha);
  let avg = sqrt(v - gbar * gbar) + rmsprop_params.eps;
  return vec3f(v, state1[i] * rmsprop_params.momentum + g / avg, gbar);
}

fn store_state3(i: u32, s: vec3f) {
  state0_out[i] = s.x;
  state1_out[i] = s.y;
  state2_out[i] = s.z;
}

@compute @workgroup_size(256)
fn rmsprop_update_centered_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  let s = centered_momentum_state(i);
  store_state3(i, s);
  param_out[i] = param[i] - rmsprop_params.lr * s.y;
}

// The same step in two dispatches, for adapters with 8 storage buffers per stage (the one above binds
// 9): the state first, then θ from the new momentum buffer (bound at state1's slot).
@compute @workgroup_size(256)
fn rmsprop_state_centered_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  store_state3(i, centered_momentum_state(i));
}

@compute @workgroup_size(256)
fn rmsprop_apply_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= rmsprop_params.n) { return; }
  param_out[i] = param[i] - rmsprop_params.lr * state1[i];
}

// ---- Adagrad (torch.optim.Adagrad) ----------------------------------------------------------------
// The host computes the step's rate clr = lr / (1 + (t − 1)·lr_decay) in float64 from lr and the step
// t, as torch does in Python, so the kernel is the same at every step. The sum starts at
// initial_accumulator_value (the optimizer fills its state arena with it).
struct AdagradParams {
  n: u32,
  clr: f32,            // lr / (1 + (t − 1)·lr_decay)
  eps: f32,
  weight_decay: f32,   // λ
  maximize: u32,
}
@group(0) @binding(0) var<uniform> adagrad_params: AdagradParams;

@compute @workgroup_size(256)
fn adagrad_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adagrad_params.n) { return; }
  let g = effective_grad(i, adagrad_params.maximize, adagrad_params.weight_decay);
  let s = state0[i] + g * g;
  let denom = sqrt(s) + adagrad_params.eps;
  state0_out[i] = s;
  param_out[i] = param[i] - adagrad_params.clr * (g / denom);
}

// ---- Adam / AdamW (torch.optim.Adam, torch.optim.AdamW) -------------------------------------------
// The host computes the per-step scalars in float64 from lr and the step t, as torch does in Python.
struct AdamParams {
  n: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  grad_decay: f32,              // λ added to the gradient (Adam); 0 for AdamW
  param_scale: f32,             // 1 − lr·λ (AdamW's decoupled decay); 1 for Adam
  step_size: f32,               // lr / (1 − β₁ᵗ)
  bias_correction2_sqrt: f32,   // √(1 − β₂ᵗ)
  maximize: u32,
}
@group(0) @binding(0) var<uniform> adam_params: AdamParams;

// θ after the step, from the new first moment m and the second moment used in the denominator.
fn adam_param(i: u32, m: f32, v: f32) -> f32 {
  let denom = sqrt(v) / adam_params.bias_correction2_sqrt + adam_params.eps;
  return param[i] * adam_params.param_scale - adam_params.step_size * (m / denom);
}

@compute @workgroup_size(256)
fn adam_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adam_params.n) { return; }
  let g = effective_grad(i, adam_params.maximize, adam_params.grad_decay);
  let m = lerp(state0[i], g, 1.0 - adam_params.beta1);
  let v = state1[i] * adam_params.beta2 + (1.0 - adam_params.beta2) * g * g;
  state0_out[i] = m;
  state1_out[i] = v;
  param_out[i] = adam_param(i, m, v);
}

// The vec4 views of the slots adam_update_vec4 uses.
@group(0) @binding(1) var<storage, read> param_v: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad_v: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> param_out_v: array<vec4f>;
@group(0) @binding(4) var<storage, read> state0_v: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> state0_out_v: array<vec4f>;
@group(0) @binding(6) var<storage, read> state1_v: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> state1_out_v: array<vec4f>;

@compute @workgroup_size(256)
fn adam_update_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adam_params.n / 4u) { return; }
  let p = param_v[i];
  var g = grad_v[i];
  if (adam_params.maximize != 0u) { g = -g; }
  if (adam_params.grad_decay != 0.0) { g = g + adam_params.grad_decay * p; }
  // lerp(m, g, 1 − β₁) from the nearer end, as the scalar lerp() does (w is the same for all four).
  let w = 1.0 - adam_params.beta1;
  let m0 = state0_v[i];
  let m = select(g - (g - m0) * (1.0 - w), m0 + w * (g - m0), abs(w) < 0.5);
  let v = state1_v[i] * adam_params.beta2 + (1.0 - adam_params.beta2) * g * g;
  state0_out_v[i] = m;
  state1_out_v[i] = v;
  let denom = sqrt(v) / adam_params.bias_correction2_sqrt + adam_params.eps;
  param_out_v[i] = p * adam_params.param_scale - adam_params.step_size * (m / denom);
}

// AMSGrad at i: the new (m, v, v̂max).
fn amsgrad_state(i: u32) -> vec3f {
  let g = effective_grad(i, adam_params.maximize, adam_params.grad_decay);
  let m = lerp(state0[i], g, 1.0 - adam_params.beta1);
  let v = state1[i] * adam_params.beta2 + (1.0 - adam_params.beta2) * g * g;
  return vec3f(m, v, max(state2[i], v));
}

@compute @workgroup_size(256)
fn adam_update_amsgrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adam_params.n) { return; }
  let s = amsgrad_state(i);
  store_state3(i, s);
  param_out[i] = adam_param(i, s.x, s.z);
}

// The same step in two dispatches for adapters with 8 storage buffers per stage: the state, then θ
// from the new m and v̂max (bound at state0's and state2's slots).
@compute @workgroup_size(256)
fn adam_state_amsgrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adam_params.n) { return; }
  store_state3(i, amsgrad_state(i));
}

@compute @workgroup_size(256)
fn adam_apply_amsgrad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= adam_params.n) { return; }
  param_out[i] = adam_param(i, state0[i], state2[i]);
}

// ---- L1 / L2 penalties ------------------------------------------------------------------------------
struct PenaltyParams {
  n: u32,
  l1: f32,
  l2: f32,
  nparts: u32,   // workgroups of penalty_value_partial
}
@group(0) @binding(0) var<uniform> penalty_params: PenaltyParams;
@group(0) @binding(3) var<storage, read_write> grad_out: array<f32>;   // (P) penalty_grad's result
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;   // (nparts) one per pass-1 workgroup
@group(0) @binding(1) var<storage, read> partials_in: array<f32>;      // (nparts) read by penalty_value_finish
@group(0) @binding(2) var<storage, read_write> value: array<f32>;      // (1) the penalty

// sign(x) with sign(0) = 0, as torch.sign.
fn sign0(x: f32) -> f32 {
  return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0);
}

@compute @workgroup_size(256)
fn penalty_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= penalty_params.n) { return; }
  let p = param[i];
  grad_out[i] = grad[i] + penalty_params.l1 * sign0(p) + penalty_params.l2 * p;
}

@compute @workgroup_size(256)
fn penalty_value_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let stride = penalty_params.nparts * WG;
  var a1 = 0.0;   // Σ|θ| over this thread's elements
  var a2 = 0.0;   // Σθ²
  for (var i = wid.x * WG + lid; i < penalty_params.n; i += stride) {
    let p = param[i];
    a1 += abs(p);
    a2 += p * p;
  }
  let total = workgroup_sum(penalty_params.l1 * a1 + 0.5 * penalty_params.l2 * a2, lid, WG);
  if (lid == 0u) { partials[wid.x] = total; }
}

@compute @workgroup_size(256)
fn penalty_value_finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  if (lid < penalty_params.nparts) { s = partials_in[lid]; }
  let total = workgroup_sum(s, lid, WG);
  if (lid == 0u) { value[0] = total; }
}

// ---- gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_) --------------------------
struct ClipParams {
  n: u32,
  nparts: u32,      // workgroups of clip_grad_norm_partial
  norm_type: f32,   // q of the q-norm (ignored when inf_norm = 1)
  inf_norm: u32,    // 1: ‖g‖_∞ = max |g|
  max_norm: f32,
  clip_value: f32,  // clip_grad_value: c
}
@group(0) @binding(0) var<uniform> clip_params: ClipParams;
@group(0) @binding(1) var<storage, read> grad_in: array<f32>;          // (P) the gradient to clip
@group(0) @binding(4) var<storage, read_write> total_norm: array<f32>; // (1) ‖g‖_q before clipping
@group(0) @binding(2) var<storage, read_write> clipped: array<f32>;    // (P) clip_grad_value's result

// |x|^q, with exact fast paths for the 1- and 2-norms and 0^q = 0.
fn abs_pow(x: f32, q: f32) -> f32 {
  let a = abs(x);
  if (q == 1.0) { return a; }
  if (q == 2.0) { return a * a; }
  if (a == 0.0) { return 0.0; }
  return pow(a, q);
}

@compute @workgroup_size(256)
fn clip_grad_norm_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let stride = clip_params.nparts * WG;
  let inf = clip_params.inf_norm != 0u;
  var acc = 0.0;   // Σ|g|^q, or max |g|
  for (var i = wid.x * WG + lid; i < clip_params.n; i += stride) {
    let g = grad_in[i];
    if (inf) { acc = max(acc, abs(g)); } else { acc += abs_pow(g, clip_params.norm_type); }
  }
  let total = workgroup_reduce(acc, lid, WG, inf);
  if (lid == 0u) { partials[wid.x] = total; }
}

@compute @workgroup_size(256)
fn clip_grad_norm_scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                        @builtin(local_invocation_index) lid: u32) {
  // Every workgroup combines the partials itself (barriers in uniform control flow: no early return).
  let inf = clip_params.inf_norm != 0u;
  var s = 0.0;
  if (lid < clip_params.nparts) { s = partials[lid]; }
  let combined = workgroup_reduce(s, lid, WG, inf);
  var norm = combined;
  if (!inf && clip_params.norm_type != 1.0 && combined > 0.0) {
    norm = select(pow(combined, 1.0 / clip_params.norm_type), sqrt(combined), clip_params.norm_type == 2.0);
  }
  let coef = min(clip_params.max_norm / (norm + 1e-6), 1.0);
  let group = wid.x + wid.y * nwg.x;
  if (group == 0u && lid == 0u) { total_norm[0] = norm; }
  let i = group * WG + lid;
  if (i < clip_params.n) { grad_out[i] = grad_in[i] * coef; }
}

@compute @workgroup_size(256)
fn clip_grad_value(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = grid_index(gid, nwg, WG);
  if (i >= clip_params.n) { return; }
  clipped[i] = clamp(grad_in[i], -clip_params.clip_value, clip_params.clip_value);
}
