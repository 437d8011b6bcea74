// The kernel registry. A kernel is one WGSL entry point, described in TypeScript by a `KernelDef`:
// its bindings (in @binding order, all in group 0; a binding's number is its position in the list
// unless it says otherwise), the fields of its uniform
// `Params` struct, its workgroup size and the `override` constants it takes. The descriptor is
// checked against the WGSL itself (reflected with wgsl_reflect) by kernels-test/reflect.test.ts.
// Pipelines are created asynchronously with explicit bind-group layouts and cached per
// (kernel, override values).

import { WGSL, WGSL_LINES } from './wgsl.gen.js';
import { gpu, onDispose } from './device.js';
import { count } from './stats.js';

export type BindingKind = 'read' | 'read_write' | 'uniform';

export interface BindingDef {
  name: string;
  kind: BindingKind;
  /** The WGSL @binding number, when it is not the binding's position in the list. */
  binding?: number;
  /**
   * The device's index-error buffer (src/runtime/device-errors.ts), bound by the recorder, not by the
   * op: the kernel reports out-of-range indices there. Declared read_write, array<atomic<u32>, 8>.
   */
  indexErrors?: true;
}

/** The @binding number of a kernel's i-th binding. */
export function bindingNumber(def: KernelDef, i: number): number {
  return def.bindings[i].binding ?? i;
}

/** One field of a kernel's uniform `Params` struct: a scalar, or (length > 1) an `array<vec4<T>, length/4>`. */
export interface ParamDef {
  name: string;
  type: 'u32' | 'i32' | 'f32';
  length?: number;
}

export interface KernelDef {
  /** Unique name, shown in explain() and the profiler. */
  name: string;
  /** File under shaders/. */
  file: string;
  /** WGSL entry point. */
  entry: string;
  bindings: BindingDef[];
  params?: ParamDef[];
  /** Must match the entry point's @workgroup_size (after overrides); used by dispatch helpers. */
  workgroupSize: [number, number, number];
  /** Override constants this kernel accepts. */
  overrides?: string[];
}

const kernels = new Map<string, KernelDef>();

/** Register a kernel descriptor (done by each ops/ module at load time). */
export function defineKernel(def: KernelDef): KernelDef {
  if (kernels.has(def.name)) throw new Error(`shadergrad: kernel '${def.name}' is defined twice`);
  if (!(def.file in WGSL)) throw new Error(`shadergrad: kernel '${def.name}' names shaders/${def.file}, which does not exist`);
  def.bindings.forEach((_, i) => {
    if (i > 0 && bindingNumber(def, i) <= bindingNumber(def, i - 1)) {
      throw new Error(`shadergrad: kernel '${def.name}': bindings must be listed in increasing @binding order`);
    }
  });
  kernels.set(def.name, def);
  return def;
}

export function allKernels(): KernelDef[] {
  return [...kernels.values()];
}

/**
 * The WGSL of a kernel file under shaders/, as pipelines compile it: its `// #include "common/..."`
 * lines expanded (scripts/embed-shaders.mjs) between begin / end marker comments naming each file.
 */
export function wgslSource(file: string): string {
  const src = WGSL[file];
  if (src === undefined) throw new Error(`shadergrad: no shader file shaders/${file}`);
  return src;
}

/** The file under shaders/ and the line in it that line `line` (1-based) of wgslSource(file) comes from. */
export function wgslLineOrigin(file: string, line: number): { file: string; line: number } {
  const runs = WGSL_LINES[file];
  if (!runs) return { file, line };
  let run = runs[0];
  for (const r of runs) if (r[0] <= line) run = r;
  return { file: run[1], line: run[2] + (line - run[0]) };
}

/**
 * Where a compile message at (line, column) of wgslSource(file) points: `shaders/<file>:<line>:<column>`
 * of the file to edit, plus the line of the expanded kernel when that differs (an included helper,
 * or a kernel line moved down by the includes above it).
 */
export function wgslErrorLocation(file: string, line: number, column: number): string {
  const at = wgslLineOrigin(file, line);
  if (at.file === file && at.line === line) return `shaders/${file}:${line}:${column}`;
  const included = at.file === file ? '' : `included by shaders/${file}, `;
  return `shaders/${at.file}:${at.line}:${column} (${included}line ${line} of the expanded kernel)`;
}

export type Overrides = Record<string, number>;

// ---- uniform packing ----------------------------------------------------------------------------

export interface ParamLayout {
  offsets: number[];
  size: number;
}

const layoutCache = new WeakMap<ParamDef[], ParamLayout>();

