// Kernel descriptors from the WGSL. scripts/embed-shaders.mjs calls describeKernels on each expanded
// kernel file and writes what it returns into src/gpu/kernels.gen.ts, so that a kernel is described
// once, in its .wgsl file, and the TypeScript side (src/gpu/kernels.ts: wgslKernel, opCodes) reads it.
//
// Per @compute entry point, reflected with wgsl_reflect:
// - bindings: the buffers the entry point uses (directly or through the functions it calls), in
//   @binding order, all in @group(0): name, kind (read / read_write storage, or uniform) and number;
//   the one named `index_errors` is the device's index-error buffer (src/runtime/device-errors.ts),
//   which the recorder binds, not the op;
// - params: the fields of its uniform struct, each a u32 / i32 / f32 scalar or an array<vec4<T>, N>
//   (length 4N); at most one uniform per entry point;
// - workgroupSize: from @workgroup_size, whose values are literals or `const`s (an override there
//   is a build error: the size would not be known here);
// - overrides: the override constants used by the entry point or any function it calls, found by
//   searching the functions' code for each name (wgsl_reflect misses an override used only as a
//   switch selector).
// Per file, consts: every module-scope integer `const` (u32, i32), by name — the named op codes
// (`const ACT_SILU = 5u;`, used as `case ACT_SILU:`) that the ops read instead of repeating numbers.
// Anything the runtime cannot describe is a build error naming the file and entry point.
import { WgslParser, WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';

const SCALARS = new Set(['u32', 'i32', 'f32']);
const VEC4 = { vec4u: 'u32', vec4i: 'i32', vec4f: 'f32', 'vec4<u32>': 'u32', 'vec4<i32>': 'i32', 'vec4<f32>': 'f32' };

/** The code of a function without its `//` comments, from its source lines. */
function functionCode(lines, f) {
  return lines.slice(f.startLine - 1, f.endLine).map((l) => l.replace(/\/\/.*$/, '')).join('\n');
}

/** One uniform struct member as a ParamDef (src/gpu/kernels.ts). */
function paramOf(m, where) {
  const type = m.type.getTypeName().replace(/\s/g, '');
  if (SCALARS.has(type)) return { name: m.name, type };
  const arr = /^array<(vec4[uif]|vec4<[uif]32>),(\d+)>$/.exec(type);
  if (arr) return { name: m.name, type: VEC4[arr[1]], length: 4 * Number(arr[2]) };
  throw new Error(`${where}: uniform field '${m.name}' has type ${type}; the runtime packs u32, i32 and f32 ` +
    'scalars and array<vec4<u32 | i32 | f32>, N> only');
}

/**
 * Describe the @compute entry points and the numeric consts of one expanded kernel file.
 * @param {string} file the kernel's path relative to shaders/ (e.g. "softmax.wgsl")
 * @param {string} text its expanded WGSL (includes pasted in)
 * @returns {{ kernels: object[], consts: Record<string, number> }} kernels in source order, each
 *   { entry, file, workgroupSize, overrides?, bindings, params? }
 */
export function describeKernels(file, text) {
  const reflect = new WgslReflect(text);
  const lines = text.split('\n');
  const overrideNames = reflect.overrides.map((o) => o.name);
  const kernels = reflect.entry.compute.map((entry) => {
    const where = `shaders/${file}: entry point ${entry.name}`;
    const used = [...entry.resources].sort((a, b) => a.binding - b.binding);
    const bindings = [];
    let params;
    for (const r of used) {
      if (r.group !== 0) throw new Error(`${where}: ${r.name} is in @group(${r.group}); kernels bind everything in group 0`);
      if (r.resourceType === ResourceType.Uniform) {
        if (params) throw new Error(`${where}: a second uniform (${r.name}); the runtime packs one Params struct per kernel`);
        params = (r.members ?? []).map((m) => paramOf(m, where));
        bindings.push({ name: r.name, kind: 'uniform', binding: r.binding });
      } else if (r.resourceType === ResourceType.Storage) {
        const b = { name: r.name, kind: r.access === 'read_write' ? 'read_write' : 'read', binding: r.binding };
        if (r.name === 'index_errors') b.indexErrors = true;
        bindings.push(b);
      } else {
        throw new Error(`${where}: ${r.name} is not a buffer; kernels bind storage and uniform buffers only`);
      }
    }
    const sizeAttr = (entry.attributes ?? []).find((a) => a.name === 'workgroup_size');
    const sizeArgs = [sizeAttr?.value ?? []].flat().map(String);
    const byOverride = sizeArgs.find((v) => overrideNames.includes(v.trim()));
    if (byOverride) {
      throw new Error(`${where}: @workgroup_size uses the override ${byOverride}; use a literal or a const, ` +
        'so the size is known when the descriptor is generated');
    }
    if (!entry.workgroupSize) throw new Error(`${where}: no @workgroup_size`);
    // Overrides used by the entry point or any function it calls (transitively).
    const seen = new Set();
    const overrides = new Set();
    const walk = (f) => {
      if (seen.has(f)) return;
      seen.add(f);
      const code = functionCode(lines, f);
      for (const o of overrideNames) if (new RegExp(`\\b${o}\\b`).test(code)) overrides.add(o);
      f.calls.forEach(walk);
    };
    walk(entry);
    const k = { entry: entry.name, file, workgroupSize: [...entry.workgroupSize] };
    if (overrides.size) k.overrides = [...overrides].sort();
    k.bindings = bindings;
    if (params) k.params = params;
    return k;
  });
  const consts = {};
  for (const node of new WgslParser().parse(text)) {
    if (node.astNodeType !== 'const') continue;
    const v = reflect._constValues.get(node.name);
    if (['u32', 'i32'].includes(node.type?.name) && typeof v === 'number') consts[node.name] = v;
  }
  return { kernels, consts };
}
