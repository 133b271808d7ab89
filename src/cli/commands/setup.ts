/**
 * `zkinfer setup contribute|beacon|verify`: multi-party phase 2 of a model's Groth16 key
 * (src/compile/phase2.ts). The commands parse, call the library and print; contribution hashes
 * are printed in full, since a contributor publishes theirs and others compare them.
 */
import type { Command } from 'commander';
import type { Phase2Result, SetupReport } from '../../compile/phase2.js';
import type { Phase2Contribution } from '../../shared/manifest.js';
import { releaseCurve } from '../../shared/curve.js';
import { InvalidArgumentError } from '../../shared/errors.js';

// The library modules are imported when a command runs, so `zkinfer --help` stays fast.
let beaconPhase2: typeof import('../../compile/phase2.js').beaconPhase2;
let contributePhase2: typeof import('../../compile/phase2.js').contributePhase2;
let verifySetup: typeof import('../../compile/phase2.js').verifySetup;
let contributionLabel: typeof import('../../compile/phase2-chain.js').contributionLabel;

/** Imports the library modules the commands use. */
async function loadSetup(): Promise<void> {
  const [m0, m1] = await Promise.all([import('../../compile/phase2.js'), import('../../compile/phase2-chain.js')]);
  ({ beaconPhase2, contributePhase2, verifySetup } = m0);
  ({ contributionLabel } = m1);
}

function parseIterations(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 10 || n > 28) throw new InvalidArgumentError(`expected --iterations to be an integer in [10, 28] (log2 of the SHA-256 iterations), got ${value}`);
  return n;
}

/** One line describing a contribution: label, who, beacon. */
export function describeContribution(index: number, c: Phase2Contribution): string {
  const notes = [c.by === 'compile' ? 'the compiling party' : '', c.beacon ? `beacon ${c.beacon.value}, 2^${c.beacon.iterationsExp} SHA-256 iterations` : ''].filter(Boolean);
  return `${contributionLabel(index, c)}${c.type === 'beacon' ? ' (beacon)' : ''}${notes.length ? ` — ${notes.join('; ')}` : ''}`;
}

function printResult(verb: string, r: Phase2Result, json: boolean): void {
  const index = r.manifest.setup!.phase2!.contributions.length - 1;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ dir: r.dir, modelId: r.manifest.modelId, keyId: r.manifest.keyId, previousKeyId: r.previousKeyId, contribution: { index: index + 1, name: r.contribution.name, hash: r.contribution.hash, type: r.contribution.type, beacon: r.contribution.beacon } }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `${verb} ${contributionLabel(index, r.contribution)} → ${r.dir}\n` +
      `  hash      ${r.contribution.hash}\n` +
      `  key id    ${r.manifest.keyId} (was ${r.previousKeyId})\n` +
      `  model id  ${r.manifest.modelId} (unchanged)\n`,
  );
}

function printReport(r: SetupReport, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ valid: true, ...r, chain: { circuitHash: r.chain.circuitHash, contributions: r.chain.contributions.map(({ name, hash, type, beacon, by }) => ({ name, hash, type, beacon, by })) } }, null, 2)}\n`,
    );
    return;
  }
  const ptau = r.ptau.ceremony
    ? `${r.ptau.path}: ${r.ptau.ceremony} (BLAKE2b-512 matches the published hash)`
    : `${r.ptau.path}: NOT a published ceremony file (BLAKE2b-512 ${r.ptau.blake2b512.slice(0, 32)}…): the key is only as trustworthy as whoever made this file`;
  const trust = r.onlyCompilingParty
    ? 'the only contributor is the compiling party: whoever compiled the model could forge proofs'
    : "proofs cannot be forged unless every contributor above kept its secret (and the ptau's τ is unknown)";
  process.stdout.write(
    `setup verified: ${r.dir}\n` +
      `  model id    ${r.modelId}\n` +
      `  key id      ${r.keyId}\n` +
      `  ptau        ${ptau}${r.ptau.sameAsManifest ? '' : ' — not the file the manifest names, which gives the same key'}\n` +
      `  circuit     ${r.chain.circuitHash}\n` +
      `  contributions, in order:\n` +
      r.chain.contributions.map((c, i) => `    ${describeContribution(i, c)}\n      ${c.hash}\n`).join('') +
      `  trust       ${trust}\n` +
      `  time        ${r.seconds.toFixed(1)} s\n`,
  );
}

/** Registers `setup contribute`, `setup beacon` and `setup verify`. */
export function registerSetupCommand(program: Command): void {
  const setup = program.command('setup').description("multi-party phase 2 of a model's Groth16 key: contribute, beacon, verify");

  setup
    .command('contribute')
    .description('add a phase-2 contribution with fresh secret randomness; writes a new artifacts folder and prints the contribution hash to publish')
    .argument('<artifacts>', 'artifacts folder (manifest, zkey)')
    .requiredOption('--out <dir>', 'the new artifacts folder')
    .option('--name <who>', 'contributor name stored in the key (a claim; the hash is what counts)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the result as JSON')
    .action(async (artifacts: string, opts) => {
      await loadSetup();
      try {
        printResult('added contribution', await contributePhase2(artifacts, { out: opts.out, name: opts.name, force: Boolean(opts.force) }), Boolean(opts.json));
      } finally {
        await releaseCurve();
      }
    });

  setup
    .command('beacon')
    .description('add a beacon: a contribution from a public random value (e.g. a block hash fixed in advance)')
    .argument('<artifacts>', 'artifacts folder (manifest, zkey)')
    .requiredOption('--beacon <hex>', 'the public random value, 1–255 bytes of hex')
    .option('--iterations <exp>', 'log2 of the SHA-256 iterations applied to the beacon, 10–28 (default 10)', parseIterations)
    .option('--out <dir>', 'write a new artifacts folder (default: replace the key in <artifacts>, which needs --force)')
    .option('--name <name>', 'name stored in the key (default "beacon")')
    .option('--force', 'replace the output folder if it exists')
    .option('--json', 'print the result as JSON')
    .action(async (artifacts: string, opts) => {
      await loadSetup();
      try {
        printResult(
          'added beacon',
          await beaconPhase2(artifacts, { beacon: opts.beacon, iterationsExp: opts.iterations, out: opts.out, name: opts.name, force: Boolean(opts.force) }),
          Boolean(opts.json),
        );
      } finally {
        await releaseCurve();
      }
    });

  setup
    .command('verify')
    .description('recompute the key from the r1cs and a public ceremony ptau and check every contribution; prints who contributed')
    .argument('<artifacts>', 'artifacts folder (manifest, r1cs, zkey, verification key)')
    .requiredOption('--ptau <file>', 'the public ceremony powers-of-tau file the key should derive from')
    .option('--json', 'print the report as JSON')
    .action(async (artifacts: string, opts) => {
      await loadSetup();
      try {
        printReport(await verifySetup(artifacts, { ptauPath: opts.ptau }), Boolean(opts.json));
      } finally {
        await releaseCurve();
      }
    });
}
