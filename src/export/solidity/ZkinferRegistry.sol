// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IZkinferVerifier, ZkinferReceipt} from "./IZkinferVerifier.sol";
import {ZkinferGroth16} from "./ZkinferGroth16.sol";

/// @title An on-chain registry of zkinfer models and the receipts settled against them.
/// @notice A model owner registers a model id with its key id, the address of its verifier
/// contract and the hash of its provenance record; anyone then submits receipts, each
/// verified through the registered verifier (the same checks as zkinfer verify, reverting
/// with the same reason) and recorded: the model id, the input commitment, the output (or
/// its commitment) and the nonce, in an event and as one storage word per receipt. A nonce
/// is accepted once per model, so a receipt cannot be settled twice.
///
/// Trust: the first address to register a model id owns it and may later point it at a new
/// verifier (a new key); nobody else can. Registering proves nothing about who trained the
/// model: consumers pin the key id they trust (KEY_ID, from the publisher's release notes)
/// and read it back with modelOf.
contract ZkinferRegistry {
    struct Model {
        address owner;
        bytes32 keyId;
        address verifier;
        bytes32 provenanceHash;
    }

    mapping(bytes32 => Model) private models;
    /// model id => keccak256(nonce) => keccak256 of the record (zero: nonce not used)
    mapping(bytes32 => mapping(bytes32 => bytes32)) private records;

    /// @notice A model was registered, or its owner pointed it at a new verifier.
    event ModelRegistered(bytes32 indexed modelId, bytes32 keyId, address verifier, bytes32 provenanceHash, address owner);

    /// @notice A receipt was verified and recorded.
    /// @param inputCommitment SHA-256 of the input's canonical JSON (receipt.input.commitment), or its Poseidon commitment
    /// @param outputCommitment the output's commitment, zero when the output is public
    /// @param output the proven output integers (empty when the output is committed)
    /// @param record keccak256(abi.encode(modelId, inputCommitment, outputCommitment, output, nonce, createdAtMs)), as stored
    event ReceiptRecorded(
        bytes32 indexed modelId,
        bytes32 indexed inputCommitment,
        bytes32 outputCommitment,
        int256[] output,
        bytes nonce,
        uint64 createdAtMs,
        address submitter,
        bytes32 record
    );

    /// @notice Registers a model, or (its owner only) points it at a new verifier.
    /// @param provenanceHash SHA-256 of the canonical JSON of the manifest's provenance block
    function register(bytes32 modelId, bytes32 keyId, address verifier, bytes32 provenanceHash) external {
        Model storage m = models[modelId];
        require(m.owner == address(0) || m.owner == msg.sender, "the model is registered by another owner");
        require(verifier.code.length > 0, "the verifier is not a contract");
        require(IZkinferVerifier(verifier).MODEL_ID() == modelId, "the verifier is for another model");
        require(IZkinferVerifier(verifier).KEY_ID() == keyId, "the verifier holds another key");
        models[modelId] = Model(msg.sender, keyId, verifier, provenanceHash);
        emit ModelRegistered(modelId, keyId, verifier, provenanceHash, msg.sender);
    }

    /// @notice Verifies a receipt through its model's verifier and records it.
    /// @return record the keccak256 of the record stored for (model id, nonce)
    function submit(ZkinferReceipt calldata r) external returns (bytes32 record) {
        address verifier = models[r.modelId].verifier;
        if (verifier == address(0)) revert(string.concat("model ", ZkinferGroth16.shortHex(r.modelId), " is not registered"));
        bytes32 nonceKey = keccak256(r.nonce);
        require(records[r.modelId][nonceKey] == bytes32(0), "the nonce was already used for this model (a replayed receipt)");
        (bytes32 inputCommitment, bytes32 outputCommitment) = verifiedCommitments(verifier);
        record = keccak256(abi.encode(r.modelId, inputCommitment, outputCommitment, r.output, r.nonce, r.createdAtMs));
        records[r.modelId][nonceKey] = record;
        emit ReceiptRecorded(r.modelId, inputCommitment, outputCommitment, r.output, r.nonce, r.createdAtMs, msg.sender, record);
    }

    /// @dev Calls verifier.verifiedCommitments with this call's receipt: submit(r) and
    /// verifiedCommitments(r) take the same argument, so the calldata is forwarded as it came
    /// (re-encoding the receipt's arrays would cost more than the copy); a revert bubbles up
    /// with the verifier's reason.
    function verifiedCommitments(address verifier) private view returns (bytes32, bytes32) {
        (bool ok, bytes memory ret) = verifier.staticcall(bytes.concat(IZkinferVerifier.verifiedCommitments.selector, msg.data[4:]));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return abi.decode(ret, (bytes32, bytes32));
    }

    /// @notice A registered model (owner zero: not registered).
    function modelOf(bytes32 modelId) external view returns (Model memory) {
        return models[modelId];
    }

    /// @notice The record stored for a model's nonce (zero: none).
    function recordOf(bytes32 modelId, bytes calldata nonce) external view returns (bytes32) {
        return records[modelId][keccak256(nonce)];
    }
}
