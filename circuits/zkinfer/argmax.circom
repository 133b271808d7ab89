pragma circom 2.1.0;

// The index of the maximum (ONNX ArgMax, first index on ties).

include "bits.circom";

// ArgMax(n, b): out = the smallest i with in[i] = max(in), for signed integer inputs whose
// span (max − min) is below 2^b.
//
// The prover supplies one-hot selector bits sel[i] (sel[idx] = 1 for the claimed index).
// Proves:  sel[i] ∈ {0, 1} and Σ sel[i] = 1, so exactly one index idx is selected;
//          m = Σ sel[i]·in[i] = in[idx];
//          for every i, d_i = m − in[i] − 1 + P_i ∈ [0, 2^b) by a strict b-bit decomposition
//          (Bits(b), b ≤ 253), where P_i = Σ_(j ≤ i) sel[j] is 1 iff i ≥ idx. So
//          in[i] ≤ m − 1 for every i < idx and in[i] ≤ m for every i ≥ idx: idx is the first
//          position of the maximum (for inputs of magnitude below (p − 2^b)/2, a negative
//          d_i would be a field element ≥ p − 2^(b+1) and has no b-bit decomposition);
//          out = Σ i·sel[i] = idx. Every signal is a function of the inputs.
// Preconditions: n ≥ 2, 1 ≤ b ≤ 253.
// Completeness: every d_i below 2^b, i.e. max − min < 2^b.
// Cost: n·(b + 2) quadratic constraints under O2 (n booleanity, n products, n·b bits).
template ArgMax(n, b) {
    assert(n >= 2);
    signal input in[n];
    signal output out;
    signal sel[n];
    signal prod[n];

    var best = 0;
    var top = in[0];
    for (var i = 1; i < n; i++) {
        if (in[i] > top) {
            top = in[i];
            best = i;
        }
    }
    var total = 0;
    var m = 0;
    var index = 0;
    for (var i = 0; i < n; i++) {
        sel[i] <-- i == best ? 1 : 0;
        sel[i] * (sel[i] - 1) === 0;
        prod[i] <== sel[i] * in[i];
        total += sel[i];
        m += prod[i];
        index += i * sel[i];
    }
    total === 1;

    component d[n];
    var prefix = 0;
    for (var i = 0; i < n; i++) {
        prefix += sel[i];
        d[i] = Bits(b);
        d[i].in <== m - in[i] - 1 + prefix;
    }
    out <== index;
}
