// Minimal typings for the parts of snarkjs 0.7 zkinfer uses.
declare module 'snarkjs' {
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasm: string | Uint8Array,
      zkey: string | Uint8Array,
      logger?: unknown,
      wtnsCalcOptions?: unknown,
      proverOptions?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(zkey: string | Uint8Array, wtns: string | Uint8Array | { type: string; data?: Uint8Array }, logger?: unknown): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: string[], proof: Groth16Proof, logger?: unknown): Promise<boolean>;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: string | Uint8Array, wtns: string | { type: string; data?: Uint8Array }, options?: unknown): Promise<void>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    contribute(zkeyOld: string, zkeyNew: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    beacon(zkeyOld: string, zkeyNew: string, name: string, beaconHash: string, numIterationsExp: number, logger?: unknown): Promise<unknown>;
    exportVerificationKey(zkey: string | Uint8Array, logger?: unknown): Promise<Record<string, unknown>>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<boolean>;
  };
  export const powersOfTau: Record<string, (...args: unknown[]) => Promise<unknown>>;
  export const r1cs: Record<string, (...args: unknown[]) => Promise<unknown>>;
}
