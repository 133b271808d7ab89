/**
 * What a user of models from other exporters sees on the command line: one clear line per
 * problem, nothing from onnxruntime's own logger, the element type named by its ONNX name,
 * and shape errors that say what is likely wrong (a missing batch dimension, a fixed batch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, type ModelSpec } from '../helpers/onnx-builder.js';

const { onnx } = onnxProto;
const work = mkdtempSync(join(tmpdir(), 'zkinfer-foreign-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/zkinfer.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MLP: ModelSpec = {
  input: { name: 'input', dims: [1, 3] },
  output: { name: 'output', dims: [1, 2] },
  nodes: [
    { op: 'Gemm', inputs: ['input', 'w', 'b'], outputs: ['h'], attrs: { transB: 1 } },
    { op: 'Relu', inputs: ['h'], outputs: ['output'] },
  ],
  initializers: [
    { name: 'w', dims: [2, 3], values: [0.5, -0.25, 0.75, 0.1, 0.3, -0.6] },
    { name: 'b', dims: [2], values: [0.05, -0.1] },
  ],
};

/** Writes a model, edited as a decoded ModelProto first. */
function writeModel(name: string, spec: ModelSpec, edit: (m: onnxProto.onnx.ModelProto) => void = () => {}): string {
  const model = onnx.ModelProto.decode(buildModel(spec));
  edit(model);
  const path = join(work, name);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

describe('models from other exporters on the command line', () => {
  it('initializers also listed as graph inputs (keep_initializers_as_inputs): compiles, and onnxruntime logs nothing', () => {
    const path = writeModel('inits-as-inputs.onnx', MLP, (m) => {
      const g = m.graph!;
      for (const t of g.initializer ?? [])
        g.input!.push(onnx.ValueInfoProto.create({ name: t.name, type: { tensorType: { elemType: 1, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } } }));
    });
    const r = zkinfer('compile', path, '--out', join(work, 'inits-out'), '--skip-setup');
    expect(r.stderr).not.toMatch(/\[W:onnxruntime|graph\.cc|remove_initializer_from_input/);
    expect(r.code).toBe(0);
  }, 120_000);

  it('an int64 input (token ids for an Embedding) is refused in one line naming the type', () => {
    const path = writeModel('int64-input.onnx', MLP, (m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 7;
    });
    const r = zkinfer('compile', path, '--out', join(work, 'int64-out'), '--skip-setup');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${path}: input "input" must be float32, float64, uint8, int8 or int32, got int64`);
    expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
    expect(r.code).toBe(1);
  });
});
