/**
 * The encrypted TEE path as two real processes: `zkinfer tee serve` (the enclave side, dev
 * provider) and `zkinfer infer --encrypt-to` (the client), talking HTTP. The client refuses
 * a key its policy does not trust before sending anything; a trusted round trip writes a
 * sealed receipt with no raw value and a private opening; `verify --policy` accepts it by
 * attestation only where the policy allows (the proof verifier's refusal is tested in
 * encrypted.test.ts: these artifacts have no key); the server
 * refuses a replayed request and a tampered one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/shared/manifest.js';
import { sealedReceiptSchema } from '../../src/shared/receipt.js';
import { encryptRequest, verifyEnclaveKey } from '../../src/tee/encrypted/client.js';
import { postEncryptedRequest } from '../../src/tee/encrypted/server.js';
import { compileTinyModel, writeInput } from '../e2e/tiny-model.js';

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let input: string;
let server: ChildProcess;
let url: string;
let keyFile: string;
const cache = mkdtempSync(join(tmpdir(), 'zkinfer-enc-cache-'));
const env = { ...process.env, FORCE_COLOR: '0', ZKINFER_CACHE_DIR: cache };
const x = [0.5, -0.25, 0.75, 0.1, -0.6, 0.3];

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const file = (name: string, body: object) => {
  const path = join(tiny.work, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
};

beforeAll(async () => {
  tiny = await compileTinyModel({ skipSetup: true });
  input = writeInput(tiny.work, 'x.json', [x]);
  keyFile = join(tiny.work, 'enclave-key.json');
  server = spawn(process.execPath, ['bin/zkinfer.js', 'tee', 'serve', tiny.dir, '--key-out', keyFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^listening on (http:\/\/\S+) /m.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`tee serve exited with ${code}`)));
  });
}, 300_000);
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
});

describe('zkinfer tee serve + infer --encrypt-to', () => {
  it('refuses to encrypt to a key the policy does not trust (the default policy: dev is not hardware)', () => {
    const out = join(tiny.work, 'untrusted.json');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--encrypt-to', keyFile, '--endpoint', url);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`error: ${keyFile}: not encrypting to this enclave key: enclave key: dev provider, not hardware; the policy does not accept dev attestations\n`);
    expect(zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--encrypt-to', keyFile)).toMatchObject({
      code: 2,
      stderr: 'error: --encrypt-to needs --endpoint <url> (the enclave server, zkinfer tee serve)\n',
    });
  });

  it('tee serve takes its --attest provider from the vendor registry', () => {
    expect(zkinfer('tee', 'serve', tiny.dir, '--attest', 'sgx')).toEqual({ code: 2, stdout: '', stderr: 'error: expected --attest to be dev, nitro or tdx, got "sgx"\n' });
  });

  it('round trip: a sealed receipt with no raw value, a private opening, accepted by attestation only where the policy allows', () => {
    const devKey = JSON.parse(readFileSync(join(cache, 'dev-attestation-key.json'), 'utf8')).publicKey as string;
    const devPolicy = file('dev-policy.json', { acceptDevAttestations: true, devPublicKeys: [devKey] });
    const out = join(tiny.work, 'sealed.json');
    const r = zkinfer('infer', tiny.dir, '--input', input, '--out', out, '--encrypt-to', keyFile, '--endpoint', url, '--policy', devPolicy);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const opening = join(tiny.work, 'sealed.opening.json');
    expect(r.stdout).toMatch(
      new RegExp(
        `^inferred ${input} encrypted to ${keyFile} → ${out} in [\\d.]+ ms, attested by dev \\(not hardware\\)\\n  output \\[-?\\d\\.\\d{4}, -?\\d\\.\\d{4}, -?\\d\\.\\d{4}\\]\\n  opening → ${opening} \\(input, output and salts: keep it private\\)\\n$`,
      ),
    );
    const text = readFileSync(out, 'utf8');
    const receipt = sealedReceiptSchema.parse(JSON.parse(text));
    const open = JSON.parse(readFileSync(opening, 'utf8'));
    expect(statSync(opening).mode & 0o777).toBe(0o600);
    expect(open.input.raw).toHaveLength(6);
    expect(text).not.toContain('"raw"');
    // Its only numbers are shapes and scales; the raw integers (small, so they could be a
    // shape by chance) appear nowhere as a list, and no input float appears at all.
    const numbers = (v: unknown, acc: number[] = []): number[] =>
      typeof v === 'number' ? [...acc, v] : v && typeof v === 'object' ? Object.values(v).reduce<number[]>((a, e) => numbers(e, a), acc) : acc;
    expect(numbers(receipt).sort()).toEqual([...receipt.input.shape, receipt.input.scale, ...receipt.output.shape, receipt.output.scale].sort());
    for (const raw of [open.input.raw, open.output.raw]) expect(text.replace(/\s/g, '')).not.toContain((raw as number[]).join(','));
    for (const v of x) expect(text).not.toMatch(new RegExp(`[\\[,:\\s]${String(v).replace('.', '\\.')}[,\\]}\\s]`)); // as a JSON number

    const accepted = zkinfer('verify', out, '--artifacts', tiny.dir, '--policy', devPolicy, '--nonce', receipt.nonce);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(
      /^accepted {8}\S+ \(by attestation\)\n {2}- attestation: valid dev attestation of the enclave key [0-9a-f]{16}…, \d+ s old\n {2}- sealed receipt: input and output are salted commitments; no proof can be attached \(encrypted TEE path\)\n$/,
    );
    const strict = zkinfer('verify', out, '--artifacts', tiny.dir, '--policy', file('default.json', {}));
    expect(strict.code).toBe(1);
    expect(strict.stdout).toBe(
      `proof-required  ${out}\n  - attestation: dev provider, not hardware; the policy does not accept dev attestations\n  - sealed receipt: input and output are salted commitments; no proof can be attached (encrypted TEE path)\n`,
    );
  });

  it('the server refuses a replayed request and a tampered one', async () => {
    const manifest = readManifest(tiny.dir);
    const enclave = await verifyEnclaveKey(readFileSync(keyFile, 'utf8'), { modelId: manifest.modelId });
    const { request } = await encryptRequest(enclave, manifest, x);
    await expect(postEncryptedRequest(url, request)).resolves.toMatchObject({ requestId: request.requestId });
    await expect(postEncryptedRequest(url, request)).rejects.toThrow(`the enclave refused the request (HTTP 400): encrypted request: request id ${request.requestId} was already answered (replay)`);
    const fresh = await encryptRequest(enclave, manifest, x);
    const bytes = Buffer.from(fresh.request.ciphertext, 'base64');
    bytes[0]! ^= 1;
    await expect(postEncryptedRequest(url, { ...fresh.request, ciphertext: bytes.toString('base64') })).rejects.toThrow(
      'the enclave refused the request (HTTP 400): encrypted request: cannot decrypt',
    );
    const res = await fetch(new URL(`/v1/enclave-key?nonce=${'ab'.repeat(16)}`, url));
    const freshKey = await res.json();
    expect(freshKey).toMatchObject({ publicKey: enclave.key.publicKey, attestation: { nonce: 'ab'.repeat(16) } });
    await expect(verifyEnclaveKey(freshKey, { modelId: manifest.modelId })).resolves.toMatchObject({ evidence: { nonce: 'ab'.repeat(16), encryptionKey: enclave.key.publicKey } });
  });
});
