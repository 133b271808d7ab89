/**
 * Entry of the direct-key workers (zkey-direct.ts; started directly when compiled, through
 * `zkey-direct-worker.mjs` from the sources): the fixed-base worker of the local powers of
 * tau (ptau-worker-core.ts), extended for the direct Groth16 key: the same wasm, window tables and point output, plus the
 * field work that turns an r1cs into the key's scalars at a known τ.
 *
 * Secrets: τ, α, β, γ, δ arrive once (`setKeySecrets`), live in wasm memory as the multipliers
 * `tau`, `alpha`, `beta`, `gamma`, `delta`, `gammaInv`, `deltaInv`, and are zeroed with the rest
 * of the memory on `wipe`.
 *
 * `accumulate` evaluates the QAP polynomials at τ over the constraints it is given:
 * u_i(τ) = Σ_c A[c][i]·L_c(τ) (and v_i, w_i for B and C), L_c the Lagrange basis of the domain
 * of 2^level points (the same basis snarkjs's `zkey new` reads from a prepared ptau's section 12).
 * Sums are kept in standard form: frm_mul(coefficient as stored in the r1cs, L_c in Montgomery
 * form) is the standard form of their product. `finalize` adds the workers' partial sums and
 * returns the scalars of the A, B and C/IC queries.
 */
import { alloc, baseHandlers, ex, extraMults, lagrange, listen, secrets, setTop, top, u8, wipe, type WorkerRequest } from './ptau-worker-core.js';

let keyAcc = 0,
  keyVars = 0,
  keySecrets = 0;

function setKeySecrets(msg: WorkerRequest): Record<string, unknown> {
  const s = msg.secrets as Uint8Array;
  u8.set(s.subarray(0, 96), secrets);
  if (!keySecrets) keySecrets = alloc(128);
  u8.set(s.subarray(96, 160), keySecrets);
  s.fill(0);
  for (let k = 0; k < 3; k++) ex.frm_toMontgomery!(secrets + 32 * k, secrets + 32 * k);
  const gamma = keySecrets,
    delta = keySecrets + 32,
    gammaInv = keySecrets + 64,
    deltaInv = keySecrets + 96;
  ex.frm_toMontgomery!(gamma, gamma);
  ex.frm_toMontgomery!(delta, delta);
  let ok = !ex.frm_isZero!(secrets) && !ex.frm_isZero!(secrets + 32) && !ex.frm_isZero!(secrets + 64) && !ex.frm_isZero!(gamma) && !ex.frm_isZero!(delta);
  if (ok) {
    ex.frm_inverse!(gamma, gammaInv);
    ex.frm_inverse!(delta, deltaInv);
  }
  Object.assign(extraMults, { gamma, delta, gammaInv, deltaInv });
  const t = alloc(32);
  ex.frm_copy!(secrets, t);
  for (let i = 0; i < msg.maxLevel; i++) ex.frm_square!(t, t);
  if (ex.frm_isOne!(t)) ok = false;
  wipe(t, t + 32);
  setTop(t);
  return { ok };
}

function u32at(p: number): number {
  return (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24)) >>> 0;
}

/**
 * Adds constraints c0 .. c0 + count (their r1cs bytes), or with publicRows the rows snarkjs adds
 * for the public signals (A[c0 + s][s] = 1, s < count), into the sums of A, B and C.
 */
function accumulate(msg: WorkerRequest): Record<string, unknown> {
  if (!keyAcc) {
    keyVars = msg.nVars;
    keyAcc = alloc(3 * keyVars * 32);
    u8.fill(0, keyAcc, keyAcc + 3 * keyVars * 32);
  }
  if (msg.nVars !== keyVars) throw new Error('accumulate: nVars changed');
  const mark = top;
  const n: number = msg.count;
  const tmp = alloc(256),
    prod = alloc(32),
    L = alloc(n * 32 + 8);
  lagrange(L, n, 'one', msg.level, msg.c0, false, tmp);
  if (msg.publicRows) {
    for (let s = 0; s < n; s++) {
      ex.frm_fromMontgomery!(L + 32 * s, prod);
      ex.frm_add!(keyAcc + 32 * s, prod, keyAcc + 32 * s);
    }
  } else {
    const bytes = msg.bytes as Uint8Array;
    const buf = alloc(bytes.length);
    u8.set(bytes, buf);
    const end = buf + bytes.length;
    let p = buf;
    for (let c = 0; c < n; c++) {
      const l = L + 32 * c;
      for (let m = 0; m < 3; m++) {
        const k = u32at(p);
        p += 4;
        const base = keyAcc + m * keyVars * 32;
        for (let t = 0; t < k; t++, p += 36) {
          const s = u32at(p);
          if (s >= keyVars) throw new Error('r1cs names wire ' + s + ' of ' + keyVars);
          ex.frm_mul!(p + 4, l, prod);
          ex.frm_add!(base + 32 * s, prod, base + 32 * s);
        }
      }
    }
    if (p !== end) throw new Error('accumulate: constraint bytes do not match the count');
  }
  wipe(prod, prod + 32);
  wipe(L, L + n * 32 + 8);
  setTop(mark);
  return {};
}

function takeSums(): Record<string, unknown> {
  const bytes = 3 * keyVars * 32;
  const sums = keyAcc ? u8.slice(keyAcc, keyAcc + bytes) : new Uint8Array(0);
  if (keyAcc) wipe(keyAcc, keyAcc + bytes);
  return { sums };
}

/**
 * Adds the other workers' sums to this one's and returns, in standard form, the scalars
 * a_i = u_i(τ), b_i = v_i(τ) and k_i = (β·u_i(τ) + α·v_i(τ) + w_i(τ)) / (γ if i ≤ nPublic, else δ).
 */
function finalize(msg: WorkerRequest): Record<string, unknown> {
  if (!keyAcc) throw new Error('finalize before accumulate');
  const nV = keyVars,
    total = 3 * nV * 32;
  const mark = top;
  const part = alloc(total),
    t = alloc(32),
    k = alloc(nV * 32);
  for (const other of msg.parts as Uint8Array[]) {
    if (other.length === 0) continue; // a worker that was given no constraints
    if (other.length !== total) throw new Error('finalize: partial sums of another size');
    u8.set(other, part);
    other.fill(0);
    for (let i = 0; i < 3 * nV; i++) ex.frm_add!(keyAcc + 32 * i, part + 32 * i, keyAcc + 32 * i);
  }
  wipe(part, part + total);
  const a = keyAcc,
    b = keyAcc + nV * 32,
    c = keyAcc + 2 * nV * 32;
  for (let i = 0; i < nV; i++) {
    const o = 32 * i;
    ex.frm_mul!(a + o, secrets + 64, k + o);
    ex.frm_mul!(b + o, secrets + 32, t);
    ex.frm_add!(k + o, t, k + o);
    ex.frm_add!(k + o, c + o, k + o);
    ex.frm_mul!(k + o, i <= msg.nPublic ? extraMults.gammaInv! : extraMults.deltaInv!, k + o);
  }
  const out = { a: u8.slice(a, a + nV * 32), b: u8.slice(b, b + nV * 32), k: u8.slice(k, k + nV * 32) };
  wipe(keyAcc, keyAcc + total);
  wipe(k, k + nV * 32);
  wipe(t, t + 32);
  setTop(mark);
  return out;
}

listen({ ...baseHandlers, setKeySecrets, accumulate, takeSums, finalize });
