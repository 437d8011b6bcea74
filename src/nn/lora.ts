// LoRA (Hu et al. 2021, "Low-Rank Adaptation of Large Language Models"): fine-tune a Linear layer
// by training a low-rank update beside its frozen weight,
//
//   y = base(x) + (alpha / rank) · (dropout(x) · Aᵀ) · Bᵀ        A: [rank, in], B: [out, rank]
//
// so the layer trains rank·(in + out) values instead of in·out (+ out). A is initialised as
// PEFT does (kaiming-uniform with a = √5, i.e. U(±1/√in), the same draw as nn.Linear's weight) and B
// with zeros, so a freshly wrapped layer computes exactly what the base layer did.
//
// Names follow HuggingFace PEFT's LoraLayer so checkpoints map across: the wrapped layer's state dict
// is `base_layer.weight`, `base_layer.bias`, `lora_A.weight`, `lora_B.weight` — PEFT's keys as its
// adapter files write them (`get_peft_model_state_dict` drops the adapter name; in memory PEFT has
// `lora_A.default.weight`, and its files prefix `base_model.model.`). PEFT's lora_dropout is a
// Dropout child `lora_dropout` on the input of the LoRA path only (absent when dropout is 0, where
// PEFT has an nn.Identity); its random key is non-persistent state, as every Dropout's.
//
//   sg.nn.lora(linear, { rank, alpha, dropout, seed })   wrap one Linear (its weight and bias frozen)
//   sg.nn.applyLora(model, { rank, targets, ... })       wrap the targeted Linear layers of a model in
//                                                        place, freeze every other parameter
//   await layer.merge() / unmerge()                      fold (α/r)·B·A into the base weight and back
//   await sg.nn.mergeLora(model)                         merge every LoRA layer and put the plain
//                                                        Linear back (PEFT's merge_and_unload)
//
// LoRA wraps Linear layers only: MultiheadAttention's packed in_proj_weight is a raw parameter, not a
// Linear (its out_proj is one), and convolutions are not supported.

import { Module } from './module.js';
import { Dropout, Linear, expectFeatures } from './layers.js';
import * as init from './init.js';
import { assign } from '../tensor/assign.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, scale, sub } from '../ops/elementwise.js';
import { linear as linearOp, matmul } from '../ops/matmul.js';
import { checkOptions, keysOf } from '../util/options.js';
import { OptionError, sgError } from '../util/errors.js';

export interface LoraOptions {
  /** Rank r of the update B·A (an integer ≥ 1). */
  rank: number;
  /** The update is scaled by alpha / rank (default alpha = rank: scale 1), PEFT's lora_alpha. */
  alpha?: number;
  /** Dropout probability on the LoRA path's input in training (default 0), PEFT's lora_dropout. */
  dropout?: number;
  /** Seed of lora_A's initial values (default: sg.manualSeed's generator). */
  seed?: number;
}

/** Which Linear layers applyLora wraps: a test of the dotted name and module, or names (see applyLora). */
export type LoraTargets = ((name: string, module: Linear) => boolean) | string[];

export interface ApplyLoraOptions extends LoraOptions {
  /** The Linear layers to adapt: `(name, linear) => boolean`, or dotted names matched as prefixes or suffixes. */
  targets: LoraTargets;
}

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const LORA_KEYS = keysOf<LoraOptions>({ rank: 1, alpha: 1, dropout: 1, seed: 1 });
export const APPLY_LORA_KEYS = keysOf<ApplyLoraOptions>({ rank: 1, alpha: 1, dropout: 1, seed: 1, targets: 1 });

/** One factor of the update: y = x · Wᵀ without bias (PEFT's lora_A / lora_B are nn.Linear(bias=False)). */
class LoraFactor extends Module {
  readonly weight: Tensor;

  constructor(weight: Tensor) {
    super('Linear');
    this.weight = this.addParameter('weight', weight);
  }

  forward(x: Tensor): Tensor {
    return linearOp(x, this.weight);
  }

  protected override describeArgs(): string {
    return `${this.weight.shape[1]}, ${this.weight.shape[0]}, bias=false`;
  }
}

function checkLoraOptions(where: string, opts: LoraOptions): void {
  const { rank, alpha, dropout, seed } = opts;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
    throw new OptionError(`shadergrad: ${where}: rank must be an integer ≥ 1, got ${String(rank)}`);
  }
  if (alpha !== undefined && (typeof alpha !== 'number' || !Number.isFinite(alpha))) {
    throw new OptionError(`shadergrad: ${where}: alpha must be a finite number (the update is scaled by alpha / rank), got ${String(alpha)}`);
  }
  if (dropout !== undefined && (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))) {
    throw new OptionError(`shadergrad: ${where}: dropout must be a probability in [0, 1), got ${String(dropout)}`);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new OptionError(`shadergrad: ${where}: seed must be an integer, got ${String(seed)}`);
  }
}

