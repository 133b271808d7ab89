/**
 * Receipt → calldata: what a contract receives of a receipt, and the checks that must run
 * before it because a contract cannot make them. The exported verifier takes typed values
 * (ZkinferReceipt in IZkinferVerifier.sol): it never sees the receipt's JSON, so it cannot
 * refuse unknown fields or malformed values, and it does not receive the presentation fields
 * (output values, probabilities, semantics) nor the commitment and digest strings (a hashed
 * tensor's commitment reaches it as its public signal, and no value of it is sent).
 * {@link encodeReceiptForChain} runs exactly those checks with the library's own code
 * (parseReceipt, checkReceiptFields, checkProvenOutput from src/verify/verify.ts; the
 * commitment strings against their signals, {@link checkCommitmentCopies}) and refuses to
 * encode a receipt that fails them; the contract checks everything else. Together
 * they give the verdict `zkinfer verify` gives, for every case of the tampering table.
 */
import { createContract } from 'micro-eth-signer/abi.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Manifest } from '../../shared/manifest.js';
import { ExportError } from '../../shared/errors.js';
import { decodeSigned, FIELD_MODULUS } from '../../shared/field.js';
import { publicSignalCount, publicSignalLayout, unpackOutputs } from '../../shared/layout.js';
import { isHashedOutput, type Receipt } from '../../shared/receipt.js';
import { checkProvenOutput, checkReceiptFields, parseReceipt, type VerifyOptions } from '../../verify/verify.js';

/** The ZkinferReceipt struct's fields, as IZkinferVerifier.sol declares them (a test checks they agree with the compiled ABI). */
export const RECEIPT_TUPLE = {
  name: 'r',
  type: 'tuple',
  internalType: 'struct ZkinferReceipt',
  components: [
    { name: 'modelId', type: 'bytes32', internalType: 'bytes32' },
    { name: 'keyId', type: 'bytes32', internalType: 'bytes32' },
    { name: 'input', type: 'int256[]', internalType: 'int256[]' },
    { name: 'output', type: 'int256[]', internalType: 'int256[]' },
    { name: 'publicSignals', type: 'uint256[]', internalType: 'uint256[]' },
    { name: 'nonce', type: 'bytes', internalType: 'bytes' },
    { name: 'createdAtMs', type: 'uint64', internalType: 'uint64' },
    { name: 'a', type: 'uint256[2]', internalType: 'uint256[2]' },
    { name: 'b', type: 'uint256[2][2]', internalType: 'uint256[2][2]' },
    { name: 'c', type: 'uint256[2]', internalType: 'uint256[2]' },
  ],
} as const;

const ABI = [
  { type: 'function', name: 'verifyReceipt', stateMutability: 'view', inputs: [RECEIPT_TUPLE], outputs: [{ name: '', type: 'bool', internalType: 'bool' }] },
  { type: 'function', name: 'submit', stateMutability: 'nonpayable', inputs: [RECEIPT_TUPLE], outputs: [{ name: 'record', type: 'bytes32', internalType: 'bytes32' }] },
] as const;

/** The values of a ZkinferReceipt. */
export interface ReceiptCallArgs {
  modelId: Uint8Array;
  keyId: Uint8Array;
  input: bigint[];
  output: bigint[];
  publicSignals: bigint[];
  nonce: Uint8Array;
  createdAtMs: bigint;
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

/** A receipt encoded for the chain. */
export interface ChainCall {
  args: ReceiptCallArgs;
  /** Calldata of the verifier's verifyReceipt(r), 0x-prefixed. */
  verifyCalldata: string;
  /** Calldata of the registry's submit(r), 0x-prefixed. */
  submitCalldata: string;
}

const UINT256 = 1n << 256n;
const uint = (v: string | undefined, where: string): bigint => {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]*)$/.test(v)) throw new ExportError(`${where} is not a decimal number`);
  const x = BigInt(v);
  if (x >= UINT256) throw new ExportError(`${where} does not fit in 256 bits`);
  return x;
};
const id32 = (hex: string | null | undefined, where: string): Uint8Array => {
  if (hex === null || hex === undefined) return new Uint8Array(32);
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ExportError(`${where} is not 64 hex digits`);
  return hexToBytes(hex);
};
const ints = (xs: readonly number[] | undefined, where: string): bigint[] =>
  (xs ?? []).map((x, i) => {
    if (!Number.isSafeInteger(x)) throw new ExportError(`${where}[${i}] is not an integer`);
    return BigInt(x);
  });

/**
 * What the contract receives of a receipt, with no check but that each value can be encoded.
 * Use {@link encodeReceiptForChain}, which checks first; this is for tests and tools that
 * want to see what a contract does with any receipt.
 * @throws {ExportError} for a value the struct cannot hold (a missing proof, a nonce that is
 * not hex, a time that is not one)
 */
export function receiptCallArgs(receipt: Receipt): ReceiptCallArgs {
  const proof = receipt.proof;
  if (!proof || !receipt.publicSignals) throw new ExportError('the receipt carries no proof');
  if (typeof receipt.nonce !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(receipt.nonce)) throw new ExportError('nonce is not hex bytes');
  const ms = Date.parse(receipt.createdAt);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new ExportError('createdAt is not a time after 1970');
  return {
    modelId: id32(receipt.modelId, 'modelId'),
    keyId: id32(receipt.keyId, 'keyId'),
    // a hashed tensor sends no integers: its commitment is its public signal
    input: receipt.input.visibility === 'public' ? ints(receipt.input.raw, 'input.raw') : [],
    output: isHashedOutput(receipt.output) ? [] : ints(receipt.output.raw, 'output.raw'),
    publicSignals: receipt.publicSignals.map((s, i) => uint(s, `publicSignals[${i}]`)),
    nonce: hexToBytes(receipt.nonce),
    createdAtMs: BigInt(ms),
    a: [uint(proof.pi_a[0], 'pi_a[0]'), uint(proof.pi_a[1], 'pi_a[1]')],
    b: [
      [uint(proof.pi_b[0][0], 'pi_b[0][0]'), uint(proof.pi_b[0][1], 'pi_b[0][1]')],
      [uint(proof.pi_b[1][0], 'pi_b[1][0]'), uint(proof.pi_b[1][1], 'pi_b[1][1]')],
    ],
    c: [uint(proof.pi_c[0], 'pi_c[0]'), uint(proof.pi_c[1], 'pi_c[1]')],
  };
}

