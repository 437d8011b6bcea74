// common/index_errors.wgsl — reporting an out-of-range index to the host, shared by the kernels that
// `// #include "common/index_errors.wgsl"` (loss.wgsl for cross-entropy targets, index.wgsl for
// gather and index_select).
//
// The including file declares the device's index-error buffer, bound by the recorder at the binding
// number its kernels' descriptors give:
//   @group(0) @binding(N) var<storage, read_write> index_errors: array<atomic<u32>, 8>;
// Word 0 counts the reports; only the first is kept, in words 1–5. src/gpu/device-errors.ts reads
// them after the next read-back and throws sg.IndexOutOfRangeError naming the op, index and position.

// Which check failed: src/runtime/device-errors.ts names its messages by these constants.
const CHECK_CROSS_ENTROPY = 1u;
const CHECK_GATHER = 2u;
const CHECK_INDEX_SELECT = 3u;

// Record a bad index unless one is already recorded:
//   check   which check failed (a CHECK_ constant above)
//   index   the offending index value
//   pos     where it was found (row of the targets, position in the index tensor)
//   size    the valid range is 0 ..< size
//   detail  one more word for the message (cross-entropy: the ignore_index as bits; gather: the axis)
fn report_index_error(check: u32, index: i32, pos: u32, size: u32, detail: u32) {
  if (atomicAdd(&index_errors[0], 1u) != 0u) { return; }
  atomicStore(&index_errors[1], check);
  atomicStore(&index_errors[2], bitcast<u32>(index));
  atomicStore(&index_errors[3], pos);
  atomicStore(&index_errors[4], size);
  atomicStore(&index_errors[5], detail);
}
