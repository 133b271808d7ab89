/**
 * The exported Solidity verifier and registry for hashed models, on the in-process EVM: the
 * tiny model compiled with a hashed input (public output), and with both hashed. An honest
 * receipt verifies with no value of a hashed tensor in the call; the table's cases for the
 * mode (the commitment cases among them) are refused by the contract with verify's reason,
 * or by the encoder where the contract never sees the tampered field; integers sent in place
 * of a hashed tensor are refused; the registry records the commitments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSolidityExport, type SolidityExport } from '../../src/export/solidity/export-solidity.js';
import { encodeReceiptArgs, encodeReceiptForChain, receiptCallArgs } from '../../src/export/solidity/calldata.js';
import { loadArtifacts } from '../../src/prove/artifacts.js';
import { proveInference } from '../../src/prove/prove.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { FIELD_MODULUS } from '../../src/shared/field.js';
import { isHashedOutput, type Receipt } from '../../src/shared/receipt.js';
import { loadVerifierKey, verifyProof, type VerifierKey } from '../../src/verify/verify.js';
import { compileTinyModel } from '../e2e/tiny-model.js';
import { deployExport, type DeployedModel } from '../helpers/zkinfer-chain.js';
import { MODES, modeOf, tamperCasesFor } from '../verify/tampering-cases.js';

const INPUT = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];
const CREATED = '2026-12-01T10:00:00.000Z';
const hex32 = (v: bigint) => `0x${v.toString(16).padStart(64, '0')}`;

interface Setup {
  key: VerifierKey;
  receipt: Receipt;
  built: SolidityExport;
  chain: DeployedModel;
  honestCalldata: string;
}

afterAll(releaseCurve);

describe.each([
  ['hashed input, public output (packed)', MODES.hashedInput, { inputVisibility: 'hashed' } as const, {}],
  // the layout of artifacts compiled before packing, and the key's points in a key-data contract (as a large key's are)
  ['hashed input, public output (one signal per value; key data in its own contract)', MODES.hashedInputUnpacked, { inputVisibility: 'hashed', packOutput: false } as const, { inlineIcPoints: 0 }],
  ['hashed input and output', MODES.hashedBoth, { inputVisibility: 'hashed', outputVisibility: 'hashed' } as const, {}],
])('the verifier contract of a model with %s', (_title, mode, options, exportOptions) => {
  const cases = tamperCasesFor(mode);
  const s = {} as Setup;

  beforeAll(async () => {
    const tiny = await compileTinyModel(options);
    s.key = loadVerifierKey(tiny.dir);
    s.receipt = await proveInference(loadArtifacts(tiny.dir), INPUT, { nonce: '5eed'.repeat(8), createdAt: CREATED });
    expect(modeOf(s.receipt, s.key.manifest)).toEqual(mode);
    s.built = buildSolidityExport(s.key, exportOptions);
    expect(s.built.keyData).toHaveLength((exportOptions as { inlineIcPoints?: number }).inlineIcPoints === 0 ? 1 : 0);
    s.chain = await deployExport(s.built);
    const encoded = encodeReceiptForChain(JSON.stringify(s.receipt), s.key.manifest);
    if (!encoded.ok) throw new Error(encoded.reason);
    s.honestCalldata = encoded.verifyCalldata;
  }, 300_000);

  const rawCalldata = (data: unknown): string | undefined => {
    try {
      return encodeReceiptArgs(receiptCallArgs(data as Receipt)).verifyCalldata;
    } catch {
      return undefined;
    }
  };

  it('verifies the honest receipt, whose call carries the commitments as signals and no value of a hashed tensor', async () => {
    expect(await s.chain.verify(s.honestCalldata)).toMatchObject({ ok: true });
    const args = receiptCallArgs(s.receipt);
    expect(args.input).toEqual([]);
    expect(args.publicSignals.map(String)).toEqual(s.receipt.publicSignals);
    expect(args.publicSignals).toContain(BigInt(s.receipt.input.commitment));
    if (isHashedOutput(s.receipt.output)) {
      expect(args.output).toEqual([]);
      expect(args.publicSignals[0]).toBe(BigInt(s.receipt.output.commitment));
    } else expect(args.output).toEqual(s.receipt.output.raw.map(BigInt));
    expect(s.built.sources['ZkinferVerifier.sol']).toContain('the input commitment: signal');
  });

  it('refuses integers sent in place of a hashed tensor, with verify’s reason for a receipt that presents it as public', async () => {
    const args = receiptCallArgs(s.receipt);
    args.input = [1n, 2n, 3n, 4n, 5n, 6n];
    expect(await s.chain.verify(encodeReceiptArgs(args).verifyCalldata)).toMatchObject({ ok: false, reason: 'the receipt input is public, the manifest declares it hashed' });
    if (mode.output === 'hashed') {
      const out = receiptCallArgs(s.receipt);
      out.output = [7n];
      expect(await s.chain.verify(encodeReceiptArgs(out).verifyCalldata)).toMatchObject({ ok: false, reason: 'the receipt output is public, the manifest declares it hashed' });
    }
  });

  it('refuses a commitment signal at or above the field modulus, and a changed one', async () => {
    const i = s.receipt.publicSignals!.indexOf(s.receipt.input.commitment);
    const args = receiptCallArgs(s.receipt);
    args.publicSignals[i] = args.publicSignals[i]! + FIELD_MODULUS;
    expect(await s.chain.verify(encodeReceiptArgs(args).verifyCalldata)).toMatchObject({ ok: false, reason: `public signal ${i} is not a canonical field element` });
    args.publicSignals[i] = FIELD_MODULUS;
    expect(await s.chain.verify(encodeReceiptArgs(args).verifyCalldata)).toMatchObject({ ok: false, reason: `public signal ${i} is not a canonical field element` });
    args.publicSignals[i] = (BigInt(s.receipt.input.commitment) + 1n) % FIELD_MODULUS;
    expect(await s.chain.verify(encodeReceiptArgs(args).verifyCalldata)).toMatchObject({ ok: false, reason: 'the Groth16 proof does not verify' });
  });

  describe('the tampering table', () => {
    it('has the commitment cases for this mode', () => {
      const names = cases.map((c) => c.name);
      expect(names).toContain('altered input commitment (digest re-sealed)');
      expect(names).toContain('raw input values smuggled in beside the input commitment');
      expect(names).toContain('input commitment written as c + r in the receipt and its signal (digest re-sealed)');
      if (mode.output === 'hashed') expect(names).toContain('input and output commitments swapped in the receipt and the signals (digest re-sealed)');
    });

    for (const c of cases) {
      it(c.name, async () => {
        const data = c.tamper(s.receipt, s.key.manifest);
        const ts = await verifyProof(JSON.stringify(data), s.key);
        expect(ts.valid).toBe(false);
        if (typeof c.reason === 'string') expect(ts.reason).toBe(c.reason);
        else expect(ts.reason).toMatch(c.reason);
        const calldata = rawCalldata(data);
        if (c.layer === 'proof') expect(calldata !== undefined && calldata !== s.honestCalldata).toBe(true);
        if (calldata !== undefined && calldata !== s.honestCalldata) {
          expect(await s.chain.verify(calldata)).toMatchObject({ ok: false, reason: ts.reason });
        } else {
          expect(encodeReceiptForChain(JSON.stringify(data), s.key.manifest)).toEqual({ ok: false, reason: ts.reason });
        }
        // the on-chain path (encoder, then contract) gives verify's verdict
        const encoded = encodeReceiptForChain(JSON.stringify(data), s.key.manifest);
        const chainVerdict = encoded.ok ? await s.chain.verify(encoded.verifyCalldata) : { ok: false, reason: encoded.reason };
        expect({ ok: chainVerdict.ok, reason: chainVerdict.reason }).toEqual({ ok: false, reason: ts.reason });
      });
    }
  });

  describe('the registry', () => {
    it('records the honest receipt with its commitments (and the output when it is public), and refuses its replay', async () => {
      expect(await s.chain.register({ ...s.built.registration, verifier: s.chain.verifier })).toMatchObject({ ok: true });
      const encoded = encodeReceiptForChain(JSON.stringify(s.receipt), s.key.manifest);
      if (!encoded.ok) throw new Error(encoded.reason);
      const out = await s.chain.submit(encoded.submitCalldata, 1);
      expect(out).toMatchObject({ ok: true });
      const [event] = s.chain.recorded(out);
      const hashedOut = isHashedOutput(s.receipt.output);
      expect(event).toMatchObject({
        modelId: `0x${s.receipt.modelId}`,
        inputCommitment: hex32(BigInt(s.receipt.input.commitment)),
        outputCommitment: hashedOut ? hex32(BigInt((s.receipt.output as { commitment: string }).commitment)) : hex32(0n),
        output: hashedOut ? [] : (s.receipt.output as { raw: number[] }).raw.map(BigInt),
        nonce: `0x${s.receipt.nonce}`,
        createdAtMs: BigInt(Date.parse(CREATED)),
      });
      expect(await s.chain.submit(encoded.submitCalldata, 2)).toMatchObject({ ok: false, reason: 'the nonce was already used for this model (a replayed receipt)' });
    });
  });
});
