// The safetensors file format (huggingface/safetensors), written and read as plain bytes.
//
//   bytes 0 .. 8        N, the length of the header: an unsigned 64-bit little-endian integer
//   bytes 8 .. 8+N      the header: UTF-8 JSON, padded with spaces so that N is a multiple of 8
//                         {"__metadata__": {"key": "value", ...},               (optional, strings only)
//                          "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//   bytes 8+N ..        the data buffer: every tensor's values back to back, row-major, little-endian;
//                       data_offsets count bytes from the start of this buffer, end exclusive.
//
// Writing follows the reference implementation byte for byte: tensors ordered by descending dtype
// (the order of its Dtype enum: ... I32 < U32 < F32 < F64 ...) then by name, compact JSON with
// "__metadata__" first, then each tensor as {"dtype", "shape", "data_offsets"}; metadata keys are sorted
// (the reference writes a hash map, so its key order is unspecified).
//
// Reading is strict, because a file may come from anywhere: the header length must fit the file and the
// 100 MB limit, the header must be valid UTF-8 JSON without duplicate keys, every size must be a
// non-negative integer, each tensor's byte range must equal its dtype size × element count, and the
// ranges must tile the data buffer exactly — no overlaps, no gaps, nothing past the end, no trailing bytes.
// F32 and I32 are read as they are; other dtypes are converted (F64, F16, BF16, F8 → F32; I64, U64, U32,
// I16, U16, I8, U8, BOOL → I32), refusing values that do not fit, and each decoded tensor keeps its
// file dtype in `sourceDtype` so a caller can tell a conversion happened.
// Writing I64 takes i32 values and sign-extends them: PyTorch keeps integer tensors as int64
// (batch norm's num_batches_tracked), so a file meant for it writes shadergrad's i32 tensors as I64.
// Writing I8 takes values in −128..127 (an Int8Array, or an Int32Array checked value by value), one byte
// each: the int8 weights of a quantised model (sg.quantize). Read back, I8 becomes I32 as above.

import { raise } from '../util/errors.js';

/** The dtypes of shadergrad's tensors (f32 and i32), as decoding returns them. */
export type SafetensorsDType = 'F32' | 'I32';
/** The dtypes shadergrad writes: F32 and I32, I64 from i32 values (sign-extended), I8 (one byte a value). */
export type SafetensorsWriteDType = SafetensorsDType | 'I64' | 'I8';

/** Every dtype of the reference implementation, in the order of its Dtype enum (used to order tensors). */
const FILE_DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
] as const;
export type FileDType = (typeof FILE_DTYPES)[number];

const ITEM_BYTES: Record<FileDType, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The reference implementation refuses headers larger than this (a guard against hostile files). */
export const MAX_HEADER_BYTES = 100_000_000;

/** A tensor to write: row-major values whose count matches the shape. */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A tensor to write, possibly as I64 (its values in an Int32Array, widened on write) or I8 (Int8Array or Int32Array). */
export interface SafetensorsWriteTensor {
  dtype: SafetensorsWriteDType;
  shape: number[];
  data: Float32Array | Int32Array | Int8Array;
}

/** A tensor read back; `sourceDtype` is the dtype in the file (differs from `dtype` after a conversion). */
export interface DecodedTensor extends SafetensorsTensor {
  sourceDtype: FileDType;
}

export interface DecodedSafetensors {
  /** Tensors in file order (by data offset). */
  tensors: Record<string, DecodedTensor>;
  /** The `__metadata__` map; empty when the file has none. */
  metadata: Record<string, string>;
}

/** Where one tensor lies in the data buffer (offsets relative to the buffer, end exclusive). */
export interface TensorLayout {
  name: string;
  dtype: SafetensorsWriteDType;
  shape: number[];
  begin: number;
  end: number;
}

