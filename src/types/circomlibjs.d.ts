// Minimal typings for the parts of circomlibjs 0.1 zkinfer uses.
declare module 'circomlibjs' {
  /** A Poseidon hash over the BN254 scalar field; inputs are field elements. */
  export interface PoseidonHasher {
    (inputs: bigint[]): unknown;
    F: { toObject(e: unknown): bigint };
  }
  export function buildPoseidon(): Promise<PoseidonHasher>;
}
