// sg.train — fit, evaluate, overfitBatch and the GPU-resident data loader.
export { fit, evaluate, overfitBatch, FitController, type FitControlEvent, type StopReason, type FitOptions, type LossFunction, type EpochRecord, type History, type EarlyStopping, type Evaluation, type ClassCurves, classCurves, type StepInfo, type MetricName } from './fit.js';
export { GpuDataset, epochBatches, type LoaderOptions } from './loader.js';
export { LOSSES, lossByName, type LossName } from './losses.js';
export { distillationLoss, type DistillationOptions } from './distill.js';
export { PFLOP_DAY, planFlops, trainingCost, formatCost, type TrainingCost } from './cost.js';
