// flattenTensorData: what sg.tensor accepts from JavaScript, checked on the CPU (no device). The shape
// inference follows torch.tensor (a number is 0-d, one dimension per nesting level; booleans are 1/0);
// strings, objects, holes and ragged arrays are errors naming the index path of the first bad element.
import { describe, expect, it } from 'vitest';
import { flattenTensorData } from '../../src/tensor/from-js.js';

const parse = (data: unknown, shape?: number[]) => {
  const r = flattenTensorData(data, shape, 'sg.tensor');
  return { values: Array.from(r.values), shape: r.shape };
};

describe('flattenTensorData: accepted data', () => {
  it('numbers, flat arrays and typed arrays keep their values; typed arrays are not copied', () => {
    expect(parse(2.5)).toEqual({ values: [2.5], shape: [] });
    expect(parse(7, [1, 1])).toEqual({ values: [7], shape: [1, 1] });
    expect(parse([1, 2, 3])).toEqual({ values: [1, 2, 3], shape: [3] });
    expect(parse([1, 2, 3, 4], [2, 2])).toEqual({ values: [1, 2, 3, 4], shape: [2, 2] });
    const i32 = Int32Array.of(1, -2, 3);
    const r = flattenTensorData(i32, undefined, 'sg.tensor');
    expect(r.values).toBe(i32); // dtype inference (Int32Array → i32) sees the original array
    expect(r.shape).toEqual([3]);
    expect(parse(Float64Array.of(0.5, 1.5), [2, 1])).toEqual({ values: [0.5, 1.5], shape: [2, 1] });
    expect(parse(Uint8Array.of(255, 0))).toEqual({ values: [255, 0], shape: [2] });
  });

  it('nested arrays: the shape is inferred as torch.tensor does', () => {
    expect(parse([[1, 2], [3, 4]])).toEqual({ values: [1, 2, 3, 4], shape: [2, 2] });
    expect(parse([[[1], [2], [3]], [[4], [5], [6]]])).toEqual({ values: [1, 2, 3, 4, 5, 6], shape: [2, 3, 1] });
    expect(parse([[1, 2, 3]])).toEqual({ values: [1, 2, 3], shape: [1, 3] });
    // Rows may be typed arrays.
    expect(parse([Float32Array.of(1, 2), Int32Array.of(3, 4)])).toEqual({ values: [1, 2, 3, 4], shape: [2, 2] });
    // With a shape, nested values fill it in row-major order.
    expect(parse([[1, 2], [3, 4]], [4])).toEqual({ values: [1, 2, 3, 4], shape: [4] });
  });

  it('empty arrays: torch.tensor([]) is [0], torch.tensor([[], []]) is [2, 0]', () => {
    expect(parse([])).toEqual({ values: [], shape: [0] });
    expect(parse([[], []])).toEqual({ values: [], shape: [2, 0] });
  });

  it('booleans are 1 and 0 (torch.tensor([1.5, True]) is [1.5, 1.0]); NaN and ±Infinity are numbers', () => {
    expect(parse([true, false, 1.5])).toEqual({ values: [1, 0, 1.5], shape: [3] });
    expect(parse([[true], [false]])).toEqual({ values: [1, 0], shape: [2, 1] });
    expect(parse(true)).toEqual({ values: [1], shape: [] });
    const r = parse([NaN, Infinity, -Infinity]);
    expect(r.values[0]).toBeNaN();
    expect(r.values.slice(1)).toEqual([Infinity, -Infinity]);
  });
});

describe('flattenTensorData: rejected data', () => {
  const bad = (data: unknown, re: RegExp, shape?: number[]) => expect(() => flattenTensorData(data, shape, 'sg.tensor')).toThrow(re);

  it('a string (it used to give NaNs) and other non-arrays', () => {
    bad('abcd', /^shadergrad: sg\.tensor: data must be a number, an array of numbers \(nested for more dimensions\) or a typed array, got the string "abcd"/, [4]);
    bad({ a: 1 }, /got an object/);
    bad(null, /got null/);
    bad(undefined, /got undefined/);
    bad(new Map(), /got a Map/);
    bad(new DataView(new ArrayBuffer(4)), /got a DataView/);
    bad(BigInt64Array.of(1n), /data is a BigInt64Array; tensor values must be numbers/);
    // Something that looks like a tensor gets a hint.
    bad({ node: {}, shape: [2] }, /already a tensor: use it directly, or sg\.copy\(t\)/);
  });

  it('non-number elements are named by their index path', () => {
    bad([1, 'a', 3], /sg\.tensor: data\[1\] is the string "a"; tensor values must be numbers or booleans/);
    bad(['1.5'], /data\[0\] is the string "1\.5" \(convert it with Number\(\): 1\.5\)/);
    bad([[1, 2], [3, null]], /data\[1\]\[1\] is null/);
    bad([[1, 2], [3, {}]], /data\[1\]\[1\] is an object/);
    bad([1, undefined], /data\[1\] is undefined \(a hole in a sparse array, or a missing value\)/);
    // eslint-disable-next-line no-sparse-arrays
    bad([1, , 3], /data\[1\] is undefined/);
    bad([1, 2n], /data\[1\] is the bigint 2n/);
    bad([[1n, 2n]], /data\[0\]\[0\] is the bigint 1n/);
    bad([BigInt64Array.of(1n)], /data\[0\] is a BigInt64Array/);
  });

  it('ragged arrays name the first mismatching index path', () => {
    bad([[1, 2], [3]], /sg\.tensor: data\[1\] has 1 elements, but data\[0\] has 2: nested arrays must be rectangular \(shape \[2, 2\] so far\)/);
    bad([[[1, 2], [3, 4]], [[5, 6], [7, 8, 9]]], /data\[1\]\[1\] has 3 elements, but data\[0\]\[0\] has 2/);
    bad([[1, 2], 3], /data\[1\] is a number, but data\[0\] is an array of 2/);
    bad([1, [2]], /data\[1\] is an array, but data\[0\] is a number/);
    bad([[1], [[2]]], /data\[1\]\[0\] is an array, but data\[0\]\[0\] is a number/);
    bad([[], [1]], /data\[1\] has 1 elements, but data\[0\] has 0/);
  });
});
