// sg.optim — optimizers and learning-rate schedules.
export * from './optimizers.js';
export * from './schedulers.js';
