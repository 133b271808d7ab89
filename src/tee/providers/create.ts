/** Choosing an attestation provider by name (the CLI's `--attest dev|nitro`). */
import { InvalidArgumentError } from '../../shared/errors.js';
import { createDevProvider, type DevProviderOptions } from './dev.js';
import { createNitroProvider, type NitroProviderOptions } from './nitro.js';
import type { AttestationProvider } from './provider.js';

/** Names accepted by {@link createAttestationProvider}. */
export const PROVIDER_NAMES = ['dev', 'nitro'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/**
 * Creates a provider by name.
 * @param options.dev options of the dev provider (key location, ephemeral key)
 * @param options.nitro options of the nitro provider (device path, helper, transport)
 * @throws {InvalidArgumentError} for an unknown name
 */
export function createAttestationProvider(name: string, options: { dev?: DevProviderOptions; nitro?: NitroProviderOptions } = {}): AttestationProvider {
  switch (name) {
    case 'dev':
      return createDevProvider(options.dev);
    case 'nitro':
      return createNitroProvider(options.nitro);
    default:
      throw new InvalidArgumentError(`expected an attestation provider (${PROVIDER_NAMES.join(' or ')}), got ${JSON.stringify(name)}`);
  }
}

