// The device layer: one `init()` for a web page (navigator.gpu) and for Node (Dawn, the `webgpu`
// package). It requests the adapter's own limits and the optional features the kernels can use,
// turns WGSL compile errors and validation errors into exceptions that name the kernel, and reports
// device loss clearly. `dispose()` destroys the device so a Node process can exit.

import { checkOptions, keysOf } from '../util/options.js';
import { ShadergradError, sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const INIT_KEYS = keysOf<InitOptions>({ powerPreference: 1, poison: 1, features: 1, quiet: 1, limits: 1 });

export interface InitOptions {
  /** 'high-performance' (default) or 'low-power'. */
  powerPreference?: GPUPowerPreference;
  /** Fill every freshly allocated output with NaN before a kernel writes it (tests use this). */
  poison?: boolean;
  /** Ask for these optional features only if the adapter has them; default: all the kernels use. */
  features?: GPUFeatureName[];
  /** Silence the one-line notice printed when Node falls back to SwiftShader. */
  quiet?: boolean;
  /**
   * Request at most these limits (default: the adapter's own), e.g. `{ maxStorageBuffersPerShaderStage:
   * 8 }` to behave like an adapter that offers only WebGPU's defaults; kernels adapt where they can.
   */
  limits?: Partial<Record<(typeof LIMITS_TO_REQUEST)[number], number>>;
}

export interface DeviceInfo {
  /** e.g. 'nvidia', 'google' */
  vendor: string;
  architecture: string;
  description: string;
  /** true when running on a software rasteriser (SwiftShader). */
  software: boolean;
  features: string[];
  limits: Record<string, number>;
  runtime: 'browser' | 'node';
}

export interface GpuContext {
  /** The GPU instance: kept referenced, since Dawn tears the device down if it is garbage-collected. */
  instance: GPU;
  device: GPUDevice;
  adapter: GPUAdapter;
  info: DeviceInfo;
  poison: boolean;
  has(feature: string): boolean;
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName, 'shader-f16'];
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const LIMITS_TO_REQUEST = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxBindGroups', 'maxBindingsPerBindGroup',
] as const;

let current: GpuContext | null = null;
/** Counts devices: storages remember the generation they were made on, so a tensor of a lost device is named. */
let generation = 0;
let lostError: Error | null = null;
let pendingError: Error | null = null;
const disposeHooks: Array<() => void> = [];

/** Initialise shadergrad's GPU device. Safe to call more than once: later calls return the same device. */
export async function init(options: InitOptions = {}): Promise<DeviceInfo> {
  checkOptions('init', options, INIT_KEYS);
  if (current) {
    current.poison = options.poison ?? current.poison;
    return current.info;
  }
  lostError = null;
  pendingError = null;
  const { gpu, runtime, notice } = await findGpu(options);
  const adapter = await requestAdapter(gpu, options, runtime);
  const wanted = options.features ?? OPTIONAL_FEATURES;
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_REQUEST) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    const cap = options.limits?.[name];
    if (typeof v === 'number') requiredLimits[name] = cap === undefined ? v : Math.min(v, cap);
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const ainfo = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = ainfo?.vendor ?? 'unknown';
  const description = ainfo?.description || ainfo?.device || '';
  const limits: Record<string, number> = {};
  for (const name of LIMITS_TO_REQUEST) limits[name] = (device.limits as unknown as Record<string, number>)[name];
  const info: DeviceInfo = {
    vendor,
    architecture: ainfo?.architecture ?? '',
    description,
    software: /swiftshader/i.test(`${vendor} ${ainfo?.architecture ?? ''} ${description}`),
    features: [...device.features].sort(),
    limits,
    runtime,
  };
  const ctx: GpuContext = {
    instance: gpu,
    device, adapter, info, poison: options.poison ?? false,
    has: (f) => device.features.has(f),
  };
  device.lost.then((lost) => markLost(ctx, lost.reason, lost.message));
  // sg.device().destroy() (a lost device on demand, for tests and apps that recover from loss) takes
  // effect at once, not when the lost promise settles a few ticks later.
  const destroy = device.destroy.bind(device);
  Object.defineProperty(device, 'destroy', {
    configurable: true,
    value: () => {
      markLost(ctx, 'destroyed', 'destroyed with sg.device().destroy()');
      destroy();
    },
  });
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    pendingError ??= sgError(`GPU error: ${e.message}`);
  });
  current = ctx;
  generation++;
  if (notice && !options.quiet) console.warn(notice);
  return info;
}

/** The device of `ctx` is gone: purge every cache tied to it (pipelines, layouts, the buffer pool). */
function markLost(ctx: GpuContext, reason: string, message: string): void {
  if (current !== ctx) return; // already handled, or destroyed on purpose by dispose()
  lostError = new DeviceLostError(`shadergrad: the GPU device was lost (${reason}): ${message || 'no message'}. ` +
    'Call sg.init() again to get a new device; tensors from the lost device cannot be used (sg.load restores a model).');
  current = null;
  for (const fn of disposeHooks) fn();
}

/** Thrown by any use of the GPU after the device was lost, until sg.init() makes a new one. */
export class DeviceLostError extends ShadergradError {
  override name = 'DeviceLostError';
}

