// Every kernel's TypeScript descriptor (src/ops/*: defineKernel) against its WGSL, reflected with
// wgsl_reflect: binding numbers, names and access modes, the uniform Params struct's fields and
// offsets, the workgroup size and the override constants the entry point uses. The WGSL is the
// expanded kernel (its `// #include "common/..."` lines replaced by the shared helpers), as pipelines
// compile it; the include expansion itself is tested at the end.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import '../../src/index.js';
import {
  allKernels, bindingNumber, paramLayout, wgslErrorLocation, wgslLineOrigin, wgslSource, type KernelDef,
} from '../../src/gpu/kernels.js';
import { alreadyIncluded, beginMarker, endMarker, expandIncludes, INCLUDE_DIRECTIVE } from '../../scripts/wgsl-include.mjs';

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

// ---- `// #include` expansion (scripts/wgsl-include.mjs, run by scripts/embed-shaders.mjs) ---------

const shaders = fileURLToPath(new URL('../../shaders', import.meta.url));
const kernelFiles = readdirSync(shaders).filter((f) => f.endsWith('.wgsl')).sort();
const readShader = (path: string) => (existsSync(join(shaders, path)) ? readFileSync(join(shaders, path), 'utf8') : undefined);

/** expandIncludes over an in-memory tree of files. */
function expandIn(files: Record<string, string>, file: string) {
  return expandIncludes(file, (path) => files[path]);
}

