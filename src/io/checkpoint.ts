// Checkpoints: named tensors plus JSON metadata in one safetensors file (see safetensors.ts), so other
// frameworks can read them (shadergrad uses PyTorch layouts: NCHW, weights [out, in]).
//
//   Node      saveCheckpoint(path, {tensors, metadata})   atomic: temp file, fsync, rename, fsync dir
//             loadCheckpoint(path | bytes)                 → {tensors, metadata, fileMetadata}
//   page      checkpointBytes({tensors, metadata})         → Uint8Array (the same bytes saveCheckpoint writes)
//             downloadCheckpoint(bytes, filename)          the browser's download prompt
//             saveToOPFS(bytes, name) / loadFromOPFS(name) the origin private file system
//   both      checkCompatible(expected, loaded)            one error listing every mismatch
//
// The file's "__metadata__" holds {"format": "pt", "shadergrad": JSON.stringify(metadata)}.
// Node modules are imported dynamically through variables, so a bundler can build this module for a page.

import { read, tensor, Tensor } from '../tensor/tensor.js';
import type { DType } from '../util/shape.js';
import {
  decodeSafetensors, encodeSafetensors, planSafetensors, checkTensorData, tensorBytes,
  type FileDType, type SafetensorsWriteDType, type SafetensorsWriteTensor,
} from './safetensors.js';
import { sgError, ShadergradError } from '../util/errors.js';

/** What a checkpoint stores: named tensors and JSON-serialisable metadata (epoch, optimizer hyper-parameters, ...). */
export interface Checkpoint {
  tensors: Record<string, Tensor>;
  metadata?: Record<string, unknown>;
  /** Write i32 tensors as I64, PyTorch's integer dtype (sg.save does; loading converts back to i32). */
  int64?: boolean;
}

/** A tensor read from a checkpoint (host values; `sg.tensor(data, shape, {dtype})` puts it on the GPU). */
export interface LoadedTensor {
  shape: number[];
  dtype: DType;
  data: Float32Array | Int32Array;
  /** The dtype in the file: differs from `dtype` when the file held e.g. F64 or I64 and was converted. */
  sourceDtype: FileDType;
}

export interface LoadedCheckpoint {
  tensors: Record<string, LoadedTensor>;
  /** The JSON metadata saved with the checkpoint (`{}` for files not written by shadergrad). */
  metadata: Record<string, unknown>;
  /** The file's raw "__metadata__" string map. */
  fileMetadata: Record<string, string>;
}

/** The key of "__metadata__" that holds shadergrad's JSON metadata. */
export const METADATA_KEY = 'shadergrad';

/** Host memory read back from the GPU at a time while streaming a checkpoint to disk. */
const READ_BATCH_BYTES = 64 << 20;

const FILE_DTYPE: Record<DType, SafetensorsWriteDType> = { f32: 'F32', i32: 'I32' };
const fileDtype = (t: Tensor, int64?: boolean): SafetensorsWriteDType => (int64 && t.dtype === 'i32' ? 'I64' : FILE_DTYPE[t.dtype]);

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

function randomSuffix(): string {
  const b = new Uint8Array(6);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function checkTensors(where: string, tensors: Record<string, Tensor>): [string, Tensor][] {
  if (typeof tensors !== 'object' || tensors === null) throw sgError(`${where}: tensors must be a record of named tensors`);
  return Object.keys(tensors).map((name) => {
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw sgError(`${where}: tensors[${JSON.stringify(name)}] is not a Tensor (got ${t === null ? 'null' : typeof t})`);
    return [name, t];
  });
}

/** The "__metadata__" strings for a checkpoint's JSON metadata. */
export function checkpointMetadata(where: string, metadata: Record<string, unknown> | undefined): Record<string, string> {
  const meta = metadata ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw sgError(`${where}: metadata must be a plain object, got ${Array.isArray(meta) ? 'an array' : typeof meta}`);
  }
  let json: string;
  try {
    json = JSON.stringify(meta);
  } catch (e) {
    throw sgError(`${where}: metadata is not JSON-serialisable: ${(e as Error).message}`);
  }
  return { format: 'pt', [METADATA_KEY]: json };
}

