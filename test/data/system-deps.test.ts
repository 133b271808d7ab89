/**
 * `npm test` on a machine without the Debian packages: the suites that read them pass, each
 * skip printing one line that names the package, and with ZKINFER_REQUIRE_SYSTEM_DEPS=1 (what
 * .ci/run sets) the same run fails instead of skipping. The packages are not uninstalled:
 * their paths are moved to a missing folder through $FASHION_MNIST_DIR and $ONNX_NODE_TESTS_DIR.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { debianData, skipNote, skipWithout, systemCommand } from '../helpers/system-deps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MISSING = '/nonexistent/zkinfer-no-such-package';
const SUITES = ['test/data/fashion-mnist.test.ts', 'test/conformance/backend.test.ts'];

/** Runs vitest on the suites that read Debian packages, with the packages' paths moved away. */
function runWithoutPackages(required: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, FASHION_MNIST_DIR: MISSING, ONNX_NODE_TESTS_DIR: MISSING, FORCE_COLOR: '0', NO_COLOR: '1' };
  if (required) env.ZKINFER_REQUIRE_SYSTEM_DEPS = '1';
  else delete env.ZKINFER_REQUIRE_SYSTEM_DEPS;
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('node_modules/vitest/vitest.mjs', `file://${ROOT}`)), 'run', ...SUITES], { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe('tests that need Debian packages, on a machine without them', () => {
  it('pass, and each skip names the missing package and how to install it', () => {
    const { status, output } = runWithoutPackages(false);
    expect(status, output).toBe(0);
    expect(output).toContain(skipNote(debianData('dataset-fashion-mnist', MISSING)));
    expect(output).toContain(skipNote(debianData('libonnx-testdata', MISSING)));
    expect(output).toContain(
      'skipped: Debian package dataset-fashion-mnist (/nonexistent/zkinfer-no-such-package) is not installed; install it with: apt-get install dataset-fashion-mnist (CI installs it)',
    );
  });

  it('fail instead when the packages are required (as in CI)', () => {
    const { status, output } = runWithoutPackages(true);
    expect(status, output).toBe(1);
    expect(output).toContain(`Fashion-MNIST test data not found (no t10k-images-idx3-ubyte.gz or t10k-images-idx3-ubyte in ${MISSING}); install it with: apt-get install dataset-fashion-mnist`);
    expect(output).not.toContain('skipped: Debian package');
  });
});

describe('system dependency checks', () => {
  afterEach(() => vi.restoreAllMocks());

  it('skip a missing dependency with one line, unless it is required', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const missing = systemCommand('zkinfer-no-such-command', 'zkinfer-no-such-package');
    expect(missing).toEqual({ what: 'the command zkinfer-no-such-command', install: 'apt-get install zkinfer-no-such-package', available: false });
    expect(skipWithout(missing, true)).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(skipWithout(missing, false)).toBe(true);
    expect(warn).toHaveBeenCalledWith('skipped: the command zkinfer-no-such-command is not installed; install it with: apt-get install zkinfer-no-such-package (CI installs it)');
    expect(skipWithout(systemCommand(process.execPath, 'nodejs'), false)).toBe(false);
    expect(debianData('x', ROOT).available).toBe(true);
  });
});
