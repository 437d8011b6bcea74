// Reverse-mode automatic differentiation over the lazy graph. Gradients are built from each op's
// gradient rule (src/ops/*), which is written in ops, so the result is itself a lazy graph: it can
// be realised in the same submit as the forward, compiled into a plan, or differentiated again.

import { Tensor, Node, withTracing, read, realise, tensor } from '../tensor/tensor.js';
import { reshape } from '../ops/shape-ops.js';
import { add, zerosLike } from '../ops/elementwise.js';
import { fmtShape, sameShape } from '../util/shape.js';
import { opOf } from '../ops/op.js';
import { sgError, ShapeError } from '../util/errors.js';

/** Nodes on a path from any of `xs` to `y`, in topological order. */
function pathNodes(y: Tensor, xs: Tensor[]): Node[] {
  const sources = new Set(xs.map((x) => x.node));
  const order: Node[] = [];
  const state = new Map<Node, boolean>(); // node -> depends on a source
  const visit = (n: Node): boolean => {
    const known = state.get(n);
    if (known !== undefined) return known;
    let dep = sources.has(n);
    state.set(n, dep); // provisional (graphs are acyclic)
    for (const t of n.inputs) if (visit(t.node)) dep = true;
    state.set(n, dep);
    if (dep) order.push(n);
    return dep;
  };
  visit(y.node);
  return order;
}

/**
 * Gradients of scalar `y` with respect to each of `xs` (lazy tensors). `dy` seeds the backward pass
 * (default 1). Inputs that `y` does not depend on get zeros.
 */
export function gradients(y: Tensor, xs: Tensor[], dy?: Tensor): Tensor[] {
  if (!dy && y.size !== 1) {
    throw sgError(`grad: the function must return a single value (a loss), got ${y.describe()}; ` +
      'reduce it with sg.sum or sg.mean first');
  }
  if (dy && !sameShape(dy.shape, y.shape)) {
    throw sgError(`grad: seed ${dy.describe()} must have the shape of the output ${fmtShape(y.shape)}`, ShapeError);
  }
  return withTracing(() => {
    const order = pathNodes(y, xs);
    const onPath = new Set(order);
    const grads = new Map<Node, (Tensor | null)[]>();
    // d loss / d loss = 1: a constant, no dispatch.
    const seed = dy ?? reshape(tensor([1], []), y.shape);
    grads.set(y.node, y.node.outputs.map((_, i) => (i === y.index ? seed : null)));
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const dys = grads.get(node);
      if (!dys || dys.every((g) => g === null) || node.inputs.length === 0) continue;
      const rule = opOf(node.op).grad;
      if ('none' in rule) {
        // Comparisons and integer outputs pass nothing back. Any other op without a gradient rule
        // must not be crossed: a missing derivative would otherwise read as a zero one.
        if (!rule.zero && node.inputs.some((t) => t.dtype === 'f32' && onPath.has(t.node))) {
          throw sgError(`grad: cannot differentiate through '${node.op.name}': ${rule.none}`);
        }
        continue;
      }
      const dxs = rule({ inputs: node.inputs, outputs: node.tensors, dys, attrs: node.attrs });
      node.inputs.forEach((inp, k) => {
        const g = dxs[k];
        if (!g) return;
        if (!sameShape(g.shape, inp.shape)) {
          throw sgError(`internal: gradient rule of ${node.op.name} returned ${fmtShape(g.shape)} ` +
            `for input ${k} of shape ${fmtShape(inp.shape)}`, ShapeError);
        }
        let slot = grads.get(inp.node);
        if (!slot) grads.set(inp.node, (slot = inp.node.outputs.map(() => null)));
        const prev = slot[inp.index];
        slot[inp.index] = prev ? add(prev, g) : g;
      });
    }
    return xs.map((x) => grads.get(x.node)?.[x.index] ?? zerosLike(x));
  });
}

type TensorFn = (...args: Tensor[]) => Tensor;

function checkArgs(args: Tensor[], where: string): void {
  args.forEach((a, i) => {
    if (!(a instanceof Tensor)) throw sgError(`${where}: argument ${i} must be a Tensor`);
  });
}

/**
 * `grad(f)` returns a function computing the gradient of scalar `f(...args)` with respect to every
 * argument (or with respect to `wrt`, e.g. a model's parameters). The result is lazy: realise it
 * with `await t.data()`, or differentiate it again.
 */
export function grad(f: TensorFn, wrt?: Tensor[]): (...args: Tensor[]) => Tensor[] {
  return (...args) => {
    checkArgs(args, 'grad');
    return withTracing(() => gradients(f(...args), wrt ?? args));
  };
}

/**
 * `valueAndGrad(f)(...args)` runs f and its gradient in one submit and resolves to
 * `[value, grads]`, both realised on the GPU.
 */
export function valueAndGrad(f: TensorFn, wrt?: Tensor[]): (...args: Tensor[]) => Promise<[Tensor, Tensor[]]> {
  return async (...args) => {
    checkArgs(args, 'valueAndGrad');
    const [value, grads] = withTracing(() => {
      const v = f(...args);
      return [v, gradients(v, wrt ?? args)] as const;
    });
    await realise(value, ...grads);
    return [value, grads];
  };
}

/** Read several tensors in one submit (re-exported for convenience). */
export { read };
