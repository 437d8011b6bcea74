// The page side: sg.worker.spawn(worker) → a typed proxy over a worker that runs sg.worker.serve().
// Every method returns a promise; events a running call streams (onStepEnd, onEpochEnd, …) reach the
// callbacks given to that call; a worker that fails rejects every pending and later call with a
// WorkerError (never a hang).

import type { History, Evaluation, StepInfo, FitOptions } from '../train/fit.js';
import { sgError } from '../util/errors.js';
import { PROTOCOL, WorkerError, fromWire, type ControlAction, type Endpoint, type Reply } from './protocol.js';
import type { DataRef, EpochEvent, WorkerFitOptions } from './serve.js';

/** A Worker, or any endpoint with postMessage / addEventListener (a MessagePort in tests). */
export type WorkerLike = Endpoint & {
  terminate?: () => void;
  addEventListener(type: 'error' | 'messageerror', listener: (e: Event) => void): void;
};

export interface SpawnOptions {
  /** Reject if the worker has not called sg.worker.serve() within this many ms (default 60,000). */
  readyTimeoutMs?: number;
}

export interface CallOptions {
  /** Events the call emits in the worker (ctx.emit(name, payload)). */
  onEvent?: (name: string, payload: unknown) => void;
  /** Buffers of the arguments to move to the worker instead of copying (they are detached here). */
  transfer?: Transferable[];
}

/** proxy.fit's options: fit's, as plain data, with the callbacks run on the page. */
export interface ProxyFitOptions extends WorkerFitOptions {
  onStepEnd?: (s: StepInfo) => void;
  onEpochEnd?: (e: EpochEvent) => void;
  onReadBack?: NonNullable<FitOptions['onReadBack']>;
  onWarning?: (message: string) => void;
  /** Where the run parked / went on after proxy.pause() / resume(). */
  onPaused?: (at: { epoch: number; step: number }) => void;
  onResumed?: (at: { epoch: number; step: number }) => void;
  /** Move these buffers (e.g. a dataset's x.buffer) to the worker instead of copying them. */
  transfer?: Transferable[];
}

export interface WorkerProxy {
  /** The methods the worker serves (built-in and its own). */
  readonly methods: readonly string[];
  /** Build the model (and its optimizer) from `config`: the worker's model function, or a ModelSpec. */
  build(config?: unknown): Promise<{ parameters: number; summary: string }>;
  /** sg.train.fit in the worker; resolves with its History (stopReason 'aborted' after stop()). */
  fit(options: ProxyFitOptions): Promise<History>;
  evaluate(data: DataRef, options?: { loss?: WorkerFitOptions['loss']; batchSize?: number; metrics?: FitOptions['metrics'] }, transfer?: Transferable[]): Promise<Evaluation>;
  /** The model's output (eval mode) on `x` of `shape`; softmax over the last axis if asked. */
  predict(x: Float32Array | Int32Array, shape: number[], options?: { softmax?: boolean }): Promise<{ data: Float32Array; shape: number[] }>;
  /** The model (and optimizer) state as safetensors bytes; also written to the worker's OPFS as `opfs`. */
  save(options?: { opfs?: string; metadata?: Record<string, unknown>; optimizer?: boolean }): Promise<Uint8Array>;
  /** Load bytes from save() (or sg.save), or a file of the origin private file system. Returns its metadata. */
  load(source: Uint8Array | { opfs: string }): Promise<Record<string, unknown>>;
  /** Pause every run in progress after its step in flight; resolves where it parked (undefined: nothing ran). */
  pause(): Promise<{ epoch: number; step: number } | undefined>;
  resume(): Promise<void>;
  /** Stop every run in progress after its step in flight; their promises resolve (fit: the history so far). */
  stop(): Promise<void>;
  /** A method of the worker's serve({ methods }). */
  call<T = unknown>(method: string, args?: unknown[], options?: CallOptions): Promise<T>;
  /** End the worker (proxy.terminate → worker.terminate()); pending calls reject with a WorkerError. */
  terminate(): void;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent?: (name: string, payload: unknown) => void;
}

/**
 * Connect to a worker that calls sg.worker.serve(). Resolves once it is listening:
 *
 *   const w = await sg.worker.spawn(new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' }));
 */
