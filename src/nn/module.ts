// Modules: layers with parameters (trainable tensors), buffers (state such as batch norm's running
// statistics) and children. PyTorch's shape: `forward`, `parameters()`, `namedParameters()`,
// `stateDict()`, `loadStateDict()`, `train()` / `eval()`, plus `freeze()` for transfer learning.

import { assign } from '../tensor/assign.js';
import { seedNext } from '../ops/dropout.js';
import { deferStateUpdate } from '../graph/state.js';
import { keep } from '../tensor/scope.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { fmtShape, sameShape } from '../util/shape.js';
import { sgError } from '../util/errors.js';

export abstract class Module {
  /** Training mode: dropout active, batch norm uses and updates batch statistics. */
  training = true;
  /**
   * Set to true from a fit callback (onStepEnd, onEpochEnd) to end training after that step or epoch,
   * as tfjs's `model.stopTraining`; sg.train.fit resets it to false when it starts.
   */
  stopTraining = false;
  /** Used in error messages and state-dict keys of children. */
  readonly kind: string;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  /** Buffers left out of stateDict() (PyTorch's `register_buffer(..., persistent=False)`). */
  private readonly nonPersistent = new Set<string>();
  private readonly children = new Map<string, Module>();
  /** Parameters whose param(name) is computed by library code (see Module.ownState). */
  private readonly computed = new Map<string, () => Tensor>();

  constructor(kind: string) {
    this.kind = kind;
  }

  abstract forward(x: Tensor): Tensor;

