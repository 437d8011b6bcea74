// shadergrad/vis: live training charts for a page (the role tfjs-vis plays), drawn with uPlot.
// A subpath of its own, so `import * as sg from 'shadergrad'` does not load the charting library.
//
//   import * as vis from 'shadergrad/vis';
//   await sg.train.fit(model, { ...options, ...vis.fitCallbacks(document.getElementById('charts')!) });
//   vis.confusionMatrix(el, matrix, ['cat', 'dog']);
//   vis.rocChart(el, (await sg.train.evaluate(model, test)).curves);   // also prChart

export {
  accuracyCurve, confusionMatrix, fitCallbacks, linePlot, lossCurve, lrCurve, prChart, rocChart,
  type Chart, type ChartOptions, type ConfusionChart, type ConfusionOptions, type Container, type FitCallbacks,
  type FitCallbacksOptions, type FitChartName, type FitCharts,
} from './charts.js';
export {
  CLASS_COLORS, COLORS, FitRecorder, accuracySeries, lossSeries, lrSeries, plotSpec, prSeries, rocSeries, trainingLog,
  type CurveData, type PlotOptions, type PlotSpec, type Point, type SeriesData, type StepLoss, type TrainingData, type TrainingLog,
} from './series.js';
export { axis, formatValue, niceStep, tickLabels, type Axis, type AxisOptions } from './ticks.js';
export { VIS_CSS, injectStyle } from './style.js';
export { uplotOptions } from './uplot-options.js';
