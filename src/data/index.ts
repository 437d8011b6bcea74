// sg.data — datasets from typed arrays, embedded MNIST, synthetic 2-D sets, normalisation,
// splits and k-fold, oversampling; sg.data.text: character-level language-model data.
export {
  fromArrays, checkDataset, classCount, classCounts, subset, normalize, oversample, type Dataset,
  type DatasetInputs, type TokenDataset, type AnyDataset, type FromArraysOptions, type NormStats, type NormalizeMode,
} from './datasets.js';
export { trainValTestSplit, kFold, type SplitOptions, type Split, type Fold } from './split.js';
export { spiral, moons, circles, xor, gaussianBlobs, type SyntheticOptions } from './synthetic.js';
export { MNIST_SIZE, mnist, type MnistOptions } from './mnist.js';
export * as text from './text-api.js';
export { oodSet, type OodKind, type OodSetOptions } from './ood.js';
