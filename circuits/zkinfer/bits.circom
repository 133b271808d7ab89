pragma circom 2.1.0;

// Binary decomposition, the building block of every range check in zkinfer.

// Bits(n): out[0..n) are the little-endian bits of `in`.
//
// Proves:  out[i] ∈ {0, 1} for every i, and Σ out[i]·2^i = in (mod p).
// Because n ≤ 253 < log2(p), the sum is an integer in [0, 2^n) ⊂ [0, p), so a satisfying
// assignment exists iff the canonical value of `in` is below 2^n, and then it is unique
// (the decomposition is strict: it cannot wrap the field).
// Preconditions: none for soundness. Completeness: 0 ≤ in < 2^n, else witness generation fails.
// Cost: n quadratic constraints (booleanity) + 1 linear (the sum). O2 folds the linear one
// into a booleanity constraint by eliminating a bit, unless every signal in it is public.
template Bits(n) {
    assert(n >= 1 && n <= 253);
    signal input in;
    signal output out[n];

    var sum = 0;
    var e2 = 1;
    for (var i = 0; i < n; i++) {
        out[i] <-- (in >> i) & 1;
        out[i] * (out[i] - 1) === 0;
        sum += out[i] * e2;
        e2 += e2;
    }
    sum === in;
}
