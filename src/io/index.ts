// sg.io — checkpoints in the safetensors format.
export {
  saveCheckpoint, loadCheckpoint, checkpointBytes, checkpointTensors, checkCompatible,
  downloadCheckpoint, saveToOPFS, loadFromOPFS,
  type Checkpoint, type LoadedCheckpoint, type LoadedTensor, type TensorSpec,
} from './checkpoint.js';
export {
  encodeSafetensors, decodeSafetensors, planSafetensors,
  type SafetensorsTensor, type SafetensorsWriteTensor, type DecodedSafetensors, type DecodedTensor, type FileDType,
} from './safetensors.js';
export { exportPytorch, pytorchModelCode, type ExportPytorchOptions, type ExportPytorchResult } from './pytorch-export.js';