  /** Shorthand for forward(). */
  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  protected addParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.name ??= name;
    keep(t); // a model built inside sg.tidy() keeps its parameters
    this.ownParams.set(name, t);
    return t;
  }

  /**
   * Register state that is not trained (batch norm's running statistics). With `persistent: false` it
   * stays out of stateDict(), as PyTorch's non-persistent buffers do (dropout's random key: PyTorch has
   * no such tensor, so a checkpoint with it would not load there); sg.save keeps it in the metadata.
   */
  protected addBuffer(name: string, t: Tensor, opts: { persistent?: boolean } = {}): Tensor {
    t.name ??= name;
    keep(t);
    this.ownBuffers.set(name, t);
    if (opts.persistent === false) this.nonPersistent.add(name);
    return t;
  }

  /** Replace a buffer's tensor (eager state updates). */
  protected setBuffer(name: string, t: Tensor): void {
    if (!this.ownBuffers.has(name)) throw sgError(`${this.kind} has no buffer '${name}'`);
    t.name = this.ownBuffers.get(name)!.name;
    keep(t); // the new state outlives an sg.tidy() around the step that computed it
    this.ownBuffers.set(name, t);
  }

  /**
   * This forward's random key (the buffer `name`, a Philox key as sg.dropout takes it), advancing the
   * state so the next forward draws anew — in a compiled plan the update is part of every step.
   */
  protected nextKey(name = 'key'): Tensor {
    const key = this.buffer(name);
    const next = seedNext(key);
    if (!deferStateUpdate(key, next)) this.setBuffer(name, next);
    return key;
  }

  protected param(name: string): Tensor {
    const compute = this.computed.get(name);
    if (compute) return compute();
    const t = this.ownParams.get(name);
    if (!t) throw sgError(`${this.kind} has no parameter '${name}'`);
    return t;
  }

  protected buffer(name: string): Tensor {
    const t = this.ownBuffers.get(name);
    if (!t) throw sgError(`${this.kind} has no buffer '${name}'`);
    return t;
  }

  /**
   * @internal The own parameter and buffer tables of `m`, for library code that rewires a module in
   * place — sg.nn.prune's reparametrisation (`weight` → `weight_orig` × `weight_mask`, and back) and
   * prune.compact. Not for models, which register their state with addParameter / addBuffer. The
   * tables keep registration order, which is stateDict()'s: setting a name that is not there appends it
   * (as torch's register_parameter after a `del`). Nothing here changes requiresGrad.
   */
  static ownState(m: Module): ModuleOwnState {
    return {
      parameters: m.ownParams,
      buffers: m.ownBuffers,
      setParameter(name, t) {
        t.name ??= name;
        keep(t);
        m.ownParams.set(name, t);
      },
      removeParameter(name) {
        const t = m.ownParams.get(name);
        m.ownParams.delete(name);
        return t;
      },
      setBuffer(name, t) {
        t.name ??= name;
        keep(t);
        m.ownBuffers.set(name, t);
        m.nonPersistent.delete(name);
      },
      removeBuffer(name) {
        const t = m.ownBuffers.get(name);
        m.ownBuffers.delete(name);
        m.nonPersistent.delete(name);
        return t;
      },
      computeParameter(name, compute) {
        if (compute) m.computed.set(name, compute);
        else m.computed.delete(name);
      },
    };
  }

  protected addChild<M extends Module>(name: string, m: M): M {
    if (!(m instanceof Module)) throw sgError(`${this.kind}: child '${name}' is not a module`);
    this.children.set(name, m);
    return m;
  }

  /**
   * Replace the submodule at dotted path `target` ('2', 'layers.0.linear1') by `m`, as torch's
   * `set_submodule`; returns the module it replaced. `m` takes the old one's place (and state-dict
   * position), and a field of the parent that held the old module — `TransformerEncoderLayer.linear1`,
   * an element of `Sequential.layers` — is pointed at `m`, so forward calls it (sg.nn.applyLora uses this).
   */
  setSubmodule(target: string, m: Module): Module {
    if (!(m instanceof Module)) throw sgError(`${this.kind}.setSubmodule('${target}'): the replacement is not a module`);
    const path = String(target).split('.');
    const name = path.pop()!;
    let parent: Module = this;
    for (const [i, p] of path.entries()) {
      const next = parent.children.get(p);
      if (!next) throw sgError(`${this.kind}.setSubmodule: no submodule '${path.slice(0, i + 1).join('.')}' on the way to '${target}'`);
      parent = next;
    }
    const old = parent.children.get(name);
    if (!old) {
      const have = [...parent.children.keys()].map((k) => `'${k}'`).join(', ') || 'none';
      throw sgError(`${this.kind}.setSubmodule: no submodule '${target}' (the children of ${parent.kind} are ${have})`);
    }
    parent.children.set(name, m); // an existing key keeps its place in the map
    const fields = parent as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const v = fields[key];
      if (v === old) fields[key] = m;
      else if (Array.isArray(v)) v.forEach((e, i) => { if (e === old) v[i] = m; });
    }
    return old;
  }

  /** Children in order, with their names. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every parameter with its dotted name ('0.weight', 'block.conv.bias', ...). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    for (const [cn, c] of this.children) out.push(...c.namedParameters(`${prefix}${cn}.`));
    return out;
  }

  /** Every buffer with its dotted name, persistent or not (as PyTorch's named_buffers()). */
  namedBuffers(prefix = '', opts: { persistent?: boolean } = {}): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.ownBuffers) {
      if (opts.persistent === undefined || opts.persistent === !this.nonPersistent.has(n)) out.push([prefix + n, t]);
    }
    for (const [cn, c] of this.children) out.push(...c.namedBuffers(`${prefix}${cn}.`, opts));
    return out;
  }

  /** Trainable parameters (frozen ones excluded) — what an optimizer updates. */
  parameters(): Tensor[] {
    return this.namedParameters().filter(([, t]) => t.requiresGrad).map(([, t]) => t);
  }

  /**
   * Parameters and persistent buffers by name: what a checkpoint holds, with exactly the keys, shapes
   * and layouts of PyTorch's `state_dict()` for the same architecture ('0.weight', '1.running_mean',
   * '1.num_batches_tracked', ...).
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.stateEntries(''));
  }

  /** PyTorch's state_dict order: a module's parameters, then its persistent buffers, then each child's. */
  private stateEntries(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.ownParams) out.push([prefix + n, t]);
    for (const [n, t] of this.ownBuffers) if (!this.nonPersistent.has(n)) out.push([prefix + n, t]);
    for (const [cn, c] of this.children) out.push(...c.stateEntries(`${prefix}${cn}.`));
    return out;
  }

  /**
   * Non-persistent buffers by name (dropout and augmentation random keys): state that PyTorch's
   * state_dict has no key for. sg.save stores it in the checkpoint's metadata, so a resumed run draws
   * the same masks, and the file's tensors stay exactly PyTorch's.
   */
  extraState(): Record<string, Tensor> {
    return Object.fromEntries(this.namedBuffers('', { persistent: false }));
  }

  /**
   * Copy values into this module's parameters and buffers (on the GPU). Names, shapes and dtypes must
   * match exactly; one error lists every difference.
   */
  async loadStateDict(values: Record<string, { shape: number[]; dtype: string; data: Float32Array | Int32Array } | Tensor>): Promise<void> {
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [name, t] of Object.entries(own)) {
      const v = values[name];
      if (!v) problems.push(`missing '${name}' ${fmtShape(t.shape)}`);
      else if (!sameShape(v.shape, t.shape)) problems.push(`'${name}': expected ${fmtShape(t.shape)}, got ${fmtShape(v.shape)}`);
      else if (v.dtype !== t.dtype) problems.push(`'${name}': expected dtype ${t.dtype}, got ${v.dtype}`);
    }
    for (const name of Object.keys(values)) if (!(name in own)) problems.push(`unexpected '${name}'`);
    if (problems.length) throw sgError(`loadStateDict(${this.kind}): ${problems.join('; ')}`);
    for (const [name, t] of Object.entries(own)) {
      const v = values[name];
      const src = v instanceof Tensor ? v : tensor(v.data, v.shape, { dtype: t.dtype });
      await assign(t, src);
      // The upload made here is ours: give its buffer back now, not when the collector finds it.
      if (src !== v) src.dispose();
    }
  }

  /** Training mode (recursively). */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  /** Evaluation mode: dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Freeze parameters (all, or those whose dotted name starts with one of `prefixes`): they keep their
   * values and are left out of parameters(), so an optimizer does not update them — transfer learning.
   */
  freeze(...prefixes: string[]): this {
    for (const [n, t] of this.namedParameters()) if (!prefixes.length || prefixes.some((p) => n.startsWith(p))) t.requiresGrad = false;
    return this;
  }

  unfreeze(...prefixes: string[]): this {
    for (const [n, t] of this.namedParameters()) if (!prefixes.length || prefixes.some((p) => n.startsWith(p))) t.requiresGrad = true;
    return this;
  }

  /** Number of parameter values (trainable only, unless `all`). */
  numParameters(all = false): number {
    return (all ? this.namedParameters().map(([, t]) => t) : this.parameters()).reduce((n, t) => n + t.size, 0);
  }

  /** One line per module, PyTorch-style. */
  toString(indent = ''): string {
    const kids = [...this.children];
    if (!kids.length) return `${this.kind}(${this.describeArgs()})`;
    return `${this.kind}(\n${kids.map(([n, c]) => `${indent}  (${n}): ${c.toString(indent + '  ')}`).join('\n')}\n${indent})`;
  }

  protected describeArgs(): string {
    return '';
  }
}

/** @internal What Module.ownState gives library code: a module's own state tables and their setters. */
export interface ModuleOwnState {
  /** Own parameters (not the children's), in registration order. */
  readonly parameters: ReadonlyMap<string, Tensor>;
  /** Own buffers, persistent or not, in registration order. */
  readonly buffers: ReadonlyMap<string, Tensor>;
  /** Register `t` as parameter `name` (replaced in place if the name exists, else appended). */
  setParameter(name: string, t: Tensor): void;
  /** Unregister parameter `name`; returns its tensor (undefined if there was none). */
  removeParameter(name: string): Tensor | undefined;
  /** Register `t` as a persistent buffer `name` (replaced in place if the name exists, else appended). */
  setBuffer(name: string, t: Tensor): void;
  /** Unregister buffer `name`; returns its tensor (undefined if there was none). */
  removeBuffer(name: string): Tensor | undefined;
  /**
   * Make the module's param(name) — what its forward reads — return `compute()` instead of the
   * registered parameter `name` (sg.nn.prune: the product weight_orig × weight_mask); `undefined`
   * restores the registered parameter.
   */
  computeParameter(name: string, compute: (() => Tensor) | undefined): void;
}
