/**
 * Input shape errors say what is most likely wrong when the outer dimension is off: an input
 * written without its batch dimension, or one row given to a model exported with a fixed
 * batch (compile it with --batch 1). Other mismatches keep the plain message.
 */
import { describe, expect, it } from 'vitest';
import { flattenInput } from '../../src/shared/input.js';

const grid = (h: number, w: number) => Array.from({ length: h }, () => Array.from({ length: w }, () => [0.5]));

describe('input shape hints', () => {
  it('a batch-1 model given its input without the batch dimension', () => {
    expect(() => flattenInput(grid(8, 8), [1, 8, 8, 1], 'x.json')).toThrow(
      'x.json: "input" has length 8, expected 1 (expected shape [1, 8, 8, 1]; this input has shape [8, 8, 1]: wrap it in one more [ ] for the batch dimension)',
    );
  });

  it('one row for a model with a fixed batch of 4', () => {
    expect(() => flattenInput([grid(8, 8)], [4, 8, 8, 1], 'c.jsonl:1')).toThrow(
      'c.jsonl:1: "input" has length 1, expected 4 (expected shape [4, 8, 8, 1]; this input has shape [1, 8, 8, 1]: the model was exported with a fixed batch of 4; compile it with --batch 1 to prove one row at a time)',
    );
  });

  it('other mismatches keep the plain message', () => {
    expect(() => flattenInput([[1, 2, 3]], [1, 6], 'x.json')).toThrow(/^x\.json: "input"\[0\] has length 3, expected 6 \(expected shape \[1, 6\]\)$/);
    expect(() =>
      flattenInput(
        [
          [1, 2],
          [3, 4],
        ],
        [1, 2],
        'x.json',
      ),
    ).toThrow(/^x\.json: "input" has length 2, expected 1 \(expected shape \[1, 2\]\)$/);
    expect(() => flattenInput([1, 2, 3], [2, 3], 'x.json')).toThrow(/^x\.json: "input" has length 3, expected 2 \(expected shape \[2, 3\]\)$/);
  });
});
