pragma circom 2.1.0;

// Rescaling of fixed-point accumulators: dividing by 2^k with rounding, range-checking the
// quotient to the layer's bit width, optionally fused with ReLU. See DESIGN.md, "Fixed-point
// arithmetic and soundness".

include "signed.circom";

// RescaleSigned(k, b): out = floor((in + 2^(k−1)) / 2^k) (round half up; k = 0: out = in),
// with out ∈ [−2^(b−1), 2^(b−1)).
//
// Proves:  there are integers q ∈ [−2^(b−1), 2^(b−1)) and r ∈ [0, 2^k) with
//          in + 2^(k−1) ≡ q·2^k + r (mod p) (k = 0: in ≡ q), and out ≡ q.
//          q and r are unique (strict decomposition of k + b ≤ 200 bits), so out is a function
//          of in: no other output satisfies the constraints.
// Preconditions: k ≥ 0, b ≥ 1, k + b ≤ 200 (compile-time asserts).
// Completeness: the signed integer `in` must lie in
//          [−2^(k+b−1) − 2^(k−1), 2^(k+b−1) − 2^(k−1))  (k = 0: [−2^(b−1), 2^(b−1))),
//          i.e. the rounded quotient must fit in b signed bits; otherwise witness generation
//          fails ("Assert Failed") — a model whose calibrated widths are too narrow cannot be
//          proven, it is never proven wrongly.
// Cost: k + b quadratic constraints + 2 linear (O1); O2 folds the linear ones away.
template RescaleSigned(k, b) {
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
    out <== u - (1 << (b - 1));
}

// RescaleRelu(k, b): out = max(0, floor((in + 2^(k−1)) / 2^k)), the pre-ReLU quotient
// range-checked to b signed bits exactly as in RescaleSigned(k, b).
//
// Proves:  with q, r as in RescaleSigned(k, b) (same existence and uniqueness),
//          out ≡ max(0, q). The sign comes from the top bit s of the same decomposition
//          (s = 1 iff q ≥ 0): q = low + (s − 1)·2^(b−1) with low = the b − 1 bits below s,
//          so out = s·low is one extra quadratic constraint.
// Preconditions: k ≥ 0, b ≥ 1, k + b ≤ 200 (compile-time asserts).
// Completeness: as RescaleSigned(k, b) — the pre-ReLU quotient must fit in b signed bits.
// Cost: k + b + 1 quadratic constraints + 1 linear (O1); O2 folds the linear one away.
template RescaleRelu(k, b) {
    signal input in;
    signal output out;

    component d = SignedDecompose(k, b);
    d.in <== in;

    var low = 0;
    var e2 = 1;
    for (var i = 0; i < b - 1; i++) {
        low += d.bits[k + i] * e2;
        e2 += e2;
    }
    out <== d.bits[k + b - 1] * low;
}
