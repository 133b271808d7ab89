#!/usr/bin/env node
// Entry point of the `zkinfer` command: runs the compiled CLI in dist/, which `npm run build`
// writes (`npm ci` and `npm install` run it through the `prepare` script).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('error: zkinfer is not built (no dist/cli/main.js): run `npm run build` in the zkinfer folder\n');
    process.exit(2);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
