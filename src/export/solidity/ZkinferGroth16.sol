// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Groth16 over BN254 with the EVM's precompiles, and the receipt checks every zkinfer
/// verifier contract shares.
/// @notice Precompiles used: 0x02 SHA-256; 0x06 ecAdd and 0x07 ecMul (EIP-196); 0x08 the
/// pairing check (EIP-197); their gas is EIP-1108's (150, 6,000, 45,000 + 34,000 per pair).
/// Encodings (EIP-197 "Encoding"): a base-field element is 32 bytes big-endian and must be
/// below q; a G1 point is (x, y), infinity (0, 0); an element a·i + b of F_p^2 is written
/// (a, b), the imaginary part first, so a G2 point is (x.c1, x.c0, y.c1, y.c0) while snarkjs
/// and receipts write [[x.c0, x.c1], [y.c0, y.c1]].
///
/// Reason strings are the ones `zkinfer verify` prints for the same fault
/// (src/verify/verify.ts, src/verify/points.ts), so a verdict reads the same everywhere.
library ZkinferGroth16 {
    /// The BN254 scalar field modulus r: public signals are below it.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// The BN254 base field modulus q: point coordinates are below it.
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// Field elements above R / 2 encode negative integers (x < 0 as r - |x|).
    uint256 internal constant HALF_R = R / 2;
    /// The context is SHA-256 reduced modulo 2^253 (src/shared/context.ts).
    uint256 internal constant MASK_253 = (1 << 253) - 1;
    /// b' = 3 / (9 + i), the constant of G2's curve y^2 = x^3 + b' over F_p^2.
    uint256 internal constant TWIST_B0 = 19485874751759354771024239261021720505790618469301721065564631296452457478373;
    uint256 internal constant TWIST_B1 = 266929791119991161246907387137283842545076965332900288569378510910307636690;

    bytes16 private constant HEX = "0123456789abcdef";

    // ------------------------------------------------------------------ public signals

    /// @notice Reverts unless every public signal is a canonical field element (below r).
    function checkCanonical(uint256[] calldata signals) internal pure {
        for (uint256 i = 0; i < signals.length; ++i) {
            if (signals[i] >= R) revert(string.concat("public signal ", uintToString(i), " is not a canonical field element"));
        }
    }

    /// @notice The signed integer a canonical field element encodes.
    function decodeSigned(uint256 v) internal pure returns (int256) {
        return v > HALF_R ? -int256(R - v) : int256(v);
    }

    /// @notice A 'values' segment: signals[start + i] decodes into [min, max] and equals raw[i].
    /// @param name "input" or "output", as messages name them
    function checkValues(uint256[] calldata signals, uint256 start, int256[] calldata raw, int256 min, int256 max, string memory name) internal pure {
        for (uint256 i = 0; i < raw.length; ++i) {
            int256 v = decodeSigned(signals[start + i]);
            if (v < min || v > max) {
                revert(string.concat("public ", name, " ", uintToString(i), " = ", intToString(v), " is outside the declared range [", intToString(min), ", ", intToString(max), "]"));
            }
            if (v != raw[i]) {
                revert(string.concat(name, " ", uintToString(i), " in the receipt (", intToString(raw[i]), ") differs from the proven public signal (", intToString(v), ")"));
            }
        }
    }

    /// @notice A 'packed' segment (src/shared/layout.ts): signal start + k holds outputs
    /// [k·per, (k + 1)·per) as Σ_j (v_j − min)·2^(bits·j), least significant first. The circuit
    /// range-checks every v_j − min to `bits` bits before packing, so the digits are the values
    /// (the packing is injective); this reads them back out of the proven signal — never packs
    /// the receipt's integers, which could spill into a neighbour's bits — and reverts unless no
    /// bit is set above the signal's last value, each value is at most max, and equals raw[i].
    /// @param raw the receipt's output integers (their number checked by the caller)
    function checkPacked(uint256[] calldata signals, uint256 start, int256[] calldata raw, int256 min, int256 max, uint256 bits, uint256 per) internal pure {
        uint256 mask = (1 << bits) - 1;
        uint256 n = raw.length;
        uint256 i = 0;
        for (uint256 k = 0; i < n; ++k) {
            uint256 inSignal = n - i < per ? n - i : per;
            uint256 v = signals[start + k];
            if (v >> (bits * inSignal) != 0) {
                revert(string.concat("public signal ", uintToString(start + k), " has bits set above its ", uintToString(inSignal), " packed outputs of ", uintToString(bits), " bits"));
            }
            for (uint256 j = 0; j < inSignal; ++j) {
                // v & mask < 2^252 and |min| < 2^53: no overflow
                int256 value;
                unchecked {
                    value = int256(v & mask) + min;
                }
                if (value > max) {
                    revert(string.concat("public output ", uintToString(i), " = ", intToString(value), " is outside the declared range [", intToString(min), ", ", intToString(max), "]"));
                }
                if (value != raw[i]) {
                    revert(string.concat("output ", uintToString(i), " in the receipt (", intToString(raw[i]), ") differs from the proven public signal (", intToString(value), ")"));
                }
                v >>= bits;
                unchecked {
                    ++i;
                }
            }
        }
    }

    /// @notice The receipt context: SHA-256("zkinfer.context/1" ‖ modelId ‖ uint64 createdAt ms,
    /// big-endian ‖ nonce) mod 2^253 (src/shared/context.ts).
    function context(bytes32 modelId, uint64 createdAtMs, bytes calldata nonce) internal pure returns (uint256) {
        return uint256(sha256(abi.encodePacked("zkinfer.context/1", modelId, createdAtMs, nonce))) & MASK_253;
    }

    // ------------------------------------------------------------------ proof points

    /// @notice Reverts unless (x, y) is a canonical, finite point of G1 (G1's cofactor is 1, so
    /// on the curve is in the group).
    function checkG1(uint256 x, uint256 y, string memory name) internal pure {
        if (x >= Q) revert(string.concat(name, unicode".x is not a canonical base-field element (≥ q)"));
        if (y >= Q) revert(string.concat(name, unicode".y is not a canonical base-field element (≥ q)"));
        if (x == 0 && y == 0) revert(string.concat(name, " is the point at infinity"));
        if (mulmod(y, y, Q) != addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q)) revert(string.concat(name, " is not a point of G1"));
    }

    /// @notice Reverts unless pi_b is canonical, finite and on G2's curve. Membership of the
    /// prime-order subgroup is checked by the pairing precompile: EIP-197 requires it to fail
    /// when "any of the inputs are not elements of the respective group", and states that for
    /// G2 the order of the point has to be checked (being on the curve is not enough).
    function checkG2(uint256[2][2] calldata b) internal pure {
        if (b[0][0] >= Q) revert(unicode"pi_b.x.c0 is not a canonical base-field element (≥ q)");
        if (b[0][1] >= Q) revert(unicode"pi_b.x.c1 is not a canonical base-field element (≥ q)");
        if (b[1][0] >= Q) revert(unicode"pi_b.y.c0 is not a canonical base-field element (≥ q)");
        if (b[1][1] >= Q) revert(unicode"pi_b.y.c1 is not a canonical base-field element (≥ q)");
        if ((b[0][0] | b[0][1] | b[1][0] | b[1][1]) == 0) revert("pi_b is the point at infinity");
        (uint256 x2a, uint256 x2b) = fp2Mul(b[0][0], b[0][1], b[0][0], b[0][1]);
        (uint256 x3a, uint256 x3b) = fp2Mul(x2a, x2b, b[0][0], b[0][1]);
        (uint256 y2a, uint256 y2b) = fp2Mul(b[1][0], b[1][1], b[1][0], b[1][1]);
        if (y2a != addmod(x3a, TWIST_B0, Q) || y2b != addmod(x3b, TWIST_B1, Q)) revert("pi_b is not a point of G2");
    }

    /// @notice (a0 + a1·i)(b0 + b1·i) in F_p^2 = F_p[i] / (i^2 + 1).
    function fp2Mul(uint256 a0, uint256 a1, uint256 b0, uint256 b1) internal pure returns (uint256, uint256) {
        return (addmod(mulmod(a0, b0, Q), Q - mulmod(a1, b1, Q), Q), addmod(mulmod(a0, b1, Q), mulmod(a1, b0, Q), Q));
    }

    // ------------------------------------------------------------------ the key's IC points

    /// @notice Reads the IC points from the key-data contracts (each holds a 0x00 byte, so it
    /// cannot be called as code, then x ‖ y of its points, 32 bytes each, big-endian).
    function readKeyData(address[] memory chunks, uint256 length) internal view returns (bytes memory ic) {
        ic = new bytes(length);
        uint256 offset = 0;
        for (uint256 i = 0; i < chunks.length; ++i) {
            address chunk = chunks[i];
            uint256 size = chunk.code.length - 1;
            assembly ("memory-safe") {
                extcodecopy(chunk, add(add(ic, 0x20), offset), 1, size)
            }
            offset += size;
        }
        require(offset == length, "the key-data contracts do not hold the key's IC points");
    }

    /// @notice vk_x = IC[0] + Σ signals[i] · IC[i + 1], with ecMul and ecAdd; a zero signal adds
    /// nothing and a signal of one needs no multiplication (both are common in inputs).
    function linearCombination(bytes memory ic, uint256[] calldata signals) internal view returns (uint256 x, uint256 y) {
        require(ic.length == 64 * (signals.length + 1), "the key's IC points do not match the public signals");
        bool ok = true;
        assembly ("memory-safe") {
            let icPtr := add(ic, 0x20)
            // scratch beyond the free-memory pointer: [accX, accY, tX, tY, scalar]
            let buf := mload(0x40)
            mstore(buf, mload(icPtr))
            mstore(add(buf, 0x20), mload(add(icPtr, 0x20)))
            let n := signals.length
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let v := calldataload(add(signals.offset, shl(5, i)))
                if v {
                    let p := add(icPtr, shl(6, add(i, 1)))
                    mstore(add(buf, 0x40), mload(p))
                    mstore(add(buf, 0x60), mload(add(p, 0x20)))
                    if iszero(eq(v, 1)) {
                        mstore(add(buf, 0x80), v)
                        ok := and(ok, staticcall(gas(), 0x07, add(buf, 0x40), 0x60, add(buf, 0x40), 0x40))
                    }
                    ok := and(ok, staticcall(gas(), 0x06, buf, 0x80, buf, 0x40))
                }
            }
            x := mload(buf)
            y := mload(add(buf, 0x20))
        }
        require(ok, "an elliptic-curve precompile call failed");
    }

    /// @notice The pairing check e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) = 1.
    /// @param input four (G1, G2) pairs in the precompile's encoding
    /// @return success whether the precompile accepted its input (every point in its group)
    /// @return valid whether the product is one
    function pairing(uint256[24] memory input) internal view returns (bool success, bool valid) {
        assembly ("memory-safe") {
            success := staticcall(gas(), 0x08, input, 768, input, 0x20)
            valid := and(success, eq(mload(input), 1))
        }
    }

    // ------------------------------------------------------------------ commitments

    /// @notice SHA-256 of prefix ‖ values in decimal, comma-separated ‖ suffix: the canonical
    /// JSON of {raw, scale, shape} (src/shared/hash.ts canonicalJson) when prefix is
    /// `{"raw":[` and suffix `],"scale":…,"shape":[…]}`.
    /// @param maxChars a bound on the characters one value and its comma take
    function sha256IntegersJson(bytes memory prefix, int256[] calldata values, uint256 maxChars, bytes memory suffix) internal pure returns (bytes32) {
        bytes memory out = new bytes(prefix.length + values.length * maxChars + suffix.length);
        assembly ("memory-safe") {
            let p := add(out, 0x20)
            mcopy(p, add(prefix, 0x20), mload(prefix))
            p := add(p, mload(prefix))
            let n := values.length
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                if i {
                    mstore8(p, 0x2c) // ','
                    p := add(p, 1)
                }
                let v := calldataload(add(values.offset, shl(5, i)))
                if slt(v, 0) {
                    mstore8(p, 0x2d) // '-'
                    p := add(p, 1)
                    v := sub(0, v) // |v|, as an unsigned number (also for the least int256)
                }
                let len := 1
                for { let t := div(v, 10) } t { t := div(t, 10) } { len := add(len, 1) }
                let q := add(p, len)
                p := q
                for {} 1 {} {
                    q := sub(q, 1)
                    mstore8(q, add(48, mod(v, 10)))
                    v := div(v, 10)
                    if iszero(v) { break }
                }
            }
            mcopy(p, add(suffix, 0x20), mload(suffix))
            p := add(p, mload(suffix))
            mstore(out, sub(p, add(out, 0x20)))
        }
        return sha256(out);
    }

    // ------------------------------------------------------------------ reason strings

    /// @notice A decimal string.
    function uintToString(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len = 0;
        for (uint256 t = v; t != 0; t /= 10) ++len;
        bytes memory b = new bytes(len);
        for (; v != 0; v /= 10) b[--len] = bytes1(uint8(48 + (v % 10)));
        return string(b);
    }

    /// @notice A signed decimal string.
    function intToString(int256 v) internal pure returns (string memory) {
        if (v >= 0) return uintToString(uint256(v));
        return string.concat("-", uintToString(uint256(-(v + 1)) + 1));
    }

    /// @notice The first 16 hex digits and an ellipsis, as zkinfer verify shortens ids.
    function shortHex(bytes32 v) internal pure returns (string memory) {
        bytes memory b = new bytes(16);
        for (uint256 i = 0; i < 8; ++i) {
            uint8 x = uint8(v[i]);
            b[2 * i] = HEX[x >> 4];
            b[2 * i + 1] = HEX[x & 15];
        }
        return string.concat(string(b), unicode"…");
    }
}
