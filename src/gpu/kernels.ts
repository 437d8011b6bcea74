// The kernel registry. A kernel is one WGSL entry point, described by a `KernelDef`: its bindings (in
// @binding order, all in group 0), the fields of its uniform `Params` struct, its workgroup size and the
// `override` constants it takes. The descriptors are not written by hand: scripts/embed-shaders.mjs
// reflects every entry point of shaders/*.wgsl into kernels.gen.ts, and an op takes its kernels by entry
// name, `wgslKernel('softmax_forward')`. The same script collects each file's integer `const`s, so op
// codes are named once in WGSL (`const ACT_SILU = 5u;`, `case ACT_SILU:`) and read here (`opCodes`).
// kernels-test/node/reflect.test.ts checks every descriptor against a fresh reflection of the WGSL.
// Pipelines are created asynchronously with explicit bind-group layouts and cached per
// (kernel, override values).

import { WGSL, WGSL_LINES } from './wgsl.gen.js';
import { KERNELS, WGSL_CONSTS } from './kernels.gen.js';
import { gpu, onDispose } from './device.js';
import { count } from './stats.js';
import { sgError } from '../util/errors.js';

export type BindingKind = 'read' | 'read_write' | 'uniform';

export interface BindingDef {
  name: string;
  kind: BindingKind;
  /** The WGSL @binding number. */
  binding: number;
  /**
   * The device's index-error buffer (src/runtime/device-errors.ts), bound by the recorder, not by the
   * op: the kernel reports out-of-range indices there. The binding named `index_errors`, declared
   * read_write, array<atomic<u32>, 8>.
   */
  indexErrors?: true;
}

/** The @binding number of a kernel's i-th binding. */
export function bindingNumber(def: KernelDef, i: number): number {
  return def.bindings[i].binding;
}

/** One field of a kernel's uniform `Params` struct: a scalar, or (length > 1) an `array<vec4<T>, length/4>`. */
export interface ParamDef {
  name: string;
  type: 'u32' | 'i32' | 'f32';
  length?: number;
}

export interface KernelDef {
  /** Unique name, shown in explain() and the profiler: the entry point's name. */
  name: string;
  /** File under shaders/. */
  file: string;
  /** WGSL entry point. */
  entry: string;
  bindings: BindingDef[];
  params?: ParamDef[];
  /** The entry point's @workgroup_size; used by dispatch helpers. */
  workgroupSize: [number, number, number];
  /** Override constants this kernel accepts: those the entry point (or a function it calls) uses. */
  overrides?: string[];
}

/** The name of a @compute entry point of shaders/*.wgsl (a key of the generated descriptors). */
export type KernelEntry = keyof typeof KERNELS;

/** A generated descriptor (kernels.gen.ts), read-only. */
interface GeneratedKernel {
  file: string;
  workgroupSize: readonly [number, number, number];
  overrides?: readonly string[];
  bindings: readonly Readonly<BindingDef>[];
  params?: readonly Readonly<ParamDef>[];
}

const kernels = new Map<string, KernelDef>();

/**
 * The kernel of WGSL entry point `entry`, registered under its name (done by each ops/ module at load
 * time). Its descriptor is the one scripts/embed-shaders.mjs reflected from the WGSL (kernels.gen.ts).
 */
export function wgslKernel(entry: KernelEntry): KernelDef {
  if (kernels.has(entry)) throw sgError(`kernel '${entry}' is defined twice`);
  const g: GeneratedKernel = KERNELS[entry];
  const def: KernelDef = {
    name: entry, file: g.file, entry, workgroupSize: [...g.workgroupSize], bindings: g.bindings.map((b) => ({ ...b })),
  };
  if (g.params) def.params = g.params.map((p) => ({ ...p }));
  if (g.overrides) def.overrides = [...g.overrides];
  kernels.set(entry, def);
  return def;
}

export function allKernels(): KernelDef[] {
  return [...kernels.values()];
}

/** The integer `const`s of a kernel file under shaders/ (its includes expanded), by name. */
export function wgslConsts<F extends keyof typeof WGSL_CONSTS>(file: F): (typeof WGSL_CONSTS)[F] {
  return WGSL_CONSTS[file];
}

/**
 * An op-code table from named WGSL constants: the consts `<PREFIX>_<NAME>` of shaders/`file`, keyed by
 * NAME in camelCase (ACT_GELU_TANH → geluTanh), which must be exactly `names`, so an op and its `case`
 * are matched by name, never by a number written twice.
 */
export function opCodes<K extends string>(file: keyof typeof WGSL_CONSTS, prefix: string, names: readonly K[]): Record<K, number> {
  const codes: Record<string, number> = {};
  for (const [name, value] of Object.entries(WGSL_CONSTS[file])) {
    if (!name.startsWith(`${prefix}_`)) continue;
    const key = name.slice(prefix.length + 1).toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    codes[key] = value;
  }
  const constName = (op: string) => `${prefix}_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
  const problems = [
    ...names.filter((op) => !(op in codes)).map((op) => `no ${constName(op)} for the op '${op}'`),
    ...Object.keys(codes).filter((op) => !names.includes(op as K)).map((op) => `${constName(op)} names no op ('${op}')`),
  ];
  if (problems.length) throw sgError(`shaders/${file}: ${problems.join('; ')}`);
  return codes as Record<K, number>;
}

/**
 * The WGSL of a kernel file under shaders/, as pipelines compile it: its `// #include "common/..."`
 * lines expanded (scripts/embed-shaders.mjs) between begin / end marker comments naming each file.
 */
export function wgslSource(file: string): string {
  const src = WGSL[file];
  if (src === undefined) throw sgError(`no shader file shaders/${file}`);
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
        throw sgError(`WGSL compile error in shaders/${file}:\n${text}`);
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
        throw sgError(`could not create the pipeline for kernel ${def.name} ` +
          `(shaders/${def.file}, entry ${def.entry}): ${(e as Error).message}`);
      }
      const err = await device.popErrorScope();
      if (err) {
        throw sgError(`validation error creating kernel ${def.name} (shaders/${def.file}, ` +
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

