/**
 * A real EVM in process (@ethereumjs/vm, Prague rules: EIP-170's code-size limit, EIP-1108
 * precompile gas, EIP-7623 calldata pricing) for the exported contracts' tests and the gas
 * benchmark: funded accounts, signed transactions (gas as a chain would charge it) and calls
 * (eth_call-like, no state change), with revert reasons decoded.
 */
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createLegacyTx } from '@ethereumjs/tx';
import { Account, Address, bytesToHex, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';

/** What a transaction or call did. */
export interface EvmOutcome {
  ok: boolean;
  /** The Error(string) reason of a revert, or the EVM's error name. */
  reason?: string;
  returnValue: Uint8Array;
  /** For transactions: the gas the sender pays (intrinsic + calldata + execution, after refunds). */
  gasUsed: bigint;
  /** Gas used by execution alone. */
  executionGas: bigint;
  /** Logs (transactions only): [address, topics, data]. */
  logs: [Uint8Array, Uint8Array[], Uint8Array][];
  /** For a creation: the new contract's address. */
  created?: Address;
}

const GAS_LIMIT = 30_000_000n;

/** Decodes revert data: Error(string), or hex when it is something else. */
export function revertReason(data: Uint8Array): string {
  if (data.length >= 68 && bytesToHex(data.subarray(0, 4)) === '0x08c379a0') {
    const len = Number(BigInt(bytesToHex(data.subarray(36, 68))));
    return new TextDecoder().decode(data.subarray(68, 68 + len));
  }
  return data.length === 0 ? '(no reason)' : bytesToHex(data);
}

/** An in-process chain with funded accounts. */
export class TestChain {
  private constructor(
    readonly vm: VM,
    readonly common: Common,
    /** Private keys of the funded accounts. */
    readonly keys: Uint8Array[],
  ) {}

  /** A fresh chain with `accounts` funded accounts. */
  static async create(accounts = 3): Promise<TestChain> {
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });
    const vm = await createVM({ common });
    const keys = Array.from({ length: accounts }, (_, i) => hexToBytes(`0x${(i + 1).toString(16).padStart(64, '0')}`));
    for (const k of keys) await vm.stateManager.putAccount(createAddressFromPrivateKey(k), new Account(0n, 10n ** 24n));
    return new TestChain(vm, common, keys);
  }

  /** The address of account `i`. */
  address(i = 0): Address {
    return createAddressFromPrivateKey(this.keys[i]!);
  }

  /** Sends a signed transaction from account `from` (to: undefined creates a contract). */
  async send(to: Address | undefined, data: Uint8Array, from = 0): Promise<EvmOutcome> {
    const nonce = (await this.vm.stateManager.getAccount(this.address(from)))?.nonce ?? 0n;
    const tx = createLegacyTx({ nonce, gasPrice: 10n, gasLimit: GAS_LIMIT, to, data }, { common: this.common }).sign(this.keys[from]!);
    const result = await runTx(this.vm, { tx, skipBlockGasLimitValidation: true });
    const exec = result.execResult;
    const ok = exec.exceptionError === undefined;
    return {
      ok,
      reason: ok ? undefined : exec.exceptionError!.error === 'revert' ? revertReason(exec.returnValue) : exec.exceptionError!.error,
      returnValue: exec.returnValue,
      gasUsed: result.totalGasSpent,
      executionGas: exec.executionGasUsed,
      logs: (exec.logs ?? []) as EvmOutcome['logs'],
      created: result.createdAddress,
    };
  }

  /** Deploys creation code (with any constructor arguments appended); throws if it fails. */
  async deploy(initcode: Uint8Array, from = 0): Promise<{ address: Address; gasUsed: bigint }> {
    const r = await this.send(undefined, initcode, from);
    if (!r.ok || !r.created) throw new Error(`deployment failed: ${r.reason}`);
    return { address: r.created, gasUsed: r.gasUsed };
  }

  /** Calls without a transaction (eth_call): no state change, no intrinsic gas. */
  async call(to: Address, data: Uint8Array, from = 0): Promise<EvmOutcome> {
    // runCall writes to the state (the caller's nonce among others): undo it, as eth_call does
    await this.vm.stateManager.checkpoint();
    let r;
    try {
      r = await this.vm.evm.runCall({ to, data, caller: this.address(from), gasLimit: GAS_LIMIT, origin: this.address(from) });
    } finally {
      await this.vm.stateManager.revert();
    }
    const exec = r.execResult;
    const ok = exec.exceptionError === undefined;
    return {
      ok,
      reason: ok ? undefined : exec.exceptionError!.error === 'revert' ? revertReason(exec.returnValue) : exec.exceptionError!.error,
      returnValue: exec.returnValue,
      gasUsed: exec.executionGasUsed,
      executionGas: exec.executionGasUsed,
      logs: [],
    };
  }

  /** The code at an address. */
  async code(address: Address): Promise<Uint8Array> {
    return this.vm.stateManager.getCode(address);
  }
}
