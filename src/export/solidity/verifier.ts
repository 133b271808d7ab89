/**
 * Generates a model's verifier contract (Solidity) from its manifest and verification key.
 * The fixed logic — Groth16 with the EVM precompiles, point and signal checks, reason
 * strings — is the hand-written library `ZkinferGroth16.sol`; what is generated is one
 * contract of constants (model id, key id, the key's points, the declared ranges) and one
 * check per segment of the public-signal layout (src/shared/layout.ts), in the order
 * `zkinfer verify` checks them, so both give the same verdict with the same reason.
 *
 * A new kind of segment is one case in {@link segmentCheck} (what the contract checks) and
 * one in {@link segmentCommitment} (what a registry records for it); the switch ends in
 * `satisfies never`, so a kind without them does not compile.
 *
 * The key's IC points (one per public signal, 64 bytes each) do not fit in a contract for
 * large models (EIP-170 limits code to 24,576 bytes; the 784-input example's points take
 * 51 KB), so they live in key-data contracts whose code is the points ({@link keyDataChunks});
 * the verifier's constructor takes their addresses and checks each one's code hash. A small
 * key (at most {@link INLINE_IC_POINTS} points: a hashed or packed layout) keeps its points in
 * the verifier's code, which saves the cold read of another contract on every call.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import type { Manifest } from '../../shared/manifest.js';
import { canonicalJson } from '../../shared/canonical.js';
import { ExportError } from '../../shared/errors.js';
import { publicSignalCount, publicSignalLayout, type SignalSegment } from '../../shared/layout.js';
import { describeLayout } from '../../verify/verify.js';
import type { G1Affine, G2Affine, Groth16Key } from '../vkey.js';

/**
 * Keys with at most this many IC points keep them in the verifier's own code (a `bytes`
 * constant, 64 bytes a point) instead of key-data contracts: a verifier reading another
 * contract's code pays a cold account access (2,600 gas, EIP-2929) on every call.
 */
export const INLINE_IC_POINTS = 64;

/** EIP-170's limit on a contract's code. */
export const MAX_CODE_BYTES = 24_576;
/** IC points per key-data contract: its code is one 0x00 byte and 64 bytes a point. */
export const POINTS_PER_CHUNK = Math.floor((MAX_CODE_BYTES - 1) / 64);

/** A key-data contract: code that is data, deployed before the verifier. */
export interface KeyDataChunk {
  /** The deployed code: 0x00, then x ‖ y of each point (32 bytes each, big-endian). */
  code: Uint8Array;
  /** Creation code that deploys {@link code}. */
  initcode: Uint8Array;
  /** keccak256 of the code (EXTCODEHASH), which the verifier's constructor checks. */
  codehash: string;
  /** The IC points it holds: [first, first + count). */
  first: number;
  count: number;
}

/** The generated verifier and what it needs deployed first. */
export interface VerifierSource {
  /** ZkinferVerifier.sol. */
  source: string;
  /** The key-data contracts, in the order of the constructor's arguments. */
  keyData: KeyDataChunk[];
  /** The layout the contract checks. */
  layout: SignalSegment[];
}

const word = (v: bigint) => {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};

/**
 * Creation code returning `code`: PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY (copy the
 * code that follows these 12 bytes to memory 0), PUSH1 0, RETURN (return it).
 */
function dataInitcode(code: Uint8Array): Uint8Array {
  if (code.length > 0xffff) throw new ExportError(`key-data contract of ${code.length} bytes does not fit a PUSH2`);
  const head = Uint8Array.of(0x61, code.length >> 8, code.length & 0xff, 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3);
  return concatBytes(head, code);
}

/** Splits the key's IC points into key-data contracts of at most {@link POINTS_PER_CHUNK} points. */
export function keyDataChunks(ic: readonly G1Affine[]): KeyDataChunk[] {
  const chunks: KeyDataChunk[] = [];
  for (let first = 0; first < ic.length; first += POINTS_PER_CHUNK) {
    const points = ic.slice(first, first + POINTS_PER_CHUNK);
    const code = concatBytes(Uint8Array.of(0), ...points.flatMap((p) => [word(p.x), word(p.y)]));
    chunks.push({ code, initcode: dataInitcode(code), codehash: `0x${bytesToHex(keccak_256(code))}`, first, count: points.length });
  }
  return chunks;
}

