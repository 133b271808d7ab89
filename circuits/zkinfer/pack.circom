pragma circom 2.1.0;

// Packed public values: the circuit side of src/shared/commitment.ts's packValues, used to make
// a public output tensor cost one public signal per ⌊252 / bits⌋ values instead of one each
// (every public signal costs the verifier a scalar multiplication: 6,000 gas on the EVM).
//
// PackValues(n, min, bits): in[0..n) are signed integers encoded in the field;
// out[e] = Σ_j u_{per·e+j}·2^(bits·j) with u_i = in[i] − min and per = ⌊252 / bits⌋.
//
// Why the packing is injective (what makes it sound for a verifier to read the values back
// out of the packed signals): each u_i is decomposed into `bits` boolean signals with
// Σ b_k·2^k = u_i. Because bits ≤ 252 < log2(p) the decomposition is strict — a witness exists
// iff the canonical value of u_i is in [0, 2^bits) — so each u_i is an integer below 2^bits,
// each out[e] is an integer below 2^(bits·per) ≤ 2^252 < p (no wrap-around in the field), and
// its base-2^bits digits are exactly the u_i. Two different tensors with every value in
// [min, min + 2^bits) give different packed signals, and no witness has a value outside it:
// a value cannot spill into its neighbour's bits. This does not rely on the compiler's
// interval analysis: should its bound on the output ever be wrong, the proof fails (the
// witness does not exist) instead of packing an out-of-range value into a neighbour's slot.
// Values in (max, min + 2^bits) pass the circuit; verifiers refuse them against the declared
// range when they unpack.
//
// Cost: n·bits booleanity constraints, one linear constraint per value (its decomposition) and
// one per packed element (a public signal); O1 keeps them.
template PackValues(n, min, bits) {
    assert(n >= 1);
    assert(bits >= 1 && bits <= 252);
    signal input in[n];
    var per = 252 \ bits;
    var elements = (n + per - 1) \ per;
    signal output out[elements];

    signal b[n][bits];
    var packed[elements];
    for (var e = 0; e < elements; e++) packed[e] = 0;
    var shift = 1;
    for (var i = 0; i < n; i++) {
        var j = i % per;
        if (j == 0) shift = 1;
        var sum = 0;
        var e2 = 1;
        for (var k = 0; k < bits; k++) {
            b[i][k] <-- ((in[i] - min) >> k) & 1;
            b[i][k] * (b[i][k] - 1) === 0;
            sum += b[i][k] * e2;
            e2 += e2;
        }
        sum === in[i] - min;
        packed[i \ per] += sum * shift;
        shift = shift * e2;
    }
    for (var e = 0; e < elements; e++) out[e] <== packed[e];
}
