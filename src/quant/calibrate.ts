/**
 * Activation ranges for quantization. With calibration data, the largest magnitude each
 * value reaches over the calibration inputs; without it, a sound interval propagation
 * from a default input range (DEFAULT_INPUT_RANGE), which never under-estimates but is
 * looser, and costs precision.
 */
import { runFloat } from '../ir/float-exec.js';
import type { Graph } from '../ir/graph.js';

import type { Ranges } from './ranges.js';

export { DEFAULT_INPUT_RANGE, type Ranges } from './ranges.js';

/**
 * Measures ranges by running the float model on each calibration input.
 * @param inputs flat inputs in the graph input's shape
 */
export function calibrate(graph: Graph, inputs: Iterable<Float64Array>): Ranges {
  const ranges: Ranges = new Map();
  const note = (name: string, data: Float64Array) => {
    let m = ranges.get(name) ?? 0;
    for (const v of data) m = Math.max(m, Math.abs(v));
    ranges.set(name, m);
  };
  let count = 0;
  for (const input of inputs) {
    note(graph.input.name, input);
    runFloat(graph, input, note);
    count++;
  }
  if (count === 0) throw new RangeError('calibration needs at least one input');
  return ranges;
}

export { intervalRanges } from './interval.js';
