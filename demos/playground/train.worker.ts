// The playground's worker: the model and optimizer of the page's settings are built here
// (./model.ts), sg.train.fit runs here, and the page drives it through sg.worker.spawn's proxy — so
// the page's own thread only draws. inspect() is what the page draws from, run between two training
// steps: the class probabilities on the boundary grid, mean |∂L/∂W| per layer (one eager gradient over
// the training set) and every weight and bias for the network diagram.
import * as sg from 'shadergrad';
import { makeModel, makeOptimizer, type BuildConfig } from './model.js';

export interface Inspection {
  probs: Float32Array;
  gradMeans: number[];
  weights: Float32Array[];
  biases: Float32Array[];
}

sg.worker.serve<BuildConfig>({
  model: (c) => makeModel(c, c.classes),
  optimizer: (model, c) => makeOptimizer(c, model.parameters()),
  methods: {
    inspect: async (ctx, grid: Float32Array, x: Float32Array, y: Int32Array): Promise<unknown> => {
      const model = ctx.model;
      const named = model.namedParameters();
      const weights = named.filter(([n]) => n.endsWith('weight')).map(([, t]) => t);
      const biases = named.filter(([n]) => n.endsWith('bias')).map(([, t]) => t);
      const g = sg.tensor(grid, [grid.length / 2, 2]);
      const xt = sg.tensor(x, [x.length / 2, 2]);
      const yt = sg.tensor(y, [y.length], { dtype: 'i32' });
      try {
        model.eval();
        const probsT = sg.softmax(model.forward(g), -1);
        model.train();
        const probs = (await probsT.data()) as Float32Array;
        probsT.dispose();
        const [loss, grads] = await sg.valueAndGrad(() => sg.crossEntropy(model.forward(xt), yt), weights)();
        const gradMeans = await Promise.all(grads.map((t) => sg.mean(sg.abs(t)).item()));
        loss.dispose();
        grads.forEach((t) => t.dispose());
        const ws = await Promise.all(weights.map((t) => t.data() as Promise<Float32Array>));
        const bs = await Promise.all(biases.map((t) => t.data() as Promise<Float32Array>));
        const out: Inspection = { probs, gradMeans, weights: ws, biases: bs }; // a few kB: copied, not transferred
        return out;
      } finally {
        model.train();
        g.dispose();
        xt.dispose();
        yt.dispose();
      }
    },
  },
});
