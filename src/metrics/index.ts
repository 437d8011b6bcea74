// sg.metrics — classification, regression, ranking metrics and ROC / PR curves on the CPU (GPU accuracy and confusion
// matrix ops are sg.accuracy / sg.confusionMatrix).
export {
  confusionMatrix, accuracy, precision, recall, f1, classificationReport, type Average, type ConfusionMatrix,
  type AverageOptions,
} from './classification.js';
export { mse, mae, rmse, r2, type RegressionOptions } from './regression.js';
export { recallAtK, mrr, ndcg, type HostMatrix, type MatrixInput, type IndexInput } from './ranking.js';
export {
  rocCurve, rocAuc, precisionRecallCurve, averagePrecision, type RocCurve, type PrecisionRecallCurve,
  type CurveAverageOptions, type ScoreInput, type LabelInput,
} from './curves.js';
export { expectedCalibrationError, type ProbabilityInput } from './calibration.js';
export { oodScores, oodAuroc, type OodScoresOptions, type OodMethod } from './ood.js';
