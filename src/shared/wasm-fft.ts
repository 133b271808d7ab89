/**
 * The coset evaluations of the prover (a polynomial's values on the domain → its values on
 * the odd coset), as one wasm function added to the curve's module with its own builder
 * (see ./wasm-msm.ts). wasmcurves' `frm_fft` spends two field multiplications per butterfly (the
 * twiddle factor is advanced as it goes); here the twiddles are tabled once per call (n/2
 * multiplications for each direction), so a butterfly costs one multiplication, and the 1/n
 * of the inverse transform rides on the coset shift.
 *
 * zkCoset(x, bits, w^−j table, w^j table, first, inc): x ← FFT(shift(IFFT(x))), where shift
 * multiplies coefficient i by first · inc^i (first = 1/n, inc = the coset generator's power).
 */
import type { ModuleBuilder } from './wasm-msm.js';

type Code = number[];

/** Adds frm_zkPowers, frm_zkDit and frm_zkCoset to the module. */
export function fftPlugin(module: ModuleBuilder): void {
  const n8 = 32;
  const F = 'frm';
  {
    // out[i] = base^i, i < n
    const f = module.addFunction(`${F}_zkPowers`);
    f.addParam('pBase', 'i32');
    f.addParam('n', 'i32');
    f.addParam('pOut', 'i32');
    f.addLocal('i', 'i32');
    const c = f.getCodeBuilder();
    const at = (i: Code) => c.i32_add(c.getLocal('pOut'), c.i32_mul(i, c.i32_const(n8)));
    f.addCode(
      c.call(`${F}_one`, c.getLocal('pOut')),
      c.setLocal('i', c.i32_const(1)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_ge_s(c.getLocal('i'), c.getLocal('n'))),
          c.call(`${F}_mul`, at(c.i32_sub(c.getLocal('i'), c.i32_const(1))), c.getLocal('pBase'), at(c.getLocal('i'))),
          c.setLocal('i', c.i32_add(c.getLocal('i'), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
  }
  {
    // radix-2 decimation in time, bit-reversed input, natural output; pTw[j] = w^j, j < n/2, w of order n = 2^bits
    const f = module.addFunction(`${F}_zkDit`);
    f.addParam('px', 'i32');
    f.addParam('bits', 'i32');
    f.addParam('pTw', 'i32');
    f.addParam('pT', 'i32'); // one field element of scratch
    for (const l of ['n', 's', 'half', 'step', 'k', 'j', 'idx1', 'idx2']) f.addLocal(l, 'i32');
    const c = f.getCodeBuilder();
    const L = (v: string) => c.getLocal(v);
    f.addCode(
      c.setLocal('n', c.i32_shl(c.i32_const(1), L('bits'))),
      c.setLocal('s', c.i32_const(1)),
      c.block(
        c.loop(
          c.br_if(1, c.i32_gt_s(L('s'), L('bits'))),
          c.setLocal('half', c.i32_shl(c.i32_const(1), c.i32_sub(L('s'), c.i32_const(1)))),
          c.setLocal('step', c.i32_sub(L('bits'), L('s'))),
          c.setLocal('k', c.i32_const(0)),
          c.block(
            c.loop(
              c.br_if(1, c.i32_ge_s(L('k'), L('n'))),
              c.setLocal('j', c.i32_const(0)),
              c.block(
                c.loop(
                  c.br_if(1, c.i32_ge_s(L('j'), L('half'))),
                  c.setLocal('idx1', c.i32_add(L('px'), c.i32_mul(c.i32_add(L('k'), L('j')), c.i32_const(n8)))),
                  c.setLocal('idx2', c.i32_add(L('idx1'), c.i32_mul(L('half'), c.i32_const(n8)))),
                  c.call(`${F}_mul`, L('idx2'), c.i32_add(L('pTw'), c.i32_mul(c.i32_shl(L('j'), L('step')), c.i32_const(n8))), L('pT')),
                  c.call(`${F}_sub`, L('idx1'), L('pT'), L('idx2')),
                  c.call(`${F}_add`, L('idx1'), L('pT'), L('idx1')),
                  c.setLocal('j', c.i32_add(L('j'), c.i32_const(1))),
                  c.br(0),
                ),
              ),
              c.setLocal('k', c.i32_add(L('k'), c.i32_shl(L('half'), c.i32_const(1)))),
              c.br(0),
            ),
          ),
          c.setLocal('s', c.i32_add(L('s'), c.i32_const(1))),
          c.br(0),
        ),
      ),
    );
  }
  {
    const f = module.addFunction(`${F}_zkCoset`);
    f.addParam('px', 'i32');
    f.addParam('bits', 'i32');
    f.addParam('pTwInv', 'i32');
    f.addParam('pTw', 'i32');
    f.addParam('pFirst', 'i32');
    f.addParam('pInc', 'i32');
    f.addParam('pT', 'i32');
    const c = f.getCodeBuilder();
    const L = (v: string) => c.getLocal(v);
    f.addCode(
      c.call(`${F}__reversePermutation`, L('px'), L('bits')),
      c.call(`${F}_zkDit`, L('px'), L('bits'), L('pTwInv'), L('pT')),
      c.call(`${F}_batchApplyKey`, L('px'), c.i32_shl(c.i32_const(1), L('bits')), L('pFirst'), L('pInc'), L('px')),
      c.call(`${F}__reversePermutation`, L('px'), L('bits')),
      c.call(`${F}_zkDit`, L('px'), L('bits'), L('pTw'), L('pT')),
    );
  }
  module.exportFunction(`${F}_zkPowers`);
  module.exportFunction(`${F}_zkCoset`);
}