/** A G2 point as the precompile's four words: x.c1, x.c0, y.c1, y.c0. */
const g2Words = (p: G2Affine) => [p.x.c1, p.x.c0, p.y.c1, p.y.c0];

/** Characters one integer of [min, max] and its comma take in JSON. */
const maxChars = (min: number, max: number) => Math.max(JSON.stringify(min).length, JSON.stringify(max).length) + 1;

/** What the contract checks for one segment (its signals are already canonical). */
function segmentCheck(segment: SignalSegment): string {
  switch (segment.kind) {
    case 'values':
      return [
        `        // ${segment.of}s: signals [${segment.start}, ${segment.start + segment.count}), each in [${segment.min}, ${segment.max}] and equal to the receipt's integers`,
        `        G.checkValues(r.publicSignals, ${segment.start}, r.${segment.of}, ${segment.min}, ${segment.max}, "${segment.of}");`,
      ].join('\n');
    case 'packed':
      return [
        `        // ${segment.of}s packed: signals [${segment.start}, ${segment.start + segment.count}), ${segment.perSignal} values of ${segment.bits} bits each, read back out, each in [${segment.min}, ${segment.max}] and equal to the receipt's integers`,
        `        G.checkPacked(r.publicSignals, ${segment.start}, r.${segment.of}, ${segment.min}, ${segment.max}, ${segment.bits}, ${segment.perSignal});`,
      ].join('\n');
    case 'commitment':
      // canonical (checkCanonical, above) is all a commitment must be; the pairing binds it, and the
      // receipt's values never reach the contract (r.${segment.of} must be empty: _verify)
      return `        // the ${segment.of} commitment: signal ${segment.start}, a salted Poseidon commitment, canonical (checked above) and bound by the pairing`;
    case 'context':
      return [
        `        // the context: signal ${segment.start}, SHA-256 of the model id, createdAt and nonce (mod 2^253)`,
        `        if (r.publicSignals[${segment.start}] != G.context(MODEL_ID, r.createdAtMs, r.nonce)) {`,
        `            revert("the context signal does not match the receipt (model id, createdAt and nonce)");`,
        `        }`,
      ].join('\n');
    default:
      segment satisfies never;
      throw new ExportError(`no on-chain check for the segment ${JSON.stringify(segment)}`);
  }
}

/** What one segment contributes to the record a registry keeps (inputCommitment, outputCommitment). */
function segmentCommitment(segment: SignalSegment, io: Manifest['io']): string | undefined {
  switch (segment.kind) {
    case 'values': {
      if (segment.of === 'output') return undefined; // a public output is recorded itself
      // receipt.input.commitment: SHA-256 of canonicalJson({shape, scale, raw}), raw written on-chain
      const d = io.input;
      const empty = canonicalJson({ shape: d.shape, scale: d.scale, raw: [] });
      const at = empty.indexOf('[]');
      if (!empty.startsWith('{"raw":[') || at < 0) throw new ExportError(`unexpected canonical JSON for the input commitment: ${empty}`);
      const prefix = empty.slice(0, at + 1);
      const suffix = empty.slice(at + 1);
      return `        inputCommitment = G.sha256IntegersJson(bytes(${JSON.stringify(prefix)}), r.input, ${maxChars(segment.min, segment.max)}, bytes(${JSON.stringify(suffix)}));`;
    }
    case 'packed':
      return undefined; // a public output is recorded itself
    case 'commitment':
      // receipt.<of>.commitment is the proven signal itself (verify checks them equal)
      return `        ${segment.of}Commitment = bytes32(r.publicSignals[${segment.start}]);`;
    case 'context':
      return undefined;
    default:
      segment satisfies never;
      throw new ExportError(`no registry record for the segment ${JSON.stringify(segment)}`);
  }
}

const sol = (v: bigint) => v.toString();
const bytes32 = (hex: string) => `0x${hex}`;
const comment = (text: string) => text.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' ');

/**
 * Generates ZkinferVerifier.sol for a model.
 * @param key the verification key's points (parseGroth16Key), whose id is manifest.keyId
 * @param options.inlineIcPoints the most IC points kept in the contract's code (default {@link INLINE_IC_POINTS})
 * @throws {ExportError} when the manifest has no key id or a layout this version cannot check on-chain
 */