/**
 * A Linear layer with a LoRA update (PEFT's lora.Linear): children `base_layer` (the wrapped Linear,
 * frozen), `lora_A` ([rank, in]), `lora_B` ([out, rank]) and, with dropout, `lora_dropout`.
 * `weight`, `bias`, `inFeatures` and `outFeatures` are the base layer's (as PEFT's layer exposes them).
 */
export class LoraLinear extends Module {
  readonly baseLayer: Linear;
  readonly loraA: Module & { readonly weight: Tensor };
  readonly loraB: Module & { readonly weight: Tensor };
  readonly loraDropout: Dropout | null;
  readonly rank: number;
  readonly alpha: number;
  /** alpha / rank: the factor on B·A. */
  readonly scaling: number;
  private isMerged = false;

  constructor(base: Linear, opts: LoraOptions) {
    super('LoraLinear');
    checkOptions('nn.lora', opts, LORA_KEYS);
    if (!((base as unknown) instanceof Linear)) {
      const b: unknown = base;
      const what = b instanceof LoraLinear ? 'a LoraLinear (it already has a LoRA update)' : b instanceof Module ? `a ${b.kind}` : b === null ? 'null' : typeof b;
      throw sgError(`nn.lora: expected an nn.Linear to wrap, got ${what}; LoRA adapts Linear layers only`);
    }
    if (opts === undefined || opts === null) throw new OptionError('shadergrad: nn.lora: options { rank } are required');
    checkLoraOptions('nn.lora', opts);
    this.rank = opts.rank;
    this.alpha = opts.alpha ?? opts.rank;
    this.scaling = this.alpha / this.rank;
    const { inFeatures, outFeatures } = base;
    this.baseLayer = this.addChild('base_layer', base);
    base.freeze();
    // PEFT's reset_lora_parameters: kaiming_uniform_(lora_A.weight, a=√5) — U(±1/√in) — and B = 0.
    const a = init.kaimingUniform([this.rank, inFeatures], { a: Math.sqrt(5), seed: opts.seed });
    this.loraA = this.addChild('lora_A', new LoraFactor(a));
    this.loraB = this.addChild('lora_B', new LoraFactor(init.zeros([outFeatures, this.rank])));
    this.loraDropout = (opts.dropout ?? 0) > 0 ? this.addChild('lora_dropout', new Dropout(opts.dropout!)) : null;
  }

  get weight(): Tensor {
    return this.baseLayer.weight;
  }

  get bias(): Tensor | undefined {
    return this.baseLayer.bias;
  }

  get inFeatures(): number {
    return this.baseLayer.inFeatures;
  }

  get outFeatures(): number {
    return this.baseLayer.outFeatures;
  }

  /** True after merge(): the base weight holds the update and forward runs the base layer alone. */
  get merged(): boolean {
    return this.isMerged;
  }

  forward(x: Tensor): Tensor {
    expectFeatures('LoraLinear', x, [this.inFeatures], `in features of LoraLinear(${this.inFeatures}, ${this.outFeatures}, rank=${this.rank})`);
    const y = this.baseLayer.forward(x);
    if (this.isMerged) return y;
    const h = this.loraDropout ? this.loraDropout.forward(x) : x;
    // (α/r) applied to the rank-r activations x·Aᵀ, the smallest tensor on the path (the same product).
    return add(y, this.loraB.forward(scale(this.loraA.forward(h), this.scaling)));
  }

  /** (α/r) · B · A: [out, in], the update merge() adds to the base weight. */
  deltaWeight(): Tensor {
    return scale(matmul(this.loraB.weight, this.loraA.weight), this.scaling);
  }

  /**
   * Fold the update into the base weight on the GPU (W ← W + (α/r)·B·A, in place: the tensor keeps its
   * identity) and run only the base layer from now on; returns the base Linear. The write is ordered
   * where merge() is called, so reads issued after it see the merged weight even before it settles.
   * A plan compiled before merging still runs the unmerged forward: compile again after merging.
   */
  async merge(): Promise<Linear> {
    if (!this.isMerged) {
      const w = this.baseLayer.weight;
      this.isMerged = true;
      await assign(w, add(w, this.deltaWeight()));
    }
    return this.baseLayer;
  }

  /** Undo merge(): W ← W − (α/r)·B·A (equal to the weight before merging up to f32 rounding). */
  async unmerge(): Promise<void> {
    if (!this.isMerged) return;
    const w = this.baseLayer.weight;
    this.isMerged = false;
    await assign(w, sub(w, this.deltaWeight()));
  }
}

/**
 * Wrap `linear` in a LoRA layer (PEFT's lora.Linear): its weight and bias are frozen (requiresGrad
 * false), `lora_A` [rank, in] and `lora_B` [out, rank] are trainable, and the layer initially computes
 * exactly what `linear` did.
 */
export const lora = (linear: Linear, opts: LoraOptions) => new LoraLinear(linear, opts);

/** Does a target name select the module at dotted path `name`? Whole name, prefix or suffix, at '.' boundaries. */
function nameMatches(name: string, target: string): boolean {
  return name === target || name.endsWith(`.${target}`) || name.startsWith(`${target}.`);
}

