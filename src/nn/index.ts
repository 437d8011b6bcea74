// sg.nn — modules (layers), weight initialisation and seeding.
export { Module } from './module.js';
export * from './layers.js';
export { calculateGain, fans } from './init.js';
export { manualSeed, globalRandom } from '../util/random.js';
export * as init from './init.js';
