pragma circom 2.1.0;

// ReLU on a value that is already at the right scale.

include "signed.circom";

// Relu(b): out = max(0, in) for a signed `in` ∈ [−2^(b−1), 2^(b−1)).
//
// Proves:  in ≡ x (mod p) for an integer x ∈ [−2^(b−1), 2^(b−1)), and out ≡ max(0, x).
//          The sign bit s is the top bit of the strict decomposition of x + 2^(b−1)
//          (s = 1 iff x ≥ 0) and out = s·in.
// Preconditions: 1 ≤ b ≤ 200 (compile-time asserts).
// Completeness: `in` in [−2^(b−1), 2^(b−1)), else witness generation fails.
// Cost: b + 1 quadratic constraints + 1 linear (O1); O2 folds the linear one away.
template Relu(b) {
    signal input in;
    signal output out;

    component d = SignedDecompose(0, b);
    d.in <== in;
    out <== d.bits[b - 1] * in;
}

// ThresholdedRelu(b, t): out = in if in ≥ t, else 0 (ONNX ThresholdedRelu at the value's scale,
// t the least integer above alpha), for a signed `in` with in − t ∈ [−2^(b−1), 2^(b−1)).
//
// Proves:  in − t ≡ d (mod p) for an integer d ∈ [−2^(b−1), 2^(b−1)), and out ≡ s·in where s,
//          the top bit of the strict decomposition of d + 2^(b−1), is 1 iff d ≥ 0, i.e. in ≥ t.
// Preconditions: 1 ≤ b ≤ 200 (compile-time asserts); t any integer.
// Completeness: in − t in [−2^(b−1), 2^(b−1)), else witness generation fails.
// Cost: b + 1 quadratic constraints + 2 linear (O1: the input shifted by t is bound to the
//       decomposition's input).
template ThresholdedRelu(b, t) {
    signal input in;
    signal output out;

    component d = SignedDecompose(0, b);
    d.in <== in - t;
    out <== d.bits[b - 1] * in;
}
