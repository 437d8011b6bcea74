// sg.nn — modules (layers), weight initialisation and seeding.
export { Module } from './module.js';
export * from './layers.js';
export { manualSeed, globalRandom, calculateGain, fans } from './init.js';
export * as init from './init.js';
