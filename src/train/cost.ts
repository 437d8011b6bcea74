// Training cost in the course's units: total floating-point operations of a run (from the cost model
// of every dispatch of a compiled step: forward, backward and optimizer), the FLOP/s achieved, and
// PFLOP/s-days (10^15 FLOP/s sustained for one day = 8.64·10^19 FLOPs), the unit compute budgets of
// large models are quoted in.

import type { Plan } from '../graph/plan.js';
import { sgError } from '../util/errors.js';

/** FLOPs in one PFLOP/s-day. */
export const PFLOP_DAY = 1e15 * 86400;

export interface TrainingCost {
  /** FLOPs of one step (the sum over its dispatches' cost model). */
  flopsPerStep: number;
  steps: number;
  /** flopsPerStep × steps. */
  flops: number;
  /** Wall-clock seconds the steps took. */
  seconds: number;
  /** flops / seconds. */
  flopsPerSecond: number;
  /** flops / (10^15 · 86400). */
  pflopDays: number;
}

/** FLOPs of one run of a compiled plan: its dispatches' cost model (plan.explain()'s flops column). */
export function planFlops(plan: Plan): number {
  return plan.explain().reduce((s, r) => s + r.flops, 0);
}

/** The cost of `steps` steps of `flopsPerStep` FLOPs that took `seconds`. */
export function trainingCost(flopsPerStep: number, steps: number, seconds: number): TrainingCost {
  for (const [k, v] of Object.entries({ flopsPerStep, steps, seconds })) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw sgError(`trainingCost: ${k} must be a finite number ≥ 0, got ${String(v)}`);
  }
  const flops = flopsPerStep * steps;
  return { flopsPerStep, steps, flops, seconds, flopsPerSecond: seconds > 0 ? flops / seconds : 0, pflopDays: flops / PFLOP_DAY };
}

/** One line: "1.23e+12 FLOPs (4.5 GFLOP/s achieved) = 1.4e-8 PFLOP/s-days". */
export function formatCost(c: TrainingCost): string {
  const rate = c.flopsPerSecond >= 1e9 ? `${(c.flopsPerSecond / 1e9).toFixed(2)} GFLOP/s` : `${(c.flopsPerSecond / 1e6).toFixed(1)} MFLOP/s`;
  return `${c.flops.toExponential(3)} FLOPs in ${c.steps} steps (${rate} achieved) = ${c.pflopDays.toExponential(2)} PFLOP/s-days`;
}
