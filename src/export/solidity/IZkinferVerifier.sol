// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title What a zkinfer receipt (format zkinfer.receipt/2) holds that a contract can check.
/// @notice The TypeScript encoder (zkinfer export --target calldata, or the library's
/// encodeReceiptCall) fills this from a receipt after the checks a contract cannot make:
/// the JSON schema, the presentation fields (output values, probabilities, semantics), the
/// commitment and digest strings. Everything here is checked on-chain.
struct ZkinferReceipt {
    /// receipt.modelId (32 bytes)
    bytes32 modelId;
    /// receipt.keyId: SHA-256 of the verification key's canonical JSON
    bytes32 keyId;
    /// receipt.input.raw, row-major (must be empty when the input is hashed: its commitment is a public signal)
    int256[] input;
    /// receipt.output.raw, row-major (must be empty when the output is hashed: its commitment is a public signal)
    int256[] output;
    /// receipt.publicSignals, in the circuit's order (outputs, inputs, then the context)
    uint256[] publicSignals;
    /// receipt.nonce, as bytes (1 to 512)
    bytes nonce;
    /// receipt.createdAt, in milliseconds since the epoch
    uint64 createdAtMs;
    /// proof.pi_a (x, y)
    uint256[2] a;
    /// proof.pi_b as the receipt writes it: [[x.c0, x.c1], [y.c0, y.c1]] (c0 the real part)
    uint256[2][2] b;
    /// proof.pi_c (x, y)
    uint256[2] c;
}

/// @title A verifier of one zkinfer model's receipts, under one verification key.
interface IZkinferVerifier {
    /// @notice The model id: the function proven (SHA-256 over the ONNX hash, options, provenance and r1cs hash).
    function MODEL_ID() external view returns (bytes32);

    /// @notice The key id: SHA-256 of the verification key's canonical JSON. Pin it.
    function KEY_ID() external view returns (bytes32);

    /// @notice Verifies a receipt: the bindings zkinfer verify checks and the Groth16 pairing.
    /// @return true; reverts with a reason string (the one line zkinfer verify prints) otherwise
    function verifyReceipt(ZkinferReceipt calldata r) external view returns (bool);

    /// @notice Verifies a receipt as verifyReceipt does, then returns what a registry records.
    /// @return inputCommitment the receipt's input commitment (public input: SHA-256 of the canonical
    /// JSON {raw, scale, shape}, equal to receipt.input.commitment; hashed input: its salted Poseidon
    /// commitment, the proven public signal, as 32 bytes big-endian)
    /// @return outputCommitment the hashed output's salted Poseidon commitment (its proven signal), or
    /// zero when the output is public (then the output itself is the record)
    function verifiedCommitments(ZkinferReceipt calldata r) external view returns (bytes32 inputCommitment, bytes32 outputCommitment);
}