async function findGpu(options: InitOptions): Promise<{ gpu: GPU; runtime: 'browser' | 'node'; notice?: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (nav?.gpu) return { gpu: nav.gpu, runtime: isNode ? 'node' : 'browser' };
  if (!isNode) {
    throw sgError('WebGPU is not available in this browser (navigator.gpu is undefined). ' +
      'Use a browser with WebGPU enabled (Chrome/Edge 113+, Safari 26+, Firefox 141+).');
  }
  const name = 'webgpu'; // a variable, so bundlers for the page never try to include the Node addon
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ name);
  } catch (e) {
    // An optional peer dependency (a page never needs its 132 MB): Node users install it beside shadergrad.
    throw sgError(`init: in Node, shadergrad runs on Dawn from the npm package 'webgpu', an optional peer ` +
      `dependency, which could not be loaded; install it beside shadergrad: npm install webgpu (${(e as Error).message})`, ShadergradError, { cause: e });
  }
  Object.assign(globalThis, mod.globals);
  // One Dawn instance for the life of the process: an instance that is garbage-collected while a
  // device or a callback of it is still alive aborts the process (std::system_error in Dawn).
  if (nodeInstance) return { gpu: nodeInstance, runtime: 'node' };
  const gpu = mod.create([]);
  if (await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' })) {
    nodeInstance = gpu;
    return { gpu, runtime: 'node' };
  }
  retired.push(gpu);
  // No hardware adapter: fall back to SwiftShader, the CPU Vulkan driver shipped with Chromium.
  const fsName = 'node:fs'; // a variable, as for 'webgpu': a page's bundler neither includes nor warns about it
  const fs: typeof import('node:fs') = await import(/* @vite-ignore */ fsName);
  if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    nodeInstance = mod.create([]);
    return {
      gpu: nodeInstance, runtime: 'node',
      notice: `shadergrad: no hardware GPU adapter found; using SwiftShader (${SWIFTSHADER_ICD}). ` +
        'Kernels run on the CPU and are slow.',
    };
  }
  nodeInstance = gpu;
  return { gpu, runtime: 'node' };
}

/** The process's Dawn instance (Node), and instances that found no adapter (kept alive, never collected). */
let nodeInstance: GPU | undefined;
const retired: GPU[] = [];

async function requestAdapter(gpu: GPU, options: InitOptions, runtime: string): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    if (runtime === 'node') {
      throw sgError('no WebGPU adapter is available (node). In Node without a GPU, install ' +
        `Debian's 'chromium' and 'libvulkan1' packages so SwiftShader (${SWIFTSHADER_ICD}) can be used, ` +
        'or set VK_ICD_FILENAMES to a Vulkan driver.');
    }
    throw sgError(`no WebGPU adapter is available (${runtime}): navigator.gpu is there but requestAdapter() found none. ` +
      'WebGPU may be switched off, or the GPU or its driver blocked: check chrome://gpu (or about:support), ' +
      'enable hardware acceleration, update the browser and the graphics driver.');
  }
  return adapter;
}

/** The live GPU context; throws a clear error before `init()` or after device loss. */
export function gpu(): GpuContext {
  if (current) return current;
  if (lostError) throw lostError;
  throw sgError('call `await sg.init()` before creating or running tensors.');
}

/**
 * Whether the WGSL compiler of the live device's instance has the language feature `name`
 * (navigator.gpu.wgslLanguageFeatures, e.g. 'packed_4x8_integer_dot_product'): kernels that use it
 * compile only where it does. False before init().
 */
export function wgslLanguageFeature(name: string): boolean {
  const features = (current?.instance as { wgslLanguageFeatures?: { has(f: string): boolean } } | undefined)?.wgslLanguageFeatures;
  return features?.has(name) ?? false;
}

/** Which device buffers made now belong to (grows by one per init()). */
export function deviceGeneration(): number {
  return generation;
}

/**
 * The live GPUDevice, for interop and for tests of fault handling: `sg.device().destroy()` behaves
 * like a lost device (every cache is purged; `sg.init()` then makes a new one).
 */
export function device(): GPUDevice {
  return gpu().device;
}

export function isInitialised(): boolean {
  return current !== null;
}

let rulesOverride: 'software' | 'hardware' | undefined;

/**
 * Whether 'auto' kernel choices follow the software-adapter rules (SwiftShader: no barriers, one
 * thread per row or output) rather than the hardware ones (workgroup tiles and tree reductions).
 * The adapter decides, unless setKernelRules() says otherwise.
 */
export function softwareRules(): boolean {
  if (rulesOverride) return rulesOverride === 'software';
  return current !== null && current.info.software;
}

/**
 * Make 'auto' kernel choices follow one adapter class's rules whatever the adapter is (undefined:
 * the adapter's own). For tests that must cover both sets of kernels on one adapter, and for
 * benchmarks that compare them. Takes effect for ops recorded afterwards.
 */
export function setKernelRules(rules?: 'software' | 'hardware'): void {
  if (rules !== undefined && rules !== 'software' && rules !== 'hardware') {
    throw sgError(`setKernelRules: expected 'software', 'hardware' or undefined, got ${String(rules)}`);
  }
  rulesOverride = rules;
}

/** Throws the first uncaptured GPU error seen since the last check, if any. */
export function throwPendingError(): void {
  if (pendingError) {
    const e = pendingError;
    pendingError = null;
    throw e;
  }
}

/** Register cleanup that must run when the device goes away (caches of pipelines, pools, ...). */
export function onDispose(fn: () => void): void {
  disposeHooks.push(fn);
}

/** Destroy the device and forget every cache tied to it, so a Node process can exit. */
export function dispose(): void {
  const ctx = current;
  for (const fn of disposeHooks) fn();
  current = null;
  ctx?.device.destroy();
}
