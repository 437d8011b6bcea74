// common/grid.wgsl — the index of a thread in a grid folded into 2-D, shared by the kernels that
// `// #include "common/grid.wgsl"`.
//
// A dispatch has at most 65535 workgroups per dimension, so the host folds a long 1-D grid into
// (x, y) workgroups; thread gid then stands for element gid.x + gid.y · (num_workgroups.x · threads),
// with `threads` the workgroup size along x. Threads past the end compare the index with their count
// and do nothing.
fn grid_index(gid: vec3u, nwg: vec3u, threads: u32) -> u32 {
  return gid.x + gid.y * nwg.x * threads;
}