export function verifierSource(manifest: Manifest, key: Groth16Key, options: { inlineIcPoints?: number } = {}): VerifierSource {
  if (!manifest.keyId) throw new ExportError('the artifacts have no verification key (compiled without setup)');
  let layout: SignalSegment[];
  try {
    layout = publicSignalLayout(manifest.io);
  } catch (cause) {
    throw new ExportError(`cannot lay out the public signals: ${(cause as Error).message}`, { cause });
  }
  const n = publicSignalCount(layout);
  if (key.ic.length !== n + 1) throw new ExportError(`the verification key has ${key.ic.length} IC points, the layout ${n} public signals`);
  const count = (of: 'input' | 'output') => layout.reduce((a, g) => a + (g.kind === 'values' && g.of === of ? g.count : g.kind === 'packed' && g.of === of ? g.values : 0), 0);
  // a hashed tensor's integers are never accepted: integers in their place mean a receipt that presents it as public
  const lengthCheck = (of: 'input' | 'output') =>
    manifest.io[of].visibility === 'hashed'
      ? `        if (r.${of}.length != 0) revert("the receipt ${of} is public, the manifest declares it hashed");`
      : `        if (r.${of}.length != N_${of.toUpperCase()}) revert("the receipt ${of} does not have the shape and scale the manifest declares");`;
  const inline = key.ic.length <= (options.inlineIcPoints ?? INLINE_IC_POINTS);
  const keyData = inline ? [] : keyDataChunks(key.ic);
  const icHex = inline ? key.ic.map((p) => bytesToHex(concatBytes(word(p.x), word(p.y)))).join('') : '';
  const [b, c, d] = [g2Words(key.beta), g2Words(key.gamma), g2Words(key.delta)];
  const commitments = layout.map((g) => segmentCommitment(g, manifest.io)).filter((s): s is string => s !== undefined);
  const source = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier, ZkinferReceipt} from "./IZkinferVerifier.sol";
import {ZkinferGroth16 as G} from "./ZkinferGroth16.sol";