const contract = createContract(ABI as never) as unknown as Record<'verifyReceipt' | 'submit', { encodeInput(args: unknown): Uint8Array }>;

/** ABI-encodes verifyReceipt(r) and submit(r) for struct values. */
export function encodeReceiptArgs(args: ReceiptCallArgs): Omit<ChainCall, 'args'> {
  return { verifyCalldata: `0x${bytesToHex(contract.verifyReceipt.encodeInput(args))}`, submitCalldata: `0x${bytesToHex(contract.submit.encodeInput(args))}` };
}

/**
 * Checks what a contract cannot check of a receipt, then encodes it for the chain: the
 * receipt is parsed with the verifier's strict schema (parseReceipt), must carry a proof, and
 * its fields (model, shapes, scales, input commitment, digest, semantics, the number of
 * values and probabilities; nonce and age when asked) and its output values and
 * probabilities (recomputed from the proven integers) must hold, exactly as `zkinfer verify`
 * checks them (checkReceiptFields, checkProvenOutput).
 * @param receipt the receipt's JSON text, or a receipt (checked against the schema all the same)
 * @param manifest the model's manifest (its io block and model id)
 * @param options the caller's expectations (nonce, maximum age), as for verify
 * @returns the calldata, or the reason the receipt is refused (the line `zkinfer verify` prints)
 */
export function encodeReceiptForChain(receipt: string | Receipt, manifest: Manifest, options: VerifyOptions = {}): ({ ok: true } & ChainCall) | { ok: false; reason: string } {
  // an object is parsed too: what reaches the chain passed the strict schema
  const parsed = parseReceipt(typeof receipt === 'string' ? receipt : JSON.stringify(receipt));
  if (!parsed.receipt) return { ok: false, reason: parsed.reason! };
  const r = parsed.receipt;
  if (!r.proof || !r.publicSignals) return { ok: false, reason: 'the receipt carries no proof' };
  const problem = checkReceiptFields(r, manifest, options) ?? checkProvenOutput(r, manifest) ?? checkCommitmentCopies(r, manifest);
  if (problem) return { ok: false, reason: problem };
  const args = receiptCallArgs(r);
  return { ok: true, args, ...encodeReceiptArgs(args) };
}

/**
 * The receipt's copies of its commitments against the proven signals. A contract reads a
 * hashed tensor's commitment from its public signal and never receives the receipt's
 * `commitment` string, so this check is the encoder's. It runs where verify's walk over the
 * layout reaches it — the number of signals right, every one canonical, the segments before
 * it holding — so that a receipt with another fault first gets the contract's reason for
 * that fault, as verify gives it.
 * @returns verify's reason, or undefined
 */
export function checkCommitmentCopies(r: Receipt, manifest: Manifest): string | undefined {
  const layout = publicSignalLayout(manifest.io);
  const signals = r.publicSignals ?? [];
  if (signals.length !== publicSignalCount(layout) || signals.some((s) => BigInt(s) >= FIELD_MODULUS)) return undefined;
  for (const segment of layout) {
    if (segment.kind === 'context') return undefined;
    if (segment.of === 'weights') return undefined; // the exporters refuse private-weight models
    const tensor = r[segment.of];
    if (segment.kind === 'packed') {
      if (!('raw' in tensor)) return undefined;
      const read = unpackOutputs(segment, signals);
      if ('problem' in read || read.values.some((v, i) => v !== BigInt(tensor.raw[i]!))) return undefined; // the contract's to refuse
    } else if (segment.kind === 'values') {
      if (!('raw' in tensor)) return undefined;
      for (let i = 0; i < segment.count; i++) {
        const v = decodeSigned(BigInt(signals[segment.start + i]!));
        if (v < BigInt(segment.min) || v > BigInt(segment.max) || v !== BigInt(tensor.raw[i]!)) return undefined; // the contract's to refuse
      }
    } else if (!('visibility' in tensor) || tensor.visibility !== 'hashed') return undefined;
    else if (BigInt(signals[segment.start]!) !== BigInt(tensor.commitment)) return `the ${segment.of} commitment in the receipt differs from the proven public signal`;
  }
  return undefined;
}

/** The struct's values as JSON (integers as decimal strings, bytes as 0x hex), for ethers, viem or cast. */
export function callArgsJson(args: ReceiptCallArgs): Record<string, unknown> {
  const hex = (b: Uint8Array) => `0x${bytesToHex(b)}`;
  const dec = (xs: readonly bigint[]) => xs.map(String);
  return {
    modelId: hex(args.modelId),
    keyId: hex(args.keyId),
    input: dec(args.input),
    output: dec(args.output),
    publicSignals: dec(args.publicSignals),
    nonce: hex(args.nonce),
    createdAtMs: String(args.createdAtMs),
    a: dec(args.a),
    b: args.b.map(dec),
    c: dec(args.c),
  };
}
