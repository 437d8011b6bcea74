// Every kernel's TypeScript descriptor (src/ops/*: defineKernel) against its WGSL, reflected with
// wgsl_reflect: binding numbers, names and access modes, the uniform Params struct's fields and
// offsets, the workgroup size and the override constants the entry point uses.
import { describe, expect, it } from 'vitest';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import '../../src/index.js';
import { allKernels, bindingNumber, paramLayout, wgslSource, type KernelDef } from '../../src/gpu/kernels.js';

const reflections = new Map<string, WgslReflect>();
function reflect(file: string): WgslReflect {
  let r = reflections.get(file);
  if (!r) reflections.set(file, (r = new WgslReflect(wgslSource(file))));
  return r;
}

function check(k: KernelDef): string[] {
  const problems: string[] = [];
  const entry = reflect(k.file).entry.compute.find((f) => f.name === k.entry);
  if (!entry) return [`no @compute entry point '${k.entry}' in shaders/${k.file}`];
  const used = entry.resources.filter((r) => r.group === 0).sort((a, b) => a.binding - b.binding);
  if (entry.resources.some((r) => r.group !== 0)) problems.push('uses a bind group other than 0');
  if (used.length !== k.bindings.length) {
    problems.push(`descriptor has ${k.bindings.length} bindings, entry point uses ${used.length} ` +
      `(${used.map((r) => `${r.binding}:${r.name}`).join(', ')})`);
  }
  for (const r of used) {
    const d = k.bindings.find((_, i) => bindingNumber(k, i) === r.binding);
    if (!d) {
      problems.push(`binding ${r.binding} (${r.name}) is not in the descriptor`);
      continue;
    }
    if (d.name !== r.name) problems.push(`binding ${r.binding}: descriptor '${d.name}', WGSL '${r.name}'`);
    const kind = r.resourceType === ResourceType.Uniform ? 'uniform' : r.access === 'read_write' ? 'read_write' : 'read';
    if (r.resourceType !== ResourceType.Uniform && r.resourceType !== ResourceType.Storage) {
      problems.push(`binding ${r.binding}: only buffers are supported`);
    }
    if (d.kind !== kind) problems.push(`binding ${r.binding} (${r.name}): descriptor '${d.kind}', WGSL '${kind}'`);
    if (kind === 'uniform') {
      const members = r.members ?? [];
      const params = k.params ?? [];
      const layout = paramLayout(params);
      if (members.length !== params.length) {
        problems.push(`params: descriptor has ${params.length} fields, WGSL struct has ${members.length}`);
      }
      members.forEach((m, i) => {
        const p = params[i];
        if (!p) return;
        if (p.name !== m.name) problems.push(`params field ${i}: descriptor '${p.name}', WGSL '${m.name}'`);
        if (layout.offsets[i] !== m.offset) problems.push(`params '${m.name}': offset ${layout.offsets[i]} vs WGSL ${m.offset}`);
        const wgslType = m.type.getTypeName();
        const want = (p.length ?? 1) > 1 ? `array<vec4<${p.type}>, ${(p.length ?? 4) / 4}>` : p.type;
        const norm = (s: string) => s.replace(/\s/g, '').replace('vec4u', 'vec4<u32>').replace('vec4i', 'vec4<i32>').replace('vec4f', 'vec4<f32>');
        if (norm(wgslType) !== norm(want)) problems.push(`params '${m.name}': descriptor ${want}, WGSL ${wgslType}`);
      });
    } else if (k.params && k.bindings.every((b) => b.kind !== 'uniform')) {
      problems.push('descriptor has params but no uniform binding');
    }
  }
  if (entry.workgroupSize) {
    const ws = [...entry.workgroupSize];
    if (ws.join() !== k.workgroupSize.join()) problems.push(`workgroup size: descriptor ${k.workgroupSize}, WGSL ${ws}`);
  }
  // Overrides used by the entry point or by any function it calls. wgsl_reflect misses an override
  // used only as a switch selector, so the functions' source lines are searched for each name.
  const lines = wgslSource(k.file).split('\n');
  const seen = new Set<unknown>();
  const names = new Set<string>();
  const walk = (f: typeof entry) => {
    if (seen.has(f)) return;
    seen.add(f);
    const body = lines.slice(f.startLine - 1, f.endLine).join('\n');
    for (const o of reflect(k.file).overrides) if (new RegExp(`\\b${o.name}\\b`).test(body)) names.add(o.name);
    f.calls.forEach((g) => walk(g));
  };
  walk(entry);
  const overrides = [...names].sort();
  const declared = [...(k.overrides ?? [])].sort();
  if (overrides.join() !== declared.join()) problems.push(`overrides: descriptor [${declared}], entry point uses [${overrides}]`);
  return problems;
}

describe('kernel descriptors match their reflected WGSL', () => {
  it('registers kernels', () => {
    expect(allKernels().length).toBeGreaterThan(5);
  });
  for (const k of allKernels()) {
    it(`${k.name} (shaders/${k.file}:${k.entry})`, () => {
      expect(check(k)).toEqual([]);
    });
  }
});
