// Option-bag hygiene: every public function that takes an options object checks its keys, so a typo
// or a PyTorch spelling (`betas`, `weight_decay`, `epoch`) is an error with a suggestion instead of
// being silently ignored.
//
//   checkOptions('optim.adam', { lr: 1e-3, betas: [0.9, 0.99] }, ['lr', 'beta1', 'beta2', ...])
//   → Error: shadergrad: optim.adam: unknown option 'betas' (did you mean 'beta1'?): PyTorch's
//     betas=(β1, β2) are beta1 and beta2 here
//
// The key lists of the library's own option bags live in option-keys.ts, typed against the
// interfaces so that they cannot drift from them.

import { OptionError } from './errors.js';

/**
 * PyTorch (and other common) spellings whose shadergrad name is not found by the generic rules
 * (snake_case → camelCase, edit distance). Each maps to candidate names (the first that the function
 * accepts is suggested) and an optional note.
 */
const ALIASES: Record<string, { to: string[]; note?: string }> = {
  betas: { to: ['beta1'], note: "PyTorch's betas=(β1, β2) are beta1 and beta2 here" },
  learning_rate: { to: ['lr'] },
  learningrate: { to: ['lr'] },
  max_norm: { to: ['clipNorm'], note: 'clip_grad_norm_(max_norm) is the optimizer option clipNorm here' },
  clip_value: { to: ['clipValue'] },
  clip_grad_norm: { to: ['clipNorm'] },
  lr_lambda: { to: [], note: 'LambdaLR is sg.optim.lambdaLR(fn) here: pass the function itself as the scheduler' },
  t_max: { to: ['tMax'] },
  num_epochs: { to: ['epochs'] },
  numepochs: { to: ['epochs'] },
  n_epochs: { to: ['epochs'] },
  epoch: { to: ['epochs'] },
  batch: { to: ['batchSize'] },
  bs: { to: ['batchSize'] },
  val_split: { to: ['validationSplit'] },
  validation_split: { to: ['validationSplit'] },
  callbacks: { to: ['onEpochEnd', 'onStepEnd'], note: 'callbacks are the functions onStepEnd and onEpochEnd here' },
  use_bias: { to: ['bias'] },
  elementwise_affine: { to: ['affine'] },
  track_running_stats: { to: [], note: 'running statistics are always tracked' },
  foreach: { to: [], note: "PyTorch's implementation switch foreach has no equivalent: updates run as one kernel over the parameter arena" },
  fused: { to: [], note: "PyTorch's implementation switch fused has no equivalent: updates run as one kernel over the parameter arena" },
  capturable: { to: [], note: 'steps are always captured: compile() records the whole step' },
  differentiable: { to: [], note: 'optimizer steps are not differentiable here' },
  r: { to: ['rank'], note: "PEFT's LoraConfig(r, lora_alpha, lora_dropout, target_modules) is { rank, alpha, dropout, targets } here" },
  lora_alpha: { to: ['alpha'] },
  lora_dropout: { to: ['dropout'] },
  target_modules: { to: ['targets'] },
};

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[m][n];
}

const normalise = (k: string) => k.replace(/[_-]/g, '').toLowerCase();

/**
 * The allowed name closest to `key`, or undefined: the same name up to case, '_' and '-'
 * (weight_decay → weightDecay, batch-size → batchSize), a known alias (betas → beta1), or the
 * nearest by edit distance when it is close (epoch → epochs, momentun → momentum).
 */
export function suggestName(key: string, allowed: readonly string[]): { name?: string; note?: string } {
  const nk = normalise(key);
  const same = allowed.find((a) => normalise(a) === nk);
  if (same) return { name: same };
  const alias = ALIASES[key.toLowerCase()] ?? ALIASES[nk];
  if (alias) {
    const name = alias.to.find((t) => allowed.includes(t));
    if (name || alias.to.length === 0) return { name, note: alias.note };
  }
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = editDistance(nk, normalise(a));
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  // Close enough to be a typo: at most 1 edit for short names, 2 for names of 5+ letters, a third of longer ones.
  const limit = Math.max(1, Math.min(3, Math.floor(nk.length / 3)));
  if (best !== undefined && bestD <= limit) return { name: best };
  // Else a shortened or longer form of one name (pad → padding, reduce → reduction, transposeB →
  // transB): the longest shared start, at least 3 letters and half of the shorter name, if only one has it.
  const starts = allowed.map((a) => commonPrefix(nk, normalise(a)));
  const top = Math.max(0, ...starts);
  const which = allowed.filter((_, i) => starts[i] === top);
  const shorter = (a: string) => Math.min(nk.length, normalise(a).length);
  return which.length === 1 && top >= 3 && 2 * top >= shorter(which[0]) ? { name: which[0] } : {};
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The message for an unknown option `key` of `where` (shared with the CLI's flag errors). */
export function unknownOptionMessage(where: string, key: string, allowed: readonly string[], kind = 'option', quote = (s: string) => `'${s}'`): string {
  const { name, note } = suggestName(key, allowed);
  let msg = `shadergrad: ${where}: unknown ${kind} ${quote(key)}`;
  if (name) msg += ` (did you mean ${quote(name)}?)`;
  if (note) msg += `: ${note}`;
  if (!name && !note) msg += allowed.length ? ` (${kind}s: ${allowed.map(quote).join(', ')})` : ` (it takes no ${kind}s)`;
  return msg;
}

/**
 * Throw if `options` has a key that `where` does not accept. `options` may be undefined (nothing to
 * check); anything else must be a plain object. Keys whose value is undefined are checked too: a
 * misspelt option is a mistake whatever its value.
 */
export function checkOptions(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : `${typeof options} ${String(options)}`;
    throw new OptionError(`shadergrad: ${where}: options must be an object ({ ${allowed.slice(0, 3).join(', ')}${allowed.length > 3 ? ', …' : ''} }), got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new OptionError(unknownOptionMessage(where, key, allowed));
  }
}

/**
 * The keys of an options interface as a runtime list. The object literal must name every key of T
 * (a missing key fails to compile) and nothing else (excess-property check), so the list cannot drift
 * from the interface:  `keysOf<AdamOptions>({ lr: 1, beta1: 1, ... })`.
 */
/** The options parameter (position I) of a function F, for keysOf<Opts<typeof f, 1>>. */
export type Opts<F extends (...args: never[]) => unknown, I extends number> = NonNullable<Parameters<F>[I]>;

export function keysOf<T extends object>(keys: { [K in keyof Required<T>]: 1 }): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/** checkOptions as an expression, for one-line factories: `optionsChecked(where, opts, keys) && new Layer(opts)`. */
export function optionsChecked(where: string, options: unknown, allowed: readonly string[]): true {
  checkOptions(where, options, allowed);
  return true;
}

/**
 * Throw unless each of `keys` that `options` sets is a finite number ≥ 0 (PyTorch's optimizers raise
 * "Invalid momentum value" for a negative momentum, and likewise for alpha, eps, ...).
 */
export function checkNonNegative<T extends object>(where: string, options: T, keys: readonly (keyof T & string)[]): void {
  for (const k of keys) {
    const v = options[k] as unknown;
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))) {
      throw new OptionError(`shadergrad: ${where}: ${k} must be a finite number ≥ 0, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    }
  }
}
