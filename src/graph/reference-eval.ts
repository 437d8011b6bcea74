// Replays a lazy graph on the CPU with every op's float64 reference: the independent second engine
// that tests compare the GPU against. Forward evaluates each node's `reference`; backward runs
// reverse mode with each op's `referenceBackward` (hand-written loops, not the GPU gradient rules).

import type { HostTensor } from '../reference/host.js';
import { hostValues, type Node, type Tensor } from '../tensor/tensor.js';
import { opOf } from '../ops/op.js';

export type Leaves = Map<Tensor, HostTensor>;

function topo(targets: Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const t of n.inputs) visit(t.node);
    order.push(n);
  };
  targets.forEach((t) => visit(t.node));
  return order;
}

export class ReferenceRun {
  readonly values = new Map<Node, HostTensor[]>();
  /** Each node's inputs, captured now: realising the GPU graph later may drop them. */
  readonly inputsOf = new Map<Node, Tensor[]>();
  readonly order: Node[];

  /** Evaluate `targets` on the CPU; leaves come from `leaves` or from the values sources were made with. */
  constructor(readonly targets: Tensor[], readonly leaves: Leaves) {
    this.order = topo(targets);
    for (const node of this.order) this.inputsOf.set(node, [...node.inputs]);
    this.evaluate();
  }

  /** (Re)compute every value from the leaves (finite differences change a leaf and call this). */
  evaluate(): void {
    for (const node of this.order) {
      const inputs = this.inputsOf.get(node)!;
      if (inputs.length === 0 && node.op.name === 'source') {
        const t = node.tensors[0];
        const given = this.leaves.get(t);
        const host = given?.data ?? hostValues(t);
        if (!host) throw new Error(`reference: source ${t.describe()} has no host values`);
        this.values.set(node, [{ data: host, shape: t.shape }]);
        continue;
      }
      const ins = inputs.map((t) => this.value(t));
      this.values.set(node, opOf(node.op).reference(ins, node.attrs as never));
    }
  }

  value(t: Tensor): HostTensor {
    const v = this.values.get(t.node)?.[t.index];
    if (!v) throw new Error(`reference: no value for ${t.describe()}`);
    return v;
  }

  /** Reverse mode with the reference backward functions: gradients of Σ(y · dy) w.r.t. `xs`. */
  backward(y: Tensor, dy: HostTensor, xs: Tensor[]): (HostTensor | null)[] {
    const grads = new Map<Node, (HostTensor | null)[]>();
    grads.set(y.node, y.node.outputs.map((_, i) => (i === y.index ? dy : null)));
    for (let i = this.order.length - 1; i >= 0; i--) {
      const node = this.order[i];
      const dys = grads.get(node);
      const inputs = this.inputsOf.get(node)!;
      if (!dys || dys.every((g) => !g) || inputs.length === 0) continue;
      const rb = opOf(node.op).referenceBackward;
      if ('none' in rb) continue;
      const dxs = rb({
        inputs: inputs.map((t) => this.value(t)), outputs: this.values.get(node)!, dys, attrs: node.attrs as never,
      });
      inputs.forEach((inp, k) => {
        const g = dxs[k];
        if (!g) return;
        let slot = grads.get(inp.node);
        if (!slot) grads.set(inp.node, (slot = inp.node.outputs.map(() => null)));
        const prev = slot[inp.index];
        if (!prev) slot[inp.index] = { data: Float64Array.from(g.data), shape: [...g.shape] };
        else for (let j = 0; j < prev.data.length; j++) prev.data[j] += g.data[j];
      });
    }
    return xs.map((x) => grads.get(x.node)?.[x.index] ?? null);
  }
}
