pragma circom 2.1.0;

// Division by 2^k rounding half to even, as ONNX QuantizeLinear, QLinearConv and
// QLinearMatMul round (and numpy.round, std::nearbyint).

include "signed.circom";

// RescaleHalfEven(k, b): out = round_half_even(in / 2^k), range-checked to b signed bits.
//
// Proves:  q and r as in RescaleSigned(k, b): in + 2^(k−1) = q·2^k + r with r ∈ [0, 2^k) and
//          q ∈ [−2^(b−1), 2^(b−1)) (strict decomposition of k + b ≤ 200 bits, unique), so q is
//          in / 2^k rounded half up. in / 2^k lies exactly halfway between q − 1 and q iff
//          r = 0; then half-to-even wants q − 1 when q is odd. tie = 1 iff r = 0 (the
//          IsZero pattern: tie = 1 − r·inv and r·tie = 0 force tie = 0 for r ≠ 0 and tie = 1
//          for r = 0; inv is free when r = 0 but then affects nothing), q's parity is the
//          lowest quotient bit (q = u − 2^(b−1) with b ≥ 2), and out ≡ q − tie·parity(q).
//          out is a function of in.
// Preconditions: k ≥ 1, b ≥ 2, k + b ≤ 200 (compile-time asserts).
// Completeness: as RescaleSigned(k, b) — the half-up quotient q must fit in b signed bits.
// Cost: k + b + 3 quadratic constraints + 1 linear (O1); O2 folds the linear one away.
template RescaleHalfEven(k, b) {
    assert(k >= 1);
    assert(b >= 2);
    signal input in;
    signal output out;

    component d = SignedDecompose(k, b);
    d.in <== in;

    var r = 0;
    var e2 = 1;
    for (var i = 0; i < k; i++) {
        r += d.bits[i] * e2;
        e2 += e2;
    }
    var u = 0;
    e2 = 1;
    for (var i = 0; i < b; i++) {
        u += d.bits[k + i] * e2;
        e2 += e2;
    }
    signal inv;
    signal tie;
    inv <-- r != 0 ? 1 / r : 0;
    tie <== 1 - r * inv;
    r * tie === 0;
    out <== u - (1 << (b - 1)) - tie * d.bits[k];
}
