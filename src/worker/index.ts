// sg.worker — training in a dedicated Web Worker: serve() in the worker module, spawn() on the page.
export { serve, type ServeSpec, type ServeContext, type WorkerFitOptions, type EpochEvent, type DataRef } from './serve.js';
export { spawn, type WorkerProxy, type WorkerLike, type SpawnOptions, type CallOptions, type ProxyFitOptions } from './spawn.js';
export { WorkerError, transfer, type Transfer, type Endpoint } from './protocol.js';
export { modelFromSpec, optimizerFromSpec, type ModelSpec, type LayerSpec, type OptimizerSpec } from './spec.js';
