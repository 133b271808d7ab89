// Minimal typings for the part of ffjavascript 0.3 zkinfer calls directly (it ships none).
declare module 'ffjavascript' {
  /**
   * Builds the BN254 curve (wasm module and, unless singleThread, worker threads); without
   * singleThread it is cached in `globalThis.curve_bn128`. `plugins` may add functions to
   * the wasm module before it is built.
   */
  export function buildBn128(singleThread?: boolean, plugins?: (moduleBuilder: unknown) => void): Promise<unknown>;
}
