pragma circom 2.1.0;
// Requantization of an int8 model: an accumulator times a constant multiplier, divided by
// 2^k with rounding, optionally rectified, and saturated to a narrow integer type (ONNX
// QuantizeLinear's saturation to int8/uint8). The multiplier, the ReLU and the saturation
// come out of the rescale's own decomposition: no second range check, no extra wire.

// Requantize(k, b, j, relu, c): q = floor((c·in + 2^(k−1)) / 2^k) (round half up; k = 0:
// q = c·in), range-checked to b signed bits; then
//   relu = 1: out = max(q, 0), saturated to [0, 2^j − 1] when j > 0        (j ≤ b − 2)
//   relu = 0: out = q, saturated to [−2^(j−1), 2^(j−1) − 1] when j > 0     (2 ≤ j ≤ b − 1)
//
// Proves:  bits[0..k+b) are the strict decomposition of t = c·in + 2^(k+b−1) + 2^(k−1)
//          (the 2^(k−1) only for k ≥ 1): t ∈ [0, 2^(k+b)) and unique as k + b ≤ 200 (see
//          SignedDecompose), so q = u − 2^(b−1) with u = Σ bits[k + i]·2^i is the half-up
//          quotient, and s = bits[k + b − 1] is 1 iff q ≥ 0.
//          relu: low = the j bits above the remainder, e = the bits j..b−2 (weighted): for
//          q ≥ 0, q = low + 2^j·e, so q > 2^j − 1 iff e ≠ 0 (`over`: the bit itself when
//          there is one, else 1 − IsZero(e), with the IsZero pattern: zero = 1 − e·inv and
//          e·zero = 0 force zero = 1 iff e = 0); min(q, 2^j − 1) = low + over·(2^j − 1 − low),
//          and out = s·that (0 for q < 0).
//          signed: low = the j − 1 bits above the remainder, E = the bits j−1..b−2:
//          q ∈ [−2^(j−1), 2^(j−1)) iff (s = 1 and E all zero) or (s = 0 and E all one)
//          (`inRange`), and then q = low − (1 − s)·2^(j−1). Out of range, q saturates to
//          2^(j−1) − 1 for s = 1 and to −2^(j−1) for s = 0, so out = L − (1 − s)·2^(j−1)
//          with L = inRange·low + (1 − inRange)·s·(2^(j−1) − 1).
//          out is a function of in.
// Preconditions: as above, k ≥ 0, b ≥ 2, k + b ≤ 200, c ≥ 1 (compile-time asserts).
// Completeness: c·in must lie in [−2^(k+b−1) − 2^(k−1), 2^(k+b−1) − 2^(k−1)) (k = 0:
//          [−2^(b−1), 2^(b−1))), i.e. the half-up quotient fits in b signed bits; otherwise
//          witness generation fails: it is never proven wrongly.
// Cost (O1; k + b quadratic and 1 linear for the decomposition, plus):
//          j = 0: 1 (relu: out = s·low; signed: out, linear);
//          relu, j = b − 2: 2; relu, j < b − 2: 4;
//          signed, j = b − 1: 4; signed, j < b − 1: 9 (the all/none flags with IsZero).
template Requantize(k, b, j, relu, c) {
    assert(k >= 0 && b >= 2 && k + b <= 200 && c >= 1);
    assert(relu == 0 || relu == 1);
    assert(j == 0 || relu == 0 || j <= b - 2);
    assert(j == 0 || relu == 1 || (j >= 2 && j <= b - 1));
    signal input in;
    signal output out;

    var n = k + b;
    var offset = 1 << (n - 1);
    if (k > 0) {
        offset += 1 << (k - 1);
    }
    var t = c * in + offset;
    signal bits[n];
    var sum = 0;
    var e2 = 1;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (t >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * e2;
        e2 += e2;
    }
    sum === t;

    var s = bits[n - 1];
    if (j == 0) {
        var u = 0;
        e2 = 1;
        for (var i = 0; i < b - 1; i++) {
            u += bits[k + i] * e2;
            e2 += e2;
        }
        if (relu == 1) {
            out <== s * u;
        } else {
            out <== u - (1 - s) * (1 << (b - 1));
        }
    } else if (relu == 1) {
        var low = 0;
        e2 = 1;
        for (var i = 0; i < j; i++) {
            low += bits[k + i] * e2;
            e2 += e2;
        }
        var over;
        if (b - 2 == j) {
            over = bits[k + j];
        } else {
            var e = 0;
            var f2 = 1;
            for (var i = j; i < b - 1; i++) {
                e += bits[k + i] * f2;
                f2 += f2;
            }
            // over = 1 − IsZero(e): zero·e = 0 and zero = 1 − e·inv force zero = 1 iff e = 0.
            signal inv;
            signal zero;
            inv <-- e != 0 ? 1 / e : 0;
            zero <== 1 - e * inv;
            e * zero === 0;
            over = 1 - zero;
        }
        signal sat;
        sat <== over * ((1 << j) - 1 - low);
        out <== s * (low + sat);
    } else {
        var low = 0;
        e2 = 1;
        for (var i = 0; i < j - 1; i++) {
            low += bits[k + i] * e2;
            e2 += e2;
        }
        // any: some bit of E is 1; all: every bit of E is 1.
        var inRange;
        if (b - 1 == j) {
            signal sE;
            sE <== s * bits[k + j - 1];
            inRange = s + bits[k + j - 1] - 2 * sE;
        } else {
            var e = 0;
            var f = 0;
            var f2 = 1;
            for (var i = j - 1; i < b - 1; i++) {
                e += bits[k + i] * f2;
                f += (1 - bits[k + i]) * f2;
                f2 += f2;
            }
            // none = IsZero(e) (no bit of E set), all = IsZero(f) (no bit of E clear), as above.
            signal invE;
            signal none;
            invE <-- e != 0 ? 1 / e : 0;
            none <== 1 - e * invE;
            e * none === 0;
            signal invF;
            signal all;
            invF <-- f != 0 ? 1 / f : 0;
            all <== 1 - f * invF;
            f * all === 0;
            signal sAny;
            signal sAll;
            sAny <== s * (1 - none);
            sAll <== s * all;
            inRange = s - sAny + all - sAll;
        }
        signal p1;
        signal p2;
        p1 <== inRange * low;
        p2 <== (1 - inRange) * s;
        out <== p1 + p2 * ((1 << (j - 1)) - 1) - (1 - s) * (1 << (j - 1));
    }
}
