/**
 * The exported Solidity verifier and registry on a real EVM (@ethereumjs/vm, in process):
 * an honest receipt verifies; every case of the shared tampering table that a contract can
 * express is refused by the contract itself with the reason `zkinfer verify` gives, the rest
 * by the receipt → calldata encoder; and the on-chain path (encoder, then contract) gives
 * verify's verdict on every case. The registry records receipts and refuses replays.
 */
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@ethereumjs/util';
import { bn254 } from '@noble/curves/bn254.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSolidityExport, staticSource, type SolidityExport } from '../../src/export/solidity/export-solidity.js';
import { encodeReceiptArgs, encodeReceiptForChain, RECEIPT_TUPLE, receiptCallArgs } from '../../src/export/solidity/calldata.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { provePublic as proveInference } from '../helpers/prove-public.js';
import { releaseCurve } from '../../src/shared/curve.js';
import type { PublicReceipt as Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { resealDigest, MODES, tamperCasesFor } from '../verify/tampering-cases.js';
import { deployExport, type DeployedModel } from '../helpers/zkinfer-chain.js';

/** The table's cases for the public tiny model. */
const TAMPER_CASES = tamperCasesFor(MODES.public);

const NONCE = '5eed'.repeat(8);
const CREATED = '2026-12-01T10:00:00.000Z';
const INPUT = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

let key: VerifierKey;
let receipt: Receipt;
let second: Receipt;
let built: SolidityExport;
let chain: DeployedModel;
let honestCalldata: string;

beforeAll(async () => {
  const tiny = await compileTinyModel();
  key = loadVerifierKey(tiny.dir);
  const artifacts = loadArtifacts(tiny.dir);
  receipt = await proveInference(artifacts, INPUT, { nonce: NONCE, createdAt: CREATED });
  second = await proveInference(artifacts, INPUT, { nonce: 'ab'.repeat(16), createdAt: CREATED });
  built = buildSolidityExport(key);
  chain = await deployExport(built);
  const encoded = encodeReceiptForChain(JSON.stringify(receipt), key.manifest);
  if (!encoded.ok) throw new Error(encoded.reason);
  honestCalldata = encoded.verifyCalldata;
}, 300_000);
afterAll(releaseCurve);

/** The calldata a contract would receive for any receipt-like data, or undefined when it cannot hold it. */
function rawCalldata(data: unknown): string | undefined {
  try {
    return encodeReceiptArgs(receiptCallArgs(data as Receipt)).verifyCalldata;
  } catch {
    return undefined;
  }
}

/** The on-chain path: the encoder's checks, then the contract. */
async function chainVerdict(data: unknown): Promise<{ valid: boolean; reason?: string }> {
  const encoded = encodeReceiptForChain(JSON.stringify(data), key.manifest);
  if (!encoded.ok) return { valid: false, reason: encoded.reason };
  const out = await chain.verify(encoded.verifyCalldata);
  return out.ok ? { valid: true } : { valid: false, reason: out.reason };
}

describe('the verifier contract', () => {
  it('is compiled from sources whose struct is the encoder’s, and whose G2 curve constant is noble’s', () => {
    const abi = built.verifier.abi as { name?: string; inputs?: unknown[] }[];
    expect(abi.find((f) => f.name === 'verifyReceipt')!.inputs).toEqual([RECEIPT_TUPLE]);
    const b = bn254.G2.Point.CURVE().b;
    const lib = staticSource('ZkinferGroth16.sol');
    expect(lib).toContain(`TWIST_B0 = ${b.c0};`);
    expect(lib).toContain(`TWIST_B1 = ${b.c1};`);
    expect((built.verifier.deployedBytecode.length - 2) / 2).toBeLessThanOrEqual(24_576);
  });

  it('verifies the honest receipt (true, no revert) and exposes the model and key ids', async () => {
    const out = await chain.verify(honestCalldata);
    expect(out).toMatchObject({ ok: true });
    expect(BigInt(`0x${Buffer.from(out.returnValue).toString('hex')}`)).toBe(1n);
    expect(await verifyProof(JSON.stringify(receipt), key)).toMatchObject({ valid: true });
    const tx = await chain.verifyTx(honestCalldata);
    expect(tx.ok).toBe(true);
    expect(tx.gasUsed).toBeGreaterThan(tx.executionGas);
  });

  it('keeps a small key’s points in its own code; with key-data contracts, refuses ones that do not hold the key’s points', async () => {
    expect(built.keyData).toHaveLength(0);
    const external = buildSolidityExport(key, { inlineIcPoints: 0 });
    expect(external.keyData).toHaveLength(1);
    const wrong = `${external.verifier.bytecode}${chain.registry.toString().slice(2).padStart(64, '0')}`;
    const out = await chain.chain.send(undefined, hexToBytes(wrong as `0x${string}`));
    expect(out).toMatchObject({ ok: false, reason: "key-data contract 0 does not hold this key's IC points" });
  }, 120_000);

  it('refuses a wrong number of public signals, and an empty nonce, with verify’s reasons', async () => {
    const short = JSON.parse(JSON.stringify(receipt)) as Receipt;
    short.publicSignals!.pop();
    const ts = await verifyProof(JSON.stringify(short), key);
    expect(ts.reason).toBe('expected 8 public signals (3 outputs packed in 1 signal, 6 inputs, the context), got 7');
    expect(await chain.verify(rawCalldata(short)!)).toMatchObject({ ok: false, reason: ts.reason });
    const args = receiptCallArgs(receipt);
    args.nonce = new Uint8Array(0);
    expect(await chain.verify(encodeReceiptArgs(args).verifyCalldata)).toMatchObject({ ok: false, reason: 'expected the nonce to be 1 to 512 bytes' });
  });
});

describe('the tampering table on-chain', () => {
  for (const c of TAMPER_CASES) {
    it(c.name, async () => {
      const data = c.tamper(receipt, key.manifest);
      const ts = await verifyProof(JSON.stringify(data), key);
      expect(ts.valid).toBe(false);
      const calldata = rawCalldata(data);
      if (calldata !== undefined && calldata !== honestCalldata) {
        // the contract receives the tampering: it refuses it on its own, with verify's reason
        expect(await chain.verify(calldata)).toMatchObject({ ok: false, reason: ts.reason });
      } else {
        // the contract cannot see it (JSON layer, presentation fields): the encoder refuses it
        expect(encodeReceiptForChain(JSON.stringify(data), key.manifest)).toEqual({ ok: false, reason: ts.reason });
      }
    });
  }

  it('every proof-layer case reaches the contract, no JSON-layer case does, and the contract sees most of the table', () => {
    const reaches = (c: (typeof TAMPER_CASES)[number]) => {
      const calldata = rawCalldata(c.tamper(receipt, key.manifest));
      return calldata !== undefined && calldata !== honestCalldata;
    };
    for (const c of TAMPER_CASES.filter((x) => x.layer === 'proof')) expect(reaches(c), c.name).toBe(true);
    for (const c of TAMPER_CASES.filter((x) => x.layer === 'json')) expect(reaches(c), c.name).toBe(false);
    expect(TAMPER_CASES.filter(reaches).length).toBeGreaterThanOrEqual(13);
  });

  it("the on-chain path's verdicts equal verify's on the honest receipt and every case", async () => {
    const all: unknown[] = [receipt, ...TAMPER_CASES.map((c) => c.tamper(receipt, key.manifest))];
    for (const data of all) {
      const ts = await verifyProof(JSON.stringify(data), key);
      expect(await chainVerdict(data)).toEqual(ts.valid ? { valid: true } : { valid: false, reason: ts.reason });
    }
  });
});

describe('the registry', () => {
  const args = () => ({ ...built.registration, verifier: chain.verifier });

  it('registers the model for its owner, and refuses another owner, another key and another model', async () => {
    expect(await chain.register(args(), 0)).toMatchObject({ ok: true });
    const model = await chain.modelOf(built.registration.modelId);
    expect(model).toMatchObject({ keyId: built.registration.keyId, verifier: chain.verifier.toString(), provenanceHash: built.registration.provenanceHash });
    expect(await chain.register(args(), 1)).toMatchObject({ ok: false, reason: 'the model is registered by another owner' });
    expect(await chain.register({ ...args(), keyId: `0x${'cd'.repeat(32)}` }, 0)).toMatchObject({ ok: false, reason: 'the verifier holds another key' });
    expect(await chain.register({ ...args(), modelId: `0x${'ab'.repeat(32)}` }, 2)).toMatchObject({ ok: false, reason: 'the verifier is for another model' });
  });

  it('records an honest receipt with its input commitment, output and nonce, and refuses its replay', async () => {
    const encoded = encodeReceiptForChain(JSON.stringify(receipt), key.manifest);
    if (!encoded.ok) throw new Error(encoded.reason);
    const out = await chain.submit(encoded.submitCalldata, 1);
    expect(out).toMatchObject({ ok: true });
    const [event] = chain.recorded(out);
    expect(event).toMatchObject({
      modelId: `0x${receipt.modelId}`,
      inputCommitment: `0x${receipt.input.commitment}`,
      outputCommitment: `0x${'00'.repeat(32)}`,
      output: receipt.output.raw.map(BigInt),
      nonce: `0x${receipt.nonce}`,
      createdAtMs: BigInt(Date.parse(CREATED)),
    });
    expect(await chain.submit(encoded.submitCalldata, 2)).toMatchObject({ ok: false, reason: 'the nonce was already used for this model (a replayed receipt)' });
  });

  it('records another receipt of the model (a new nonce), and refuses tampered and unregistered ones with their reasons', async () => {
    const encoded = encodeReceiptForChain(JSON.stringify(second), key.manifest);
    if (!encoded.ok) throw new Error(encoded.reason);
    expect(await chain.submit(encoded.submitCalldata, 2)).toMatchObject({ ok: true });
    const altered = TAMPER_CASES.find((c) => c.name.startsWith('altered output (values'))!.tamper(receipt, key.manifest) as Receipt;
    altered.nonce = 'cc'.repeat(16); // an unused nonce: refused for the tampering, not as a replay
    resealDigest(altered);
    const ts = await verifyProof(JSON.stringify(altered), key);
    expect(await chain.submit(encodeReceiptArgs(receiptCallArgs(altered)).submitCalldata)).toMatchObject({ ok: false, reason: ts.reason });
    const other = { ...receipt, modelId: 'ab'.repeat(32) };
    expect(await chain.submit(encodeReceiptArgs(receiptCallArgs(other)).submitCalldata)).toMatchObject({ ok: false, reason: 'model abababababababab… is not registered' });
  });
});

describe('the Solidity sources', () => {
  it('the registry and the library are the files shipped beside the generator', () => {
    expect(built.sources['ZkinferRegistry.sol']).toBe(readFileSync(new URL('../../src/export/solidity/ZkinferRegistry.sol', import.meta.url), 'utf8'));
    expect(built.sources['ZkinferVerifier.sol']).toContain(`bytes32 public constant MODEL_ID = 0x${key.manifest.modelId};`);
  });
});
