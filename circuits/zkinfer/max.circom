pragma circom 2.1.0;

// Maxima of signed fixed-point values, for max pooling (and any max over a window).
// A comparison is a strict signed decomposition of a difference: its top bit is the sign.

include "signed.circom";

// Max2(b): out = max(a, c) for signed integers a, c whose difference lies in [−2^b, 2^b).
//
// Proves:  a − c ≡ δ (mod p) for an integer δ ∈ [−2^b, 2^b) (bits[0..b] ∈ {0, 1} with
//          Σ bits[i]·2^i = a − c + 2^b, strictly: b + 1 ≤ 200 bits sum below p), s = bits[b]
//          = 1 iff δ ≥ 0, and out ≡ c + s·δ: out = a when δ ≥ 0, else out = c. δ and s are
//          unique, so out is a function of (a, c): no other output satisfies the constraints.
//          When a and c are integers of magnitude below (p − 2^(b+1))/2 (every zkinfer value
//          is below 2^200), δ = a − c as integers and out = max(a, c).
// The decomposition is written out here rather than taken from SignedDecompose: a component's
// input `d.in <== a − c` is a linear constraint of three signals that O1 keeps, so the inline
// form saves one constraint per comparison (4,728 in the LeNet example).
// Preconditions: 0 ≤ b ≤ 199.
// Completeness: a − c ∈ [−2^b, 2^b), else witness generation fails ("Assert Failed").
// Cost: b + 2 quadratic constraints + 1 linear.
template Max2(b) {
    assert(b >= 0);
    assert(b <= 199);
    signal input a;
    signal input c;
    signal output out;
    signal bits[b + 1];

    var t = a - c + (1 << b);
    var sum = 0;
    var e2 = 1;
    for (var i = 0; i <= b; i++) {
        bits[i] <-- (t >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * e2;
        e2 += e2;
    }
    sum === a - c + (1 << b);
    out <== c + bits[b] * (a - c);
}

// MaxOf(n, b): out = max(in[0], …, in[n−1]), folding left: m_0 = in[0],
// m_i = Max2(b)(m_(i−1), in[i]); each step's difference m_(i−1) − in[i] must lie in [−2^b, 2^b).
//
// Proves:  out ≡ the maximum of the inputs (each Max2 is a function of its inputs, see above).
// Preconditions: n ≥ 2, 0 ≤ b ≤ 199.
// Completeness: every step's difference in [−2^b, 2^b) — which holds when all inputs lie in
//          an interval of width below 2^b.
// Cost: (n − 1)·(b + 2) quadratic constraints under O2.
template MaxOf(n, b) {
    assert(n >= 2);
    signal input in[n];
    signal output out;

    component m[n - 1];
    for (var i = 1; i < n; i++) {
        m[i - 1] = Max2(b);
        if (i == 1) {
            m[0].a <== in[0];
        } else {
            m[i - 1].a <== m[i - 2].out;
        }
        m[i - 1].c <== in[i];
    }
    out <== m[n - 2].out;
}
