// Checkpoints in the safetensors format: the byte layout against hand-written files, strict validation
// of corrupt files, GPU round trips through saveCheckpoint / loadCheckpoint, the atomic write, and
// checkCompatible's message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors, planSafetensors } from '../../src/io/safetensors.js';
import {
  checkCompatible, checkpointBytes, checkpointTensors, downloadCheckpoint, loadCheckpoint, loadFromOPFS,
  saveCheckpoint, saveToOPFS,
} from '../../src/io/checkpoint.js';

/** A file built by hand: the u64 little-endian length of `header`, the header text, then `data` bytes. */
function handFile(header: string, data: number[]): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  let n = text.length;
  for (let i = 0; i < 8; i++) {
    out[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

const bytesOf = (u: Uint8Array) => Array.from(u);
const f32le = (...v: number[]) => bytesOf(new Uint8Array(new Float32Array(v).buffer));
const i32le = (...v: number[]) => bytesOf(new Uint8Array(new Int32Array(v).buffer));

describe('safetensors encoding', () => {
  it('writes the exact byte layout of a tiny file', () => {
    const out = encodeSafetensors(
      {
        b: { dtype: 'I32', shape: [2], data: new Int32Array([1, -2]) },
        a: { dtype: 'F32', shape: [], data: new Float32Array([1.5]) },
      },
      { k: 'v' },
    );
    // F32 sorts before I32 (descending dtype, as the reference does), then by name. 132 bytes of JSON
    // + 4 spaces of padding = 136 = 0x88.
    const json = '{"__metadata__":{"k":"v"},' +
      '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
      '"b":{"dtype":"I32","shape":[2],"data_offsets":[4,12]}}';
    const expected = [
      0x88, 0, 0, 0, 0, 0, 0, 0,
      ...bytesOf(new TextEncoder().encode(json)), 0x20, 0x20, 0x20, 0x20,
      0x00, 0x00, 0xc0, 0x3f, // 1.5f
      0x01, 0x00, 0x00, 0x00, // 1
      0xfe, 0xff, 0xff, 0xff, // -2
    ];
    expect(bytesOf(out)).toEqual(expected);
  });

  it('matches the reference implementation for its own published examples', () => {
    // safetensors' tensor.rs tests: one F32 [1, 2, 3] tensor named "attn.0" has a 64-byte header.
    const one = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    expect(bytesOf(one.subarray(0, 8))).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(one.subarray(8, 72))).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect(bytesOf(one.subarray(72))).toEqual(f32le(0, 1, 2, 3, 4, 5));
    // No tensors, no metadata: "{}" and six spaces. With {"framework": "pt"}: a 40-byte header.
    expect(bytesOf(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const meta = encodeSafetensors({}, { framework: 'pt' });
    expect(bytesOf(meta.subarray(0, 8))).toEqual([40, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(meta.subarray(8))).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('pads every header to a multiple of 8 and orders names by their UTF-8 bytes', () => {
    for (const name of ['x', 'xy', 'xyz', 'wxyz0', 'abcdefg', 'ünïcode']) {
      const out = encodeSafetensors({ [name]: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
      const n = new DataView(out.buffer).getUint32(0, true);
      expect(n % 8).toBe(0);
      expect(out.length).toBe(8 + n + 4);
    }
    // '\uFF5E' (UTF-8 EF BD 9E) sorts before '\u{1F600}' (F0 9F 98 80) by bytes, but after it in UTF-16 units.
    const plan = planSafetensors({
      '\u{1F600}': { dtype: 'F32', shape: [1] }, '\uFF5E': { dtype: 'F32', shape: [1] }, B: { dtype: 'F32', shape: [1] },
      a: { dtype: 'F32', shape: [1] }, i: { dtype: 'I32', shape: [1] },
    });
    expect(plan.layout.map((e) => e.name)).toEqual(['B', 'a', '\uFF5E', '\u{1F600}', 'i']);
  });

  it('round-trips odd shapes, size 1, empty tensors, escapes and empty metadata', () => {
    const tensors = {
      w: { dtype: 'F32' as const, shape: [3, 5, 7], data: Float32Array.from({ length: 105 }, (_, i) => Math.sin(i) * 1e3) },
      one: { dtype: 'F32' as const, shape: [1], data: new Float32Array([-0]) },
      special: { dtype: 'F32' as const, shape: [4], data: new Float32Array([NaN, Infinity, -Infinity, 1e-45]) },
      empty: { dtype: 'F32' as const, shape: [2, 0, 3], data: new Float32Array(0) },
      idx: { dtype: 'I32' as const, shape: [13], data: Int32Array.from({ length: 13 }, (_, i) => (i - 6) * 0x1234567) },
      'needs "escapes"\n\\ \u0001 ü': { dtype: 'I32' as const, shape: [], data: new Int32Array([2147483647]) },
    };
    const metadatas: (Record<string, string> | undefined)[] = [undefined, {}, { note: 'line\nbreak "quoted" \u0000 €' }];
    for (const metadata of metadatas) {
      const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
      expect(back.metadata).toEqual(metadata ?? {});
      expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const got = back.tensors[name];
        expect(got.dtype).toBe(t.dtype);
        expect(got.sourceDtype).toBe(t.dtype);
        expect(got.shape).toEqual(t.shape);
        expect(got.data.constructor).toBe(t.data.constructor);
        expect(bytesOf(new Uint8Array(got.data.buffer))).toEqual(bytesOf(new Uint8Array(t.data.buffer)));
      }
    }
    // `{}` metadata writes an empty map (as the reference does with Some({})); undefined leaves it out.
    expect(new TextDecoder().decode(encodeSafetensors({}, {}).subarray(8))).toBe('{"__metadata__":{}}     ');
  });

  it('reads data from a view into a larger buffer, at an unaligned offset', () => {
    const file = encodeSafetensors({ t: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) } });
    const big = new Uint8Array(file.length + 3);
    big.set(file, 1);
    const got = decodeSafetensors(big.subarray(1, 1 + file.length));
    expect(Array.from(got.tensors.t.data)).toEqual([1, 2, 3]);
  });

  it('rejects bad input to the encoder, naming the tensor', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }))
      .toThrow(/tensor "w": 3 values do not fill shape \[2, 2\] \(needs 4\)/);
    expect(() => encodeSafetensors({ w: { dtype: 'I32', shape: [2], data: new Float32Array(2) } }))
      .toThrow(/tensor "w": dtype I32 needs its data in a Int32Array, got Float32Array/);
    expect(() => encodeSafetensors({ w: { dtype: 'F16' as 'F32', shape: [2], data: new Float32Array(2) } }))
      .toThrow(/tensor "w": dtype must be 'F32', 'I32' or 'I64', got F16/);
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2.5], data: new Float32Array(2) } }))
      .toThrow(/not a non-negative integer \(2.5\)/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }))
      .toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { epoch: 3 as unknown as string })).toThrow(/metadata "epoch": values must be strings/);
    expect(() => encodeSafetensors({ '\uD800': { dtype: 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/unpaired surrogate/);
  });
});

