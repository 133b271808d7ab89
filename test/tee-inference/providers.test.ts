/**
 * The attestation providers. dev: key caching, document form, the signature checked with
 * node:crypto (not the noble code that made it), and every verifier refusal. nitro: the NSM
 * request bytes written out by hand from RFC 8949 and the nsm-api's serde encoding, the
 * response decoding, the "not inside a Nitro Enclave" error, and the helper transport
 * through a fake helper and through nsm-helper.c compiled here (when a C compiler exists).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { decode, encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { AttestationError, InvalidArgumentError } from '../../src/shared/errors.js';
import { canonicalJson } from '../../src/shared/hash.js';
import { createAttestationProvider } from '../../src/tee/registry.js';
import { createDevProvider, DEV_KEY_FILE, devCacheDir, DevProvider, verifyDevAttestation } from '../../src/tee/dev/dev.js';
import { createNitroProvider, decodeNsmResponse, encodeNsmAttestationRequest, helperTransport, NitroProvider } from '../../src/tee/nitro/provider.js';
import { systemCommand, skipWithout, titled } from '../helpers/system-deps.js';

const work = mkdtempSync(join(tmpdir(), 'zkinfer-providers-'));
const digest = hexToBytes('11'.repeat(32));
const nonce = hexToBytes('deadbeef');

describe('dev provider', () => {
  it('creates its key once in the cache folder (mode 0600) and reuses it', () => {
    const cacheDir = join(work, 'cache');
    const first = createDevProvider({ cacheDir });
    expect(first.keyCreated).toBe(true);
    expect(first.keyPath).toBe(join(cacheDir, DEV_KEY_FILE));
    expect(statSync(first.keyPath!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(first.keyPath!, 'utf8'))).toMatchObject({ format: 'zkinfer.dev-key/1', algorithm: 'Ed25519', publicKey: first.publicKey });
    const second = createDevProvider({ cacheDir });
    expect(second.keyCreated).toBe(false);
    expect(second.publicKey).toBe(first.publicKey);
    expect(createDevProvider({ ephemeral: true }).publicKey).not.toBe(first.publicKey);
  });

  it('finds the cache folder from the environment', () => {
    expect(devCacheDir({ ZKINFER_CACHE_DIR: '/srv/cache' })).toBe('/srv/cache');
    expect(devCacheDir({ XDG_CACHE_HOME: '/home/u/.xdg' })).toBe('/home/u/.xdg/zkinfer');
  });

  it('refuses a malformed key file', () => {
    const cacheDir = join(work, 'bad-cache');
    createDevProvider({ cacheDir });
    const path = join(cacheDir, DEV_KEY_FILE);
    writeFileSync(path, '{"format": "something else"}');
    expect(() => createDevProvider({ cacheDir })).toThrow(new AttestationError(`${path}: not a zkinfer dev attestation key; delete it to create a new one`));
  });

  it('signs digest, nonce, time and the hardware:false label; node:crypto agrees', async () => {
    const dev = createDevProvider({ ephemeral: true, now: () => 1_700_000_000_000 });
    const doc = JSON.parse(Buffer.from(await dev.attest({ userData: digest, nonce })).toString('utf8'));
    expect(doc).toEqual({
      algorithm: 'Ed25519',
      format: 'zkinfer.dev-attestation/1',
      hardware: false,
      nonce: 'deadbeef',
      publicKey: dev.publicKey,
      signature: expect.stringMatching(/^[0-9a-f]{128}$/),
      timestamp: 1_700_000_000_000,
      userData: '11'.repeat(32),
    });
    const { signature, ...signed } = doc;
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(dev.publicKey, 'hex')]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify(null, Buffer.from(canonicalJson(signed)), key, Buffer.from(signature, 'hex'))).toBe(true);
  });

  it('verifies its documents and names the first check that fails', async () => {
    const dev = createDevProvider({ ephemeral: true, now: () => 1_700_000_000_000 });
    const bytes = await dev.attest({ userData: digest, nonce });
    expect(verifyDevAttestation(bytes, { expectedUserData: '11'.repeat(32), expectedNonce: 'deadbeef', publicKeys: [dev.publicKey] })).toEqual({
      hardware: false,
      algorithm: 'Ed25519',
      publicKey: dev.publicKey,
      userData: '11'.repeat(32),
      nonce: 'deadbeef',
      timestamp: 1_700_000_000_000,
    });
    const edit = (change: (doc: Record<string, unknown>) => void) => {
      const doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
      change(doc);
      return new TextEncoder().encode(JSON.stringify(doc));
    };
    expect(() => verifyDevAttestation(edit((d) => (d.timestamp = 1_800_000_000_000)))).toThrow(new AttestationError('dev attestation: signature does not verify'));
    expect(() => verifyDevAttestation(edit((d) => (d.hardware = true)))).toThrow(/^dev attestation: malformed document at "hardware": /);
    expect(() => verifyDevAttestation(new TextEncoder().encode('not json'))).toThrow(new AttestationError('dev attestation: malformed document (not JSON)'));
    expect(() => verifyDevAttestation(bytes, { expectedNonce: 'cafe' })).toThrow(new AttestationError('dev attestation: nonce deadbeef does not match the expected cafe'));
    expect(() => verifyDevAttestation(bytes, { expectedUserData: '22'.repeat(32) })).toThrow(
      new AttestationError(`dev attestation: user data ${'11'.repeat(32)} does not match the expected ${'22'.repeat(32)}`),
    );
    expect(() => verifyDevAttestation(bytes, { publicKeys: ['ab'.repeat(32)] })).toThrow(new AttestationError(`dev attestation: key ${dev.publicKey} is not a trusted dev key`));
  });

  it('refuses empty and oversized bindings', async () => {
    const dev = createDevProvider({ ephemeral: true });
    await expect(dev.attest({ userData: digest, nonce: new Uint8Array(0) })).rejects.toThrow(new InvalidArgumentError('expected nonce to be 1 to 512 bytes, got 0'));
    await expect(dev.attest({ userData: new Uint8Array(513), nonce })).rejects.toThrow(new InvalidArgumentError('expected userData to be 1 to 512 bytes, got 513'));
  });
});

describe('nitro provider', () => {
  it('encodes the NSM attestation request as serde_cbor does', () => {
    const expected = [
      'a1', // map(1)
      '6b',
      Buffer.from('Attestation').toString('hex'), // text(11)
      'a3', // map(3), fields in declaration order
      '69',
      Buffer.from('user_data').toString('hex'), // text(9)
      '5820',
      '11'.repeat(32), // bytes(32)
      '65',
      Buffer.from('nonce').toString('hex'), // text(5)
      '44',
      'deadbeef', // bytes(4)
      '6a',
      Buffer.from('public_key').toString('hex'), // text(10)
      'f6', // null
    ].join('');
    const encoded = encodeNsmAttestationRequest({ userData: digest, nonce });
    expect(bytesToHex(encoded)).toBe(expected);
    const decoded = decode(encoded, { useMaps: true }) as Map<string, Map<string, unknown>>;
    expect([...decoded.keys()]).toEqual(['Attestation']);
    expect([...decoded.get('Attestation')!.entries()]).toEqual([
      ['user_data', digest],
      ['nonce', nonce],
      ['public_key', null],
    ]);
  });

  it('puts a public key (the HPKE key of the encrypted path) in the public_key field, up to 1024 bytes', () => {
    const key = new Uint8Array(32).fill(0x5a);
    const encoded = encodeNsmAttestationRequest({ userData: digest, nonce, publicKey: key });
    expect(bytesToHex(encoded).endsWith(`6a${Buffer.from('public_key').toString('hex')}5820${'5a'.repeat(32)}`)).toBe(true);
    const decoded = decode(encoded, { useMaps: true }) as Map<string, Map<string, unknown>>;
    expect([...decoded.get('Attestation')!.entries()]).toEqual([
      ['user_data', digest],
      ['nonce', nonce],
      ['public_key', key],
    ]);
    expect(() => encodeNsmAttestationRequest({ userData: digest, nonce, publicKey: new Uint8Array(1025) })).toThrow(new InvalidArgumentError('expected publicKey to be 1 to 1024 bytes, got 1025'));
  });

  it('uses two-byte lengths for long nonces and refuses more than 512 bytes', () => {
    const long = new Uint8Array(300).fill(7);
    const encoded = bytesToHex(encodeNsmAttestationRequest({ userData: digest, nonce: long }));
    expect(encoded).toContain(`${Buffer.from('nonce').toString('hex')}59012c${'07'.repeat(300)}6a`);
    expect(() => encodeNsmAttestationRequest({ userData: digest, nonce: new Uint8Array(513) })).toThrow(new InvalidArgumentError('expected nonce to be 1 to 512 bytes, got 513'));
  });

  it('decodes attestation and error responses', () => {
    const doc = new Uint8Array([0x84, 1, 2, 3]);
    expect(decodeNsmResponse(encode(new Map([['Attestation', new Map([['document', doc]])]])))).toEqual(doc);
    expect(() => decodeNsmResponse(encode(new Map([['Error', 'InvalidArgument']])))).toThrow(new AttestationError('NSM: error InvalidArgument'));
    expect(() => decodeNsmResponse(encode(new Map([['GetRandom', new Map([['random', doc]])]])))).toThrow(new AttestationError('NSM: unexpected response "GetRandom" to an attestation request'));
    expect(() => decodeNsmResponse(encode(new Map([['Attestation', new Map()]])))).toThrow(new AttestationError('NSM: malformed response (Attestation without a document)'));
    expect(() => decodeNsmResponse(new Uint8Array([0xff]))).toThrow(/^NSM: malformed response \(/);
  });

  it('says it is not inside a Nitro Enclave when the NSM device is missing', async () => {
    const provider = new NitroProvider({ devicePath: join(work, 'no-nsm') });
    await expect(provider.attest({ userData: digest, nonce })).rejects.toThrow(new AttestationError(`not inside a Nitro Enclave (${join(work, 'no-nsm')} not found)`));
    if (!existsSync('/dev/nsm')) {
      await expect(createAttestationProvider('nitro').attest({ userData: digest, nonce })).rejects.toThrow(new AttestationError('not inside a Nitro Enclave (/dev/nsm not found)'));
    }
    expect(() => createAttestationProvider('sgx')).toThrow(new InvalidArgumentError('expected an attestation provider (dev, nitro or tdx), got "sgx"'));
    expect(createAttestationProvider('dev', { dev: { ephemeral: true } })).toBeInstanceOf(DevProvider);
  });

  it('sends the request through the helper program and returns the document', async () => {
    const device = join(work, 'fake-nsm');
    writeFileSync(device, '');
    const doc = new Uint8Array([0x84, 0x40, 0xa0, 0x40, 0x40]);
    writeFileSync(join(work, 'response.bin'), encode(new Map([['Attestation', new Map([['document', doc]])]])));
    const helper = join(work, 'fake-helper.sh');
    writeFileSync(helper, `#!/bin/sh\n[ "$1" = "${device}" ] || { echo "wrong device $1" >&2; exit 9; }\ncat > "${work}/request.bin"\ncat "${work}/response.bin"\n`);
    chmodSync(helper, 0o755);
    const provider = createNitroProvider({ devicePath: device, helper });
    expect(await provider.attest({ userData: digest, nonce })).toEqual(doc);
    expect(new Uint8Array(readFileSync(join(work, 'request.bin')))).toEqual(encodeNsmAttestationRequest({ userData: digest, nonce }));

    const failing = join(work, 'failing-helper.sh');
    writeFileSync(failing, '#!/bin/sh\ncat > /dev/null\necho "NSM ioctl failed: Invalid argument" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    await expect(createNitroProvider({ devicePath: device, helper: failing }).attest({ userData: digest, nonce })).rejects.toThrow(
      new AttestationError(`NSM helper ${failing} failed (exit 3): NSM ioctl failed: Invalid argument`),
    );
    const missing = join(work, 'no-such-helper');
    await expect(createNitroProvider({ devicePath: device, helper: missing }).attest({ userData: digest, nonce })).rejects.toThrow(
      new AttestationError(`cannot run the NSM helper ${missing} (ENOENT); build it from src/tee/nitro/nsm-helper.c, see docs/tee.md`),
    );
  });

  const cc = systemCommand('cc', 'gcc libc6-dev');
  const skipCc = skipWithout(cc);
  it.skipIf(skipCc)(titled('nsm-helper.c compiles and reports a missing device and a failed ioctl', cc, skipCc), async () => {
    const binary = join(work, 'zkinfer-nsm');
    const source = new URL('../../src/tee/nitro/nsm-helper.c', import.meta.url).pathname;
    const build = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source], { encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const request = encodeNsmAttestationRequest({ userData: digest, nonce });
    const missing = spawnSync(binary, [join(work, 'no-nsm')], { input: request, encoding: 'utf8' });
    expect([missing.status, missing.stderr]).toEqual([2, `not inside a Nitro Enclave (${join(work, 'no-nsm')} not found)\n`]);
    const notDevice = join(work, 'regular-file');
    writeFileSync(notDevice, '');
    await expect(helperTransport(binary, notDevice)(request)).rejects.toThrow(new AttestationError(`NSM helper ${binary} failed (exit 3): NSM ioctl failed: Inappropriate ioctl for device`));
  });
});
