pragma circom 2.1.0;

// Poseidon with circomlib's parameters and constants (poseidon_constants.circom: the same
// round constants C, sparse matrices S, MDS matrix M and pre-sparse matrix P, the same round
// numbers and the same order of operations as circomlib's PoseidonEx), written so that its
// linear layers (round-constant additions and matrix products) stay linear expressions held
// in `var`s instead of signals.
//
// Why: circomlib's template gives every linear layer output a signal and a linear constraint
// (`out[i] <== lc`). circom's --O2 substitutes those away, but zkinfer compiles models with
// --O1 (see MODEL_OPTIMIZATION in src/compile/compile.ts), which keeps them: Poseidon(16) then
// costs ~2,150 constraints instead of 612. Here only the S-boxes (x^5: three multiplications)
// are constraints, under any optimization level. Agreement with circomlibjs (and so with
// circomlib's template) is tested on random inputs of every arity the commitment uses.
include "poseidon_constants.circom";

// PoseidonLC(nInputs): out = Poseidon(inputs) as circomlib's Poseidon(nInputs) computes it
// (initial state 0, t = nInputs + 1, one output). Cost: 3·(8·t + nRoundsP) + 1 constraints.
template PoseidonLC(nInputs) {
    signal input inputs[nInputs];
    signal output out;

    var N_ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var t = nInputs + 1;
    var nRoundsF = 8;
    var nRoundsP = N_ROUNDS_P[t - 2];
    var C[t*nRoundsF + nRoundsP] = POSEIDON_C(t);
    var S[N_ROUNDS_P[t-2] * (t*2-1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);

    // S-boxes y = x^5 on linear expressions x: x2 = x·x, x4 = x2·x2, y = x4·x (three constraints;
    // x itself is no signal, so no linear constraint binds it)
    signal f2[nRoundsF][t];
    signal f4[nRoundsF][t];
    signal f5[nRoundsF][t];
    signal p2[nRoundsP];
    signal p4[nRoundsP];
    signal p5[nRoundsP];
    var state[t];
    var next[t];

    // Ark 0
    for (var j = 0; j < t; j++) state[j] = (j == 0 ? 0 : inputs[j - 1]) + C[j];

    // first half of the full rounds: S-box, Ark, Mix (M, and P for the last one)
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) {
            f2[r][j] <== state[j] * state[j];
            f4[r][j] <== f2[r][j] * f2[r][j];
            f5[r][j] <== f4[r][j] * state[j];
        }
        for (var j = 0; j < t; j++) state[j] = f5[r][j] + C[(r + 1) * t + j];
        for (var i = 0; i < t; i++) {
            next[i] = 0;
            for (var j = 0; j < t; j++) next[i] += (r < nRoundsF \ 2 - 1 ? M[j][i] : P[j][i]) * state[j];
        }
        for (var i = 0; i < t; i++) state[i] = next[i];
    }

    // partial rounds: S-box on element 0, its round constant, then the sparse matrix S
    for (var r = 0; r < nRoundsP; r++) {
        p2[r] <== state[0] * state[0];
        p4[r] <== p2[r] * p2[r];
        p5[r] <== p4[r] * state[0];
        var s0 = p5[r] + C[(nRoundsF \ 2 + 1) * t + r];
        var lc = S[(t * 2 - 1) * r] * s0;
        for (var i = 1; i < t; i++) lc += S[(t * 2 - 1) * r + i] * state[i];
        for (var i = 1; i < t; i++) state[i] = state[i] + s0 * S[(t * 2 - 1) * r + t + i - 1];
        state[0] = lc;
    }

    // second half of the full rounds: S-box, Ark, Mix (M), the last without Ark and Mix
    for (var r = 0; r < nRoundsF \ 2 - 1; r++) {
        for (var j = 0; j < t; j++) {
            f2[nRoundsF \ 2 + r][j] <== state[j] * state[j];
            f4[nRoundsF \ 2 + r][j] <== f2[nRoundsF \ 2 + r][j] * f2[nRoundsF \ 2 + r][j];
            f5[nRoundsF \ 2 + r][j] <== f4[nRoundsF \ 2 + r][j] * state[j];
        }
        for (var j = 0; j < t; j++) state[j] = f5[nRoundsF \ 2 + r][j] + C[(nRoundsF \ 2 + 1) * t + nRoundsP + r * t + j];
        for (var i = 0; i < t; i++) {
            next[i] = 0;
            for (var j = 0; j < t; j++) next[i] += M[j][i] * state[j];
        }
        for (var i = 0; i < t; i++) state[i] = next[i];
    }
    for (var j = 0; j < t; j++) {
            f2[nRoundsF - 1][j] <== state[j] * state[j];
            f4[nRoundsF - 1][j] <== f2[nRoundsF - 1][j] * f2[nRoundsF - 1][j];
            f5[nRoundsF - 1][j] <== f4[nRoundsF - 1][j] * state[j];
    }
    // MixLast(t, M, 0)
    var last = 0;
    for (var j = 0; j < t; j++) last += M[j][0] * f5[nRoundsF - 1][j];
    out <== last;
}
