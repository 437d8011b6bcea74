// sg.metrics — classification and regression metrics on the CPU (GPU accuracy and confusion
// matrix ops are sg.accuracy / sg.confusionMatrix).
export * from './classification.js';
export * from './regression.js';