/** Every module under `m` (not m itself) with its dotted path, parents before children; LoRA layers are not entered. */
function walk(m: Module, prefix = ''): [string, Module][] {
  const out: [string, Module][] = [];
  for (const [n, c] of m.namedChildren()) {
    const path = prefix + n;
    out.push([path, c]);
    if (!(c instanceof LoraLinear)) out.push(...walk(c, `${path}.`));
  }
  return out;
}

/**
 * Add LoRA to the Linear layers of `model` that `targets` selects, in place, and freeze every other
 * parameter (the model then trains only lora_A / lora_B; unfreeze a head afterwards with
 * `model.unfreeze('head.')` if it should train too). Returns the dotted names of the wrapped layers.
 *
 * `targets` is `(name, linear) => boolean`, called for every Linear with its dotted name, or a list of
 * names, each selecting the Linear layers whose dotted name equals it, ends with it (`'out_proj'`,
 * `'linear1'`, `'self_attn.out_proj'`) or starts with it (`'layers.0'`: every Linear in that block),
 * always at '.' boundaries; a name that selects no Linear is an error. Each layer is replaced through
 * Module.setSubmodule, so its state-dict keys become `<name>.base_layer.weight`, `<name>.lora_A.weight`, ...
 * Layers already wrapped are left as they are. With `seed`, the i-th wrapped layer's A uses seed + i.
 */
export function applyLora(model: Module, opts: ApplyLoraOptions): string[] {
  checkOptions('nn.applyLora', opts, APPLY_LORA_KEYS);
  if (!(model instanceof Module)) throw sgError(`nn.applyLora: model must be an nn.Module, got ${typeof model}`);
  if (opts === undefined || opts === null) throw new OptionError('shadergrad: nn.applyLora: options { rank, targets } are required');
  checkLoraOptions('nn.applyLora', opts);
  if (model instanceof Linear || model instanceof LoraLinear) {
    throw sgError('nn.applyLora: the model is itself a Linear layer and cannot replace itself; use sg.nn.lora(linear, { rank })');
  }
  const { targets, ...loraOpts } = opts;
  const modules = walk(model);
  const linears = modules.filter((e): e is [string, Linear] => e[1] instanceof Linear);
  let selected: [string, Linear][];
  if (typeof targets === 'function') {
    selected = linears.filter(([n, l]) => targets(n, l) === true);
  } else if (Array.isArray(targets) && targets.every((t) => typeof t === 'string' && t.length > 0)) {
    selected = linears.filter(([n]) => targets.some((t) => nameMatches(n, t)));
    for (const t of targets) {
      if (modules.some(([n, c]) => (c instanceof Linear || c instanceof LoraLinear) && nameMatches(n, t))) continue; // LoRA layers: wrapped before
      const others = modules.filter(([n]) => nameMatches(n, t)).map(([n, c]) => `'${n}' (${c.kind})`);
      const mha = others.some((o) => o.endsWith('(MultiheadAttention)'))
        ? " (MultiheadAttention's in_proj_weight is a raw parameter, not a Linear; its output projection is 'out_proj')" : '';
      const why = others.length
        ? `it names ${others.slice(0, 4).join(', ')}${others.length > 4 ? ', …' : ''}, not a Linear; LoRA adapts Linear layers only${mha}`
        : `the Linear layers are ${linears.map(([n]) => `'${n}'`).slice(0, 8).join(', ') || 'none'}${linears.length > 8 ? ', …' : ''}`;
      throw sgError(`nn.applyLora: target '${t}' selects no Linear layer of ${model.kind}: ${why}`);
    }
  } else {
    throw new OptionError(`shadergrad: nn.applyLora: targets must be a function (name, linear) => boolean or a list of non-empty layer names, got ${JSON.stringify(targets) ?? String(targets)}`);
  }
  model.freeze();
  selected.forEach(([name, l], i) => {
    const seed = loraOpts.seed === undefined ? undefined : loraOpts.seed + i;
    model.setSubmodule(name, new LoraLinear(l, { ...loraOpts, seed }));
  });
  // LoRA layers wrapped earlier stay trainable too.
  for (const [, m] of walk(model)) {
    if (!(m instanceof LoraLinear)) continue;
    m.loraA.unfreeze();
    m.loraB.unfreeze();
  }
  return selected.map(([n]) => n);
}

/**
 * Merge every LoRA layer of `model` into its base weight and put the plain Linear back in its place
 * (PEFT's merge_and_unload): the model has its original architecture and state-dict keys again, with
 * the adapted weights (still frozen: unfreeze to train them). Returns the model (the base Linear when
 * `model` is itself a LoRA layer).
 */
export async function mergeLora(model: Module): Promise<Module> {
  if (model instanceof LoraLinear) return model.merge();
  const layers = walk(model).filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
  for (const [name, l] of layers) model.setSubmodule(name, await l.merge());
  return model;
}
