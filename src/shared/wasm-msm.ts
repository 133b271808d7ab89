/**
 * The window function of a multi-exponentiation (Σ k_i · P_i over affine points) with batched
 * affine bucket additions, written into snarkjs's BN254 wasm module with the module builder the
 * module itself is made with (wasmcurves), so it runs in the curve's own worker threads. The
 * prover drives it (src/prove/msm.ts); it sits here, below the stages, because the curve that
 * carries it is built by ./curve.ts for every caller.
 *
 * ffjavascript's `multiExpAffine` (Pippenger's bucket method) adds each point to its bucket
 * with a mixed Jacobian addition (7 multiplications and 4 squarings). Here, per window:
 *
 * - the scalars are recoded into signed digits in (−2^(c−1), 2^(c−1)] (half the buckets;
 *   a negative digit adds the negated point);
 * - the points are sorted by bucket (counting sort) into a scratch array, negated as their
 *   digit asks;
 * - each bucket is summed by pairwise affine additions, in rounds: every round adds all
 *   neighbouring pairs of every bucket at once, with one field inversion for the whole round
 *   (Montgomery's simultaneous inversion), so an addition costs about 5 multiplications and
 *   1 squaring, halving each bucket per round;
 * - the buckets are summed (Σ b · B_b) by the running-sum method, in Jacobian coordinates.
 *
 * Pairs the affine formula cannot add (a point at infinity, equal x: doubling or P + (−P))
 * are detected and done on their own. The windows are combined in JavaScript.
 *
 * The same code serves G1 (over Fq) and G2 (over Fq2): the builder is given the group's and
 * field's function prefixes.
 */

/** The parts of wasmbuilder's function and code builders used here (the package ships no types). */
type Code = number[];
export interface CodeBuilder {
  getLocal(name: string): Code;
  setLocal(name: string, v: Code): Code;
  i32_const(v: number): Code;
  i32_load(at: Code, offset?: number): Code;
  i32_store(at: Code, v: Code): Code;
  i32_add(a: Code, b: Code): Code;
  i32_sub(a: Code, b: Code): Code;
  i32_mul(a: Code, b: Code): Code;
  i32_shl(a: Code, b: Code): Code;
  i32_shr_u(a: Code, b: Code): Code;
  i32_and(a: Code, b: Code): Code;
  i32_or(a: Code, b: Code): Code;
  i32_eq(a: Code, b: Code): Code;
  i32_eqz(a: Code): Code;
  i32_ne(a: Code, b: Code): Code;
  i32_lt_s(a: Code, b: Code): Code;
  i32_gt_s(a: Code, b: Code): Code;
  i32_ge_u(a: Code, b: Code): Code;
  i32_ge_s(a: Code, b: Code): Code;
  i32_le_s(a: Code, b: Code): Code;
  call(fn: string, ...args: Code[]): Code;
  if(cond: Code, then: Code, otherwise?: Code): Code;
  block(code: Code): Code;
  loop(...code: Code[]): Code;
  br_if(depth: number, cond: Code): Code;
  br(depth: number): Code;
  ret(code: Code): Code;
  drop(code: Code): Code;
}
interface FunctionBuilder {
  addParam(name: string, type: 'i32'): void;
  addLocal(name: string, type: 'i32'): void;
  setReturnType(type: 'i32'): void;
  getCodeBuilder(): CodeBuilder;
  addCode(...code: Code[]): void;
}
/** wasmbuilder's ModuleBuilder, as ffjavascript hands it to a curve plugin. */
export interface ModuleBuilder {
  addFunction(name: string): FunctionBuilder;
  exportFunction(name: string): void;
  functionIdxByName: Record<string, number>;
}

/** Name of the window function built for a group prefix (`g1m`, `g2m`). */
export const windowFunction = (group: string) => `${group}_zkMsmWindow`;

/**
 * Bytes of scratch memory {@link windowFunction} needs for n points and nB buckets, field
 * elements of n8 bytes: counts and starts (2 · 4 · nB), the sort index (4n), two point
 * arrays (2 · n · 2n8), the running products of a round (n/2 + 1 elements), temporaries.
 */
export function scratchBytes(n: number, buckets: number, n8: number): number {
  return 8 * buckets + 4 * n + 4 * n * n8 + (Math.floor(n / 2) + 1) * n8 + 24 * n8 + 64;
}

