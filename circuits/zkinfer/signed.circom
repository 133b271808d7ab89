pragma circom 2.1.0;

// Signed fixed-point values are field elements: x ≥ 0 is x, x < 0 is p − |x|. Every range
// check below adds a constant offset first, so that it decomposes a non-negative integer and
// never a raw (possibly "negative") field element.

// SignedDecompose(k, b): the bits of t = in + 2^(k−1)·[k > 0] + 2^(k+b−1), n = k + b of them.
//
// Proves:  bits[i] ∈ {0, 1} and Σ bits[i]·2^i = t (mod p). With n ≤ 200 the sum is below
// 2^200 ≪ p, so the decomposition is strict and unique. Reading the bits:
//   r = Σ_{i<k} bits[i]·2^i                ∈ [0, 2^k)        (remainder)
//   u = Σ_{i<b} bits[k+i]·2^i              ∈ [0, 2^b)        (offset quotient)
//   q = u − 2^(b−1)                        ∈ [−2^(b−1), 2^(b−1))
//   in + 2^(k−1) = q·2^k + r  (k > 0),   in = q  (k = 0)
// i.e. q = floor((in + 2^(k−1)) / 2^k) (round half up) and the signed integer `in` lies in
// [−2^(k+b−1) − 2^(k−1), 2^(k+b−1) − 2^(k−1)) (for k = 0: [−2^(b−1), 2^(b−1))).
// bits[k+b−1] is the sign bit: 1 iff q ≥ 0.
// Preconditions: none for soundness. Completeness: `in` must lie in the range above, else the
// honest prover has no witness (witness generation fails with "Assert Failed").
// Cost: n quadratic + 1 linear constraint.
template SignedDecompose(k, b) {
    assert(k >= 0);
    assert(b >= 1);
    assert(k + b <= 200);
    var n = k + b;
    signal input in;
    signal output bits[n];

    var offset = 1 << (n - 1);
    if (k > 0) {
        offset += 1 << (k - 1);
    }
    var t = in + offset;

    var sum = 0;
    var e2 = 1;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (t >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * e2;
        e2 += e2;
    }
    sum === t;
}

// RangeCheckSigned(b): constrains the signed integer `in` to [−2^(b−1), 2^(b−1)).
//
// Proves:  in ≡ x (mod p) for an integer x with −2^(b−1) ≤ x < 2^(b−1) (b ≤ 200).
// Preconditions: none for soundness. Completeness: `in` in that range.
// Cost: b quadratic + 1 linear constraint.
template RangeCheckSigned(b) {
    signal input in;
    component d = SignedDecompose(0, b);
    d.in <== in;
}