/** Encode a checkpoint as safetensors bytes (one GPU read-back for all tensors). Works in a page and in Node. */
export async function checkpointBytes(checkpoint: Checkpoint): Promise<Uint8Array> {
  const entries = checkTensors('checkpointBytes', checkpoint.tensors);
  const meta = checkpointMetadata('checkpointBytes', checkpoint.metadata);
  const values = entries.length ? await read(...entries.map(([, t]) => t)) : [];
  const tensors: Record<string, SafetensorsWriteTensor> = {};
  entries.forEach(([name, t], i) => {
    tensors[name] = { dtype: fileDtype(t, checkpoint.int64), shape: t.shape, data: values[i] };
  });
  return encodeSafetensors(tensors, meta);
}

type NodeFs = typeof import('node:fs/promises');
type NodePath = typeof import('node:path');

async function nodeModules(where: string): Promise<{ fs: NodeFs; path: NodePath }> {
  if (!isNode()) {
    throw sgError(`${where} reads and writes files in Node; in a page use checkpointBytes() with ` +
      'downloadCheckpoint() or saveToOPFS(), and loadCheckpoint(bytes)');
  }
  const fsName = 'node:fs/promises'; // variables, so bundlers for the page never try to resolve them
  const pathName = 'node:path';
  const fs: NodeFs = await import(/* @vite-ignore */ fsName);
  const path: NodePath = await import(/* @vite-ignore */ pathName);
  return { fs, path };
}

/**
 * Write a checkpoint to `path` atomically (Node). The file is written as `<path>.tmp-<pid>-<random>`
 * in the same directory, flushed to disk, then renamed over `path`, and the directory is flushed (where
 * the system allows). If anything fails — a tensor cannot be read, the disk is full — the temp file is
 * removed and whatever was at `path` before is left untouched. Tensors are read back from the GPU in
 * batches of at most 64 MB and streamed to the file. Temp files of earlier writes that were killed
 * (their process is gone) are removed from the directory first.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const where = 'saveCheckpoint';
  if (typeof path !== 'string' || path.length === 0) throw sgError(`${where}: path must be a non-empty string`);
  if (typeof checkpoint !== 'object' || checkpoint === null) throw sgError(`${where}: expected {tensors, metadata}`);
  const entries = checkTensors(where, checkpoint.tensors);
  const meta = checkpointMetadata(where, checkpoint.metadata);
  const byName = new Map(entries);
  const plan = planSafetensors(
    Object.fromEntries(entries.map(([name, t]) => [name, { dtype: fileDtype(t, checkpoint.int64), shape: t.shape }])),
    meta,
  );
  const { fs, path: pathLib } = await nodeModules(where);
  await removeOrphanedTemps(fs, pathLib, path);

  const tmp = `${path}.tmp-${process.pid}-${randomSuffix()}`;
  writing.add(pathLib.resolve(tmp));
  let file: Awaited<ReturnType<NodeFs['open']>> | undefined;
  try {
    file = await fs.open(tmp, 'wx');
    await file.write(plan.header);
    // Stream the data buffer in file order, reading the GPU in batches.
    for (let i = 0; i < plan.layout.length;) {
      const batch = [plan.layout[i++]];
      let bytes = batch[0].end - batch[0].begin;
      while (i < plan.layout.length && bytes + (plan.layout[i].end - plan.layout[i].begin) <= READ_BATCH_BYTES) {
        bytes += plan.layout[i].end - plan.layout[i].begin;
        batch.push(plan.layout[i++]);
      }
      const values = await read(...batch.map((e) => byName.get(e.name)!));
      for (let k = 0; k < batch.length; k++) await file.write(tensorBytes(checkTensorData(batch[k], values[k]), batch[k].dtype));
    }
    await file.sync();
    await file.close();
    file = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    if (file) await file.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw sgError(`${where}: could not write ${JSON.stringify(path)} (left unchanged): ${(e as Error).message}`, ShadergradError, { cause: e });
  } finally {
    writing.delete(pathLib.resolve(tmp));
  }
  // Make the rename itself durable. Best effort: some systems (Windows) cannot open a directory.
  try {
    const dir = await fs.open(pathLib.dirname(pathLib.resolve(path)), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // the file is complete and in place; only the directory entry's durability is left to the system
  }
}

/** Temp files this process is writing now (absolute paths): never orphans. */
const writing = new Set<string>();

/** `<name>.tmp-<pid>-<12 hex>`: the temp files saveCheckpoint writes. */
const TEMP_NAME = /^.+\.tmp-(\d+)-[0-9a-f]{12}$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/**
 * Remove temp files left in the target's directory by writes that were killed (the process died
 * between creating the temp file and the rename). A temp file is an orphan when the process that
 * wrote it is gone, or when it carries this process's id but this process is not writing it (a
 * killed run whose id was reused, as in a container). Best effort: a file that cannot be removed is
 * left for the next save.
 */
