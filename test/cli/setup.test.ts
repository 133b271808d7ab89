/**
 * `zkinfer setup contribute|beacon|verify` and `compile --ptau` as scripts run them: real
 * processes, exit codes, one line per failure, contribution hashes printed in full.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/shared/manifest.js';
import { defaultCacheDir } from '../../src/compile/ptau.js';
import { releaseCurve } from '../../src/shared/curve.js';
import { compileTinyModel } from '../e2e/tiny-model.js';

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tiny: Awaited<ReturnType<typeof compileTinyModel>>;
let ptau: string;
beforeAll(async () => {
  tiny = await compileTinyModel({ localSetup: 'snarkjs' });
  const m = readManifest(tiny.dir);
  ptau = join(defaultCacheDir(), 'ptau', `local-bn254-${String(m.setup!.ptau!.power).padStart(2, '0')}-${m.setup!.ptau!.sha256}.ptau`);
}, 300_000);
afterAll(releaseCurve);

describe('compile --ptau', () => {
  it("refuses zkinfer's own known-tau cache file before doing any work, in one line", () => {
    const out = join(tiny.work, 'with-cache-ptau');
    const r = zkinfer('compile', tiny.onnxPath, '--out', out, '--ptau', ptau);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      `error: ${ptau}: not a known public ceremony file (its BLAKE2b-512 matches no published powersOfTau28_hez_final*.ptau); use --ptau-unchecked to record it as unverified`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--ptau-unchecked needs a --ptau', () => {
    expect(zkinfer('compile', tiny.onnxPath, '--out', join(tiny.work, 'never'), '--ptau-unchecked')).toEqual({ code: 2, stdout: '', stderr: 'error: --ptau-unchecked applies to a --ptau file\n' });
  });

  it('--local-setup is direct or snarkjs, and only without --ptau', () => {
    expect(zkinfer('compile', tiny.onnxPath, '--out', join(tiny.work, 'never'), '--ptau', ptau, '--local-setup', 'snarkjs')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --local-setup applies to a local setup; a --ptau file is always set up through snarkjs\n',
    });
    expect(zkinfer('compile', tiny.onnxPath, '--out', join(tiny.work, 'never'), '--local-setup', 'fast')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: expected --local-setup to be direct or snarkjs, got fast\n',
    });
    expect(existsSync(join(tiny.work, 'never'))).toBe(false);
  });

  it('compiles with direct local keys by default; setup verify refuses them in one line (exit 1)', () => {
    const out = join(tiny.work, 'direct');
    const c = zkinfer('compile', tiny.onnxPath, '--out', out, '--calibration', join(tiny.work, 'calibration.jsonl'), '--input-bits', '8', '--weight-bits', '8', '--activation-bits', '10');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('  setup        local direct: keys computed from a local τ (development grade, not for production trust; no phase-2 transcript)\n');
    expect(readManifest(out).setup!.method).toBe('direct');
    expect(zkinfer('setup', 'verify', out, '--ptau', ptau)).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${out}: the key cannot be verified: it is a local, development-grade key computed directly from a τ the compiling machine drew (--local-setup direct), with no powers-of-tau file and no phase-2 transcript; recompile with --ptau <public ceremony file> for a key that can be verified and contributed to\n`,
    });
  });
});

describe('zkinfer setup', () => {
  const hex128 = '[0-9a-f]{128}';

  it('contribute writes a new folder and prints the hash to publish; it never replaces a folder without --force (exit 2)', () => {
    const out = join(tiny.work, 'alice');
    const r = zkinfer('setup', 'contribute', tiny.dir, '--out', out, '--name', 'alice');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = readManifest(out);
    const c = m.setup!.phase2!.contributions[2]!;
    expect(r.stdout).toBe(`added contribution #3 "alice" → ${out}\n  hash      ${c.hash}\n  key id    ${m.keyId} (was ${readManifest(tiny.dir).keyId})\n  model id  ${m.modelId} (unchanged)\n`);
    expect(zkinfer('setup', 'contribute', tiny.dir, '--out', out)).toEqual({ code: 2, stdout: '', stderr: `error: ${out}: exists and is not empty; give --force to replace it\n` });
  });

  it('beacon: bad values are one line; in place needs --force; --out writes a new folder', () => {
    const alice = join(tiny.work, 'alice');
    expect(zkinfer('setup', 'beacon', alice, '--beacon', 'zz')).toEqual({ code: 2, stdout: '', stderr: 'error: expected beacon to be 1–255 bytes of hex, got "zz"\n' });
    expect(zkinfer('setup', 'beacon', alice, '--beacon', 'ab', '--iterations', '64')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: expected --iterations to be an integer in [10, 28] (log2 of the SHA-256 iterations), got 64\n',
    });
    expect(zkinfer('setup', 'beacon', alice, '--beacon', 'ab')).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${alice}: this would replace the folder's key and invalidate its receipts; give --out <new folder>, or --force to replace it\n`,
    });
    const out = join(tiny.work, 'final');
    const r = zkinfer('setup', 'beacon', alice, '--beacon', 'abcdef', '--iterations', '12', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      dir: out,
      modelId: readManifest(alice).modelId,
      keyId: readManifest(out).keyId,
      previousKeyId: readManifest(alice).keyId,
      contribution: { index: 4, name: 'beacon', hash: expect.stringMatching(new RegExp(`^${hex128}$`)), type: 'beacon', beacon: { value: 'abcdef', iterationsExp: 12 } },
    });
  });

  it("verify prints each contribution's name and hash and who must be trusted", () => {
    const dir = join(tiny.work, 'final');
    const m = readManifest(dir);
    const [c1, c2, c3, c4] = m.setup!.phase2!.contributions;
    const r = zkinfer('setup', 'verify', dir, '--ptau', ptau);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^setup verified: ${dir}\\n  model id    ${m.modelId}\\n  key id      ${m.keyId}\\n  ptau        ${ptau}: NOT a published ceremony file \\(BLAKE2b-512 [0-9a-f]{32}…\\): the key is only as trustworthy as whoever made this file\\n  circuit     ${hex128}\\n`,
      ),
    );
    expect(r.stdout).toContain(
      '  contributions, in order:\n' +
        `    #1 "zkinfer local contribution" — the compiling party\n      ${c1!.hash}\n` +
        `    #2 "zkinfer beacon" (beacon) — the compiling party; beacon ${c2!.beacon!.value}, 2^10 SHA-256 iterations\n      ${c2!.hash}\n` +
        `    #3 "alice"\n      ${c3!.hash}\n` +
        `    #4 "beacon" (beacon) — beacon abcdef, 2^12 SHA-256 iterations\n      ${c4!.hash}\n` +
        "  trust       proofs cannot be forged unless every contributor above kept its secret (and the ptau's τ is unknown)\n",
    );
    expect(r.stdout).toMatch(/\n {2}time {8}\d+\.\d s\n$/);
  });

  it('verify of a compile-only key says the compiling party could forge; a missing --ptau is a usage error', () => {
    const r = zkinfer('setup', 'verify', tiny.dir, '--ptau', ptau, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, onlyCompilingParty: true, ptau: { path: ptau, sameAsManifest: true } });
    expect(zkinfer('setup', 'verify', tiny.dir, '--ptau', ptau).stdout).toContain('  trust       the only contributor is the compiling party: whoever compiled the model could forge proofs\n');
    expect(zkinfer('setup', 'verify', tiny.dir)).toEqual({ code: 2, stdout: '', stderr: "error: required option '--ptau <file>' not specified\n" });
  });
});
