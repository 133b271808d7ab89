/**
 * The tampering table for receipts that share a proof (artifacts compiled with
 * `--inferences N`; src/shared/shared-proof.ts). Each case starts from an honest receipts
 * folder (receipts beside `proofs/<digest>.json`) and alters what a forger can alter: a
 * receipt (re-sealing its digest and recomputed fields) or the shared-proof files (re-sealing
 * a file's digest and renaming it to match, as a forger would). The Solidity and browser
 * verifiers check one inference per proof and refuse such artifacts at export, so this table
 * drives the TypeScript verifier only (`verify <receipt>` and `verify <dir>`).
 */
import { packValues } from '../../src/shared/commitment.js';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { receiptDigest, type PublicReceipt } from '../../src/shared/receipt.js';
import { sharedProofDigest, type SharedProof } from '../../src/shared/shared-proof.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import type { Manifest } from '../../src/shared/manifest.js';
import { resealOutput } from '../verify/tampering-cases.js';

/** An honest folder, as the cases see it. */
export interface Folder {
  dir: string;
  manifest: Manifest;
  /** Receipt file names, by slot order of their proofs: [proof][slot]. */
  groups: { digest: string; files: string[]; padding: number[] }[];
}

/** One case: alters the folder, returns the receipt file to check alone and the reason the verifier must give. */
export interface SharedTamperCase {
  name: string;
  tamper(folder: Folder): { file: string; reason: string | RegExp };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const writeJson = (path: string, v: unknown) => writeFileSync(path, `${JSON.stringify(v, null, 2)}\n`);
const proofPath = (f: Folder, digest: string) => join(f.dir, 'proofs', `${digest}.json`);
type Shared = PublicReceipt & { sharedProof: { digest: string; slot: number }; publicSignals: string[] };

/** Re-seals a shared-proof file under its new digest (renamed to match) and returns the digest. */
function resealShared(f: Folder, oldDigest: string, p: SharedProof): string {
  p.digest = sharedProofDigest(p);
  writeJson(proofPath(f, oldDigest), p);
  renameSync(proofPath(f, oldDigest), proofPath(f, p.digest));
  return p.digest;
}

/** Points a receipt at `digest`/`slot`, copying that slot's public signals, and re-seals it. */
function repoint(f: Folder, file: string, digest: string, slot: number, copySignals: boolean): void {
  const path = join(f.dir, file);
  const r = readJson<Shared>(path);
  r.sharedProof = { digest, slot };
  if (copySignals) {
    const p = readJson<SharedProof>(proofPath(f, digest));
    const k = p.publicSignals.length / p.inferences;
    r.publicSignals = p.publicSignals.slice(slot * k, (slot + 1) * k);
  }
  writeJson(path, r);
}

const short = (d: string) => `${d.slice(0, 16)}…`;

export const SHARED_TAMPER_CASES: SharedTamperCase[] = [
  {
    name: 'a receipt names another slot of its shared proof',
    tamper(f) {
      const g = f.groups[0]!;
      repoint(f, g.files[0]!, g.digest, 1, false);
      return { file: g.files[0]!, reason: `the receipt's public signals are not those of slot 1 of the shared proof ${short(g.digest)}` };
    },
  },
  {
    name: "a receipt names another slot and copies that slot's signals",
    tamper(f) {
      const g = f.groups[0]!;
      repoint(f, g.files[0]!, g.digest, 1, true);
      return { file: g.files[0]!, reason: /^output 0 in the receipt \(-?\d+\) differs from the proven public signal|^input 0 in the receipt/ };
    },
  },
  {
    name: 'a receipt names a slot of another shared proof of the same model',
    tamper(f) {
      const [a, b] = f.groups;
      repoint(f, a!.files[0]!, b!.digest, 0, false);
      return { file: a!.files[0]!, reason: `the receipt's public signals are not those of slot 0 of the shared proof ${short(b!.digest)}` };
    },
  },
  {
    name: 'a padding slot claimed as an inference',
    tamper(f) {
      const g = f.groups.find((x) => x.padding.length > 0)!;
      repoint(f, g.files[0]!, g.digest, g.padding[0]!, true);
      return { file: g.files[0]!, reason: `slot ${g.padding[0]} of the shared proof ${short(g.digest)} is padding, not an inference` };
    },
  },
  {
    name: "a padding slot claimed as real: the file's padding list emptied, re-sealed and renamed",
    tamper(f) {
      const g = f.groups.find((x) => x.padding.length > 0)!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      p.padding = [];
      const digest = resealShared(f, g.digest, p);
      // a new receipt for the padding slot: a copy of the real one with the slot's signals
      const file = 'claimed-padding.json';
      writeFileSync(join(f.dir, file), readFileSync(join(f.dir, g.files[0]!)));
      repoint(f, file, digest, g.padding[0]!, true);
      return { file, reason: 'the context signal does not match the receipt (model id, createdAt and nonce)' };
    },
  },
  {
    name: 'a padding slot whose context is not 0 (forged file, re-sealed)',
    tamper(f) {
      const g = f.groups.find((x) => x.padding.length > 0)!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      const k = p.publicSignals.length / p.inferences;
      p.publicSignals[g.padding[0]! * k + k - 1] = '5';
      const digest = resealShared(f, g.digest, p);
      repoint(f, g.files[0]!, digest, 0, false);
      return { file: g.files[0]!, reason: `padding slot ${g.padding[0]} of the shared proof ${short(digest)} does not carry the padding context 0` };
    },
  },
  {
    name: 'the shared-proof file swapped for another (same name)',
    tamper(f) {
      const [a, b] = f.groups;
      writeFileSync(proofPath(f, a!.digest), readFileSync(proofPath(f, b!.digest)));
      return { file: a!.files[0]!, reason: `the shared-proof file is not the one the receipt names (digest ${short(a!.digest)})` };
    },
  },
  {
    name: 'the shared-proof file edited in place (a proof point moved, digest field kept)',
    tamper(f) {
      const g = f.groups[0]!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      p.proof.pi_a = [p.proof.pi_c[0], p.proof.pi_c[1], '1'];
      writeJson(proofPath(f, g.digest), p);
      return { file: g.files[0]!, reason: `the shared-proof file is not the one the receipt names (digest ${short(g.digest)})` };
    },
  },
  {
    name: 'a proof point moved, the file re-sealed, renamed and the receipt re-pointed',
    tamper(f) {
      const g = f.groups[0]!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      p.proof.pi_a = [p.proof.pi_c[0], p.proof.pi_c[1], '1'];
      const digest = resealShared(f, g.digest, p);
      repoint(f, g.files[0]!, digest, 0, false);
      return { file: g.files[0]!, reason: `the shared proof ${short(digest)}: the Groth16 proof does not verify` };
    },
  },
  {
    name: "an altered output in the receipt and in its slot's signals (file re-sealed)",
    tamper(f) {
      const g = f.groups[0]!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      const r = readJson<Shared>(join(f.dir, g.files[0]!));
      r.output.raw[0] = r.output.raw[0]! + 1;
      resealOutput(r, f.manifest);
      const v = BigInt(r.output.raw[0]!);
      // the output's first signal as the layout writes it: the value itself, or (packed) the repacked values
      const encoded = f.manifest.io.output.packing ? packValues(r.output.raw, f.manifest.io.output)[0]!.toString() : (v < 0n ? FIELD_MODULUS + v : v).toString();
      p.publicSignals[0] = encoded;
      r.publicSignals[0] = encoded;
      const digest = resealShared(f, g.digest, p);
      r.sharedProof = { digest, slot: 0 };
      r.digest = receiptDigest(r);
      writeJson(join(f.dir, g.files[0]!), r);
      return { file: g.files[0]!, reason: `the shared proof ${short(digest)}: the Groth16 proof does not verify` };
    },
  },
  {
    name: 'a proof of another model: the model id changed in the file (re-sealed)',
    tamper(f) {
      const g = f.groups[0]!;
      const p = readJson<SharedProof>(proofPath(f, g.digest));
      p.modelId = 'ab'.repeat(32);
      const digest = resealShared(f, g.digest, p);
      repoint(f, g.files[0]!, digest, 0, false);
      return { file: g.files[0]!, reason: new RegExp(`^the shared proof ${short(digest)} is for model abababababababab…`) };
    },
  },
  {
    name: 'a receipt nonce replaced (digest re-sealed)',
    tamper(f) {
      const g = f.groups[0]!;
      const path = join(f.dir, g.files[0]!);
      const r = readJson<Shared>(path);
      r.nonce = 'aa'.repeat(16);
      r.digest = receiptDigest(r);
      writeJson(path, r);
      return { file: g.files[0]!, reason: 'the context signal does not match the receipt (model id, createdAt and nonce)' };
    },
  },
  {
    name: 'the shared-proof file removed',
    tamper(f) {
      const g = f.groups[0]!;
      renameSync(proofPath(f, g.digest), join(f.dir, 'elsewhere.bin'));
      return { file: g.files[0]!, reason: `the shared proof ${short(g.digest)} the receipt names was not found (expected proofs/${g.digest}.json beside the receipt)` };
    },
  },
  {
    name: 'a receipt carries a proof of its own beside its shared proof',
    tamper(f) {
      const g = f.groups[0]!;
      const path = join(f.dir, g.files[0]!);
      const r = readJson<Shared & { proof?: unknown }>(path);
      r.proof = readJson<SharedProof>(proofPath(f, g.digest)).proof;
      writeJson(path, r);
      return { file: g.files[0]!, reason: 'the receipt carries a proof and names a shared proof; a receipt has one or the other' };
    },
  },
];