async function removeOrphanedTemps(fs: NodeFs, pathLib: NodePath, target: string): Promise<void> {
  const dir = pathLib.dirname(pathLib.resolve(target));
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return; // the directory is missing: the write below reports it
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const full = pathLib.join(dir, name);
    const pid = Number(m[1]);
    const orphan = pid === process.pid ? !writing.has(full) : !processAlive(pid);
    if (orphan) await fs.rm(full, { force: true }).catch(() => undefined);
  }
}

/** Read a checkpoint from a file (Node) or from its bytes (anywhere). */
export async function loadCheckpoint(source: string | Uint8Array | ArrayBuffer): Promise<LoadedCheckpoint> {
  const where = 'loadCheckpoint';
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    const { fs } = await nodeModules(where);
    try {
      const file = await fs.readFile(source);
      bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    } catch (e) {
      throw sgError(`${where}: could not read ${JSON.stringify(source)}: ${(e as Error).message}`, ShadergradError, { cause: e });
    }
  } else if (source instanceof Uint8Array) {
    bytes = source;
  } else if (source instanceof ArrayBuffer) {
    bytes = new Uint8Array(source);
  } else {
    throw sgError(`${where}: expected a path, a Uint8Array or an ArrayBuffer, got ${source === null ? 'null' : typeof source}`);
  }
  const what = typeof source === 'string' ? JSON.stringify(source) : 'the bytes';
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (e) {
    throw sgError(`${where}: ${what} ${typeof source === 'string' ? 'is' : 'are'} not a valid safetensors file: ${(e as Error).message.replace(/^shadergrad: /, '')}`, ShadergradError, { cause: e });
  }
  const tensors: Record<string, LoadedTensor> = Object.create(null);
  for (const name of Object.keys(decoded.tensors)) {
    const t = decoded.tensors[name];
    tensors[name] = { shape: t.shape, dtype: t.dtype === 'F32' ? 'f32' : 'i32', data: t.data, sourceDtype: t.sourceDtype };
  }
  let metadata: Record<string, unknown> = {};
  const json = decoded.metadata[METADATA_KEY];
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw sgError(`${where}: the "${METADATA_KEY}" metadata of ${what} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw sgError(`${where}: the "${METADATA_KEY}" metadata of ${what} is not a JSON object`);
    }
    metadata = parsed as Record<string, unknown>;
  }
  return { tensors, metadata, fileMetadata: decoded.metadata };
}

/** Put loaded tensors on the GPU, each named after its key. */
export function checkpointTensors(loaded: LoadedCheckpoint): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(loaded.tensors)) {
    const t = loaded.tensors[name];
    out[name] = tensor(t.data, t.shape, { dtype: t.dtype, name });
  }
  return out;
}

/** Shape and dtype of a tensor: a Tensor, a LoadedTensor or a plain description. */
export interface TensorSpec {
  shape: readonly number[];
  dtype: string;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Check that a loaded checkpoint fits what a model expects. Throws one error listing every problem:
 * missing names, unexpected names, shape mismatches and dtype mismatches (dtypes compare without case,
 * so 'f32' matches 'F32'). `loaded` is a LoadedCheckpoint or its `tensors` record.
 */
export function checkCompatible(
  expected: Record<string, TensorSpec>,
  loaded: { tensors: Record<string, TensorSpec> } | Record<string, TensorSpec>,
): void {
  const inner = (loaded as { tensors?: unknown }).tensors;
  const isCheckpoint = typeof inner === 'object' && inner !== null && !('shape' in inner);
  const got = (isCheckpoint ? inner : loaded) as Record<string, TensorSpec>;
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const q = (s: string) => JSON.stringify(s);

  const missing = Object.keys(expected).filter((k) => !has(got, k));
  const unexpected = Object.keys(got).filter((k) => !has(expected, k));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing: ${missing.map(q).join(', ')}`);
  if (unexpected.length) problems.push(`unexpected: ${unexpected.map(q).join(', ')}`);
  for (const name of Object.keys(expected)) {
    if (!has(got, name)) continue;
    const e = expected[name];
    const g = got[name];
    const same = e.shape.length === g.shape.length && e.shape.every((d, i) => d === g.shape[i]);
    if (!same) problems.push(`shape of ${q(name)}: expected ${fmtShape(e.shape)} got ${fmtShape(g.shape)}`);
    if (String(e.dtype).toLowerCase() !== String(g.dtype).toLowerCase()) {
      problems.push(`dtype of ${q(name)}: expected ${String(e.dtype).toLowerCase()} got ${String(g.dtype).toLowerCase()}`);
    }
  }
  if (problems.length) {
    throw sgError(`checkpoint does not fit (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// In a page
// ---------------------------------------------------------------------------------------------------

/** Offer the bytes as a file download (a page with a document). */
export function downloadCheckpoint(bytes: Uint8Array, filename = 'checkpoint.safetensors'): void {
  const where = 'downloadCheckpoint';
  if (typeof document === 'undefined' || typeof Blob === 'undefined' || typeof URL?.createObjectURL !== 'function') {
    throw sgError(`${where} needs a page (document, Blob and URL.createObjectURL); in Node use saveCheckpoint(path, ...)`);
  }
  if (!(bytes instanceof Uint8Array)) throw sgError(`${where}: expected a Uint8Array (from checkpointBytes), got ${typeof bytes}`);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has taken its own reference to the blob once started; free ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function opfsRoot(where: string): Promise<FileSystemDirectoryHandle> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (!storage || typeof storage.getDirectory !== 'function') {
    throw sgError(`${where}: the origin private file system is not available here ` +
      '(navigator.storage.getDirectory is missing: it needs a page or worker in a secure context, https or localhost); ' +
      'in Node use saveCheckpoint / loadCheckpoint with a path');
  }
  return storage.getDirectory();
}

function checkOpfsName(where: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw sgError(`${where}: ${JSON.stringify(name)} is not a valid file name (non-empty, no '/' or '\\')`);
  }
}

async function readOpfsFile(handle: FileSystemFileHandle): Promise<Uint8Array> {
  return new Uint8Array(await (await handle.getFile()).arrayBuffer());
}

async function writeOpfsFile(where: string, handle: FileSystemFileHandle, bytes: Uint8Array): Promise<void> {
  if (typeof handle.createWritable !== 'function') {
    throw sgError(`${where}: this browser cannot write OPFS files from a page (FileSystemFileHandle.createWritable is missing)`);
  }
  const w = await handle.createWritable();
  try {
    await w.write(bytes as Uint8Array<ArrayBuffer>);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => undefined);
    throw e;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Store checkpoint bytes in the origin private file system under `name`. The bytes go to a temp file
 * first, which is moved over `name` where the browser supports FileSystemHandle.move; otherwise `name`
 * is written directly (browsers commit a writable stream only when it closes). Either way the stored
 * file is read back and compared before returning.
 */
export async function saveToOPFS(bytes: Uint8Array, name: string): Promise<void> {
  const where = 'saveToOPFS';
  if (!(bytes instanceof Uint8Array)) throw sgError(`${where}: expected a Uint8Array (from checkpointBytes), got ${typeof bytes}`);
  checkOpfsName(where, name);
  const root = await opfsRoot(where);
  const tmpName = `${name}.tmp-${randomSuffix()}`;
  try {
    const tmp = await root.getFileHandle(tmpName, { create: true });
    await writeOpfsFile(where, tmp, bytes);
    const move = (tmp as unknown as { move?: (dir: FileSystemDirectoryHandle, name: string) => Promise<void> }).move;
    let moved = false;
    if (typeof move === 'function') {
      try {
        await move.call(tmp, root, name);
        moved = true;
      } catch {
        // e.g. a browser whose move() does not replace an existing file: fall back to writing in place
      }
    }
    const target = await root.getFileHandle(name, { create: true });
    if (!moved) await writeOpfsFile(where, target, bytes);
    if (!sameBytes(await readOpfsFile(target), bytes)) {
      throw sgError(`${where}: ${JSON.stringify(name)} does not hold the bytes just written (storage full?)`);
    }
  } finally {
    await root.removeEntry(tmpName).catch(() => undefined); // gone already after a successful move
  }
}

/** Read bytes stored with saveToOPFS (pass them to loadCheckpoint). */
export async function loadFromOPFS(name: string): Promise<Uint8Array> {
  const where = 'loadFromOPFS';
  checkOpfsName(where, name);
  const root = await opfsRoot(where);
  let handle: FileSystemFileHandle;
  try {
    handle = await root.getFileHandle(name);
  } catch (e) {
    throw sgError(`${where}: no file ${JSON.stringify(name)} in the origin private file system (${(e as Error).name})`, ShadergradError, { cause: e });
  }
  return readOpfsFile(handle);
}