/// @title The zkinfer verifier of model ${comment(manifest.name)} under key ${manifest.keyId.slice(0, 16)}…
/// @notice Generated by \`zkinfer export --target solidity\` from the model's manifest and
/// verification key. It checks what \`zkinfer verify\` checks of a receipt's proof, in the same
/// order and with the same reasons: model and key id, public signals (${describeLayout(layout)}),
/// each canonical, a value in its declared range and equal to the receipt's integers, a salted
/// Poseidon commitment bound by the pairing (a hashed tensor's values are never sent), the context
/// signal recomputed from model id, createdAt and nonce, the proof's points, and the pairing.
/// The checks a contract cannot make (the receipt's JSON schema, output values, probabilities
/// and semantics, the digest) are made by the TypeScript encoder that fills ZkinferReceipt.
/// ${inline ? "The key's IC points are in this contract's code: it is deployed alone." : `Deploy the ${keyData.length} key-data contract${keyData.length > 1 ? 's' : ''} first and pass their addresses in order.`}
contract ZkinferVerifier is IZkinferVerifier {
    bytes32 public constant MODEL_ID = ${bytes32(manifest.modelId)};
    bytes32 public constant KEY_ID = ${bytes32(manifest.keyId)};
    /// @notice The public signals, in order.
    string public constant LAYOUT = ${JSON.stringify(describeLayout(layout))};

    uint256 internal constant N_SIGNALS = ${n};
    uint256 internal constant N_INPUT = ${count('input')};
    uint256 internal constant N_OUTPUT = ${count('output')};

    uint256 internal constant ALPHA_X = ${sol(key.alpha.x)};
    uint256 internal constant ALPHA_Y = ${sol(key.alpha.y)};
    // G2 points in the pairing precompile's order: x.c1, x.c0, y.c1, y.c0
    uint256 internal constant BETA_X1 = ${sol(b[0]!)};
    uint256 internal constant BETA_X0 = ${sol(b[1]!)};
    uint256 internal constant BETA_Y1 = ${sol(b[2]!)};
    uint256 internal constant BETA_Y0 = ${sol(b[3]!)};
    uint256 internal constant GAMMA_X1 = ${sol(c[0]!)};
    uint256 internal constant GAMMA_X0 = ${sol(c[1]!)};
    uint256 internal constant GAMMA_Y1 = ${sol(c[2]!)};
    uint256 internal constant GAMMA_Y0 = ${sol(c[3]!)};
    uint256 internal constant DELTA_X1 = ${sol(d[0]!)};
    uint256 internal constant DELTA_X0 = ${sol(d[1]!)};
    uint256 internal constant DELTA_Y1 = ${sol(d[2]!)};
    uint256 internal constant DELTA_Y0 = ${sol(d[3]!)};

${
  inline
    ? `    /// @notice The IC points (${n + 1}): x ‖ y of each, 32 bytes each, big-endian, in this contract's code.
    bytes internal constant IC = hex"${icHex}";`
    : `    /// @notice The IC points (${n + 1}), in ${keyData.length} key-data contract${keyData.length > 1 ? 's' : ''}.
    uint256 internal constant IC_BYTES = ${64 * (n + 1)};`
}
${keyData.map((k, i) => `    bytes32 internal constant KEY_DATA_${i}_HASH = ${k.codehash};\n    address internal immutable KEY_DATA_${i};`).join('\n')}

    constructor(${keyData.map((_, i) => `address keyData${i}`).join(', ')}) {
${keyData.map((_, i) => `        if (keyData${i}.codehash != KEY_DATA_${i}_HASH) revert("key-data contract ${i} does not hold this key's IC points");\n        KEY_DATA_${i} = keyData${i};`).join('\n')}
    }

    /// @inheritdoc IZkinferVerifier
    function verifyReceipt(ZkinferReceipt calldata r) external view returns (bool) {
        _verify(r);
        return true;
    }

    /// @inheritdoc IZkinferVerifier
    function verifiedCommitments(ZkinferReceipt calldata r) external view returns (bytes32 inputCommitment, bytes32 outputCommitment) {
        _verify(r);
${commitments.length > 0 ? commitments.join('\n') : '        // nothing committed: both stay zero'}
        return (inputCommitment, outputCommitment);
    }

    function _verify(ZkinferReceipt calldata r) internal view {
        if (r.modelId != MODEL_ID) {
            revert(string.concat("the receipt is for model ", G.shortHex(r.modelId), ", the artifacts are model ", G.shortHex(MODEL_ID)));
        }
        if (r.keyId != KEY_ID) {
            revert(string.concat("the receipt was proven with key ", G.shortHex(r.keyId), ", the artifacts hold key ", G.shortHex(KEY_ID)));
        }
${lengthCheck('input')}
${lengthCheck('output')}
        if (r.nonce.length == 0 || r.nonce.length > 512) revert("expected the nonce to be 1 to 512 bytes");
        if (r.publicSignals.length != N_SIGNALS) {
            revert(string.concat("expected ${n} public signals (", LAYOUT, "), got ", G.uintToString(r.publicSignals.length)));
        }
        G.checkCanonical(r.publicSignals);
        _checkSegments(r);
        G.checkG1(r.a[0], r.a[1], "pi_a");
        G.checkG1(r.c[0], r.c[1], "pi_c");
        G.checkG2(r.b);
        _checkPairing(r);
    }

    function _checkSegments(ZkinferReceipt calldata r) internal pure {
${layout.map(segmentCheck).join('\n')}
    }

    function _checkPairing(ZkinferReceipt calldata r) internal view {
${
  inline
    ? `        (uint256 x, uint256 y) = G.linearCombination(IC, r.publicSignals);`
    : `        address[] memory chunks = new address[](${keyData.length});
${keyData.map((_, i) => `        chunks[${i}] = KEY_DATA_${i};`).join('\n')}
        (uint256 x, uint256 y) = G.linearCombination(G.readKeyData(chunks, IC_BYTES), r.publicSignals);`
}
        uint256[24] memory input = [
            r.a[0], (G.Q - r.a[1]) % G.Q, r.b[0][1], r.b[0][0], r.b[1][1], r.b[1][0],
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0,
            x, y, GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0,
            r.c[0], r.c[1], DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        (bool success, bool valid) = G.pairing(input);
        // A, C, alpha and vk_x are points of G1 and beta, gamma, delta of G2's subgroup, and B is
        // on G2's curve: the precompile refuses its input only for B outside the subgroup (EIP-197).
        if (!success) revert("pi_b is not in the prime-order subgroup of G2");
        if (!valid) revert("the Groth16 proof does not verify");
    }
}
`;
  return { source, keyData, layout };
}
