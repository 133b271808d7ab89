/** Activation ranges: what calibration and interval propagation produce and quantization reads. */

/** The input range assumed when no calibration data is given: every input value in [−1, 1]. */
export const DEFAULT_INPUT_RANGE: readonly [number, number] = [-1, 1];

/** Largest |value| of every IR value (graph input included), by value name. */
export type Ranges = Map<string, number>;
