// The errors shadergrad throws on purpose. Every one is a ShadergradError whose message starts with
// `shadergrad: <where>: ` (the op, function or option bag that refused), then says what was wrong and
// what was expected, naming the tensor and its shape where there is one. Subclasses let callers
// catch one kind:
//
//   ShapeError             a tensor's shape, rank or dtype does not fit the op
//   OptionError            an unknown option key, or an option value out of its range
//   DeviceLostError        the GPU device was lost or destroyed (src/gpu/device.ts)
//   TensorUnusableError    a disposed tensor, or one of a lost device (src/tensor/tensor.ts)
//   IndexOutOfRangeError   an index or class label out of range, found on the GPU (src/runtime/device-errors.ts)
//   NonFiniteError         a compiled step produced NaN or Infinity (src/graph/plan.ts)
//   UsageError             the command line was wrong (src/cli/args.ts)
//
// Ground floor: imports nothing.

export class ShadergradError extends Error {
  override name = 'ShadergradError';
}

export class ShapeError extends ShadergradError {
  override name = 'ShapeError';
}

export class OptionError extends ShadergradError {
  override name = 'OptionError';
}

type ErrorKind = new (message: string) => ShadergradError;

/** What failIn() returns; declare the constant with this type so TypeScript sees that it never returns. */
export type Fail = (fn: string, message: string, Kind?: ErrorKind) => never;

/** An error `shadergrad: <message>` of `Kind` (for `throw sgError(...)`); `cause` as in `new Error`. */
export function sgError(message: string, Kind: ErrorKind = ShadergradError, options?: { cause?: unknown }): ShadergradError {
  const e = new Kind(`shadergrad: ${message}`);
  if (options && 'cause' in options) (e as Error & { cause?: unknown }).cause = options.cause;
  return e;
}

/** Throw `shadergrad: <where>: <message>`. */
export function raise(where: string, message: string, Kind: ErrorKind = ShadergradError): never {
  throw sgError(`${where}: ${message}`, Kind);
}

/**
 * A raise() for the functions of one namespace: `failIn('data')('split', m)` throws
 * `shadergrad: data.split: m`; without a namespace the function name is the whole `where`.
 */
export function failIn(namespace?: string): Fail {
  return (fn, message, Kind) => raise(namespace ? `${namespace}.${fn}` : fn, message, Kind);
}
