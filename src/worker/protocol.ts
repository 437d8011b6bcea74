// The messages between a page (sg.worker.spawn) and a worker (sg.worker.serve), and how errors cross.
//
//   page → worker   call     { id, method, args }          run a method; its events and result carry the id
//                   control  { id, action }                pause / resume / stop the runs in progress, at once
//   worker → page   ready    { methods }                   serve() is listening (the names it answers)
//                   event    { id, name, payload }         streamed by a running call (stepEnd, epochEnd, …)
//                   result   { id, value }                 the call's value (buffers transferred)
//                   error    { id, error }                 the call threw: name, message, stack
//
// Every message carries `sg: PROTOCOL`, so a worker that also talks to other code ignores theirs.

import { ShadergradError, ShapeError, OptionError } from '../util/errors.js';
import { DeviceLostError } from '../gpu/device.js';
import { NonFiniteError } from '../graph/plan.js';

export const PROTOCOL = 'shadergrad-worker/1';

export type ControlAction = 'pause' | 'resume' | 'stop';

export type Request =
  | { sg: typeof PROTOCOL; kind: 'call'; id: number; method: string; args: unknown[] }
  | { sg: typeof PROTOCOL; kind: 'control'; id: number; action: ControlAction };

export type Reply =
  | { sg: typeof PROTOCOL; kind: 'ready'; methods: string[] }
  | { sg: typeof PROTOCOL; kind: 'event'; id: number; name: string; payload: unknown }
  | { sg: typeof PROTOCOL; kind: 'result'; id: number; value: unknown }
  | { sg: typeof PROTOCOL; kind: 'error'; id: number; error: WireError };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** What both ends need of a Worker, a worker's global scope or a MessagePort. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
  /** MessagePort: messages queue until start() (a Worker and a worker scope have none). */
  start?: () => void;
}

/**
 * What went wrong across the worker boundary: `kind` says where.
 *   'remote'          the method threw in the worker (a class shadergrad has on this side is rebuilt
 *                     instead: DeviceLostError, NonFiniteError, ShapeError, …; this one keeps the rest)
 *   'unknown-method'  the worker serves no method of that name (the message lists those it does)
 *   'crashed'         the worker failed (an uncaught error, a script that did not load): every pending
 *                     call rejects with it, and so does every later call
 *   'terminated'      proxy.terminate() was called
 *   'not-ready'       the worker did not call sg.worker.serve() in time
 */
export class WorkerError extends ShadergradError {
  override name = 'WorkerError';
  constructor(message: string, readonly kind: 'remote' | 'unknown-method' | 'crashed' | 'terminated' | 'not-ready', readonly remoteName?: string, readonly remoteStack?: string) {
    super(message);
  }
}

const KNOWN: Record<string, new (message: string) => Error> = {
  DeviceLostError, NonFiniteError, ShapeError, OptionError, ShadergradError,
};

export function toWire(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** The page-side error for a worker's: the same class where this side has it, else a WorkerError. */
export function fromWire(w: WireError, method: string): Error {
  const Known = KNOWN[w.name];
  const where = `(in the worker, ${method})`;
  if (Known) {
    const e = new Known(`${w.message} ${where}`);
    if (w.stack) e.stack = `${e.name}: ${e.message}\n    --- worker stack ---\n${w.stack}`;
    return e;
  }
  if (w.name === 'WorkerError' && /serves no method/.test(w.message)) return new WorkerError(w.message, 'unknown-method', w.name, w.stack);
  return new WorkerError(`shadergrad: worker: ${method} failed in the worker with ${w.name}: ${w.message}`, 'remote', w.name, w.stack);
}

const TRANSFER = Symbol('shadergrad.transfer');

/** A value to post with these buffers transferred (moved, not copied): `return transfer(out, [out.buffer])`. */
export interface Transfer<T> {
  [TRANSFER]: true;
  value: T;
  list: Transferable[];
}

export function transfer<T>(value: T, list: Transferable[]): Transfer<T> {
  return { [TRANSFER]: true, value, list };
}

export function unwrapTransfer(v: unknown): { value: unknown; list: Transferable[] } {
  if (v && typeof v === 'object' && (v as Transfer<unknown>)[TRANSFER]) {
    const t = v as Transfer<unknown>;
    return { value: t.value, list: [...new Set(t.list)] };
  }
  return { value: v, list: [] };
}
