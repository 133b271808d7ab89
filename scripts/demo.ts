/**
 * `npm run demo`: compiles the bundled Fashion-MNIST example, proves one inference and
 * verifies the receipt, through the same commands a user runs, printing the verdict and
 * the time each step took.
 */
import { join } from 'node:path';
import { main } from '../src/cli/main.js';

const example = 'examples/fashion-mnist';
const out = 'artifacts/fashion-mnist';
// beside the artifacts, not in them: compile refuses a folder holding files it did not write
const receipt = join('artifacts', 'receipts', 'demo.json');

async function step(title: string, argv: string[]): Promise<number> {
  process.stderr.write(`\n$ zkinfer ${argv.join(' ')}\n`);
  const t0 = performance.now();
  const code = await main(argv);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`${title}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${seconds.toFixed(2)} s\n`);
  if (code !== 0) process.exit(code);
  return seconds;
}

const compile = await step('compile', [
  'compile',
  join(example, 'model.onnx'),
  '--out',
  out,
  '--calibration',
  join(example, 'calibration.jsonl'),
  '--provenance',
  join(example, 'provenance', 'record.json'),
]);
const prove = await step('prove', ['prove', out, '--input', join(example, 'input.json'), '--out', receipt, '--force']);
const verify = await step('verify', ['verify', receipt, '--artifacts', out]);
process.stdout.write(
  `\nverdict: valid — the proof shows this exact model produced this output.\ntimings: compile ${compile.toFixed(1)} s, prove ${prove.toFixed(2)} s, verify ${verify.toFixed(2)} s\n`,
);