export async function spawn(worker: WorkerLike, options: SpawnOptions = {}): Promise<WorkerProxy> {
  if (!worker || typeof worker.postMessage !== 'function' || typeof worker.addEventListener !== 'function') {
    throw sgError('worker.spawn: expected a Worker (new Worker(url, { type: \'module\' })) or a MessagePort');
  }
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: WorkerError | undefined;
  let methods: string[] = [];
  let ready!: (m: string[]) => void;
  let notReady!: (e: Error) => void;
  const isReady = new Promise<string[]>((res, rej) => {
    ready = res;
    notReady = rej;
  });

  const die = (e: WorkerError) => {
    if (dead) return;
    dead = e;
    notReady(e);
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  worker.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as Reply;
    if (!m || m.sg !== PROTOCOL) return;
    if (m.kind === 'ready') {
      methods = m.methods;
      ready(m.methods);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    if (m.kind === 'event') p.onEvent?.(m.name, m.payload);
    else {
      pending.delete(m.id);
      if (m.kind === 'result') p.resolve(m.value);
      else p.reject(fromWire(m.error, p.method));
    }
  });
  worker.addEventListener('error', (e: Event) => {
    const ev = e as ErrorEvent;
    ev.preventDefault?.();
    const where = ev.filename ? ` (${ev.filename}:${ev.lineno})` : '';
    die(new WorkerError(`shadergrad: worker: the worker crashed: ${ev.message || 'an uncaught error, or its script failed to load'}${where}`, 'crashed'));
  });
  worker.addEventListener('messageerror', () => {
    die(new WorkerError('shadergrad: worker: a message from the worker could not be deserialised', 'crashed'));
  });
  worker.start?.();

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([isReady, new Promise((_, rej) => {
      timer = setTimeout(() => rej(new WorkerError(`shadergrad: worker: the worker did not call sg.worker.serve() within ${timeoutMs} ms`, 'not-ready')), timeoutMs);
    })]);
  } catch (e) {
    if (e instanceof WorkerError && e.kind === 'not-ready') die(e);
    throw e;
  } finally {
    clearTimeout(timer);
  }

  const send = <T>(method: string, msg: { kind: 'call'; method: string; args: unknown[] } | { kind: 'control'; action: ControlAction }, onEvent?: Pending['onEvent'], transfer: Transferable[] = []): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, onEvent });
      try {
        worker.postMessage({ sg: PROTOCOL, id, ...msg }, transfer);
      } catch (e) {
        pending.delete(id);
        reject(sgError(`worker: ${method}: its arguments cannot be sent to a worker (${(e as Error).message}): send plain data and typed arrays, not functions or tensors`, undefined, { cause: e }));
      }
    });
  };
  const call = <T>(method: string, args: unknown[], opts: CallOptions = {}) => send<T>(method, { kind: 'call', method, args }, opts.onEvent, opts.transfer);

  return {
    get methods() {
      return methods;
    },
    build: (config) => call('build', [config]),
    fit(options) {
      const { onStepEnd, onEpochEnd, onReadBack, onWarning, onPaused, onResumed, transfer, ...rest } = options;
      const wants = { stepEnd: !!onStepEnd, epochEnd: !!onEpochEnd, readBack: !!onReadBack, warning: !!onWarning };
      return call<History>('fit', [rest, wants], {
        transfer,
        onEvent: (name, payload) => {
          if (name === 'stepEnd') onStepEnd?.(payload as StepInfo);
          else if (name === 'epochEnd') onEpochEnd?.(payload as EpochEvent);
          else if (name === 'readBack') onReadBack?.(payload as Parameters<typeof onReadBack & {}>[0]);
          else if (name === 'warning') onWarning?.(payload as string);
          else if (name === 'paused') onPaused?.(payload as { epoch: number; step: number });
          else if (name === 'resumed') onResumed?.(payload as { epoch: number; step: number });
        },
      });
    },
    evaluate: (data, opts = {}, transfer) => call('evaluate', [data, opts], { transfer }),
    predict: (x, shape, opts = {}) => call('predict', [x, shape, opts]),
    save: (opts = {}) => call('save', [opts]),
    load: (source) => call('load', [source]),
    pause: () => send('pause', { kind: 'control', action: 'pause' }),
    resume: () => send('resume', { kind: 'control', action: 'resume' }),
    stop: () => send('stop', { kind: 'control', action: 'stop' }),
    call: (method, args = [], opts) => call(method, args, opts),
    terminate() {
      die(new WorkerError('shadergrad: worker: terminated (proxy.terminate())', 'terminated'));
      worker.terminate?.();
    },
  };
}
