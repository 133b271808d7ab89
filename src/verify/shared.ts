/**
 * Verifying receipts that share a proof (artifacts compiled with `--inferences N`; the format
 * and its security argument are in src/shared/shared-proof.ts). A receipt names a
 * shared-proof file by digest and a slot in it; it is valid when
 * - the file is the one it names: the SHA-256 of the file's canonical content is the digest
 *   the receipt holds (a swapped or edited file has another);
 * - the file is for these artifacts: its model id, key id and number of slots are the manifest's;
 * - the file is well formed: N × K canonical public signals, padding slots listed once, in
 *   range and ascending, each carrying the context 0, and its proof points valid;
 * - the receipt's slot is in range and is not padding, and the receipt's public signals are
 *   exactly that slot's (so its input, output and context — model id, time, nonce — are the
 *   slot's, through the single-inference checks of ./verify.ts);
 * - and the file's proof verifies with all its public signals (the pairing, once per file).
 * A folder's check (./many.ts) also refuses two receipts that claim the same slot.
 */
import { FIELD_MODULUS } from '../shared/field.js';
import { publicSignalCount, publicSignalLayout } from '../shared/layout.js';
import { inferencesOf, parseSharedProof, sharedProofDigest, type SharedProof } from '../shared/shared-proof.js';
import type { Manifest } from '../shared/manifest.js';
import type { Receipt } from '../shared/receipt.js';
import { checkProofPoints } from './points.js';

const short = (hex: string | null | undefined) => `${(hex ?? '').slice(0, 16)}…`;

/** Whole-file verdicts, per parsed file and manifest (a file checked once for all its receipts). */
const fileVerdicts = new WeakMap<SharedProof, WeakMap<Manifest, string | null>>();

/**
 * Checks a shared-proof file against the manifest, without the pairing.
 * @returns the reason it is refused, or undefined
 */
export function checkSharedProofFile(shared: SharedProof, manifest: Manifest): string | undefined {
  let byManifest = fileVerdicts.get(shared);
  if (!byManifest) fileVerdicts.set(shared, (byManifest = new WeakMap()));
  let verdict = byManifest.get(manifest);
  if (verdict === undefined) byManifest.set(manifest, (verdict = checkFile(shared, manifest) ?? null));
  return verdict ?? undefined;
}

function checkFile(shared: SharedProof, manifest: Manifest): string | undefined {
  if (sharedProofDigest(shared) !== shared.digest) return `the shared proof ${short(shared.digest)} does not match its digest`;
  if (shared.modelId !== manifest.modelId) return `the shared proof ${short(shared.digest)} is for model ${short(shared.modelId)}, the artifacts are model ${short(manifest.modelId)}`;
  if (shared.keyId !== manifest.keyId) return `the shared proof ${short(shared.digest)} was proven with key ${short(shared.keyId)}, the artifacts hold key ${short(manifest.keyId)}`;
  const n = inferencesOf(manifest);
  if (shared.inferences !== n) return `the shared proof ${short(shared.digest)} has ${shared.inferences} slots, the artifacts prove ${n ?? 'a malformed number of'} inferences per proof`;
  const layout = publicSignalLayout(manifest.io);
  const k = publicSignalCount(layout);
  if (shared.publicSignals.length !== n * k) return `the shared proof ${short(shared.digest)} has ${shared.publicSignals.length} public signals, expected ${n} × ${k}`;
  for (let i = 0; i < shared.publicSignals.length; i++) {
    if (BigInt(shared.publicSignals[i]!) >= FIELD_MODULUS) return `public signal ${i} of the shared proof ${short(shared.digest)} is not a canonical field element`;
  }
  let previous = -1;
  for (const slot of shared.padding) {
    if (slot <= previous || slot >= n) return `the shared proof ${short(shared.digest)} lists padding slots out of order or out of range`;
    previous = slot;
    if (shared.publicSignals[slot * k + k - 1] !== '0') return `padding slot ${slot} of the shared proof ${short(shared.digest)} does not carry the padding context 0`;
  }
  return checkProofPoints(shared.proof);
}

/**
 * Checks that a receipt is the slot it names of a shared-proof file (the file's own checks
 * included), without the pairing.
 * @returns the reason it is refused, or undefined
 */
export function checkSlot(receipt: Receipt, shared: SharedProof, manifest: Manifest): string | undefined {
  const ref = receipt.sharedProof;
  if (!ref) return 'the receipt names no shared proof';
  if (shared.digest !== ref.digest || sharedProofDigest(shared) !== ref.digest) return `the shared-proof file is not the one the receipt names (digest ${short(ref.digest)})`;
  const file = checkSharedProofFile(shared, manifest);
  if (file) return file;
  if (ref.slot >= shared.inferences) return `the receipt names slot ${ref.slot}, the shared proof has ${shared.inferences} slots`;
  if (shared.padding.includes(ref.slot)) return `slot ${ref.slot} of the shared proof ${short(ref.digest)} is padding, not an inference`;
  const k = shared.publicSignals.length / shared.inferences;
  const slotSignals = shared.publicSignals.slice(ref.slot * k, (ref.slot + 1) * k);
  const mine = receipt.publicSignals ?? [];
  if (mine.length !== k || mine.some((s, i) => s !== slotSignals[i])) return `the receipt's public signals are not those of slot ${ref.slot} of the shared proof ${short(ref.digest)}`;
  return undefined;
}

/**
 * Parses a shared-proof file's text for a receipt; never throws.
 * @returns the file, or the reason the receipt cannot use it
 */
export function readSharedProofText(text: string | undefined, ref: { digest: string }): { sharedProof?: SharedProof; reason?: string } {
  if (text === undefined) return { reason: `the shared proof ${short(ref.digest)} the receipt names was not found (expected proofs/${ref.digest}.json beside the receipt)` };
  const parsed = parseSharedProof(text);
  if (!parsed.sharedProof) return { reason: `the shared proof ${short(ref.digest)}: ${parsed.reason}` };
  return parsed;
}
