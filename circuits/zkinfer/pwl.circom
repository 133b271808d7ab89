pragma circom 2.1.0;

// Building blocks of the piecewise-linear Sigmoid and Tanh: f(x) = c + sign(x)·g(|x|), where
// g(|x|) is the minimum of a few lines in |x| (taken with Max2: min(a, c) = a + c − max(a, c)).

include "signed.circom";

// RescaleAbs(k, b): q = floor((in + 2^(k−1)) / 2^k) range-checked to b signed bits exactly as
// in RescaleSigned(k, b); sign = 1 iff q ≥ 0; out = |q|.
//
// Proves:  q and r as in RescaleSigned(k, b) (unique: strict decomposition of k + b ≤ 200
//          bits), sign = the decomposition's top bit (boolean, 1 iff q ≥ 0), and
//          out ≡ q·(2·sign − 1) = |q|. Both outputs are functions of in.
// Preconditions: k ≥ 0, b ≥ 1, k + b ≤ 200.
// Completeness: as RescaleSigned(k, b).
// Cost: k + b + 1 quadratic constraints + 1 linear (O1); O2 folds the linear one away.
template RescaleAbs(k, b) {
    signal input in;
    signal output sign;
    signal output out;

    component d = SignedDecompose(k, b);
    d.in <== in;

    var u = 0;
    var e2 = 1;
    for (var i = 0; i < b; i++) {
        u += d.bits[k + i] * e2;
        e2 += e2;
    }
    sign <== d.bits[k + b - 1];
    out <== (u - (1 << (b - 1))) * (2 * d.bits[k + b - 1] - 1);
}

// SignApply(c): out = c + (2·sign − 1)·in, i.e. c + in for sign = 1 and c − in for sign = 0.
//
// Proves:  out ≡ c + (2·sign − 1)·in.
// Preconditions: `sign` is boolean — the caller wires it to RescaleAbs's `sign`, which is
//          constrained boolean there; this template does not re-check it.
// Cost: 1 quadratic constraint.
template SignApply(c) {
    signal input sign;
    signal input in;
    signal output out;

    out <== c + (2 * sign - 1) * in;
}
