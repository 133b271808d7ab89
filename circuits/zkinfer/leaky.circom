pragma circom 2.1.0;

// Two-slope activations (LeakyRelu, PRelu) fused with the rescale, like RescaleRelu.

include "signed.circom";

// RescaleLeakyRelu(k, b, p, n): q = floor((in + 2^(k−1)) / 2^k) range-checked to b signed
// bits exactly as in RescaleSigned(k, b); out = q·p when q ≥ 0 and q·n otherwise. With
// p = 2^m and n = round(α·2^m) this is LeakyRelu(α) (PRelu with a per-element α) at the
// quotient's scale plus m.
//
// Proves:  q and r as in RescaleSigned(k, b) (unique, strict decomposition of k + b ≤ 200
//          bits), s = the sign bit = 1 iff q ≥ 0, and out ≡ q·(n + s·(p − n)): out = q·p for
//          q ≥ 0, q·n for q < 0. out is a function of in.
// Preconditions: k ≥ 0, b ≥ 1, k + b ≤ 200; p and n are integers (template parameters).
// Completeness: as RescaleSigned(k, b).
// Cost: k + b + 1 quadratic constraints + 1 linear (O1); O2 folds the linear one away.
template RescaleLeakyRelu(k, b, p, n) {
    signal input in;
    signal output out;

    component d = SignedDecompose(k, b);
    d.in <== in;

    var u = 0;
    var e2 = 1;
    for (var i = 0; i < b; i++) {
        u += d.bits[k + i] * e2;
        e2 += e2;
    }
    out <== (u - (1 << (b - 1))) * (n + d.bits[k + b - 1] * (p - n));
}
