// The autotuner's cache (src/graph/tune.ts): which kernel version was measured fastest, per adapter
// and per op + shape, so that a later compile with `tune: true` or `tune: 'cached'` takes the choice
// without timing again.
//
//   key       adapterKey() — GPUAdapterInfo's vendor, architecture, device and description (the
//             description carries the driver on Dawn), the device's features and the runtime — then
//             the site key the tuner gives (op or rule, shapes, attributes)
//   Node      one JSON file, $XDG_CACHE_HOME/shadergrad/tuning.json (default ~/.cache/shadergrad/),
//             read-merge-written atomically (a temporary file in the same folder, then a rename), so
//             two processes tuning at once lose at most each other's newest entries, never the file
//   page      localStorage['shadergrad.tuning'], the same JSON
//   elsewhere (a Web Worker has no localStorage) an in-memory map that lives as long as the module
//
// File layout: { "version": 1, "adapters": { "<adapter key>": { "<site key>": TuneRecord } } }.

import { gpu } from './device.js';

/** What the tuner decided at one site, and what it measured. */
export interface TuneRecord {
  /** The version chosen. */
  choice: string;
  /** The version the fixed rule picks. */
  fixed: string;
  /** Median milliseconds of each candidate measured (a candidate dropped as too slow keeps its first run). */
  ms: Record<string, number>;
  timing: 'timestamp-query' | 'wall-clock';
  /** When it was measured (ms since the epoch). */
  at: number;
}

interface CacheFile {
  version: 1;
  adapters: Record<string, Record<string, TuneRecord>>;
}

const STORAGE_KEY = 'shadergrad.tuning';
const memory: CacheFile = { version: 1, adapters: {} };
let keyOverride: string | undefined;

/**
 * The current adapter's cache key. `override` (tests) replaces it until called again with undefined,
 * so that a cache written for one adapter can be shown to miss for another.
 */
export function adapterKey(): string {
  if (keyOverride !== undefined) return keyOverride;
  const ctx = gpu();
  const a = (ctx.adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const parts = [a?.vendor ?? ctx.info.vendor, a?.architecture ?? ctx.info.architecture, a?.device ?? '', a?.description ?? ctx.info.description];
  return `${parts.join(' | ')} | features: ${ctx.info.features.join(',')} | ${ctx.info.runtime}`;
}

/** Make adapterKey() return `key` (undefined: the adapter's own again). For tests. */
export function setAdapterKeyOverride(key?: string): void {
  keyOverride = key;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' && typeof (globalThis as { document?: unknown }).document === 'undefined';
}

function pageStorage(): Storage | null {
  try {
    const ls = (globalThis as { localStorage?: Storage }).localStorage;
    return ls ?? null;
  } catch {
    return null; // a page whose storage is blocked
  }
}

/** Where the cache lives here: the file's path in Node, 'localStorage' in a page, else 'memory'. */
export async function cacheLocation(): Promise<string> {
  if (isNode()) return (await nodeFile()).file;
  return pageStorage() ? 'localStorage' : 'memory';
}

type NodeFs = typeof import('node:fs/promises');
type NodePath = typeof import('node:path');

async function nodeFile(): Promise<{ fs: NodeFs; path: NodePath; file: string }> {
  const names = ['node:fs/promises', 'node:path', 'node:os']; // variables, so page bundlers never resolve them
  const fs: NodeFs = await import(/* @vite-ignore */ names[0]);
  const path: NodePath = await import(/* @vite-ignore */ names[1]);
  const os: typeof import('node:os') = await import(/* @vite-ignore */ names[2]);
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return { fs, path, file: path.join(base, 'shadergrad', 'tuning.json') };
}

function parse(text: string | null | undefined): CacheFile {
  if (!text) return { version: 1, adapters: {} };
  try {
    const j = JSON.parse(text) as CacheFile;
    if (j && j.version === 1 && j.adapters && typeof j.adapters === 'object') return j;
  } catch {
    // a damaged cache is a cold cache: it is rewritten whole by the next store
  }
  return { version: 1, adapters: {} };
}

async function readAll(): Promise<CacheFile> {
  if (isNode()) {
    const { fs, file } = await nodeFile();
    try {
      return parse(await fs.readFile(file, 'utf8'));
    } catch {
      return { version: 1, adapters: {} };
    }
  }
  const ls = pageStorage();
  return ls ? parse(ls.getItem(STORAGE_KEY)) : memory;
}

async function writeAll(c: CacheFile): Promise<void> {
  if (isNode()) {
    const { fs, path, file } = await nodeFile();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${(globalThis as { process?: { pid?: number } }).process?.pid ?? 0}-${Math.random().toString(36).slice(2)}`;
    try {
      await fs.writeFile(tmp, JSON.stringify(c, null, 1));
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    return;
  }
  const ls = pageStorage();
  if (ls) ls.setItem(STORAGE_KEY, JSON.stringify(c));
  else if (c !== memory) memory.adapters = c.adapters;
}

/** Every record of the current adapter (site key → record). */
export async function cachedRecords(adapter = adapterKey()): Promise<Record<string, TuneRecord>> {
  return { ...((await readAll()).adapters[adapter] ?? {}) };
}

/** Add (or replace) records of the current adapter, keeping everything else in the cache. */
export async function storeRecords(records: Record<string, TuneRecord>, adapter = adapterKey()): Promise<void> {
  if (Object.keys(records).length === 0) return;
  const c = await readAll();
  c.adapters[adapter] = { ...(c.adapters[adapter] ?? {}), ...records };
  await writeAll(c);
}

/** Forget every record of every adapter (the file is removed, the page's entry deleted). */
export async function clearCache(): Promise<void> {
  memory.adapters = {};
  if (isNode()) {
    const { fs, file } = await nodeFile();
    await fs.rm(file, { force: true });
    return;
  }
  pageStorage()?.removeItem(STORAGE_KEY);
}
