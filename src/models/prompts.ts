// Text prompts for CLIP-style training on digits: a word-level tokenizer over a fixed vocabulary and
// the prompt templates of each digit class ("a handwritten seven", "a photo of the digit 7", ...).
//
// The tokenizer is the smallest one that does the job: lower-case, split on whitespace, one id per
// word. Ids 0 and 1 are reserved: `<pad>` (fills a sequence up to contextLength) and `<eot>` (ends
// every encoded text, as CLIP's <|endoftext|>; CLIP's text encoder reads its output there). Every
// word must be in the vocabulary it was built from: an unknown word is an error that names it, never
// a silent <unk>.

import { Random } from '../util/random.js';
import { checkOptions, keysOf, suggestName } from '../util/options.js';
import { sgError } from '../util/errors.js';

export const PAD_TOKEN = '<pad>';
export const EOT_TOKEN = '<eot>';

export interface WordTokenizerOptions {
  /** Tokens per encoded text, <eot> included (default: the longest text's words + 1). */
  contextLength?: number;
}
export const WORD_TOKENIZER_KEYS = keysOf<WordTokenizerOptions>({ contextLength: 1 });

/** The words of a text: lower-cased, split on whitespace. */
export function words(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/** A word-level tokenizer: `<pad>` = 0, `<eot>` = 1, then the words of the texts it was built from, sorted. */
export class WordTokenizer {
  /** Every token, by id. */
  readonly vocab: readonly string[];
  readonly padId = 0;
  readonly eotId = 1;
  /** Tokens per encoded text (words, <eot>, then <pad>s). */
  readonly contextLength: number;
  private readonly ids: Map<string, number>;

  constructor(texts: readonly string[], opts: WordTokenizerOptions = {}) {
    checkOptions('models.wordTokenizer', opts, WORD_TOKENIZER_KEYS);
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
      throw sgError('models.wordTokenizer: texts must be a non-empty array of strings');
    }
    const vocab = [...new Set(texts.flatMap(words))].sort();
    const reserved = vocab.find((w) => w === PAD_TOKEN || w === EOT_TOKEN);
    if (reserved) throw sgError(`models.wordTokenizer: the texts use the reserved token ${reserved}`);
    this.vocab = [PAD_TOKEN, EOT_TOKEN, ...vocab];
    this.ids = new Map(this.vocab.map((w, i) => [w, i]));
    const longest = Math.max(...texts.map((t) => words(t).length));
    const { contextLength = longest + 1 } = opts;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw sgError(`models.wordTokenizer: contextLength must be an integer ≥ 2 (a word and <eot>), got ${String(contextLength)}`);
    }
    this.contextLength = contextLength;
  }

  /** Vocabulary size (the text encoder's embedding rows). */
  get size(): number {
    return this.vocab.length;
  }

  /** One text → contextLength ids: its words, <eot>, then <pad>s. */
  encode(text: string): Int32Array {
    const out = new Int32Array(this.contextLength); // <pad> = 0
    this.encodeInto(text, out, 0);
    return out;
  }

  /** Texts → [texts.length · contextLength] ids, row-major ([N, contextLength] for sg.tensor). */
  encodeAll(texts: readonly string[]): Int32Array {
    const L = this.contextLength;
    const out = new Int32Array(texts.length * L);
    texts.forEach((t, i) => this.encodeInto(t, out, i * L));
    return out;
  }

  private encodeInto(text: string, out: Int32Array, at: number): void {
    if (typeof text !== 'string') throw sgError(`WordTokenizer.encode: text must be a string, got ${typeof text}`);
    const ws = words(text);
    if (ws.length === 0) throw sgError('WordTokenizer.encode: the text has no words');
    if (ws.length + 1 > this.contextLength) {
      throw sgError(`WordTokenizer.encode: "${text}" has ${ws.length} words; with <eot> that is more than contextLength ${this.contextLength}`);
    }
    ws.forEach((w, j) => {
      const id = this.ids.get(w);
      if (id === undefined || id < 2) {
        const { name } = suggestName(w, this.vocab.slice(2));
        throw sgError(`WordTokenizer.encode: unknown word '${w}' in "${text}"${name ? ` (did you mean '${name}'?)` : ''}; the vocabulary has ${this.size - 2} words`);
      }
      out[at + j] = id;
    });
    out[at + ws.length] = this.eotId;
  }

  /** Ids → text: the words up to the first <eot>, <pad>s skipped. */
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw sgError(`WordTokenizer.decode: id ${id} at position ${i} is not in [0, ${this.size})`);
      if (id === this.eotId) break;
      if (id !== this.padId) out.push(this.vocab[id]);
    }
    return out.join(' ');
  }
}

export const wordTokenizer = (texts: readonly string[], opts?: WordTokenizerOptions) => new WordTokenizer(texts, opts);

// ---- digit prompts -------------------------------------------------------------------------------

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/**
 * Templates of a digit class: `{word}` becomes the digit's name ("seven"), `{digit}` its numeral ("7").
 * Half name the digit in words, half with the numeral, so the text encoder learns that both mean one class.
 */
export const DIGIT_TEMPLATES: readonly string[] = [
  'a handwritten {word}',
  'a photo of the digit {digit}',
  'the number {word}',
  'a drawing of the digit {digit}',
  'a picture of a handwritten {word}',
  'the digit {digit} written by hand',
  'a scan of the number {word}',
  'a blurry photo of a {digit}',
];

/** The prompts of each digit: [10][templates.length] texts. */
export function digitPrompts(templates: readonly string[] = DIGIT_TEMPLATES): string[][] {
  if (!Array.isArray(templates) || templates.length === 0) throw sgError('models.digitPrompts: templates must be a non-empty array of strings');
  templates.forEach((t, i) => {
    if (typeof t !== 'string' || !/\{(word|digit)\}/.test(t)) {
      throw sgError(`models.digitPrompts: template ${i} (${JSON.stringify(t)}) must contain {word} or {digit}`);
    }
  });
  return DIGIT_WORDS.map((w, d) => templates.map((t) => t.replaceAll('{word}', w).replaceAll('{digit}', String(d))));
}

/**
 * Token ids pairing each label with one of its class's prompts, drawn at random: [labels.length ·
 * contextLength]. `prompts[c]` are class c's encoded prompts (contextLength ids each).
 */
export function samplePromptIds(labels: ArrayLike<number>, prompts: readonly Int32Array[][], rng: Random): Int32Array {
  const L = prompts[0]?.[0]?.length;
  if (!L) throw sgError('models.samplePromptIds: prompts must hold at least one encoded prompt per class');
  const out = new Int32Array(labels.length * L);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    const options = prompts[c];
    if (!options?.length) throw sgError(`models.samplePromptIds: label ${c} at position ${i} has no prompts (classes 0 … ${prompts.length - 1})`);
    out.set(options[rng.int(options.length)], i * L);
  }
  return out;
}
