// shadergrad/vis: live training charts for a page (the role tfjs-vis plays), drawn with uPlot.
// A subpath of its own, so `import * as sg from 'shadergrad'` does not load the charting library.
//
//   import * as vis from 'shadergrad/vis';
//   await sg.train.fit(model, { ...options, ...vis.fitCallbacks(document.getElementById('charts')!) });
//   vis.confusionMatrix(el, matrix, ['cat', 'dog']);

export {
  accuracyCurve, confusionMatrix, fitCallbacks, linePlot, lossCurve, lrCurve,
  type Chart, type ChartOptions, type ConfusionChart, type ConfusionOptions, type Container, type FitCallbacks,
  type FitCallbacksOptions, type FitChartName, type FitCharts,
} from './charts.js';
export {
  COLORS, FitRecorder, accuracySeries, lossSeries, lrSeries, plotSpec, trainingLog,
  type PlotOptions, type PlotSpec, type Point, type SeriesData, type StepLoss, type TrainingData, type TrainingLog,
} from './series.js';
export { axis, formatValue, niceStep, tickLabels, type Axis, type AxisOptions } from './ticks.js';
export { VIS_CSS, injectStyle } from './style.js';
export { uplotOptions } from './uplot-options.js';
