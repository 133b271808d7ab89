/**
 * `tsx scripts/profile-verify.ts`: where one warm verification of a receipt spends its CPU
 * time, part by part — the receipt's parsing, its bindings (digest, context, signals), the
 * proof points' checks with @noble/curves, B's G2 membership in wasm, and inside the wasm
 * pairing check B's lines, the shared Miller loop of the three pairings and the final
 * exponentiation. Each part runs `--iterations` times after a warm-up; figures are process
 * CPU time (process.cpuUsage) per call, so they hold under load better than wall-clock time,
 * though a loaded machine still inflates them (caches, frequency): compare runs made together.
 * Usage: tsx scripts/profile-verify.ts [--out artifacts/fashion-mnist-hashed] [--receipt r.json] [--iterations 200]
 * (without --receipt, one receipt of examples/fashion-mnist/input.json is proven first)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { loadArtifacts } from '../src/prove/artifacts.js';
import { proveWithOpening } from '../src/prove/prove.js';
import { releaseCurve, sharedCurve } from '../src/shared/curve.js';
import { receiptContext } from '../src/shared/context.js';
import { receiptDigest, type Receipt } from '../src/shared/receipt.js';
import { checkBindings, keyIdOf, loadVerifierKey, parseReceipt, verifyProof } from '../src/verify/verify.js';
import { checkProofPoints } from '../src/verify/points.js';
import { g2InSubgroup, verifyGroth16Wasm, type WasmCurve } from '../src/verify/groth16-wasm.js';
import { multiMillerLoop } from '../src/verify/wasm-miller.js';
import { flag, intFlag } from './lib/args.js';

const out = flag('--out', 'artifacts/fashion-mnist-hashed');
const iterations = intFlag('--iterations', 200);
const receiptPath = flag('--receipt');
const key = loadVerifierKey(out);
let text: string;
if (receiptPath) text = readFileSync(receiptPath, 'utf8');
else {
  const input = (JSON.parse(readFileSync(join('examples/fashion-mnist', 'input.json'), 'utf8')) as { input: number[][][][] }).input.flat(3);
  text = JSON.stringify((await proveWithOpening(loadArtifacts(out), input, { nonce: '0a0b' })).receipt);
}
const receipt = JSON.parse(text) as Receipt;
if (!receipt.proof) throw new Error('the receipt carries no proof of its own');
const proof = receipt.proof;
const curve = await sharedCurve<WasmCurve>();
keyIdOf(key.vkey);
const load = loadavg()[0]!.toFixed(2);

const rows: Array<[string, number]> = [];
async function part(name: string, run: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(20, iterations); i++) await run();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await run();
  const used = process.cpuUsage(start);
  rows.push([name, (used.user + used.system) / 1000 / iterations]);
}

await part('verifyProof (receipt object), whole', async () => {
  if (!(await verifyProof(receipt, key)).valid) throw new Error('the receipt does not verify');
});
await part('parseReceipt (JSON text and schema)', () => parseReceipt(text));
await part('bindings without the proof points', () => checkBindings({ ...receipt, proof: undefined } as Receipt, key));
await part('  of which the receipt digest', () => receiptDigest(receipt));
await part('  of which the context signal', () => receiptContext(receipt));
await part('points: canonical, on curve (noble)', () => checkProofPoints(proof, { g2Subgroup: false }));
await part('points with G2 membership (noble)', () => checkProofPoints(proof));
await part('G2 membership of B (wasm)', () => g2InSubgroup(curve, proof));
await part('pairing check (wasm), whole', () => verifyGroth16Wasm(curve, key.vkey, receipt.publicSignals!, proof));
// the pairing check's parts, on B and the generator of G1 (the costs do not depend on the points)
const { tm } = curve;
const x = tm.instance.exports;
tm.startSyncOp();
const b = tm.allocBuff(curve.G2.toJacobian(curve.G2.fromObject(proof.pi_b.map((c) => (Array.isArray(c) ? c.map(BigInt) : BigInt(c))).slice(0, 2))));
const preP = tm.alloc(curve.prePSize);
const preQ = tm.alloc(curve.preQSize);
const f = tm.alloc(curve.Gt.n8);
x.bn128_prepareG1!(tm.allocBuff(curve.G1.toJacobian(curve.G1.fromObject([1n, 2n]))), preP);
tm.endSyncOp();
await part('  B lines (prepareG2)', () => x.bn128_prepareG2!(b, preQ));
await part('  Miller loop of three pairings, shared', () =>
  multiMillerLoop(
    curve,
    [
      [preP, preQ],
      [preP, preQ],
      [preP, preQ],
    ],
    f,
  ),
);
await part('  three separate Miller loops (before)', () => {
  for (let i = 0; i < 3; i++) x.bn128_millerLoop!(preP, preQ, f);
});
await part('  final exponentiation', () => x.bn128_finalExponentiation!(f, f));
await releaseCurve();

process.stdout.write(`CPU time per call, ${iterations} calls each, load average ${load} at start, ${loadavg()[0]!.toFixed(2)} at end (${out}):\n\n| part | ms |\n|---|---|\n`);
for (const [name, ms] of rows) process.stdout.write(`| ${name.replace(/^ {2}/, '… ')} | ${ms.toFixed(3)} |\n`);