/** WGSL uniform layout for our restricted Params structs: scalars 4-byte aligned, arrays of vec4 16-byte aligned. */
export function paramLayout(params: ParamDef[]): ParamLayout {
  let l = layoutCache.get(params);
  if (l) return l;
  const offsets: number[] = [];
  let off = 0;
  for (const p of params) {
    const len = p.length ?? 1;
    if (len > 1) {
      if (len % 4 !== 0) throw new Error(`param ${p.name}: array length must be a multiple of 4`);
      off = Math.ceil(off / 16) * 16;
      offsets.push(off);
      off += len * 4;
    } else {
      offsets.push(off);
      off += 4;
    }
  }
  l = { offsets, size: Math.max(16, Math.ceil(off / 16) * 16) };
  layoutCache.set(params, l);
  return l;
}

export type ParamValues = Record<string, number | ArrayLike<number>>;

/** Pack param values into `view` at `base` following the kernel's Params layout. */
export function packParams(def: KernelDef, values: ParamValues, view: DataView, base: number): void {
  const params = def.params ?? [];
  const { offsets } = paramLayout(params);
  params.forEach((p, i) => {
    const v = values[p.name];
    if (v === undefined) throw new Error(`kernel ${def.name}: missing param '${p.name}'`);
    const len = p.length ?? 1;
    const arr: ArrayLike<number> = typeof v === 'number' ? [v] : v;
    if (arr.length > len) throw new Error(`kernel ${def.name}: param '${p.name}' has ${arr.length} values, room for ${len}`);
    for (let j = 0; j < len; j++) {
      const x = j < arr.length ? arr[j] : 0;
      const at = base + offsets[i] + 4 * j;
      if (p.type === 'f32') view.setFloat32(at, x, true);
      else if (p.type === 'i32') view.setInt32(at, x, true);
      else view.setUint32(at, x, true);
    }
  });
  for (const name of Object.keys(values)) {
    if (!params.some((p) => p.name === name)) throw new Error(`kernel ${def.name}: unknown param '${name}'`);
  }
}

// ---- pipelines ----------------------------------------------------------------------------------

const modules = new Map<string, Promise<GPUShaderModule>>();
const layouts = new Map<string, GPUBindGroupLayout>();
const pipelines = new Map<string, Promise<GPUComputePipeline>>();

onDispose(() => {
  modules.clear();
  layouts.clear();
  pipelines.clear();
});

async function shaderModule(file: string): Promise<GPUShaderModule> {
  let m = modules.get(file);
  if (!m) {
    m = (async () => {
      const { device } = gpu();
      const module = device.createShaderModule({ label: file, code: wgslSource(file) });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((msg) => msg.type === 'error');
      if (errors.length) {
        const text = errors.map((e) => `  ${wgslErrorLocation(file, e.lineNum, e.linePos)}: ${e.message}`).join('\n');
        throw new Error(`shadergrad: WGSL compile error in shaders/${file}:\n${text}`);
      }
      return module;
    })();
    modules.set(file, m);
    m.catch(() => modules.delete(file));
  }
  return m;
}

export function bindGroupLayout(def: KernelDef): GPUBindGroupLayout {
  let l = layouts.get(def.name);
  if (!l) {
    const { device } = gpu();
    l = device.createBindGroupLayout({
      label: def.name,
      entries: def.bindings.map((b, i) => ({
        binding: bindingNumber(def, i),
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    layouts.set(def.name, l);
  }
  return l;
}

export function pipelineKey(def: KernelDef, overrides?: Overrides): string {
  if (!overrides || Object.keys(overrides).length === 0) return def.name;
  return def.name + JSON.stringify(Object.entries(overrides).sort());
}

/** Create (or fetch from the cache) the pipeline for a kernel with these override values. */
export function pipeline(def: KernelDef, overrides?: Overrides): Promise<GPUComputePipeline> {
  const key = pipelineKey(def, overrides);
  let p = pipelines.get(key);
  if (!p) {
    for (const k of Object.keys(overrides ?? {})) {
      if (!def.overrides?.includes(k)) throw new Error(`kernel ${def.name}: unknown override constant '${k}'`);
    }
    p = (async () => {
      const { device } = gpu();
      const module = await shaderModule(def.file);
      device.pushErrorScope('validation');
      const layout = device.createPipelineLayout({ label: def.name, bindGroupLayouts: [bindGroupLayout(def)] });
      let created: GPUComputePipeline;
      try {
        created = await device.createComputePipelineAsync({
          label: def.name,
          layout,
          compute: { module, entryPoint: def.entry, constants: overrides },
        });
      } catch (e) {
        await device.popErrorScope();
        throw new Error(`shadergrad: could not create the pipeline for kernel ${def.name} ` +
          `(shaders/${def.file}, entry ${def.entry}): ${(e as Error).message}`);
      }
      const err = await device.popErrorScope();
      if (err) {
        throw new Error(`shadergrad: validation error creating kernel ${def.name} (shaders/${def.file}, ` +
          `entry ${def.entry}): ${err.message}`);
      }
      count('pipelinesCreated');
      return created;
    })();
    pipelines.set(key, p);
    p.catch(() => pipelines.delete(key));
  }
  return p;
}