/** Adds the batched-affine window function for one group to the curve's wasm module. */
function buildWindow(module: ModuleBuilder, group: string, field: string, n8: number): void {
  const sA = 2 * n8; // bytes of an affine point

  // den(P, Q) → 1 when the pair needs the special path (a point at infinity, or equal x),
  // else 0, with Qx − Px at pDen (1 for a special pair, so the round's product stays invertible)
  {
    const f = module.addFunction(`${group}_zkPairDen`);
    f.addParam('pP', 'i32');
    f.addParam('pQ', 'i32');
    f.addParam('pDen', 'i32');
    f.setReturnType('i32');
    const c = f.getCodeBuilder();
    f.addCode(
      c.if(c.i32_or(c.call(`${group}_isZeroAffine`, c.getLocal('pP')), c.call(`${group}_isZeroAffine`, c.getLocal('pQ'))), [...c.call(`${field}_one`, c.getLocal('pDen')), ...c.ret(c.i32_const(1))]),
      c.call(`${field}_sub`, c.getLocal('pQ'), c.getLocal('pP'), c.getLocal('pDen')),
      c.if(c.call(`${field}_isZero`, c.getLocal('pDen')), [...c.call(`${field}_one`, c.getLocal('pDen')), ...c.ret(c.i32_const(1))]),
      c.i32_const(0),
    );
  }

  // special pair: P + Q where one is infinity or Px = Qx; pJ is Jacobian scratch
  {
    const f = module.addFunction(`${group}_zkPairSpecial`);
    f.addParam('pP', 'i32');
    f.addParam('pQ', 'i32');
    f.addParam('pO', 'i32');
    f.addParam('pJ', 'i32');
    const c = f.getCodeBuilder();
    const P = c.getLocal('pP');
    const Q = c.getLocal('pQ');
    const O = c.getLocal('pO');
    f.addCode(
      c.if(c.call(`${group}_isZeroAffine`, P), [...c.call(`${group}_copyAffine`, Q, O), ...c.ret([])]),
      c.if(c.call(`${group}_isZeroAffine`, Q), [...c.call(`${group}_copyAffine`, P, O), ...c.ret([])]),
      c.if(
        c.call(`${field}_eq`, c.i32_add(P, c.i32_const(n8)), c.i32_add(Q, c.i32_const(n8))),
        [...c.call(`${group}_doubleAffine`, P, c.getLocal('pJ')), ...c.call(`${group}_toAffine`, c.getLocal('pJ'), O)],
        c.call(`${group}_zeroAffine`, O),
      ),
    );
  }

  // O = P + Q given inv = 1 / (Qx − Px); pT: two field temporaries
  {
    const f = module.addFunction(`${group}_zkPairAdd`);
    f.addParam('pP', 'i32');
    f.addParam('pQ', 'i32');
    f.addParam('pInv', 'i32');
    f.addParam('pO', 'i32');
    f.addParam('pT', 'i32');
    const c = f.getCodeBuilder();
    const Px = c.getLocal('pP');
    const Py = c.i32_add(c.getLocal('pP'), c.i32_const(n8));
    const Qx = c.getLocal('pQ');
    const Qy = c.i32_add(c.getLocal('pQ'), c.i32_const(n8));
    const Ox = c.getLocal('pO');
    const Oy = c.i32_add(c.getLocal('pO'), c.i32_const(n8));
    const lam = c.getLocal('pT');
    const t = c.i32_add(c.getLocal('pT'), c.i32_const(n8));
    f.addCode(
      c.call(`${field}_sub`, Qy, Py, lam),
      c.call(`${field}_mul`, lam, c.getLocal('pInv'), lam), // λ = (Qy − Py) / (Qx − Px)
      c.call(`${field}_square`, lam, t),
      c.call(`${field}_sub`, t, Px, t),
      c.call(`${field}_sub`, t, Qx, t), // x3 = λ² − Px − Qx
      c.call(`${field}_sub`, Px, t, Oy),
      c.call(`${field}_mul`, Oy, lam, Oy),
      c.call(`${field}_sub`, Oy, Py, Oy), // y3 = λ (Px − x3) − Py
      c.call(`${field}_copy`, t, Ox),
    );
  }

  const f = module.addFunction(windowFunction(group));
  f.addParam('pBases', 'i32'); // n affine points (Montgomery), 2·n8 bytes each
  f.addParam('pDigits', 'i32'); // n signed digits (i32), |d| ≤ nB
  f.addParam('n', 'i32');
  f.addParam('nB', 'i32'); // buckets: 2^(c−1)
  f.addParam('pScratch', 'i32'); // scratchBytes(n, nB, n8)
  f.addParam('pr', 'i32'); // Jacobian result
  for (const l of ['pCnt', 'pStart', 'pIdx', 'pA', 'pB', 'pProd', 'pT', 'pAcc', 'pInv', 'pDen', 'pJ', 'pRun', 'pTot', 'i', 'b', 'd', 'cnt', 's', 'j', 'k', 'pP', 'pSwap', 'half']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const L = (name: string) => c.getLocal(name);
  const set = (name: string, v: Code) => c.setLocal(name, v);
  const k32 = (v: number) => c.i32_const(v);
  const at4 = (base: string, idx: Code) => c.i32_add(L(base), c.i32_shl(idx, k32(2)));
  const pointAt = (base: string, idx: Code) => c.i32_add(L(base), c.i32_mul(idx, k32(sA)));
  /** for (v = from; v < to; v++) body — `to` re-read each iteration */
  const forUp = (v: string, from: Code, to: Code, ...body: Code[]) => [...set(v, from), ...c.block(c.loop(c.br_if(1, c.i32_ge_s(L(v), to)), ...body, set(v, c.i32_add(L(v), k32(1))), c.br(0)))];
  /** for (v = from − 1; v >= 0; v--) body */
  const forDown = (v: string, from: Code, ...body: Code[]) => [
    ...set(v, c.i32_sub(from, k32(1))),
    ...c.block(c.loop(c.br_if(1, c.i32_lt_s(L(v), k32(0))), ...body, set(v, c.i32_sub(L(v), k32(1))), c.br(0))),
  ];
  /** |digit| − 1 into b, digit into d; skips (br to `skipDepth`) a zero digit */
  const loadDigit = (skipDepth: number) => [
    ...set('d', c.i32_load(at4('pDigits', L('i')))),
    ...c.br_if(skipDepth, c.i32_eqz(L('d'))),
    ...c.if(c.i32_lt_s(L('d'), k32(0)), set('b', c.i32_sub(c.i32_sub(k32(0), L('d')), k32(1))), set('b', c.i32_sub(L('d'), k32(1)))),
  ];

  f.addCode(
    // scratch layout
    set('pCnt', L('pScratch')),
    set('pStart', at4('pCnt', L('nB'))),
    set('pIdx', at4('pStart', L('nB'))),
    set('pA', at4('pIdx', L('n'))),
    set('pB', pointAt('pA', L('n'))),
    set('pProd', pointAt('pB', L('n'))),
    set('pT', c.i32_add(L('pProd'), c.i32_mul(c.i32_add(c.i32_shr_u(L('n'), k32(1)), k32(1)), k32(n8)))),
    set('pAcc', c.i32_add(L('pT'), k32(2 * n8))),
    set('pInv', c.i32_add(L('pT'), k32(3 * n8))),
    set('pDen', c.i32_add(L('pT'), k32(4 * n8))),
    set('pJ', c.i32_add(L('pT'), k32(5 * n8))),
    set('pRun', c.i32_add(L('pT'), k32(8 * n8))),
    set('pTot', c.i32_add(L('pT'), k32(11 * n8))),

    // bucket sizes
    forUp('b', k32(0), L('nB'), c.i32_store(at4('pCnt', L('b')), k32(0))),
    forUp('i', k32(0), L('n'), c.block([...loadDigit(0), ...c.i32_store(at4('pCnt', L('b')), c.i32_add(c.i32_load(at4('pCnt', L('b'))), k32(1)))])),
    // starts; pIdx[b] temporarily holds the next free slot of bucket b
    set('s', k32(0)),
    forUp('b', k32(0), L('nB'), c.i32_store(at4('pStart', L('b')), L('s')), c.i32_store(at4('pIdx', L('b')), L('s')), set('s', c.i32_add(L('s'), c.i32_load(at4('pCnt', L('b')))))),
    // scatter the points into bucket order, negated for a negative digit
    forUp(
      'i',
      k32(0),
      L('n'),
      c.block([
        ...loadDigit(0),
        ...set('k', c.i32_load(at4('pIdx', L('b')))),
        ...c.i32_store(at4('pIdx', L('b')), c.i32_add(L('k'), k32(1))),
        ...set('pP', pointAt('pA', L('k'))),
        ...c.if(c.i32_lt_s(L('d'), k32(0)), c.call(`${group}_negAffine`, pointAt('pBases', L('i')), L('pP')), c.call(`${group}_copyAffine`, pointAt('pBases', L('i')), L('pP'))),
      ]),
    ),

    // rounds of pairwise additions until every bucket holds at most one point
    c.block(
      c.loop(
        set('k', k32(0)),
        c.call(`${field}_one`, L('pAcc')),
        // pass 1: running products of the denominators
        forUp(
          'b',
          k32(0),
          L('nB'),
          set('cnt', c.i32_load(at4('pCnt', L('b')))),
          c.if(
            c.i32_ge_s(L('cnt'), k32(2)),
            forUp(
              'j',
              k32(0),
              c.i32_shr_u(L('cnt'), k32(1)),
              set('pP', pointAt('pA', c.i32_add(c.i32_load(at4('pStart', L('b'))), c.i32_shl(L('j'), k32(1))))),
              c.call(`${field}_copy`, L('pAcc'), c.i32_add(L('pProd'), c.i32_mul(L('k'), k32(n8)))),
              c.drop(c.call(`${group}_zkPairDen`, L('pP'), c.i32_add(L('pP'), k32(sA)), L('pDen'))),
              c.call(`${field}_mul`, L('pAcc'), L('pDen'), L('pAcc')),
              set('k', c.i32_add(L('k'), k32(1))),
            ),
          ),
        ),
        c.br_if(1, c.i32_eqz(L('k'))),
        c.call(`${field}_inverse`, L('pAcc'), L('pInv')),
        // pass 2, backwards: each pair's inverse, its sum into pB; odd and single points carried over
        forDown(
          'b',
          L('nB'),
          set('cnt', c.i32_load(at4('pCnt', L('b')))),
          set('s', c.i32_load(at4('pStart', L('b')))),
          c.if(
            c.i32_ge_s(L('cnt'), k32(2)),
            [
              ...set('half', c.i32_shr_u(L('cnt'), k32(1))),
              ...c.if(c.i32_and(L('cnt'), k32(1)), c.call(`${group}_copyAffine`, pointAt('pA', c.i32_add(L('s'), c.i32_sub(L('cnt'), k32(1)))), pointAt('pB', c.i32_add(L('s'), L('half'))))),
              ...forDown(
                'j',
                L('half'),
                set('k', c.i32_sub(L('k'), k32(1))),
                set('pP', pointAt('pA', c.i32_add(L('s'), c.i32_shl(L('j'), k32(1))))),
                c.if(
                  c.call(`${group}_zkPairDen`, L('pP'), c.i32_add(L('pP'), k32(sA)), L('pDen')),
                  c.call(`${group}_zkPairSpecial`, L('pP'), c.i32_add(L('pP'), k32(sA)), pointAt('pB', c.i32_add(L('s'), L('j'))), L('pJ')),
                  [
                    ...c.call(`${field}_mul`, L('pInv'), c.i32_add(L('pProd'), c.i32_mul(L('k'), k32(n8))), L('pJ')),
                    ...c.call(`${group}_zkPairAdd`, L('pP'), c.i32_add(L('pP'), k32(sA)), L('pJ'), pointAt('pB', c.i32_add(L('s'), L('j'))), c.i32_add(L('pJ'), k32(n8))),
                  ],
                ),
                c.call(`${field}_mul`, L('pInv'), L('pDen'), L('pInv')),
              ),
              ...c.i32_store(at4('pCnt', L('b')), c.i32_sub(L('cnt'), L('half'))),
            ],
            c.if(c.i32_eq(L('cnt'), k32(1)), c.call(`${group}_copyAffine`, pointAt('pA', L('s')), pointAt('pB', L('s')))),
          ),
        ),
        set('pSwap', L('pA')),
        set('pA', L('pB')),
        set('pB', L('pSwap')),
        c.br(0),
      ),
    ),

    // Σ (b + 1) · B_b by running sums, from the top bucket down
    c.call(`${group}_zero`, L('pRun')),
    c.call(`${group}_zero`, L('pTot')),
    forDown(
      'b',
      L('nB'),
      // a bucket whose points cancelled holds infinity, (0, 0): addMixed would take it for a point when pRun is zero
      c.if(
        c.i32_load(at4('pCnt', L('b'))),
        c.if(
          c.i32_eqz(c.call(`${group}_isZeroAffine`, pointAt('pA', c.i32_load(at4('pStart', L('b')))))),
          c.call(`${group}_addMixed`, L('pRun'), pointAt('pA', c.i32_load(at4('pStart', L('b')))), L('pRun')),
        ),
      ),
      c.call(`${group}_add`, L('pTot'), L('pRun'), L('pTot')),
    ),
    c.call(`${group}_copy`, L('pTot'), L('pr')),
  );
}

/** ffjavascript curve plugin: adds the window functions for G1 and G2 to the BN254 module. */
export function msmPlugin(module: ModuleBuilder): void {
  buildWindow(module, 'g1m', 'f1m', 32);
  buildWindow(module, 'g2m', 'f2m', 64);
  module.exportFunction(windowFunction('g1m'));
  module.exportFunction(windowFunction('g2m'));
}
