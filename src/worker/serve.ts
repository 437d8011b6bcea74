// The worker side: sg.worker.serve(spec) answers a page's proxy (spawn.ts). Functions cannot cross to
// a worker, so the worker module says how to build the model and optimizer, where its data comes
// from and which extra methods it offers; the page sends plain data (configs, typed arrays).
//
// Calls run concurrently, as they would on the page: a predict() sent during a fit runs between two
// of its steps (every read sees the weights of the step it was issued after). Control messages
// (pause / resume / stop) act at once on every run in progress.

import { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { AnyDataset } from '../data/datasets.js';
import { init, gpu, DeviceLostError } from '../gpu/device.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { softmax } from '../ops/softmax.js';
import { fit, evaluate, FitController, yieldToEventLoop, type FitOptions, type History, type EpochRecord, type Evaluation, type StepInfo } from '../train/fit.js';
import { checkpointBytes, loadCheckpoint, saveToOPFS, loadFromOPFS } from '../io/checkpoint.js';
import { load as loadModel } from '../io/model.js';
import { optimizerCheckpoint } from '../io/optimizer-state.js';
import { sgError } from '../util/errors.js';
import { modelFromSpec, optimizerFromSpec, type ModelSpec } from './spec.js';
import { PROTOCOL, WorkerError, toWire, transfer, unwrapTransfer, type Endpoint, type Reply, type Request } from './protocol.js';

/** A dataset the page names: one of the worker's `data` loaders (with its argument), or the data itself. */
export type DataRef = string | { name: string; args?: unknown } | AnyDataset;

/** fit's options as they cross to the worker: plain data, the callbacks stay on the page. */
export interface WorkerFitOptions extends Omit<FitOptions, 'data' | 'validationData' | 'loss' | 'optimizer' | 'augment' | 'onStepEnd' | 'onEpochEnd' | 'onWarning' | 'onReadBack' | 'signal' | 'control' | 'checkpoint' | 'resumeFrom'> {
  data: DataRef;
  validationData?: DataRef;
  /** A loss by name (default 'crossEntropy'). */
  loss?: Exclude<FitOptions['loss'], (...a: never[]) => unknown>;
  /** Predict on these inputs after every epoch (e.g. a grid for a decision-boundary plot): epochEnd's `predictions`. */
  predictEachEpoch?: { x: Float32Array; shape: number[]; softmax?: boolean };
}

/** What the page receives after each epoch. */
export interface EpochEvent {
  record: EpochRecord;
  /** The model's outputs on predictEachEpoch's inputs (softmax over the last axis if asked), row-major. */
  predictions?: Float32Array;
}

/** A method's view of the worker: the model, the optimizer, events to the page, pause / stop. */
export interface ServeContext<Config = unknown> {
  /** The model of the last build() (an error before it). */
  readonly model: Module;
  readonly optimizer: Optimizer;
  /** The config of the last build(). */
  readonly config: Config;
  /** Send an event to the page (the call's onEvent); `transfer` moves those buffers. */
  emit(name: string, payload?: unknown, transfer?: Transferable[]): void;
  /** This call's controller: proxy.pause()/resume()/stop() act on it (fit takes it as `control`). */
  readonly control: FitController;
  /**
   * For a custom training loop, after each step: lets messages in, parks while paused (call `settle`
   * first if given: read back what is in flight), and says whether the run was stopped.
   */
  step(at: { epoch: number; step: number }, settle?: () => Promise<void>): Promise<boolean>;
}

export interface ServeSpec<Config = unknown> {
  /** Build the model for proxy.build(config). Default: the serialisable spec (ModelSpec) of a sequential model. */
  model?: (config: Config) => Module | Promise<Module>;
  /** The optimizer fit uses, made once per build. Default: `config.optimizer` as an OptimizerSpec, else Adam lr 1e-3. */
  optimizer?: (model: Module, config: Config) => Optimizer;
  /** Data sets loaded in the worker, by name: fit({ data: 'train' }) or { data: { name: 'train', args } }. */
  data?: Record<string, (args: unknown, config: Config) => AnyDataset | Promise<AnyDataset>>;
  /** Extra methods: proxy.call(name, ...args). Return sg.worker.transfer(value, buffers) to move buffers. */
  methods?: Record<string, (ctx: ServeContext<Config>, ...args: never[]) => unknown>;
  /** How to start the GPU (default sg.init()); runs once, before the first method that needs it. */
  init?: () => Promise<unknown>;
}

const BUILT_IN = ['build', 'fit', 'evaluate', 'predict', 'save', 'load'] as const;

function isDataset(d: unknown): d is AnyDataset {
  return !!d && typeof d === 'object' && 'x' in d && 'y' in d && 'xShape' in d;
}

/**
 * Serve `spec` on `endpoint` (default: this worker's global scope). Call it once at the top of the
 * worker module; it returns at once and answers messages from then on. Returns a function that stops.
 */
export function serve<Config = unknown>(spec: ServeSpec<Config> = {}, endpoint?: Endpoint): () => void {
  if (!endpoint && typeof (globalThis as { document?: unknown }).document !== 'undefined') {
    throw sgError('worker.serve: called on a page; call it in the worker module (new Worker(url, { type: \'module\' })) and sg.worker.spawn(worker) on the page');
  }
  const port = endpoint ?? (globalThis as unknown as Endpoint);
  if (typeof port?.postMessage !== 'function' || typeof port.addEventListener !== 'function') {
    throw sgError('worker.serve: no endpoint to serve on (call it in a Web Worker, or pass a MessagePort)');
  }
  for (const name of Object.keys(spec.methods ?? {})) {
    if ((BUILT_IN as readonly string[]).includes(name)) throw sgError(`worker.serve: methods.${name} would hide the built-in ${name}(); pick another name`);
  }
  const post = (m: Reply, list: Transferable[] = []) => port.postMessage(m, list);
  let started: Promise<unknown> | undefined;
  const ready = () => (started ??= (spec.init ?? (() => init()))());
  let built: { model: Module; optimizer: Optimizer; config: Config } | undefined;
  const runs = new Set<FitController>();
  const dataCache = new Map<string, Promise<AnyDataset>>();

  const need = () => {
    if (!built) throw sgError('worker: no model yet: call proxy.build(config) first');
    return built;
  };
  const dataset = async (ref: DataRef | undefined, what: string): Promise<AnyDataset | undefined> => {
    if (ref === undefined) return undefined;
    if (isDataset(ref)) return ref;
    const { name, args } = typeof ref === 'string' ? { name: ref, args: undefined } : ref;
    const loader = spec.data?.[name];
    if (!loader) throw sgError(`worker: ${what}: no data set named ${JSON.stringify(name)} (the worker's serve({ data }) has ${Object.keys(spec.data ?? {}).map((k) => JSON.stringify(k)).join(', ') || 'none'}; or send the data itself: { x, y, xShape, yShape, length })`);
    const key = `${name}\0${JSON.stringify(args ?? null)}`;
    let p = dataCache.get(key);
    if (!p) {
      p = Promise.resolve(loader(args, need().config));
      dataCache.set(key, p);
      p.catch(() => dataCache.delete(key));
    }
    return p;
  };
  const predictOn = async (model: Module, x: Float32Array | Int32Array, shape: number[], probs: boolean): Promise<{ data: Float32Array; shape: number[] }> => {
    const wasTraining = model.training;
    model.eval();
    const made: Tensor[] = [];
    try {
      let out: Tensor;
      try {
        const input = tensor(x, shape, { dtype: x instanceof Int32Array ? 'i32' : 'f32' });
        made.push(input);
        out = model.forward(input);
        made.push(out);
        if (probs) made.push((out = softmax(out, -1)));
      } finally {
        model.train(wasTraining);
      }
      return { data: (await out.data()) as Float32Array, shape: [...out.shape] };
    } finally {
      made.forEach((t) => t.dispose());
    }
  };

  const builtIn: Record<(typeof BUILT_IN)[number], (ctx: ServeContext<Config>, ...args: never[]) => unknown> = {
    async build(_ctx, config: Config) {
      await ready();
      const model = spec.model ? await spec.model(config) : modelFromSpec(config as unknown as ModelSpec);
      if (!(model instanceof Module)) throw sgError('worker.build: the model function must return an sg.nn module');
      const optimizer = spec.optimizer ? spec.optimizer(model, config) : optimizerFromSpec(model, (config as { optimizer?: ModelSpec['optimizer'] } | undefined)?.optimizer);
      built = { model, optimizer, config };
      return { parameters: model.numParameters(), summary: model.toString() };
    },
    async fit(ctx, options: WorkerFitOptions, wants: { stepEnd?: boolean; epochEnd?: boolean; readBack?: boolean; warning?: boolean }) {
      await ready();
      const { model, optimizer } = need();
      const { data, validationData, predictEachEpoch, loss, ...rest } = options;
      const train = await dataset(data, 'fit: data');
      const val = await dataset(validationData, 'fit: validationData');
      const grid = predictEachEpoch;
      return fit(model, {
        ...rest, data: train!, validationData: val, loss: loss ?? 'crossEntropy', optimizer, control: ctx.control,
        onStepEnd: wants.stepEnd ? (s: StepInfo) => ctx.emit('stepEnd', s) : undefined,
        onReadBack: wants.readBack ? (steps) => ctx.emit('readBack', steps) : undefined,
        onWarning: wants.warning ? (m) => ctx.emit('warning', m) : undefined,
        onEpochEnd: async (record) => {
          if (!wants.epochEnd) return;
          const ev: EpochEvent = { record };
          if (grid) ev.predictions = (await predictOn(model, grid.x, grid.shape, !!grid.softmax)).data;
          ctx.emit('epochEnd', ev, ev.predictions ? [ev.predictions.buffer] : []);
        },
      }) satisfies Promise<History>;
    },
    async evaluate(_ctx, data: DataRef, options: { loss?: WorkerFitOptions['loss']; batchSize?: number; metrics?: FitOptions['metrics'] } = {}) {
      await ready();
      const ds = await dataset(data, 'evaluate: data');
      return evaluate(need().model, ds!, options) satisfies Promise<Evaluation>;
    },
    async predict(_ctx, x: Float32Array | Int32Array, shape: number[], opts: { softmax?: boolean } = {}) {
      await ready();
      if (!(x instanceof Float32Array || x instanceof Int32Array)) throw sgError(`worker.predict: x must be a Float32Array or an Int32Array, got ${Object.prototype.toString.call(x)}`);
      const r = await predictOn(need().model, x, shape, !!opts.softmax);
      return transfer(r, [r.data.buffer]);
    },
    async save(_ctx, opts: { opfs?: string; metadata?: Record<string, unknown>; optimizer?: boolean } = {}) {
      await ready();
      const { model, optimizer } = need();
      const tensors: Record<string, Tensor> = { ...model.stateDict() };
      const metadata: Record<string, unknown> = { ...opts.metadata, model: model.kind };
      let extra: Tensor[] = [];
      if (opts.optimizer ?? true) {
        const o = optimizerCheckpoint(optimizer);
        extra = Object.values(o.tensors);
        Object.assign(tensors, o.tensors);
        metadata.optimizer = o.metadata;
      }
      try {
        const bytes = await checkpointBytes({ tensors, metadata, int64: true });
        if (opts.opfs) await saveToOPFS(bytes, opts.opfs);
        return transfer(bytes, [bytes.buffer]);
      } finally {
        extra.forEach((t) => t.dispose());
      }
    },
    async load(_ctx, source: Uint8Array | { opfs: string }) {
      await ready();
      const { model, optimizer } = need();
      const bytes = source instanceof Uint8Array ? source : await loadFromOPFS(source?.opfs);
      const ck = await loadCheckpoint(bytes);
      return loadModel(model, bytes, ck.metadata.optimizer ? { optimizer } : {});
    },
  };
  const methods: Record<string, (ctx: ServeContext<Config>, ...args: never[]) => unknown> = { ...builtIn, ...spec.methods };

  const onMessage = (e: MessageEvent) => {
    const m = e.data as Request;
    if (!m || m.sg !== PROTOCOL) return;
    if (m.kind === 'control') {
      void control(m.id, m.action);
      return;
    }
    if (m.kind !== 'call') return;
    void call(m.id, m.method, m.args ?? []);
  };

  async function control(id: number, action: 'pause' | 'resume' | 'stop') {
    try {
      let value: unknown;
      if (action === 'pause') {
        // Where each run parked (the last one's), or undefined when nothing runs.
        const at: { epoch: number; step: number }[] = [];
        await Promise.all([...runs].map(async (c) => {
          const off = c.subscribe((ev) => ev.type === 'paused' && at.push({ epoch: ev.epoch, step: ev.step }));
          try {
            await c.pause();
          } finally {
            off();
          }
        }));
        value = at.at(-1);
      } else if (action === 'resume') runs.forEach((c) => c.resume());
      else runs.forEach((c) => c.stop());
      post({ sg: PROTOCOL, kind: 'result', id, value });
    } catch (err) {
      post({ sg: PROTOCOL, kind: 'error', id, error: toWire(err) });
    }
  }

  async function call(id: number, method: string, args: unknown[]) {
    const control = new FitController();
    let detach: (() => void) | undefined;
    runs.add(control);
    try {
      const f = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
      if (!f) throw new WorkerError(`shadergrad: worker: the worker serves no method ${JSON.stringify(method)}; it serves ${Object.keys(methods).join(', ')}`, 'unknown-method');
      const ctx: ServeContext<Config> = {
        get model() {
          return need().model;
        },
        get optimizer() {
          return need().optimizer;
        },
        get config() {
          return need().config;
        },
        emit: (name, payload, list = []) => post({ sg: PROTOCOL, kind: 'event', id, name, payload }, list),
        control,
        step: async (at, settle) => {
          detach ??= control.attach(); // so that pause() waits for this loop to park
          await yieldToEventLoop();
          if (control.paused && !control.stopped) {
            await settle?.();
            await control.park(at);
          }
          return control.stopped;
        },
      };
      // 'paused' / 'resumed' reach the page as events of the call that parked.
      control.subscribe((ev) => ctx.emit(ev.type, { epoch: ev.epoch, step: ev.step }));
      if (!(method in builtIn)) await ready();
      const { value, list } = unwrapTransfer(await f(ctx, ...(args as never[])));
      post({ sg: PROTOCOL, kind: 'result', id, value }, list);
    } catch (err) {
      post({ sg: PROTOCOL, kind: 'error', id, error: toWire(deviceLost(err)) });
    } finally {
      detach?.();
      runs.delete(control);
    }
  }

  /** Whatever a call threw while the device is lost reaches the page as a DeviceLostError. */
  function deviceLost(err: unknown): unknown {
    if (err instanceof DeviceLostError) return err;
    try {
      gpu();
    } catch (lost) {
      if (lost instanceof DeviceLostError) return new DeviceLostError(err instanceof Error ? err.message : String(err));
    }
    return err;
  }

  port.addEventListener('message', onMessage);
  port.start?.();
  post({ sg: PROTOCOL, kind: 'ready', methods: Object.keys(methods) });
  return () => port.removeEventListener('message', onMessage);
}