/** The header of a file about to be written, and where each tensor's bytes go. */
export interface SafetensorsPlan {
  /** The 8-byte length followed by the padded JSON header: the first `header.length` bytes of the file. */
  header: Uint8Array;
  /** Tensors in the order their bytes follow the header. */
  layout: TensorLayout[];
  /** Bytes of the data buffer. */
  dataBytes: number;
  /** Bytes of the whole file. */
  totalBytes: number;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();

function fail(message: string): never {
  return raise('safetensors', message);
}

function quote(name: string): string {
  return JSON.stringify(name);
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------

/** True for strings that UTF-8 can encode (no unpaired surrogate halves). */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Byte order of the UTF-8 encodings, which is how the reference (Rust strings) orders names. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function checkShape(what: string, shape: unknown): number {
  if (!Array.isArray(shape)) fail(`${what}: shape must be an array of sizes, got ${String(shape)}`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(`${what}: shape ${JSON.stringify(shape)} has a size that is not a non-negative integer (${String(d)})`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) fail(`${what}: shape ${fmt(shape)} has too many elements`);
  return n;
}

/**
 * Lay out a file: validate names, dtypes, shapes and metadata, order the tensors as the reference
 * implementation does and build the header bytes. Tensor values are not needed (see `encodeSafetensors`,
 * or write `header` then each tensor's bytes in `layout` order to stream a large file).
 * `metadata` undefined leaves `__metadata__` out; `{}` writes an empty one (as the reference does).
 */
export function planSafetensors(
  tensors: Record<string, { dtype: SafetensorsWriteDType; shape: number[] }>,
  metadata?: Record<string, string>,
): SafetensorsPlan {
  if (typeof tensors !== 'object' || tensors === null) fail(`expected a record of tensors, got ${String(tensors)}`);
  const entries: { name: string; dtype: SafetensorsWriteDType; shape: number[]; bytes: number }[] = [];
  for (const name of Object.keys(tensors)) {
    const what = `tensor ${quote(name)}`;
    if (name === '__metadata__') fail(`${what}: the name "__metadata__" is reserved for the metadata map`);
    if (!wellFormed(name)) fail(`${what}: the name is not valid Unicode (an unpaired surrogate)`);
    const t = tensors[name];
    if (typeof t !== 'object' || t === null) fail(`${what}: expected {dtype, shape, data}, got ${String(t)}`);
    if (t.dtype !== 'F32' && t.dtype !== 'I32' && t.dtype !== 'I64' && t.dtype !== 'I8') {
      fail(`${what}: dtype must be 'F32', 'I32' or 'I64', got ${String(t.dtype)} (or 'I8': one signed byte a value)`);
    }
    const n = checkShape(what, t.shape);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], bytes: n * ITEM_BYTES[t.dtype] });
  }
  let meta: [string, string][] | undefined;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) fail(`metadata must be a record of strings, got ${String(metadata)}`);
    meta = Object.keys(metadata).sort(compareUtf8).map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') fail(`metadata ${quote(k)}: values must be strings (use JSON.stringify), got ${typeof v}`);
      if (!wellFormed(k) || !wellFormed(v)) fail(`metadata ${quote(k)}: not valid Unicode (an unpaired surrogate)`);
      return [k, v];
    });
  }

  // Descending dtype rank, then name: the reference's order (largest alignment first).
  const rank = (d: FileDType) => FILE_DTYPES.indexOf(d);
  entries.sort((a, b) => rank(b.dtype) - rank(a.dtype) || compareUtf8(a.name, b.name));

  const layout: TensorLayout[] = [];
  const parts: string[] = [];
  if (meta) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${quote(k)}:${quote(v)}`).join(',')}}`);
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.bytes;
    if (!Number.isSafeInteger(end)) fail('the tensors are too large for one file');
    layout.push({ name: e.name, dtype: e.dtype, shape: e.shape, begin: offset, end });
    parts.push(`${quote(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  if (n > MAX_HEADER_BYTES) fail(`the header would be ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers accept`);

  const header = new Uint8Array(8 + n);
  const view = new DataView(header.buffer);
  view.setUint32(0, n, true); // n < 2^32, so the high half of the u64 stays 0
  header.set(json, 8);
  header.fill(0x20, 8 + json.length); // spaces
  return { header, layout, dataBytes: offset, totalBytes: header.length + offset };
}

/**
 * The little-endian bytes of a tensor's values (a view when the host is little-endian). With dtype
 * 'I64', i32 values are sign-extended to 8 bytes each; with 'I8', each value (−128..127) is one byte.
 */
export function tensorBytes(data: Float32Array | Int32Array | Int8Array, dtype?: SafetensorsWriteDType): Uint8Array {
  if (dtype === 'I8' || data instanceof Int8Array) {
    if (data instanceof Int8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!(data instanceof Int32Array)) fail(`I8 values must come in an Int8Array or an Int32Array, got ${data.constructor.name}`);
    const out = new Uint8Array(data.length);
    data.forEach((v, i) => {
      if (v < -128 || v > 127) fail(`I8 value ${v} at index ${i} does not fit in a signed byte (−128..127)`);
      out[i] = v & 0xff;
    });
    return out;
  }
  if (dtype === 'I64') {
    if (!(data instanceof Int32Array)) fail(`I64 values must come in an Int32Array, got ${data.constructor.name}`);
    const out = new Uint8Array(8 * data.length);
    const view = new DataView(out.buffer);
    data.forEach((v, i) => {
      view.setInt32(8 * i, v, true);
      view.setInt32(8 * i + 4, v < 0 ? -1 : 0, true);
    });
    return out;
  }
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  else data.forEach((v, i) => view.setInt32(4 * i, v, true));
  return out;
}

/** Check that a tensor's values fit its layout entry (right array type, right count). */
export function checkTensorData(entry: TensorLayout, data: unknown): Float32Array | Int32Array | Int8Array {
  const what = `tensor ${quote(entry.name)}`;
  const want = entry.dtype === 'F32' ? Float32Array : Int32Array; // I64 too: i32 values, widened on write
  if (entry.dtype === 'I8' && data instanceof Int8Array) {
    if (data.length !== entry.end - entry.begin) fail(`${what}: ${data.length} values do not fill shape ${fmt(entry.shape)} (needs ${entry.end - entry.begin})`);
    return data;
  }
  if (!(data instanceof want)) {
    const got = data === null || typeof data !== 'object' ? typeof data : (data as object).constructor?.name ?? 'object';
    fail(`${what}: dtype ${entry.dtype} needs its data in a ${want.name}, got ${got}`);
  }
  const n = (entry.end - entry.begin) / ITEM_BYTES[entry.dtype];
  if (data.length !== n) fail(`${what}: ${data.length} values do not fill shape ${fmt(entry.shape)} (needs ${n})`);
  return data;
}

/** Encode tensors (and optional string metadata) as a complete safetensors file. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsWriteTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const plan = planSafetensors(tensors, metadata);
  const out = new Uint8Array(plan.totalBytes);
  out.set(plan.header, 0);
  for (const entry of plan.layout) {
    const data = checkTensorData(entry, tensors[entry.name].data);
    out.set(tensorBytes(data, entry.dtype), plan.header.length + entry.begin);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Reading: a small strict JSON parser (JSON.parse silently keeps the last of duplicate keys, and the
// format forbids duplicates), then validation of every entry.
// ---------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | Map<string, Json>;

const MAX_DEPTH = 64;

class HeaderParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): Json {
    const v = this.value(0);
    this.space();
    if (this.i < this.s.length) this.error('unexpected text after the JSON object');
    return v;
  }

  private error(what: string): never {
    fail(`the header is not valid JSON: ${what} at character ${this.i}`);
  }

  private space(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  private value(depth: number): Json {
    if (depth > MAX_DEPTH) this.error(`nesting deeper than ${MAX_DEPTH}`);
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.error(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
  }

  private object(depth: number): Map<string, Json> {
    const out = new Map<string, Json>();
    this.i++; // {
    this.space();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') this.error('expected a quoted key');
      const key = this.string();
      if (out.has(key)) this.error(`duplicate key ${quote(key)}`);
      this.space();
      if (this.s[this.i] !== ':') this.error("expected ':'");
      this.i++;
      out.set(key, this.value(depth + 1));
      this.space();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.error("expected ',' or '}'");
    }
  }

  private array(depth: number): Json[] {
    const out: Json[] = [];
    this.i++; // [
    this.space();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.space();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.error("expected ',' or ']'");
    }
  }

  private string(): string {
    this.i++; // opening quote
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.error('unterminated string');
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < ' ') this.error('control character in a string');
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.i += 2;
      } else if (e === 'u') {
        const unit = this.hex4(this.i + 2);
        this.i += 6;
        if (unit >= 0xd800 && unit <= 0xdbff && this.s.startsWith('\\u', this.i)) {
          const low = this.hex4(this.i + 2);
          if (low < 0xdc00 || low > 0xdfff) this.error('unpaired surrogate in a \\u escape');
          this.i += 6;
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xd800 && unit <= 0xdfff) {
          this.error('unpaired surrogate in a \\u escape');
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        this.error('bad escape in a string');
      }
    }
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) this.error('bad \\u escape');
    return parseInt(h, 16);
  }

  private number(): number {
    const re = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) this.error('bad number');
    this.i += m[0].length;
    return Number(m[0]);
  }
}

function sizeOf(what: string, v: Json | undefined, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(`${what}: ${field} must hold non-negative integers below 2^53, got ${JSON.stringify(v instanceof Map ? Object.fromEntries(v) : v)}`);
  }
  return v;
}

interface HeaderEntry {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

function headerEntry(name: string, v: Json): HeaderEntry {
  const what = `tensor ${quote(name)}`;
  if (!(v instanceof Map)) fail(`${what}: expected an object {dtype, shape, data_offsets}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) if (!v.has(field)) fail(`${what}: missing "${field}"`);
  const dtype = v.get('dtype');
  if (typeof dtype !== 'string') fail(`${what}: dtype must be a string`);
  if (!(FILE_DTYPES as readonly string[]).includes(dtype)) {
    fail(`${what}: unsupported dtype ${quote(dtype)} (shadergrad reads ${FILE_DTYPES.join(', ')})`);
  }
  const shapeJson = v.get('shape');
  if (!Array.isArray(shapeJson)) fail(`${what}: shape must be an array`);
  const shape = shapeJson.map((d) => sizeOf(what, d, 'shape'));
  const offsets = v.get('data_offsets');
  if (!Array.isArray(offsets) || offsets.length !== 2) fail(`${what}: data_offsets must be [begin, end]`);
  const [begin, end] = offsets.map((o) => sizeOf(what, o, 'data_offsets'));
  if (end < begin) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  let count = 1;
  for (const d of shape) count *= d;
  const bytes = count * ITEM_BYTES[dtype as FileDType];
  if (!Number.isSafeInteger(bytes)) fail(`${what}: shape ${fmt(shape)} is too large`);
  if (bytes !== end - begin) {
    fail(`${what}: dtype ${dtype} × shape ${fmt(shape)} is ${bytes} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as FileDType, shape, begin, end };
}

/** Check that the entries tile the data buffer [0, bufferBytes) exactly; returns them in file order. */
function checkCoverage(entries: HeaderEntry[], bufferBytes: number): HeaderEntry[] {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (const e of sorted) {
    if (e.end > bufferBytes) {
      fail(`tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] run past the end of the data buffer ` +
        `(${bufferBytes} bytes) — the file is truncated or the header is wrong`);
    }
  }
  let covered = 0;
  let prev: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      fail(`tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap tensor ${quote(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data buffer belong to no tensor (a gap before ${quote(e.name)})`);
    covered = e.end;
    prev = e;
  }
  if (covered !== bufferBytes) {
    fail(`the data buffer has ${bufferBytes} bytes but the tensors cover only ${covered}: ${bufferBytes - covered} trailing bytes`);
  }
  return sorted;
}

const F32_MAX = 3.4028234663852886e38;

/** A fresh, exactly sized ArrayBuffer with a copy of the bytes (Node Buffers' slice() would share memory). */
function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out.buffer;
}

/** float16 bits → number (exact). */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float8 e4m3fn bits → number (exact): bias 7, no infinities, S.1111.111 is NaN. */
function e4m3(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exp = (bits >> 3) & 0xf;
  const frac = bits & 0x7;
  if (exp === 0) return sign * frac * 2 ** -9;
  if (exp === 0xf && frac === 0x7) return NaN;
  return sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** Decode one tensor's bytes to shadergrad's F32 / I32, refusing values that do not fit. */
function convert(e: HeaderEntry, bytes: Uint8Array): DecodedTensor {
  const what = `tensor ${quote(e.name)}`;
  const count = bytes.length / ITEM_BYTES[e.dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const asFloat = (get: (i: number) => number): DecodedTensor => {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = get(i);
    return { dtype: 'F32', shape: e.shape, data, sourceDtype: e.dtype };
  };
  const asInt = (get: (i: number) => number): DecodedTensor => {
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) data[i] = get(i);
    return { dtype: 'I32', shape: e.shape, data, sourceDtype: e.dtype };
  };
  const tooBig = (i: number, value: string, target: string): never =>
    fail(`${what}: ${e.dtype} value ${value} at index ${i} does not fit in ${target}`);

  switch (e.dtype) {
    case 'F32':
      if (HOST_LITTLE_ENDIAN) return { dtype: 'F32', shape: e.shape, data: new Float32Array(copyBuffer(bytes)), sourceDtype: 'F32' };
      return asFloat((i) => view.getFloat32(4 * i, true));
    case 'I32':
      if (HOST_LITTLE_ENDIAN) return { dtype: 'I32', shape: e.shape, data: new Int32Array(copyBuffer(bytes)), sourceDtype: 'I32' };
      return asInt((i) => view.getInt32(4 * i, true));
    case 'F64':
      return asFloat((i) => {
        const v = view.getFloat64(8 * i, true);
        if (Number.isFinite(v) && Math.abs(v) > F32_MAX && !Number.isFinite(Math.fround(v))) tooBig(i, String(v), 'float32');
        return v;
      });
    case 'F16':
      return asFloat((i) => half(view.getUint16(2 * i, true)));
    case 'BF16': {
      // bfloat16 is the top half of a float32: put its 16 bits above 16 zero bits.
      const bits = new Uint32Array(1);
      const asF32 = new Float32Array(bits.buffer);
      return asFloat((i) => {
        bits[0] = view.getUint16(2 * i, true) << 16;
        return asF32[0];
      });
    }
    case 'F8_E5M2':
      return asFloat((i) => half(bytes[i] << 8)); // e5m2 is the top byte of a float16
    case 'F8_E4M3':
      return asFloat((i) => e4m3(bytes[i]));
    case 'I64':
      return asInt((i) => {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi !== (lo < 0 ? -1 : 0)) tooBig(i, String(view.getBigInt64(8 * i, true)), 'int32');
        return lo;
      });
    case 'U64':
      return asInt((i) => {
        const lo = view.getUint32(8 * i, true);
        if (view.getUint32(8 * i + 4, true) !== 0 || lo > 0x7fffffff) tooBig(i, String(view.getBigUint64(8 * i, true)), 'int32');
        return lo;
      });
    case 'U32':
      return asInt((i) => {
        const v = view.getUint32(4 * i, true);
        if (v > 0x7fffffff) tooBig(i, String(v), 'int32');
        return v;
      });
    case 'I16':
      return asInt((i) => view.getInt16(2 * i, true));
    case 'U16':
      return asInt((i) => view.getUint16(2 * i, true));
    case 'I8':
      return asInt((i) => view.getInt8(i));
    case 'U8':
      return asInt((i) => bytes[i]);
    case 'BOOL':
      return asInt((i) => (bytes[i] !== 0 ? 1 : 0));
  }
}

/** Decode and validate a complete safetensors file. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) fail(`expected the file's bytes in a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const n = high * 2 ** 32 + low;
  if (n > MAX_HEADER_BYTES) {
    fail(`the header length is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit (is this a safetensors file?)`);
  }
  if (8 + n > bytes.length) fail(`the header length is ${n} bytes but the file holds only ${bytes.length - 8} after the length (truncated?)`);
  if (n < 2) fail(`the header length is ${n} bytes, too short for a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  const root = new HeaderParser(text).parseDocument();
  if (!(root instanceof Map)) fail('the header must be a JSON object');

  const metadata: Record<string, string> = Object.create(null);
  const entries: HeaderEntry[] = [];
  for (const [key, v] of root) {
    if (key === '__metadata__') {
      if (!(v instanceof Map)) fail('"__metadata__" must be an object of strings');
      for (const [k, s] of v) {
        if (typeof s !== 'string') fail(`"__metadata__" ${quote(k)}: values must be strings, got ${s === null ? 'null' : Array.isArray(s) ? 'an array' : typeof s}`);
        metadata[k] = s;
      }
    } else {
      entries.push(headerEntry(key, v));
    }
  }

  const start = 8 + n;
  const ordered = checkCoverage(entries, bytes.length - start);
  const tensors: Record<string, DecodedTensor> = Object.create(null);
  for (const e of ordered) tensors[e.name] = convert(e, bytes.subarray(start + e.begin, start + e.end));
  return { tensors, metadata };
}
