// Bad inputs to conv2d and the pooling functions: each error names the argument, its shape and what
// was expected, and is thrown when the op is recorded (before anything runs on the GPU).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(() => sg.init());
afterAll(() => sg.dispose());

const t = (shape: number[], name?: string, dtype: 'f32' | 'i32' = 'f32') =>
  sg.tensor(new Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { name, dtype });

describe('conv2d errors', () => {
  it('channel mismatch names input, weight, both shapes and groups', () => {
    expect(() => sg.conv2d(t([1, 3, 5, 5], 'x'), t([4, 2, 3, 3], 'w'))).toThrow(
      /conv2d: input tensor 'x' \[1, 3, 5, 5\] f32 has 3 channels but weight tensor 'w' \[4, 2, 3, 3\] f32 expects 2 × groups 1 = 2/);
    expect(() => sg.conv2d(t([1, 4, 5, 5]), t([4, 1, 3, 3]), null, { groups: 2 })).toThrow(/has 4 channels but .* expects 1 × groups 2 = 2/);
  });

  it('groups must divide the input and output channels', () => {
    expect(() => sg.conv2d(t([1, 3, 5, 5], 'x'), t([4, 1, 3, 3]), null, { groups: 2 })).toThrow(
      /conv2d: groups = 2 does not divide the 3 input channels of input tensor 'x' \[1, 3, 5, 5\]/);
    expect(() => sg.conv2d(t([1, 4, 5, 5]), t([3, 2, 3, 3], 'w'), null, { groups: 2 })).toThrow(
      /conv2d: groups = 2 does not divide the 3 output channels of weight tensor 'w' \[3, 2, 3, 3\]/);
    expect(() => sg.conv2d(t([1, 4, 5, 5]), t([4, 4, 3, 3]), null, { groups: 0 })).toThrow(/conv2d: groups must be a positive integer, got 0/);
    expect(() => sg.conv2d(t([1, 4, 5, 5]), t([4, 4, 3, 3]), null, { groups: 1.5 })).toThrow(/groups must be a positive integer/);
  });

  it('kernel larger than the padded input', () => {
    expect(() => sg.conv2d(t([1, 1, 4, 4], 'x'), t([2, 1, 5, 5], 'w'))).toThrow(
      /conv2d: kernel of weight tensor 'w' \[2, 1, 5, 5\] f32 \(5×5 with dilation 1×1\) is larger than the padded input 4×4 of input tensor 'x'/);
    // Dilation 3 makes a 3×3 kernel span 7×7, more than the 6×6 padded input.
    expect(() => sg.conv2d(t([1, 1, 4, 4]), t([2, 1, 3, 3]), null, { dilation: 3, padding: 1 })).toThrow(
      /kernel .* \(7×7 with dilation 3×3\) is larger than the padded input 6×6/);
    expect(() => sg.conv2d(t([1, 1, 4, 4]), t([2, 1, 5, 5]), null, { padding: 1 })).not.toThrow();
  });

  it('non-positive stride or dilation, negative padding, bad pairs', () => {
    const x = t([1, 1, 5, 5]);
    const w = t([1, 1, 3, 3]);
    expect(() => sg.conv2d(x, w, null, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1 or a pair \[h, w\] of them, got 0/);
    expect(() => sg.conv2d(x, w, null, { stride: [1, -2] })).toThrow(/stride must be an integer >= 1 .* got \[1,-2\]/);
    expect(() => sg.conv2d(x, w, null, { dilation: 0 })).toThrow(/dilation must be an integer >= 1/);
    expect(() => sg.conv2d(x, w, null, { padding: -1 })).toThrow(/padding must be an integer >= 0/);
    expect(() => sg.conv2d(x, w, null, { padding: [1, 1, 1] as unknown as [number, number] })).toThrow(/padding must be .* pair/);
    expect(() => sg.conv2d(x, w, null, { padding: 'same', stride: 2 })).toThrow(/conv2d: padding 'same' needs stride 1, got stride \[2, 2\]/);
    expect(() => sg.conv2d(x, w, null, { padding: 'full' as 'same' })).toThrow(/conv2d: padding/);
  });

  it('wrong ranks', () => {
    expect(() => sg.conv2d(t([5, 5], 'x'), t([1, 1, 3, 3]))).toThrow(
      /conv2d: input tensor 'x' \[5, 5\] f32 must be 4-D \[N, C, H, W\] or 3-D \[C, H, W\]/);
    expect(() => sg.conv2d(t([1, 1, 5, 5]), t([1, 3, 3], 'w'))).toThrow(
      /conv2d: weight tensor 'w' \[1, 3, 3\] f32 must be 4-D \[out_channels, in_channels \/ groups, KH, KW\]/);
    expect(() => sg.conv2d(t([1, 1, 1, 5, 5]), t([1, 1, 3, 3]))).toThrow(/must be 4-D/);
  });

  it('bias of the wrong shape or type', () => {
    const x = t([1, 2, 5, 5]);
    const w = t([3, 2, 3, 3], 'w');
    expect(() => sg.conv2d(x, w, t([4], 'b'))).toThrow(/conv2d: bias tensor 'b' \[4\] f32 must be \[3\], one value per output channel/);
    expect(() => sg.conv2d(x, w, t([1, 3], 'b'))).toThrow(/bias tensor 'b' \[1, 3\] f32 must be \[3\]/);
    expect(() => sg.conv2d(x, w, t([3], 'b', 'i32'))).toThrow(/bias tensor 'b' \[3\] i32 must be f32/);
    expect(() => sg.conv2d(x, w, undefined)).not.toThrow();
  });

  it('integer input', () => {
    expect(() => sg.conv2d(t([1, 1, 5, 5], 'x', 'i32'), t([1, 1, 3, 3]))).toThrow(/conv2d: input tensor 'x' \[1, 1, 5, 5\] i32 must be f32/);
  });

  it('gradient functions check dy against the convolution they belong to', () => {
    const w = t([4, 3, 3, 3], 'w');
    expect(() => sg.conv2dBackwardInput(t([2, 4, 4, 4], 'dy'), w, [2, 3, 5, 5])).toThrow(
      /conv2dBackwardInput: dy tensor 'dy' \[2, 4, 4, 4\] f32 must be \[2, 4, 3, 3\], the conv2d output/);
    expect(() => sg.conv2dBackwardWeight(t([2, 3, 5, 5], 'x'), t([2, 4, 3, 3]), [4, 2, 3, 3])).toThrow(
      /conv2dBackwardWeight: input tensor 'x' \[2, 3, 5, 5\] f32 has 3 channels but weightShape \[4, 2, 3, 3\] expects 2/);
  });
});

describe('pooling errors', () => {
  it('padding more than half the kernel, as torch', () => {
    expect(() => sg.maxPool2d(t([1, 1, 6, 6]), { kernelSize: 3, padding: 2 })).toThrow(
      /maxPool2d: padding \[2, 2\] must be at most half of kernelSize \[3, 3\]/);
    expect(() => sg.avgPool2d(t([1, 1, 6, 6]), { kernelSize: [4, 2], padding: [2, 2] })).toThrow(
      /avgPool2d: padding \[2, 2\] must be at most half of kernelSize \[4, 2\]/);
    expect(() => sg.maxPool2d(t([1, 1, 6, 6]), { kernelSize: 4, padding: 2 })).not.toThrow();
  });

  it('kernel larger than the padded input', () => {
    expect(() => sg.maxPool2d(t([1, 1, 3, 3], 'x'), { kernelSize: 4 })).toThrow(
      /maxPool2d: kernelSize \[4, 4\] is larger than the padded input 3×3 of input tensor 'x' \[1, 1, 3, 3\] f32/);
  });

  it('bad kernel, stride, padding values', () => {
    const x = t([1, 1, 6, 6]);
    expect(() => sg.maxPool2d(x, { kernelSize: 0 })).toThrow(/maxPool2d: kernelSize must be an integer >= 1/);
    expect(() => sg.avgPool2d(x, { kernelSize: 2, stride: 0 })).toThrow(/avgPool2d: stride must be an integer >= 1/);
    expect(() => sg.avgPool2d(x, { kernelSize: 2, padding: -1 })).toThrow(/avgPool2d: padding must be an integer >= 0/);
    expect(() => sg.maxPool2d(x, {} as sg.MaxPool2dOptions)).toThrow(/maxPool2d: kernelSize is required/);
  });

  it('wrong ranks and dtypes', () => {
    expect(() => sg.maxPool2d(t([6, 6], 'x'), 2)).toThrow(/maxPool2d: input tensor 'x' \[6, 6\] f32 must be 4-D \[N, C, H, W\] or 3-D/);
    expect(() => sg.avgPool2d(t([1, 1, 6, 6], 'x', 'i32'), 2)).toThrow(/avgPool2d: input tensor 'x' \[1, 1, 6, 6\] i32 must be f32/);
    expect(() => sg.globalAvgPool2d(t([2, 3], 'x'))).toThrow(/globalAvgPool2d: input tensor 'x' \[2, 3\] f32 must be 4-D/);
  });

  it('gradient functions check dy and indices', () => {
    const [, idx] = sg.maxPool2dWithIndices(t([1, 2, 6, 6]), 2);
    expect(() => sg.maxPool2dBackward(t([1, 2, 4, 4], 'dy'), idx, [1, 2, 6, 6], 2)).toThrow(
      /max_pool2d_backward: dy \[1, 2, 4, 4\] is not the pooled shape \[1, 2, 3, 3\] of input \[1, 2, 6, 6\]/);
    expect(() => sg.maxPool2dBackward(t([1, 2, 3, 3]), t([1, 2, 3, 3]), [1, 2, 6, 6], 2)).toThrow(
      /max_pool2d_backward: indices \[1, 2, 3, 3\] must be i32, got f32/);
    expect(() => sg.avgPool2dBackward(t([1, 2, 3, 3], 'dy'), [1, 3, 6, 6], 2)).toThrow(
      /avgPool2dBackward: inputShape \[1, 3, 6, 6\] must be \[N, C, H, W\] with the N and C of dy tensor 'dy'/);
  });
});
