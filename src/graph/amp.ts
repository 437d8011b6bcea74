// Dynamic loss scaling for compile's `precision: 'mixed'`, as PyTorch's GradScaler
// (torch.cuda.amp.GradScaler: init_scale 2¹⁶, growth_factor 2, backoff_factor 0.5, growth_interval
// 2000) — on the GPU, inside the step's one submission (shaders/amp.wgsl):
//
//   trace     the backward is seeded with the scale S instead of 1 (the loss times S)
//   record    after the gradients are in their arena: amp_unscale (× 1/S in place, flags of non-finite
//             values), amp_finish (found_inf → the optimizer's dispatches get 0 workgroups through
//             their indirect arguments and the restore copies run instead, so the after-pass copies
//             write the old parameters and state back; S and the growth tracker updated in place)
//
// The state ([S, tracker, skipped steps, found_inf]) belongs to the optimizer, as its moments do: every
// plan stepping the same optimizer shares one scale. The plan reads it back with the outputs.

import { wgslKernel } from '../gpu/kernels.js';
import { gpu } from '../gpu/device.js';
import { Storage } from '../memory/pool.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError } from '../util/errors.js';

export const GRAD_SCALER_KEYS = keysOf<GradScalerOptions>({ initScale: 1, growthFactor: 1, backoffFactor: 1, growthInterval: 1, enabled: 1 });

/** torch.cuda.amp.GradScaler's arguments (camelCase), with its defaults. */
export interface GradScalerOptions {
  /** The first scale (default 65536 = 2¹⁶). */
  initScale?: number;
  /** The scale is multiplied by this after `growthInterval` finite steps in a row (default 2). */
  growthFactor?: number;
  /** ... and by this on a step whose gradients overflowed, which is skipped (default 0.5). */
  backoffFactor?: number;
  /** Default 2000. */
  growthInterval?: number;
  /** false: no loss scaling (f16 storage alone). Default true. */
  enabled?: boolean;
}

export const ampUnscaleKernel = wgslKernel('amp_unscale');
export const ampFinishKernel = wgslKernel('amp_finish');

/** The scaler a plan runs with: its state on the GPU and its constants. */
export interface LossScaling {
  state: Storage;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  /** Skipped steps already taken off the optimizer's step count (by any plan sharing this scaler). */
  counted: number;
}

const scalers = new WeakMap<object, LossScaling>();

/** Check GradScaler options; returns them with torch's defaults filled in. */
export function scalerOptions(o: GradScalerOptions | undefined): Required<GradScalerOptions> {
  if (o !== undefined) checkOptions('compile: scaler', o, GRAD_SCALER_KEYS);
  const r = { initScale: 65536, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000, enabled: true, ...(o ?? {}) };
  const bad = (what: string, v: unknown, want: string) => sgError(`compile: scaler.${what} must be ${want}, got ${String(v)}`);
  if (!(typeof r.initScale === 'number' && r.initScale > 0 && Number.isFinite(r.initScale))) throw bad('initScale', r.initScale, 'a finite number > 0');
  if (!(typeof r.growthFactor === 'number' && r.growthFactor > 1 && Number.isFinite(r.growthFactor))) throw bad('growthFactor', r.growthFactor, 'a finite number > 1');
  if (!(typeof r.backoffFactor === 'number' && r.backoffFactor > 0 && r.backoffFactor < 1)) throw bad('backoffFactor', r.backoffFactor, 'a number in (0, 1)');
  if (!(Number.isInteger(r.growthInterval) && r.growthInterval >= 1)) throw bad('growthInterval', r.growthInterval, 'an integer ≥ 1');
  if (typeof r.enabled !== 'boolean') throw bad('enabled', r.enabled, 'true or false');
  return r;
}

/**
 * The loss scaler of `owner` (the plan's optimizer): made on first use with `o`'s initial scale, then
 * shared by every plan that steps the same optimizer (a state made on a lost device is made again).
 */
export function lossScalingFor(owner: object, o: Required<GradScalerOptions>): LossScaling {
  const known = scalers.get(owner);
  if (known && known.state.live) return known;
  const state = Storage.allocate(16, 'loss scale');
  gpu().device.queue.writeBuffer(state.buffer, state.offset, new Float32Array([o.initScale, 0, 0, 0]));
  const s: LossScaling = { state, growthFactor: o.growthFactor, backoffFactor: o.backoffFactor, growthInterval: o.growthInterval, counted: 0 };
  scalers.set(owner, s);
  return s;
}

/** What plan.scaler reports after a read-back. */
export interface ScalerState {
  /** The scale the next step multiplies the loss by. */
  scale: number;
  /** Finite steps in a row since the scale last changed. */
  growthTracker: number;
  /** Steps skipped so far because a gradient overflowed (the optimizer did not step). */
  skippedSteps: number;
  /** Whether the last step read back overflowed (and was skipped). */
  foundInf: boolean;
}

export function scalerStateOf(v: Float32Array): ScalerState {
  return { scale: v[0], growthTracker: v[1], skippedSteps: v[2], foundInf: v[3] !== 0 };
}
