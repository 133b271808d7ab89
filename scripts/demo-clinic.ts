/**
 * `npm run demo:clinic`: the clinical example (examples/clinic). A clinic compiles a
 * breast-cancer classifier with a hashed input; for one patient it proves the model's
 * verdict while the patient's 30 features stay private; anyone verifies the receipt; later
 * an auditor, shown the patient's opening, checks which features were used. It prints what
 * a third party sees (the commitment and the verdict) beside what only the patient and the
 * auditor see (the features and the salt). Every step is a zkinfer command a user runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';

const example = 'examples/clinic';
const out = 'artifacts/clinic';
const patient = process.argv[2] ?? join(example, 'patient-1.json');
const receipt = join('artifacts', 'receipts', 'clinic.json');
const opening = join('artifacts', 'receipts', 'clinic.opening.json');

async function step(title: string, argv: string[]): Promise<void> {
  process.stderr.write(`\n$ zkinfer ${argv.join(' ')}\n`);
  const t0 = performance.now();
  const code = await main(argv);
  process.stdout.write(`${title}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
  if (code !== 0) process.exit(code);
}

await step('compile (hashed input)', ['compile', join(example, 'model.onnx'), '--out', out, '--calibration', join(example, 'calibration.jsonl'), '--input-visibility', 'hashed']);
await step('prove (clinic, for the patient)', ['prove', out, '--input', patient, '--out', receipt, '--force']);
await step('verify (anyone)', ['verify', receipt, '--artifacts', out]);
await step("open (auditor, with the patient's opening)", ['open', receipt, '--opening', opening, '--artifacts', out]);

const r = JSON.parse(readFileSync(receipt, 'utf8'));
const o = JSON.parse(readFileSync(opening, 'utf8'));
const classes = (JSON.parse(readFileSync(join(example, 'scaler.json'), 'utf8')) as { classes: string[] }).classes;
const logits = r.output.values as number[];
const verdict = classes[logits.indexOf(Math.max(...logits))];
const features = JSON.parse(readFileSync(patient, 'utf8')).input[0] as number[];
const show = (xs: readonly (number | string)[], n = 6) => `[${xs.slice(0, n).join(', ')}${xs.length > n ? `, … (${xs.length})` : ''}]`;
process.stdout.write(`
What a third party sees (${receipt}):
  model id          ${r.modelId}
  input             hashed: commitment ${r.input.commitment}
  verdict           ${verdict} (logits ${show(logits)})
  proof             valid Groth16 proof binding the commitment, the verdict, the model and the nonce

What only the patient and the auditor see (${opening}, file mode 0600):
  features (z)      ${show(features)}
  fixed-point input ${show(o.input.raw)}
  salt              ${o.input.salt}
`);
