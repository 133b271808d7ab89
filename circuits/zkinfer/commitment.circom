pragma circom 2.1.0;

// Salted Poseidon commitment to a tensor of integers, the circuit side of
// src/shared/commitment.ts (read its header for the scheme; the two must agree bit for bit).
//
// TensorCommitment(n, min, bits): in[0..n) are signed integers encoded in the field, salt is a
// field element; out = the commitment.
//
// 1. Offset and range check: u_i = in[i] − min is decomposed into `bits` boolean signals with
//    Σ b_k·2^k = u_i. Because bits ≤ 252 < log2(p) the decomposition is strict: a witness
//    exists iff 0 ≤ u_i < 2^bits, i.e. min ≤ in[i] < min + 2^bits. (The declared range is
//    [min, max] with bits = bitLength(max − min); values in (max, min + 2^bits) are accepted by
//    the circuit as by packValues' packing, but the model's own quantization never makes
//    them, and off-circuit packValues refuses them.)
// 2. Pack: element e = Σ_j u_{per·e+j}·2^(bits·j), per = ⌊252 / bits⌋, as a linear combination
//    of the bits. Each u < 2^bits, so e < 2^252 < p and the map from values to elements is
//    injective: no value can spill into its neighbour's bits.
// 3. Absorb: s_0 = salt, s_{r+1} = Poseidon(s_r, chunk_r) with chunks of at most 15 elements
//    (circomlib's Poseidon with 1 + |chunk| ≤ 16 inputs: its parameters and constants, with the
//    linear layers kept as linear expressions, ./poseidon-lc.circom); out = the last state.
//
// Cost: n·(bits + 1) constraints for the range checks, one linear constraint per packed
// element (it enters the hash as a signal), and 3·(8·t + nRoundsP) + 1 per Poseidon call
// (t = inputs + 1).
include "poseidon-lc.circom";

function commitmentPerElement(bits) {
    return 252 \ bits;
}

function commitmentElements(n, bits) {
    var per = 252 \ bits;
    return (n + per - 1) \ per;
}

template TensorCommitment(n, min, bits) {
    assert(n >= 1);
    assert(bits >= 1 && bits <= 252);
    signal input in[n];
    signal input salt;
    signal output out;

    var per = commitmentPerElement(bits);
    var elements = commitmentElements(n, bits);
    var rounds = (elements + 14) \ 15;

    signal b[n][bits];
    var packed[elements];
    for (var e = 0; e < elements; e++) packed[e] = 0;
    var shift = 1;
    for (var i = 0; i < n; i++) {
        var j = i % per;
        if (j == 0) shift = 1;
        var sum = 0;
        var e2 = 1;
        for (var k = 0; k < bits; k++) {
            b[i][k] <-- ((in[i] - min) >> k) & 1;
            b[i][k] * (b[i][k] - 1) === 0;
            sum += b[i][k] * e2;
            e2 += e2;
        }
        sum === in[i] - min;
        packed[i \ per] += sum * shift;
        shift = shift * e2;
    }

    component h[rounds];
    for (var r = 0; r < rounds; r++) {
        var size = elements - 15 * r;
        if (size > 15) size = 15;
        h[r] = PoseidonLC(1 + size);
        h[r].inputs[0] <== r == 0 ? salt : h[r - 1].out;
        for (var m = 0; m < size; m++) h[r].inputs[1 + m] <== packed[15 * r + m];
    }
    out <== h[rounds - 1].out;
}
