// For the files that run the kernel case tables (kernels.test.ts, hardware-rules.test.ts): create
// compute pipelines with the synchronous createComputePipeline in this test process.
//
// Why: on SwiftShader, compiling the pipelines is most of those files' time (about 1 s per conv
// pipeline, ~97% of the halfConv table's wall time), and the tables need thousands of them (every
// version × storage pattern × override set). With createComputePipelineAsync Dawn compiles on a worker
// thread while dawn.node's AsyncRunner spins the JS thread (setImmediate, ProcessEvents) until it is
// done: two cores busy for one compile. Created synchronously, the compile runs on the JS thread and
// nothing spins, so the table file uses one core and vitest.config.ts runs the rest of the suite on
// the other. The compiled code is the same (Dawn's one path: WGSL → Tint → SwiftShader); a validation
// error is reported through the error scope kernels.ts pushes around the creation either way.
//
// Only these files do this: the rest of the suite (and every page) keeps the asynchronous creation
// that src/gpu/kernels.ts uses.

let patched = false;

/** Route GPUDevice.createComputePipelineAsync to createComputePipeline for every device of this process. */
export function syncPipelineCreation(device: GPUDevice): void {
  if (patched) return;
  const proto = Object.getPrototypeOf(device) as GPUDevice;
  const create = proto.createComputePipeline;
  Object.defineProperty(proto, 'createComputePipelineAsync', {
    configurable: true,
    writable: true,
    value: function (this: GPUDevice, descriptor: GPUComputePipelineDescriptor): Promise<GPUComputePipeline> {
      try {
        return Promise.resolve(create.call(this, descriptor));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  });
  patched = true;
}
