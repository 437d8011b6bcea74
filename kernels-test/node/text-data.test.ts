// sg.data.text: the character tokenizer, next-token windows split by position, makemore's names
// dataset, the bigram baseline, the npm corpora, and a TokenDataset through train.fit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import {
  bigramBaseline, charTokenizer, firstNames, importOptional, languageModelDataset, mobyDick, mobyDickSections, namesDataset,
} from '../../src/data/text.js';
import { subset } from '../../src/data/datasets.js';
import { trainValTestSplit } from '../../src/data/split.js';

const rows = (a: Int32Array | Float32Array, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));
const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('charTokenizer', () => {
  it('sorted unique characters; encode / decode round-trip', () => {
    const tok = charTokenizer('hello world');
    expect(tok.vocab).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(tok.size).toBe(8);
    expect(Array.from(tok.encode('hello'))).toEqual([3, 2, 4, 4, 5]);
    expect(tok.encode('hello')).toBeInstanceOf(Int32Array);
    expect(tok.decode([3, 2, 4, 4, 5])).toBe('hello');
    expect(tok.decode(tok.encode('world hello'))).toBe('world hello');
    expect(tok.encode('').length).toBe(0);
  });

  it('works on code points: an emoji or an astral character is one token, sorted as Python sorts', () => {
    const text = 'a😀b\uFF01a';
    const tok = charTokenizer(text);
    // By code point: a (61) < b (62) < ！ (FF01) < 😀 (1F600); UTF-16 order would put 😀 (D83D…) before ！.
    expect(tok.vocab).toEqual(['a', 'b', '\uFF01', '😀']);
    expect(Array.from(tok.encode(text))).toEqual([0, 3, 1, 2, 0]);
    expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('a saved vocabulary round-trips (toJSON / fromJSON / fromVocab)', () => {
    const tok = charTokenizer('the quick brown fox');
    const json = JSON.stringify(tok);
    expect(JSON.parse(json)).toEqual({ kind: 'char', vocab: [...tok.vocab] });
    const again = charTokenizer.fromJSON(json);
    expect(again.vocab).toEqual(tok.vocab);
    expect(Array.from(again.encode('fox'))).toEqual(Array.from(tok.encode('fox')));
    expect(charTokenizer.fromJSON(tok.toJSON()).decode([0, 1])).toBe(tok.decode([0, 1]));
    // fromVocab keeps the given order.
    const custom = charTokenizer.fromVocab(['.', 'z', 'a']);
    expect(Array.from(custom.encode('a.z'))).toEqual([2, 0, 1]);
  });

  it('errors name the character, its position and the vocabulary', () => {
    const tok = charTokenizer('abc');
    expect(() => tok.encode('abXc')).toThrow(/data\.text\.encode: character "X" \(U\+0058\) at position 2 is not in the vocabulary of 3 characters \("abc"\)/);
    expect(() => tok.encode('a😀')).toThrow(/character "😀" \(U\+1F600\) at position 1/);
    expect(() => tok.decode([0, 3])).toThrow(/ids\[1\] = 3 is not a token id in \[0, 3\)/);
    expect(() => tok.decode([0.5])).toThrow(/ids\[0\] = 0\.5/);
    expect(() => charTokenizer('')).toThrow(/text is empty/);
    expect(() => charTokenizer(5 as never)).toThrow(/text must be a string, got number/);
    expect(() => charTokenizer.fromVocab(['a', 'bc'])).toThrow(/vocab\[1\] = "bc" is not one character/);
    expect(() => charTokenizer.fromVocab(['a', 'b', 'a'])).toThrow(/vocab\[2\] = "a" \(U\+0061\) repeats vocab\[0\]/);
    expect(() => charTokenizer.fromJSON('{"vocab": ["a"]}')).toThrow(/expected \{ kind: 'char', vocab: string\[\] \}/);
    expect(() => charTokenizer.fromJSON('not json')).toThrow(/charTokenizer\.fromJSON: not valid JSON/);
  });
});

describe('languageModelDataset', () => {
  it('windows x = ids[s … s+T), y = ids[s+1 … s+T+1), train = the first ⌊(1 − valFraction)·N⌋ tokens', () => {
    const d = languageModelDataset(range(20), { blockSize: 3, valFraction: 0.25, shuffle: false });
    expect(Array.from(d.trainIds)).toEqual(Array.from(range(15)));
    expect(Array.from(d.valIds)).toEqual([15, 16, 17, 18, 19]);
    expect(d.train.length).toBe(12); // s = 0 … 11: window and targets end by token 14
    expect(d.train.xShape).toEqual([3]);
    expect(d.train.yShape).toEqual([3]);
    expect(d.train.x).toBeInstanceOf(Int32Array);
    expect(d.train.y).toBeInstanceOf(Int32Array);
    expect(d.train.numClasses).toBe(20);
    expect(d.vocabSize).toBe(20);
    expect(rows(d.train.x, 3).slice(0, 2)).toEqual([[0, 1, 2], [1, 2, 3]]);
    expect(rows(d.train.y, 3).slice(0, 2)).toEqual([[1, 2, 3], [2, 3, 4]]);
    expect(rows(d.train.x, 3)[11]).toEqual([11, 12, 13]);
    expect(rows(d.train.y, 3)[11]).toEqual([12, 13, 14]);
    expect(rows(d.val!.x, 3)).toEqual([[15, 16, 17], [16, 17, 18]]);
    expect(rows(d.val!.y, 3)).toEqual([[16, 17, 18], [17, 18, 19]]);
    sg.data.checkDataset('test', d.train);
    sg.data.checkDataset('test', d.val!);
  });

  it('stride skips window starts; valFraction 0 gives no validation set; vocabSize sets numClasses', () => {
    const d = languageModelDataset(Array.from(range(15)), { blockSize: 3, valFraction: 0, stride: 4, shuffle: false, vocabSize: 32 });
    expect(rows(d.train.x, 3)).toEqual([[0, 1, 2], [4, 5, 6], [8, 9, 10]]); // s = 12 would need token 15
    expect(rows(d.train.y, 3)).toEqual([[1, 2, 3], [5, 6, 7], [9, 10, 11]]);
    expect(d.val).toBeUndefined();
    expect(d.valIds.length).toBe(0);
    expect(d.train.numClasses).toBe(32);
  });

  it('no window (nor its targets) crosses the split: every train value is before it, every val value after', () => {
    const n = 1000;
    const d = languageModelDataset(range(n), { blockSize: 16, valFraction: 0.1, seed: 3 });
    const cut = 900;
    expect(d.train.length).toBe(cut - 16);
    expect(d.val!.length).toBe(n - cut - 16);
    expect(d.train.y.reduce((m, v) => Math.max(m, v), 0)).toBe(cut - 1);
    expect(d.val!.x.reduce((m, v) => Math.min(m, v), n)).toBe(cut);
    // Each window is consecutive and y is x shifted by one.
    for (const part of [d.train, d.val!]) {
      let bad = 0;
      for (let i = 0; i < part.x.length; i++) {
        if (part.x[i] !== part.x[i - (i % 16)] + (i % 16) || part.y[i] !== part.x[i] + 1) bad++;
      }
      expect(bad).toBe(0);
    }
  });

  it('shuffles the training windows with the seed (deterministic), never the validation ones', () => {
    const ids = range(300);
    const a = languageModelDataset(ids, { blockSize: 5, seed: 7 });
    const b = languageModelDataset(ids, { blockSize: 5, seed: 7 });
    const c = languageModelDataset(ids, { blockSize: 5, seed: 8 });
    const plain = languageModelDataset(ids, { blockSize: 5, shuffle: false });
    expect(Array.from(a.train.x)).toEqual(Array.from(b.train.x));
    expect(Array.from(a.train.x)).not.toEqual(Array.from(c.train.x));
    expect(Array.from(a.train.x)).not.toEqual(Array.from(plain.train.x));
    const starts = (x: Int32Array) => rows(x, 5).map((r) => r[0]);
    expect(starts(a.train.x).sort((p, q) => p - q)).toEqual(starts(plain.train.x)); // the same windows
    expect(Array.from(a.val!.x)).toEqual(Array.from(plain.val!.x));
  });

  it('subset and the splits keep token ids as Int32Array', () => {
    const d = languageModelDataset(range(40), { blockSize: 4, valFraction: 0 });
    const s = subset(d.train, [2, 0]);
    expect(s.x).toBeInstanceOf(Int32Array);
    expect(rows(s.x, 4)).toEqual([rows(d.train.x, 4)[2], rows(d.train.x, 4)[0]]);
    const split = trainValTestSplit(d.train, { val: 0.2 });
    expect(split.train.x).toBeInstanceOf(Int32Array);
    expect(split.train.length + split.val.length).toBe(d.train.length);
    expect(() => trainValTestSplit(d.train, { val: 0.2, stratify: true })).toThrow(/stratification needs one class label per sample; this dataset's targets have yShape \[4\]/);
    expect(() => sg.data.normalize(d.train as never)).toThrow(/x holds token ids \(Int32Array\): there is nothing to normalise/);
  });

  it('errors name the argument and what was expected', () => {
    expect(() => languageModelDataset(range(10), { blockSize: 0 })).toThrow(/languageModelDataset: blockSize must be an integer ≥ 1, got 0/);
    expect(() => languageModelDataset(range(10), { blockSize: 2, stride: 0 })).toThrow(/stride must be an integer ≥ 1, got 0/);
    expect(() => languageModelDataset(range(10), { blockSize: 2, valFraction: 1 })).toThrow(/valFraction must be a number in \[0, 1\), got 1/);
    expect(() => languageModelDataset(range(10), { blockSize: 2, blocksize: 3 } as never)).toThrow(/unknown option 'blocksize' \(did you mean 'blockSize'\?\)/);
    expect(() => languageModelDataset([0, 1, -1, 2], { blockSize: 1 })).toThrow(/ids\[2\] = -1 is not a token id/);
    expect(() => languageModelDataset([0, 1, 5, 2], { blockSize: 1, vocabSize: 4 })).toThrow(/ids\[2\] = 5 is not a token id in \[0, 4\)/);
    expect(() => languageModelDataset(range(10), { blockSize: 9 })).toThrow(/the training part has 9 tokens, fewer than blockSize \+ 1 = 10/);
    expect(() => languageModelDataset(range(40), { blockSize: 4 })).toThrow(/the validation part has 4 tokens, fewer than blockSize \+ 1 = 5: there are 40 tokens; lower blockSize \(4\) or raise valFraction \(0\.1\)/);
    expect(() => languageModelDataset(range(10), undefined as never)).toThrow(/options \{ blockSize \} are required/);
  });
});

describe('namesDataset (makemore)', () => {
  it("'stream': the names joined with the boundary, boundary = id 0, next-token windows", () => {
    const d = namesDataset(['ab', 'b'], { blockSize: 2, valFraction: 0, shuffle: false });
    expect(d.tokenizer.vocab).toEqual(['.', 'a', 'b']);
    expect(Array.from(d.trainIds)).toEqual([0, 1, 2, 0, 2, 0]); // .ab.b.
    expect(rows(d.train.x, 2)).toEqual([[0, 1], [1, 2], [2, 0], [0, 2]]);
    expect(rows(d.train.y, 2)).toEqual([[1, 2], [2, 0], [0, 2], [2, 0]]);
    expect(d.train.numClasses).toBe(3);
    expect(d.val).toBeUndefined();
  });

  it("'context': makemore's MLP samples, one per character and the end of each name", () => {
    const d = namesDataset(['ab', 'b'], { blockSize: 2, valFraction: 0, shuffle: false, windows: 'context' });
    expect(rows(d.train.x, 2)).toEqual([[0, 0], [0, 1], [1, 2], [0, 0], [0, 2]]);
    expect(Array.from(d.train.y)).toEqual([1, 2, 0, 2, 0]);
    expect(d.train.yShape).toEqual([]);
    expect(d.train.xShape).toEqual([2]);
  });

  it("the boundary comes first even when a name's character sorts before it; '\\n' works as well", () => {
    const d = namesDataset(['ann-marie', 'bo'], { blockSize: 3, valFraction: 0, boundary: '.' });
    expect(d.tokenizer.vocab.slice(0, 2)).toEqual(['.', '-']);
    const n = namesDataset(['ab', 'ba'], { blockSize: 1, valFraction: 0, boundary: '\n', shuffle: false });
    expect(n.tokenizer.decode(n.trainIds)).toBe('\nab\nba\n');
  });

  it('splits by name (seeded shuffle): no name in both parts, each stream holds only its names', () => {
    const names = Array.from({ length: 50 }, (_, i) => `n${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    const d = namesDataset(names, { blockSize: 3, valFraction: 0.2, seed: 4 });
    expect(d.trainNames.length).toBe(40);
    expect(d.valNames.length).toBe(10);
    expect(d.trainNames.filter((n) => d.valNames.includes(n))).toEqual([]);
    expect(new Set([...d.trainNames, ...d.valNames])).toEqual(new Set(names));
    expect(d.tokenizer.decode(d.trainIds)).toBe(`.${d.trainNames.join('.')}.`);
    expect(d.tokenizer.decode(d.valIds)).toBe(`.${d.valNames.join('.')}.`);
    const again = namesDataset(names, { blockSize: 3, valFraction: 0.2, seed: 4 });
    expect(again.valNames).toEqual(d.valNames);
    expect(Array.from(again.train.x)).toEqual(Array.from(d.train.x));
    expect(namesDataset(names, { blockSize: 3, valFraction: 0.2, seed: 5 }).valNames).not.toEqual(d.valNames);
    const ctx = namesDataset(names, { blockSize: 3, valFraction: 0.2, seed: 4, windows: 'context' });
    expect(ctx.valNames).toEqual(d.valNames);
    expect(ctx.train.length).toBe(d.trainNames.reduce((s, n) => s + n.length + 1, 0));
    expect(ctx.val!.length).toBe(d.valNames.reduce((s, n) => s + n.length + 1, 0));
  });

  it('errors', () => {
    expect(() => namesDataset(['a.b'], { blockSize: 2 })).toThrow(/names\[0\] = "a\.b" contains the boundary "\." \(U\+002E\): choose another boundary/);
    expect(() => namesDataset(['ab', ''], { blockSize: 2 })).toThrow(/names\[1\] = "" is not a non-empty string/);
    expect(() => namesDataset([], { blockSize: 2 })).toThrow(/names must be a non-empty array of strings/);
    expect(() => namesDataset(['ab'], { blockSize: 2, boundary: '..' })).toThrow(/boundary must be one character, got "\.\."/);
    expect(() => namesDataset(['ab'], { blockSize: 2, windows: 'rows' as never })).toThrow(/windows must be 'stream' or 'context', got "rows"/);
    expect(() => namesDataset(['ab'], { blockSize: 2, valFraction: 0.5 })).toThrow(/valFraction 0\.5 of 1 names leaves no training names/);
  });
});

describe('bigramBaseline', () => {
  it('add-k smoothed bigram cross-entropy on the validation pairs, by hand', () => {
    // Train pairs (0,1) (1,0) (0,1) (1,1): row 0 = {→1: 2}, row 1 = {→0: 1, →1: 1}.
    // k = 1, V = 2: P(0|0) = 1/4, P(1|0) = 3/4. Validation pairs (0,0) (0,1).
    const train = [0, 1, 0, 1, 1];
    const val = Int32Array.from([0, 0, 1]);
    expect(bigramBaseline(train, val, 2)).toBeCloseTo(-(Math.log(1 / 4) + Math.log(3 / 4)) / 2, 14);
    expect(bigramBaseline(train, val, 2, { smoothing: 0.5 })).toBeCloseTo(-(Math.log(0.5 / 3) + Math.log(2.5 / 3)) / 2, 14);
    expect(bigramBaseline(train, val, 2, { smoothing: 0 })).toBe(Infinity); // (0,0) never seen
    expect(bigramBaseline(train, [1, 0, 1], 2, { smoothing: 0 })).toBeCloseTo(-(Math.log(1 / 2) + Math.log(1)) / 2, 14);
    // No training pairs: uniform, log V.
    expect(bigramBaseline([3], [0, 1, 2, 3, 4], 5)).toBeCloseTo(Math.log(5), 14);
  });

  it('errors', () => {
    expect(() => bigramBaseline([0, 1], [0, 2], 2)).toThrow(/bigramBaseline: valIds\[1\] = 2 is not a token id in \[0, 2\)/);
    expect(() => bigramBaseline([0, 1], [0], 2)).toThrow(/valIds has 1 token\(s\); a bigram needs at least 2/);
    expect(() => bigramBaseline([0, 1], [0, 1], 0)).toThrow(/vocabSize must be an integer ≥ 1, got 0/);
    expect(() => bigramBaseline([0, 1], [0, 1], 2, { smoothing: -1 })).toThrow(/smoothing must be a finite number ≥ 0, got -1/);
    expect(() => bigramBaseline([0, 1], [0, 1], 2, { alpha: 1 } as never)).toThrow(/unknown option 'alpha'/);
  });
});

describe('corpora from npm packages', () => {
  it('firstNames: lower-case, unique, sorted (or a seeded shuffle)', async () => {
    const names = await firstNames();
    expect(names.length).toBe(8422);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
    expect(names.every((n) => /^[a-z-]+$/.test(n))).toBe(true);
    expect(names).toContain('emma');
    const a = await firstNames({ shuffle: true, seed: 1 });
    expect(a).toEqual(await firstNames({ shuffle: true, seed: 1 }));
    expect(a).not.toEqual(names);
    expect([...a].sort()).toEqual(names);
    await expect(firstNames({ seed: 'x' } as never)).rejects.toThrow(/seed must be a finite number/);
    // The names task end to end: a bigram beats the uniform guess log V.
    const d = namesDataset(names, { blockSize: 8 });
    const bigram = bigramBaseline(d.trainIds, d.valIds, d.vocabSize);
    expect(bigram).toBeLessThan(Math.log(d.vocabSize) - 0.5);
    expect(bigram).toBeGreaterThan(2);
  });

  it('mobyDick: the whole book, over a million characters, chapters under their headings', async () => {
    const text = await mobyDick();
    expect(text.length).toBeGreaterThan(1e6);
    expect(text.startsWith('CONTENTS')).toBe(true);
    expect(text).toContain('CHAPTER 1. Loomings.\n\nCall me Ishmael.');
    expect(text.trimEnd().endsWith('only found another orphan.')).toBe(true);
    const sections = await mobyDickSections();
    expect(sections.length).toBe(139);
    expect(sections[3]).toMatchObject({ chapter: '1', title: 'Loomings.' });
    const tok = charTokenizer(text);
    expect(tok.size).toBeGreaterThan(60);
    expect(tok.size).toBeLessThan(120);
    const ids = tok.encode(text);
    const d = languageModelDataset(ids, { blockSize: 32, stride: 32 });
    expect(d.train.length).toBe(Math.floor((d.trainIds.length - 33) / 32) + 1);
    expect(bigramBaseline(d.trainIds, d.valIds, tok.size)).toBeLessThan(Math.log(tok.size) - 1);
  });

  it('a missing package is an error that says which one to install', async () => {
    const pkg = '@stdlib/datasets-not-installed-here';
    await expect(importOptional('mobyDick', pkg, () => import(/* @vite-ignore */ pkg))).rejects.toThrow(
      /data\.text\.mobyDick: needs the npm package '@stdlib\/datasets-not-installed-here' \(an optional dependency of shadergrad\), which could not be loaded: npm install @stdlib\/datasets-not-installed-here/);
  });
});

describe('a TokenDataset on the GPU', () => {
  beforeAll(async () => {
    await sg.init({ quiet: true });
  });
  afterAll(() => sg.dispose());

  it('the loader uploads i32 token ids, and fit trains an embedding model on them', async () => {
    const names = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper', 'evelyn', 'abigail'];
    const d = namesDataset(names, { blockSize: 3, valFraction: 0, windows: 'context' });
    const resident = new sg.train.GpuDataset(d.train, 'names');
    expect(resident.x.dtype).toBe('i32');
    expect(resident.x.shape).toEqual([d.train.length, 3]);
    expect(Array.from(await resident.x.data())).toEqual(Array.from(d.train.x));
    resident.dispose();
    sg.manualSeed(0);
    const V = d.vocabSize;
    const model = sg.nn.sequential(sg.nn.embedding(V, 8), sg.nn.flatten(), sg.nn.linear(3 * 8, V));
    const optimizer = sg.optim.adam(model.parameters(), { lr: 0.03 });
    const history = await sg.train.fit(model, { data: d.train, loss: 'crossEntropy', optimizer, epochs: 15, batchSize: 16, seed: 1, onWarning: () => {} });
    const first = history.epochs[0].trainLoss;
    const last = history.epochs[history.epochs.length - 1].trainLoss;
    expect(first).toBeGreaterThan(last + 0.5);
    optimizer.dispose();
  });
});