describe('WGSL includes', () => {
  it('every kernel is embedded expanded: no directive left, each helper file once, markers paired', () => {
    for (const f of kernelFiles) {
      const lines = wgslSource(f).split('\n');
      expect(lines.filter((l) => INCLUDE_DIRECTIVE.test(l)), f).toEqual([]);
      const begins = lines.filter((l) => l.startsWith('// >>>> #include'));
      expect(new Set(begins).size, f).toBe(begins.length);
      for (const b of begins) {
        const path = /"([^"]+)"/.exec(b)![1];
        expect(lines.indexOf(endMarker(path)), `${f}: ${path}`).toBeGreaterThan(lines.indexOf(beginMarker(path)));
      }
    }
  });

  it('the shared helpers are defined once, in shaders/common/, and every kernel file includes what it uses', () => {
    for (const f of kernelFiles) {
      const own = readShader(f)!;
      for (const helper of ['workgroup_sum', 'workgroup_max', 'workgroup_sum4', 'is_nan', 'nan_like', 'grid_index', 'report_index_error', 'dim', 'outer', 'sigmoid_stable']) {
        expect(own, `${f} defines ${helper} itself`).not.toMatch(new RegExp(`\\bfn ${helper}\\(`));
      }
    }
    expect(wgslSource('softmax.wgsl')).toContain(beginMarker('common/reduce.wgsl'));
    expect(wgslSource('loss.wgsl')).toContain(beginMarker('common/index_errors.wgsl'));
    expect(wgslSource('index.wgsl')).toContain(beginMarker('common/index_errors.wgsl'));
  });

  it('maps every expanded line back to the file and line it comes from', () => {
    for (const f of kernelFiles) {
      expandIncludes(f, readShader);   // the committed files expand without error
      wgslSource(f).split('\n').forEach((text, i) => {
        const at = wgslLineOrigin(f, i + 1);
        const original = readShader(at.file)!.split('\n')[at.line - 1];
        // A marker line stands where the directive was.
        if (text.startsWith('// >>>> #include') || text.startsWith('// <<<< #include') || text.endsWith('already included above')) {
          expect(original, `${f}:${i + 1}`).toMatch(INCLUDE_DIRECTIVE);
        } else {
          expect(original, `${f}:${i + 1} → ${at.file}:${at.line}`).toBe(text);
        }
      });
    }
  });

  it('names the included file and line, and the expanded line, in a compile error location', () => {
    const lines = wgslSource('softmax.wgsl').split('\n');
    const expanded = lines.findIndex((l) => l.startsWith('fn workgroup_sum(')) + 1;
    const inCommon = readShader('common/reduce.wgsl')!.split('\n').findIndex((l) => l.startsWith('fn workgroup_sum(')) + 1;
    expect(wgslErrorLocation('softmax.wgsl', expanded, 4))
      .toBe(`shaders/common/reduce.wgsl:${inCommon}:4 (included by shaders/softmax.wgsl, line ${expanded} of the expanded kernel)`);
    const own = lines.findIndex((l) => l.startsWith('fn softmax_forward(')) + 1;
    const inFile = readShader('softmax.wgsl')!.split('\n').findIndex((l) => l.startsWith('fn softmax_forward(')) + 1;
    expect(inFile).toBeLessThan(own);
    expect(wgslErrorLocation('softmax.wgsl', own, 1)).toBe(`shaders/softmax.wgsl:${inFile}:1 (line ${own} of the expanded kernel)`);
    expect(wgslErrorLocation('no-such.wgsl', 3, 7)).toBe('shaders/no-such.wgsl:3:7');
  });

  it('expands once, with begin / end markers, nested includes included', () => {
    const files = {
      'k.wgsl': 'fn main() {}\n// #include "common/a.wgsl"\n// #include "common/b.wgsl"\n  //  #include "common/a.wgsl"  \nfn last() {}\n',
      'common/a.wgsl': 'fn a() {}\n',
      'common/b.wgsl': '// #include "common/a.wgsl"\nfn b() {}\n',
    };
    const { text, lines } = expandIn(files, 'k.wgsl');
    expect(text).toBe([
      'fn main() {}',
      beginMarker('common/a.wgsl'), 'fn a() {}', endMarker('common/a.wgsl'),
      beginMarker('common/b.wgsl'), alreadyIncluded('common/a.wgsl'), 'fn b() {}', endMarker('common/b.wgsl'),
      alreadyIncluded('common/a.wgsl'),
      'fn last() {}',
    ].join('\n') + '\n');
    expect(beginMarker('common/a.wgsl')).toBe('// >>>> #include "common/a.wgsl": begin of shaders/common/a.wgsl');
    // Runs [first expanded line, file, its line]: a marker line stands at its directive's line.
    expect(lines).toEqual([[1, 'k.wgsl', 1], [3, 'common/a.wgsl', 1], [4, 'k.wgsl', 2], [6, 'common/b.wgsl', 1], [8, 'k.wgsl', 3]]);
  });

  it('a missing file, a path outside shaders/ and a cycle are errors naming the file and line', () => {
    expect(() => expandIn({ 'k.wgsl': 'fn f() {}\n// #include "common/nope.wgsl"\n' }, 'k.wgsl'))
      .toThrow('shaders/k.wgsl:2: #include "common/nope.wgsl": no such file shaders/common/nope.wgsl');
    expect(() => expandIn({ 'k.wgsl': '// #include "../src/x.wgsl"\n' }, 'k.wgsl'))
      .toThrow(/^shaders\/k\.wgsl:1: #include "\.\.\/src\/x\.wgsl": the path must name a \.wgsl file inside shaders\//);
    const cycle = {
      'k.wgsl': '// #include "common/a.wgsl"\n',
      'common/a.wgsl': 'fn a() {}\n// #include "common/b.wgsl"\n',
      'common/b.wgsl': '\n\n// #include "common/a.wgsl"\n',
    };
    expect(() => expandIn(cycle, 'k.wgsl'))
      .toThrow('shaders/common/b.wgsl:3: #include "common/a.wgsl" makes an include cycle: common/a.wgsl → common/b.wgsl → common/a.wgsl');
    expect(() => expandIn({ 'k.wgsl': '// #include "k.wgsl"\n' }, 'k.wgsl'))
      .toThrow('shaders/k.wgsl:1: #include "k.wgsl" makes an include cycle: k.wgsl → k.wgsl');
  });
});
