// State that a forward pass updates besides its outputs (batch norm's running statistics). Eagerly,
// a layer simply swaps in the new tensor. While compile() traces a step, the update is recorded
// instead, and the plan copies the new values into the state's own buffer at the end of every step.

import type { Tensor } from '../tensor/tensor.js';

let collector: [Tensor, Tensor][] | null = null;

/**
 * Record `target ← value`. Returns true when the update was deferred to a compiled plan (the layer
 * must keep `target`), false when the caller should swap `value` in itself (eager execution).
 */
export function deferStateUpdate(target: Tensor, value: Tensor): boolean {
  if (!collector) return false;
  collector.push([target, value]);
  return true;
}

/** Run `fn` collecting state updates (used by compile()). */
export function collectStateUpdates<T>(fn: () => T): { result: T; updates: [Tensor, Tensor][] } {
  const prev = collector;
  collector = [];
  try {
    const result = fn();
    return { result, updates: collector };
  } finally {
    collector = prev;
  }
}
