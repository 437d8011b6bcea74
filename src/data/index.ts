// sg.data — datasets from typed arrays, embedded MNIST, synthetic 2-D sets, normalisation,
// splits and k-fold, oversampling.
export * from './datasets.js';
export * from './split.js';
export * from './synthetic.js';
export * from './mnist.js';
