// amp.wgsl — dynamic loss scaling for mixed precision (compile's precision: 'mixed'), as PyTorch's
// GradScaler does it, inside the one submission of a compiled step. The loss is multiplied by the
// scale S before the backward (the seed of the gradients is S), so small gradients stored in f16 do
// not flush to zero; then, after the backward and before the optimizer:
//
// amp_unscale   every gradient in the arena times 1/S, in place, and per thread a flag: did this
//               thread meet a non-finite gradient (an overflow somewhere in the backward)?
// amp_finish    one workgroup: ORs the flags (found_inf), writes the indirect dispatch arguments of
//               the optimizer's dispatches (their grids when all is finite, 0 workgroups when not: the
//               step is skipped) and of the restore copies (the reverse), and updates the scale state:
//               found_inf: S ← S·backoff, tracker ← 0, skipped + 1; else tracker + 1, and after
//               growth_interval finite steps in a row S ← S·growth (if finite), tracker ← 0.
//
// The state is 4 f32 values: [S, tracker (finite steps in a row), steps skipped so far, found_inf of
// the last step (0 or 1)]. Counts are exact in f32 up to 2^24.

// #include "common/grid.wgsl"

@group(0) @binding(0) var<storage, read_write> grads: array<f32>;   // (n) the gradient arena
@group(0) @binding(1) var<storage, read> scale_state: array<f32>;   // (4) [S, tracker, skipped, found]
@group(0) @binding(2) var<storage, read_write> partial: array<u32>; // (threads) 1 where a thread met a non-finite value
struct UnscaleParams { n: u32, threads: u32 }
@group(0) @binding(3) var<uniform> unscale_params: UnscaleParams;

// Barrier-free (a software adapter runs workgroup barriers slowly): thread t takes the gradients
// t, t + threads, t + 2·threads, … (neighbouring threads read neighbouring values) and writes its own
// flag. The host caps `threads` (src/graph/record.ts), so amp_finish's OR stays short.
@compute @workgroup_size(64)
fn amp_unscale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = grid_index(gid, nwg, 64u);
  if (t >= unscale_params.threads) { return; }
  let inv = 1.0 / scale_state[0];
  var bad = 0u;
  for (var i = t; i < unscale_params.n; i += unscale_params.threads) {
    let g = grads[i] * inv;
    grads[i] = g;
    // Non-finite: exponent bits all ones (±∞ or NaN), tested on the bits (WGSL may assume no NaN).
    bad = bad | select(0u, 1u, (bitcast<u32>(g) & 0x7f800000u) == 0x7f800000u);
  }
  partial[t] = bad;
}

@group(0) @binding(0) var<storage, read> flags: array<u32>;         // (partials) amp_unscale's flags
@group(0) @binding(1) var<storage, read_write> state: array<f32>;   // (4) updated in place
@group(0) @binding(2) var<storage, read> grid_template: array<u32>;      // (4·entries) gx, gy, gz, mode
@group(0) @binding(3) var<storage, read_write> args: array<u32>;    // (3·entries) indirect dispatch arguments
struct FinishParams {
  partials: u32,
  entries: u32,
  growth_interval: u32,
  growth_factor: f32,
  backoff_factor: f32,
}
@group(0) @binding(4) var<uniform> finish_params: FinishParams;

// Entry modes: run when every gradient is finite (an optimizer dispatch) / only when one is not (a restore copy).
const RUN_IF_FINITE: u32 = 0u;
const RUN_IF_FOUND_INF: u32 = 1u;

var<workgroup> wg_found: array<u32, 256>;

@compute @workgroup_size(256)
fn amp_finish(@builtin(local_invocation_index) lid: u32) {
  var f = 0u;
  for (var k = lid; k < finish_params.partials; k += 256u) { f = f | flags[k]; }
  wg_found[lid] = f;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid < s) { wg_found[lid] = wg_found[lid] | wg_found[lid + s]; }
    workgroupBarrier();
  }
  let found = wg_found[0] != 0u;
  for (var e = lid; e < finish_params.entries; e += 256u) {
    let mode = grid_template[4u * e + 3u];
    let run = select(!found, found, mode == RUN_IF_FOUND_INF);
    args[3u * e] = select(0u, grid_template[4u * e], run);
    args[3u * e + 1u] = select(0u, grid_template[4u * e + 1u], run);
    args[3u * e + 2u] = select(0u, grid_template[4u * e + 2u], run);
  }
  if (lid == 0u) {
    var scale = state[0];
    var tracker = state[1];
    var skipped = state[2];
    if (found) {
      scale = scale * finish_params.backoff_factor;
      tracker = 0.0;
      skipped = skipped + 1.0;
    } else {
      tracker = tracker + 1.0;
      if (tracker >= f32(finish_params.growth_interval)) {
        let grown = scale * finish_params.growth_factor;
        if ((bitcast<u32>(grown) & 0x7f800000u) != 0x7f800000u) { scale = grown; }
        tracker = 0.0;
      }
    }
    state[0] = scale;
    state[1] = tracker;
    state[2] = skipped;
    state[3] = select(0.0, 1.0, found);
  }
}
