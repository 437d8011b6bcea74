// The stylesheet of shadergrad/vis charts: the layout uPlot's elements need (its canvas and the
// cursor/selection overlays stacked in .u-wrap, axes placed absolutely) and a compact legend row
// under the plot. The page injects it once (injectStyle); report.html inlines the same text.

export const VIS_CSS = `
.sg-vis{position:relative;min-width:0}
.sg-vis .uplot,.sg-vis .uplot *,.sg-vis .uplot *::before,.sg-vis .uplot *::after{box-sizing:border-box}
.sg-vis .uplot{font:12px system-ui,-apple-system,"Segoe UI",sans-serif;color:#3b4452;line-height:1.4;width:min-content}
.sg-vis .u-title{text-align:center;font-size:13px;font-weight:600;margin-bottom:2px}
.sg-vis .u-wrap{position:relative;user-select:none}
.sg-vis .u-over,.sg-vis .u-under{position:absolute}
.sg-vis .u-under{overflow:hidden}
.sg-vis .uplot canvas{display:block;position:relative;width:100%;height:100%}
.sg-vis .u-axis{position:absolute}
.sg-vis .u-legend{margin:2px auto 0;text-align:center;font-size:11.5px}
.sg-vis .u-inline{display:block}
.sg-vis .u-inline *{display:inline-block}
.sg-vis .u-inline tr{margin-right:12px}
.sg-vis .u-legend th{font-weight:500}
.sg-vis .u-legend th>*{vertical-align:middle;display:inline-block}
.sg-vis .u-legend .u-marker{width:12px;height:3px;margin-right:5px;background-clip:padding-box!important}
.sg-vis .u-inline.u-live th::after{content:":";vertical-align:middle}
.sg-vis .u-inline:not(.u-live) .u-value{display:none}
.sg-vis .u-series>*{padding:1px 3px}
.sg-vis .u-series th{cursor:pointer}
.sg-vis .u-legend .u-off>*{opacity:.35}
.sg-vis .u-select{background:rgba(0,0,0,.07);position:absolute;pointer-events:none}
.sg-vis .u-cursor-x,.sg-vis .u-cursor-y{position:absolute;left:0;top:0;pointer-events:none;will-change:transform}
.sg-vis .u-hz .u-cursor-x,.sg-vis .u-vt .u-cursor-y{height:100%;border-right:1px dashed #9aa5b1}
.sg-vis .u-hz .u-cursor-y,.sg-vis .u-vt .u-cursor-x{width:100%;border-bottom:1px dashed #9aa5b1}
.sg-vis .u-cursor-pt{position:absolute;top:0;left:0;border-radius:50%;border:0 solid;pointer-events:none;will-change:transform;background-clip:padding-box!important}
.sg-vis .u-axis.u-off,.sg-vis .u-select.u-off,.sg-vis .u-cursor-x.u-off,.sg-vis .u-cursor-y.u-off,.sg-vis .u-cursor-pt.u-off{display:none}
.sg-vis-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
canvas.sg-vis-matrix{display:block;width:100%}
`.trim();

/** Add VIS_CSS to the document once. */
export function injectStyle(doc: Document = document): void {
  if (doc.getElementById('sg-vis-style')) return;
  const style = doc.createElement('style');
  style.id = 'sg-vis-style';
  style.textContent = VIS_CSS;
  doc.head.append(style);
}
