// Every kernel descriptor in use (src/ops/*: wgslKernel, generated into src/gpu/kernels.gen.ts by
// scripts/embed-shaders.mjs) against a fresh reflection of its WGSL with wgsl_reflect, written here
// independently of the generator: binding numbers, names and access modes, the uniform Params
// struct's fields and offsets, the workgroup size and the override constants the entry point uses.
// So a stale generated file, or a generator bug, fails here. Every @compute entry point must be in
// use, and the named constants (op codes) must match the WGSL. The WGSL is the expanded kernel (its
// `// #include "common/..."` lines replaced by the shared helpers), as pipelines compile it; the
// include expansion itself is tested at the end.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import '../../src/index.js';
import '../../src/graph/fusion.js';
import {
  allKernels, bindingNumber, opCodes, paramLayout, wgslConsts, wgslErrorLocation, wgslLineOrigin, wgslSource, type KernelDef,
} from '../../src/gpu/kernels.js';
import { WGSL_CONSTS } from '../../src/gpu/kernels.gen.js';
import { UNARY_CODES } from '../../src/ops/elementwise.js';
import { alreadyIncluded, beginMarker, endMarker, expandIncludes, INCLUDE_DIRECTIVE } from '../../scripts/wgsl-include.mjs';

const shaders = fileURLToPath(new URL('../../shaders', import.meta.url));
const kernelFiles = readdirSync(shaders).filter((f) => f.endsWith('.wgsl')).sort();
const readShader = (path: string) => (existsSync(join(shaders, path)) ? readFileSync(join(shaders, path), 'utf8') : undefined);

/** @compute entry points that no op uses (each with the reason); every other one must have a kernel in use. */
const UNUSED_ENTRY_POINTS: Record<string, string> = {};

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
    if (Boolean(d.indexErrors) !== (r.name === 'index_errors')) problems.push(`binding ${r.binding} (${r.name}): indexErrors ${d.indexErrors}`);
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
  // used only as a switch selector, so the functions' source lines (without comments) are searched
  // for each name.
  const lines = wgslSource(k.file).split('\n');
  const seen = new Set<unknown>();
  const names = new Set<string>();
  const walk = (f: typeof entry) => {
    if (seen.has(f)) return;
    seen.add(f);
    const body = lines.slice(f.startLine - 1, f.endLine).map((l) => l.replace(/\/\/.*$/, '')).join('\n');
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

  it('the embedded kernels are the files under shaders/, expanded (src/gpu/wgsl.gen.ts is not stale)', () => {
    for (const f of kernelFiles) expect(wgslSource(f), f).toBe(expandIncludes(f, readShader).text);
  });

  it('every @compute entry point is a kernel in use, named after it, or listed as unused', () => {
    const inUse = new Map(allKernels().map((k) => [k.name, k]));
    const missing: string[] = [];
    for (const f of kernelFiles) {
      for (const e of reflect(f).entry.compute) {
        const k = inUse.get(e.name);
        if (k) expect(`${k.file}:${k.entry}`).toBe(`${f}:${e.name}`);
        else if (!(e.name in UNUSED_ENTRY_POINTS)) missing.push(`shaders/${f}: ${e.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('named WGSL constants (op codes)', () => {
  it('are every integer const of each kernel file, with its value', () => {
    for (const f of kernelFiles) {
      // Every const of the kernels is module-scope and a literal: integers (u32, i32) or floats, with or
      // without a type (common/half.wgsl: `const HALF_MAX_BITS: u32 = 0x477fe000u;`).
      const src = wgslSource(f).replace(/\/\/.*$/gm, '');
      const decls = [...src.matchAll(/\bconst (\w+)(?:: *\w+)? = ([^;]+);/g)].map((m) => [m[1], m[2].trim()]);
      const ints = decls.filter(([, v]) => /^(0x[0-9a-f]+|\d+)[ui]?$/.test(v));
      expect(decls.filter((d) => !ints.includes(d)).every(([, v]) => /^-?\d*\.\d*(e[-+]?\d+)?f?$|^-?\d+e[-+]?\d+f?$/.test(v)), f).toBe(true);
      expect(WGSL_CONSTS[f as keyof typeof WGSL_CONSTS], f)
        .toEqual(Object.fromEntries(ints.map(([name, v]) => [name, Number(v.replace(/[ui]$/, ''))])));
    }
  });

  it('are used as `case` selectors and comparisons instead of numbers', () => {
    // The overrides that pick an op: no `case 3u:` or `OP == 1u` left for them.
    for (const [f, selectors] of [['activation.wgsl', ['OP']], ['elementwise.wgsl', ['OP', 'LAYOUT', 'code', 'kind']],
      ['reduce.wgsl', ['OP', 'ARG']], ['softmax.wgsl', ['OP']], ['matmul.wgsl', ['ACT']], ['loss.wgsl', ['REDUCTION']]] as const) {
      const src = wgslSource(f);
      for (const s of selectors) expect(src, `${f}: ${s}`).not.toMatch(new RegExp(`\\b${s} [=!]= \\d`));
      for (const fn of ['act_f', 'act_df', 'act_d2f', 'unary_apply', 'binary_apply', 'identity', 'combine', 'epilogue']) {
        const body = src.split(`fn ${fn}(`)[1]?.split('\n}\n')[0] ?? '';
        expect(body, `${f}: ${fn}`).not.toMatch(/case \d/);
      }
    }
  });

  it('become op-code tables by name (ACT_GELU_TANH is geluTanh), which must name exactly the ops', () => {
    expect(opCodes('activation.wgsl', 'ACT', ['leakyRelu', 'elu', 'gelu', 'geluTanh', 'softplus', 'silu']))
      .toEqual({ leakyRelu: 0, elu: 1, gelu: 2, geluTanh: 3, softplus: 4, silu: 5 });
    expect(opCodes('matmul.wgsl', 'ACT', ['none', 'relu', 'sigmoid', 'tanh'])).toEqual({ none: 0, relu: 1, sigmoid: 2, tanh: 3 });
    expect(UNARY_CODES.powScalar).toBe(wgslConsts('elementwise.wgsl').UNARY_POW_SCALAR);
    expect(() => opCodes('activation.wgsl', 'ACT', ['leakyRelu', 'elu', 'gelu', 'geluTanh', 'softplus', 'mish']))
      .toThrow("shadergrad: shaders/activation.wgsl: no ACT_MISH for the op 'mish'; ACT_SILU names no op ('silu')");
  });
});

// ---- `// #include` expansion (scripts/wgsl-include.mjs, run by scripts/embed-shaders.mjs) ---------


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