describe('safetensors files written by hand from the spec', () => {
  it('decodes a file as PyTorch would write it (I64 before F32, "format": "pt")', () => {
    // save_file({"weight": float32 [[1, 2], [3, 4]], "step": int64 scalar 7}, metadata={"format": "pt"})
    const file = handFile(
      '{"__metadata__":{"format":"pt"},"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
      '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}',
      [7, 0, 0, 0, 0, 0, 0, 0, ...f32le(1, 2, 3, 4)],
    );
    const got = decodeSafetensors(file);
    expect(got.metadata).toEqual({ format: 'pt' });
    expect(Object.keys(got.tensors)).toEqual(['step', 'weight']);
    expect(got.tensors.step).toEqual({ dtype: 'I32', shape: [], data: new Int32Array([7]), sourceDtype: 'I64' });
    expect(got.tensors.weight).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]), sourceDtype: 'F32' });
  });

  it('accepts any key order, whitespace and an unpadded header; offsets define the data order', () => {
    const file = handFile(
      ' { "b" : { "shape" : [ 1 ] , "data_offsets" : [ 0 , 4 ] , "dtype" : "I32" } ,\n' +
      '   "a" : { "dtype" : "F32" , "shape" : [ 1 ] , "data_offsets" : [ 4 , 8 ] } } ',
      [...i32le(-5), ...f32le(0.25)],
    );
    const got = decodeSafetensors(file);
    expect(Object.keys(got.tensors)).toEqual(['b', 'a']);
    expect(got.tensors.b.data).toEqual(new Int32Array([-5]));
    expect(got.tensors.a.data).toEqual(new Float32Array([0.25]));
  });

  it('converts F64, F16, BF16, F8 to F32 and the integer dtypes to I32', () => {
    const f64 = bytesOf(new Uint8Array(new Float64Array([0.1, -2.5, 1e-300]).buffer));
    const i64 = [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]; // -3, 2^31 - 1
    const file = handFile(JSON.stringify({
      d: { dtype: 'F64', shape: [3], data_offsets: [0, 24] },
      h: { dtype: 'F16', shape: [5], data_offsets: [24, 34] },
      bf: { dtype: 'BF16', shape: [2], data_offsets: [34, 38] },
      e5: { dtype: 'F8_E5M2', shape: [2], data_offsets: [38, 40] },
      e4: { dtype: 'F8_E4M3', shape: [3], data_offsets: [40, 43] },
      flag: { dtype: 'BOOL', shape: [3], data_offsets: [43, 46] },
      u8: { dtype: 'U8', shape: [2], data_offsets: [46, 48] },
      i8: { dtype: 'I8', shape: [1], data_offsets: [48, 49] },
      pad: { dtype: 'U8', shape: [1], data_offsets: [49, 50] },
      s16: { dtype: 'I16', shape: [1], data_offsets: [50, 52] },
      u16: { dtype: 'U16', shape: [1], data_offsets: [52, 54] },
      u32: { dtype: 'U32', shape: [1], data_offsets: [54, 58] },
      l: { dtype: 'I64', shape: [2], data_offsets: [58, 74] },
      ul: { dtype: 'U64', shape: [1], data_offsets: [74, 82] },
    }), [
      ...f64,
      0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c, // f16: 1, -2, 65504, 2^-24, +inf
      0x80, 0x3f, 0x49, 0xc0, // bf16: 1, -3.140625
      0x3c, 0xc4, // e5m2: 1, -4
      0x38, 0x7e, 0x7f, // e4m3fn: 1, 448, NaN
      0, 1, 5, // bool
      200, 7, // u8
      0xff, // i8: -1
      0, // pad
      0x00, 0x80, // i16: -32768
      0xff, 0xff, // u16: 65535
      0x00, 0x00, 0x00, 0x70, // u32: 0x70000000
      ...i64,
      9, 0, 0, 0, 0, 0, 0, 0, // u64: 9
    ]);
    const t = decodeSafetensors(file).tensors;
    expect(t.d).toEqual({ dtype: 'F32', shape: [3], data: new Float32Array([0.1, -2.5, 0]), sourceDtype: 'F64' });
    expect(Array.from(t.h.data)).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect(Array.from(t.bf.data)).toEqual([1, -3.140625]);
    expect(Array.from(t.e5.data)).toEqual([1, -4]);
    expect(Array.from(t.e4.data)).toEqual([1, 448, NaN]);
    expect(t.flag).toEqual({ dtype: 'I32', shape: [3], data: new Int32Array([0, 1, 1]), sourceDtype: 'BOOL' });
    expect(Array.from(t.u8.data)).toEqual([200, 7]);
    expect(Array.from(t.i8.data)).toEqual([-1]);
    expect(Array.from(t.s16.data)).toEqual([-32768]);
    expect(Array.from(t.u16.data)).toEqual([65535]);
    expect(Array.from(t.u32.data)).toEqual([0x70000000]);
    expect(t.l).toEqual({ dtype: 'I32', shape: [2], data: new Int32Array([-3, 2147483647]), sourceDtype: 'I64' });
    expect(Array.from(t.ul.data)).toEqual([9]);
  });

  it('refuses values that do not fit when converting', () => {
    const big64 = handFile('{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}',
      bytesOf(new Uint8Array(new Float64Array([1, 1e39]).buffer)));
    expect(() => decodeSafetensors(big64)).toThrow(/tensor "x": F64 value 1e\+39 at index 1 does not fit in float32/);
    const bigI64 = handFile('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0x80, 0, 0, 0, 0]);
    expect(() => decodeSafetensors(bigI64)).toThrow(/tensor "n": I64 value 2147483648 at index 0 does not fit in int32/);
    const negI64 = handFile('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeSafetensors(negI64)).toThrow(/I64 value -2147483649 at index 0 does not fit in int32/);
    const bigU32 = handFile('{"n":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0x80]);
    expect(() => decodeSafetensors(bigU32)).toThrow(/U32 value 2147483648 at index 0 does not fit in int32/);
  });
});

describe('corrupt safetensors files', () => {
  const good = () => encodeSafetensors({
    a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
    b: { dtype: 'F32', shape: [3], data: new Float32Array([3, 4, 5]) },
  });
  const t = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

  it('rejects bad header lengths', () => {
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow(/the file is 5 bytes, too short to hold the 8-byte header length/);
    const huge = good();
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32 + n
    expect(() => decodeSafetensors(huge)).toThrow(/header length is \d+ bytes, over the 100000000-byte limit/);
    const long = good();
    new DataView(long.buffer).setUint32(0, long.length, true);
    expect(() => decodeSafetensors(long)).toThrow(/header length is \d+ bytes but the file holds only \d+ after the length \(truncated\?\)/);
    expect(() => decodeSafetensors(handFile('', []))).toThrow(/too short for a JSON object/);
  });

  it('rejects headers that are not valid UTF-8 JSON objects', () => {
    const bad = handFile('{"a":1}', []);
    bad[9] = 0xff;
    expect(() => decodeSafetensors(bad)).toThrow(/not valid UTF-8/);
    expect(() => decodeSafetensors(handFile('{"a":{"dtype":"F32",}}', []))).toThrow(/not valid JSON: expected a quoted key at character 20/);
    expect(() => decodeSafetensors(handFile('[1,2]', []))).toThrow(/must be a JSON object/);
    expect(() => decodeSafetensors(handFile('{} x', []))).toThrow(/unexpected text after the JSON object/);
    expect(() => decodeSafetensors(handFile(`{"a":${'['.repeat(100)}`, []))).toThrow(/nesting deeper than 64/);
    const dup = JSON.stringify({ a: t('F32', [1], [0, 4]) });
    expect(() => decodeSafetensors(handFile(`{"a":${dup.slice(5, -1)},"a":${dup.slice(5, -1)}}`, f32le(1, 2))))
      .toThrow(/duplicate key "a"/);
  });

  it('rejects bad entries, naming the tensor', () => {
    const file = (header: object, bytes: number) => handFile(JSON.stringify(header), new Array(bytes).fill(0));
    expect(() => decodeSafetensors(file({ w: t('F32', [3], [0, 8]) }, 8)))
      .toThrow(/tensor "w": dtype F32 × shape \[3\] is 12 bytes, but data_offsets \[0, 8\] span 8/);
    expect(() => decodeSafetensors(file({ w: t('C64', [1], [0, 8]) }, 8))).toThrow(/tensor "w": unsupported dtype "C64"/);
    expect(() => decodeSafetensors(file({ w: t('F32', [-1], [0, 4]) }, 4))).toThrow(/tensor "w": shape must hold non-negative integers/);
    expect(() => decodeSafetensors(file({ w: t('F32', [1], [4, 0]) }, 4))).toThrow(/end before they begin/);
    expect(() => decodeSafetensors(file({ w: t('F32', [1], [0, 2 ** 53]) }, 4))).toThrow(/data_offsets must hold non-negative integers below 2\^53/);
    expect(() => decodeSafetensors(file({ w: { dtype: 'F32', shape: [1] } }, 4))).toThrow(/tensor "w": missing "data_offsets"/);
    expect(() => decodeSafetensors(file({ __metadata__: { epoch: 3 } }, 0))).toThrow(/"__metadata__" "epoch": values must be strings, got number/);
  });

  it('rejects overlapping offsets, gaps, truncated data and trailing bytes', () => {
    const file = (header: object, bytes: number) => handFile(JSON.stringify(header), new Array(bytes).fill(0));
    expect(() => decodeSafetensors(file({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }, 12)))
      .toThrow(/tensor "b": data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/);
    expect(() => decodeSafetensors(file({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [0, 8]) }, 8)))
      .toThrow(/overlap tensor/);
    expect(() => decodeSafetensors(file({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, 12)))
      .toThrow(/bytes \[4, 8\) of the data buffer belong to no tensor \(a gap before "b"\)/);
    const cut = good();
    expect(() => decodeSafetensors(cut.subarray(0, cut.length - 4)))
      .toThrow(/tensor "b": data_offsets \[8, 20\] run past the end of the data buffer \(16 bytes\) — the file is truncated/);
    const extra = new Uint8Array(cut.length + 3);
    extra.set(cut);
    expect(() => decodeSafetensors(extra)).toThrow(/the data buffer has 23 bytes but the tensors cover only 20: 3 trailing bytes/);
  });
});

describe('checkpoints on the GPU', () => {
  let dir = '';
  beforeAll(async () => {
    await sg.init();
    dir = await mkdtemp(join(tmpdir(), 'sg-ckpt-'));
  });
  afterAll(async () => {
    sg.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const model = () => ({
    'fc.weight': sg.tensor(Float32Array.from({ length: 15 }, (_, i) => i * 0.5 - 3), [3, 5]),
    'fc.bias': sg.relu(sg.tensor(new Float32Array([-1, 2, -3]), [3])), // pending: realised by the save
    scale: sg.tensor(new Float32Array([0.75]), [1]),
    step: sg.tensor(new Int32Array([41, -7, 3, 0, 9, 2]), [2, 3], { dtype: 'i32' }),
    bias0: sg.tensor(2.5), // rank 0
  });

  it('saves and loads tensors and metadata; the file equals checkpointBytes', async () => {
    const tensors = model();
    const path = join(dir, 'model.safetensors');
    const metadata = { epoch: 3, lr: 1e-3, history: [{ loss: 0.5 }], name: 'mlp "v1"' };
    await saveCheckpoint(path, { tensors, metadata });
    expect(await readdir(dir)).toEqual(['model.safetensors']);

    const loaded = await loadCheckpoint(path);
    expect(loaded.metadata).toEqual(metadata);
    expect(loaded.fileMetadata).toEqual({ format: 'pt', shadergrad: JSON.stringify(metadata) });
    expect(Object.keys(loaded.tensors)).toEqual(['bias0', 'fc.bias', 'fc.weight', 'scale', 'step']);
    for (const [name, t] of Object.entries(tensors)) {
      const got = loaded.tensors[name];
      expect(got.shape).toEqual(t.shape);
      expect(got.dtype).toBe(t.dtype);
      expect(got.data).toEqual(await t.data());
    }
    expect(Array.from(loaded.tensors['fc.bias'].data)).toEqual([0, 2, 0]);

    const bytes = await checkpointBytes({ tensors, metadata });
    expect(bytesOf(new Uint8Array(await readFile(path)))).toEqual(bytesOf(bytes));
    expect(await loadCheckpoint(bytes)).toEqual(loaded);
    expect(await loadCheckpoint(bytes.slice().buffer)).toEqual(loaded);

    // Back onto the GPU.
    const again = checkpointTensors(loaded);
    expect(again.step.dtype).toBe('i32');
    expect(again['fc.weight'].name).toBe('fc.weight');
    expect(await again['fc.weight'].data()).toEqual(await tensors['fc.weight'].data());
    checkCompatible(tensors, loaded);
  });

  it('saves an empty checkpoint, and metadata defaults to {}', async () => {
    const path = join(dir, 'empty.safetensors');
    await saveCheckpoint(path, { tensors: {} });
    const loaded = await loadCheckpoint(path);
    expect(loaded.tensors).toEqual({});
    expect(loaded.metadata).toEqual({});
    await rm(path);
  });

  it('writes atomically: a failure midway leaves the old file intact and no temp file', async () => {
    const path = join(dir, 'atomic.safetensors');
    await saveCheckpoint(path, { tensors: model(), metadata: { epoch: 1 } });
    const before = await readFile(path);

    // "z" sorts after "a", so the header and "a" are written before reading "z" throws.
    const gone = sg.tensor(new Float32Array([1, 2]), [2], { name: 'gone' });
    gone.dispose();
    const a = sg.tensor(new Float32Array(4096).fill(7), [64, 64]);
    await expect(saveCheckpoint(path, { tensors: { a, z: gone }, metadata: { epoch: 2 } }))
      .rejects.toThrow(/saveCheckpoint: could not write ".*atomic\.safetensors" \(left unchanged\): .*tensor 'gone' \[2\] f32 was disposed/);
    expect((await readFile(path)).equals(before)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['atomic.safetensors', 'model.safetensors']);
    expect((await loadCheckpoint(path)).metadata).toEqual({ epoch: 1 });

    // No old file: nothing appears at all.
    const fresh = join(dir, 'fresh.safetensors');
    await expect(saveCheckpoint(fresh, { tensors: { a, z: gone } })).rejects.toThrow(/was disposed/);
    expect((await readdir(dir)).sort()).toEqual(['atomic.safetensors', 'model.safetensors']);

    // A directory that does not exist: a clear error, nothing written.
    await expect(saveCheckpoint(join(dir, 'no-such-dir', 'x.safetensors'), { tensors: { a } }))
      .rejects.toThrow(/could not write .*no-such-dir.* \(left unchanged\): ENOENT/);
    // A successful overwrite replaces the file whole.
    await saveCheckpoint(path, { tensors: { a }, metadata: { epoch: 2 } });
    expect((await loadCheckpoint(path)).metadata).toEqual({ epoch: 2 });
    expect((await readdir(dir)).sort()).toEqual(['atomic.safetensors', 'model.safetensors']);
  });

  it('rejects bad arguments and says what the file is when loading fails', async () => {
    await expect(saveCheckpoint('', { tensors: {} })).rejects.toThrow(/path must be a non-empty string/);
    await expect(saveCheckpoint(join(dir, 'x'), { tensors: { w: new Float32Array(2) as unknown as sg.Tensor } }))
      .rejects.toThrow(/tensors\["w"\] is not a Tensor/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(saveCheckpoint(join(dir, 'x'), { tensors: {}, metadata: cyclic })).rejects.toThrow(/metadata is not JSON-serialisable/);
    await expect(loadCheckpoint(join(dir, 'missing.safetensors'))).rejects.toThrow(/could not read ".*missing\.safetensors": ENOENT/);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'not a checkpoint at all');
    await expect(loadCheckpoint(junk)).rejects.toThrow(/"[^"]*junk\.safetensors" is not a valid safetensors file: safetensors: the header length is \d+ bytes, over/);
    await rm(junk);
    const badMeta = encodeSafetensors({}, { shadergrad: '{oops' });
    await expect(loadCheckpoint(badMeta)).rejects.toThrow(/the "shadergrad" metadata of the bytes is not valid JSON/);
    // A file from another framework (no shadergrad metadata) loads with metadata {}.
    expect((await loadCheckpoint(encodeSafetensors({}, { format: 'pt' }))).metadata).toEqual({});
  });

  it('the page-only functions say what they need', async () => {
    expect(() => downloadCheckpoint(new Uint8Array(8), 'm.safetensors')).toThrow(/downloadCheckpoint needs a page/);
    await expect(saveToOPFS(new Uint8Array(8), 'm.safetensors')).rejects.toThrow(/origin private file system is not available here/);
    await expect(loadFromOPFS('m.safetensors')).rejects.toThrow(/origin private file system is not available here/);
    await expect(saveToOPFS(new Uint8Array(8), 'a/b')).rejects.toThrow(/"a\/b" is not a valid file name/);
  });
});

describe('checkCompatible', () => {
  it('lists every mismatch in one error', () => {
    const expected = {
      'fc.weight': { shape: [10, 20], dtype: 'f32' },
      'fc.bias': { shape: [10], dtype: 'f32' },
      'bn.mean': { shape: [4], dtype: 'f32' },
      'bn.count': { shape: [], dtype: 'i32' },
      'conv.weight': { shape: [8, 3, 3, 3], dtype: 'f32' },
    };
    const loaded = {
      tensors: {
        'fc.weight': { shape: [10, 21], dtype: 'f32' },
        'fc.bias': { shape: [10], dtype: 'F32' },
        'bn.count': { shape: [], dtype: 'f32' },
        'conv.weight': { shape: [8, 3, 3], dtype: 'i32' },
        extra: { shape: [1], dtype: 'f32' },
      },
    };
    let message = '';
    try {
      checkCompatible(expected, loaded);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe([
      'shadergrad: checkpoint does not fit (6 problems):',
      '  missing: "bn.mean"',
      '  unexpected: "extra"',
      '  shape of "fc.weight": expected [10, 20] got [10, 21]',
      '  dtype of "bn.count": expected i32 got f32',
      '  shape of "conv.weight": expected [8, 3, 3, 3] got [8, 3, 3]',
      '  dtype of "conv.weight": expected f32 got i32',
    ].join('\n'));
    // The tensors record itself works too, and a tensor named "tensors" is not mistaken for the wrapper.
    expect(() => checkCompatible({ tensors: { shape: [1], dtype: 'f32' } }, { tensors: { shape: [1], dtype: 'f32' } })).not.toThrow();
    expect(() => checkCompatible(expected, loaded.tensors)).toThrow(/6 problems/);
    expect(() => checkCompatible(expected, { tensors: expected })).not.toThrow();
  });
});
