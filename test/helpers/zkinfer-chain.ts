/**
 * Deploys a model's exported contracts on the in-process EVM (./evm.ts) as the export's
 * README says — key-data contracts, the verifier with their addresses, the registry — and
 * wraps their calls, for the tests and the gas benchmark.
 */
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util';
import { createContract, events } from 'micro-eth-signer/abi.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { SolidityExport } from '../../src/export/solidity/export-solidity.js';
import { TestChain, type EvmOutcome } from './evm.js';

/** Decoded ABI values with bytes as 0x hex, for readable assertions. */
const hexBytes = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Uint8Array ? bytesToHex(v) : v]));

const word = (a: Address) => a.toString().slice(2).padStart(64, '0');

/** The deployed contracts of one model. */
export interface DeployedModel {
  chain: TestChain;
  verifier: Address;
  registry: Address;
  keyData: Address[];
  gas: { keyData: bigint[]; verifier: bigint; registry: bigint };
  /** Calls verifyReceipt (no transaction). */
  verify(calldata: string): Promise<EvmOutcome>;
  /** verifyReceipt as a transaction (gas as a chain charges it). */
  verifyTx(calldata: string): Promise<EvmOutcome>;
  /** registry.register(...) from account `from`. */
  register(args: { modelId: string; keyId: string; verifier: Address; provenanceHash: string }, from?: number): Promise<EvmOutcome>;
  /** registry.submit(r) from account `from`. */
  submit(calldata: string, from?: number): Promise<EvmOutcome>;
  /** Decodes the registry's ReceiptRecorded events in an outcome. */
  recorded(outcome: EvmOutcome): Record<string, unknown>[];
  /** registry.modelOf(modelId). */
  modelOf(modelId: string): Promise<Record<string, unknown>>;
}

/** Deploys an export on `chain` (a new one by default); the registry is deployed by account 0. */
export async function deployExport(built: SolidityExport, chain?: TestChain): Promise<DeployedModel> {
  const c = chain ?? (await TestChain.create());
  const keyData: Address[] = [];
  const keyGas: bigint[] = [];
  for (const k of built.keyData) {
    const d = await c.deploy(k.initcode);
    keyData.push(d.address);
    keyGas.push(d.gasUsed);
  }
  const v = await c.deploy(hexToBytes(`${built.verifier.bytecode}${keyData.map(word).join('')}` as `0x${string}`));
  const r = await c.deploy(hexToBytes(built.registry.bytecode as `0x${string}`));
  const registryAbi = createContract(built.registry.abi as never) as unknown as Record<string, { encodeInput(a: unknown): Uint8Array; decodeOutput(b: Uint8Array): unknown }>;
  const registryEvents = events(built.registry.abi as never) as unknown as Record<string, { decode(topics: string[], data: string): Record<string, unknown> }>;
  const recordedTopic = bytesToHex(keccak_256(utf8ToBytes('ReceiptRecorded(bytes32,bytes32,bytes32,int256[],bytes,uint64,address,bytes32)')));
  return {
    chain: c,
    verifier: v.address,
    registry: r.address,
    keyData,
    gas: { keyData: keyGas, verifier: v.gasUsed, registry: r.gasUsed },
    verify: (calldata) => c.call(v.address, hexToBytes(calldata as `0x${string}`)),
    verifyTx: (calldata) => c.send(v.address, hexToBytes(calldata as `0x${string}`)),
    register: (args, from = 0) =>
      c.send(
        r.address,
        registryAbi.register!.encodeInput({
          modelId: hexToBytes(args.modelId as `0x${string}`),
          keyId: hexToBytes(args.keyId as `0x${string}`),
          verifier: args.verifier.toString(),
          provenanceHash: hexToBytes(args.provenanceHash as `0x${string}`),
        }),
        from,
      ),
    submit: (calldata, from = 0) => c.send(r.address, hexToBytes(calldata as `0x${string}`), from),
    recorded: (outcome) =>
      outcome.logs
        .filter(([address, topics]) => bytesToHex(address) === r.address.toString() && bytesToHex(topics[0]!) === recordedTopic)
        .map(([, topics, data]) =>
          hexBytes(
            registryEvents.ReceiptRecorded!.decode(
              topics.map((t) => bytesToHex(t)),
              bytesToHex(data),
            ),
          ),
        ),
    modelOf: async (modelId) => {
      const out = await c.call(r.address, registryAbi.modelOf!.encodeInput(hexToBytes(modelId as `0x${string}`)));
      if (!out.ok) throw new Error(`modelOf failed: ${out.reason}`);
      return hexBytes(registryAbi.modelOf!.decodeOutput(out.returnValue) as Record<string, unknown>);
    },
  };
}
