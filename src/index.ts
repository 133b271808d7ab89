// snarkjs ships no types; these (src/types/snarkjs.d.ts, in the package) name the parts used.
// The path resolves both from src/ and from the built dist/index.d.ts.
/// <reference path="../src/types/snarkjs.d.ts" preserve="true" />
/**
 * zkinfer's library API. Every export is named here one by one (no `export *`), so a
 * change to the public surface shows up in review; test/index.test.ts snapshots the list.
 */
export { ZkinferError, InvalidArgumentError, OnnxImportError, CompileError, InputError, ProveError, VerifyError, AttestationError, ProvenanceError, ExportError, EXIT, exitCodeOf } from './shared/errors.js';
export { FIELD_MODULUS, encodeSigned, decodeSigned } from './shared/field.js';
export { canonicalJson, sha256Hex, sha256Json } from './shared/hash.js';
export { readInputFile, readInputLines, flattenInput } from './shared/input.js';
export type { InputRecord, InputFailure } from './shared/input.js';
export { RECEIPT_FORMAT, PROBABILITY_TOLERANCE, receiptSchema, receiptDigest, inputCommitment, isHashedOutput, isPublicReceipt, sealedReceiptSchema, sealedReceiptDigest, isSealedReceipt } from './shared/receipt.js';
export type { SealedReceipt } from './shared/receipt.js';
export { commitTensor, packValues, packing, randomSalt } from './shared/commitment.js';
export type { Packing, ValueRange } from './shared/commitment.js';
export { checkOpening, commitmentRange, parseOpening, openingPathFor, openingSchema, OPENING_FORMAT } from './shared/opening.js';
export type { Opening, OpeningVerdict } from './shared/opening.js';
export type { Visibility } from './shared/layout.js';
export { receiptContext, contextPreimage, CONTEXT_DOMAIN } from './shared/context.js';
export type { ContextFields } from './shared/context.js';
export { assertNonce, isNonce, isReceiptTime, MAX_NONCE_BYTES } from './shared/nonce.js';
export type { Receipt, PublicReceipt, HashedInput, HashedOutput, PublicInput, PublicOutput } from './shared/receipt.js';
export { releaseCurve } from './shared/curve.js';

export { importOnnx, SUPPORTED_OPS, OPSET_RANGE, EARLY_OPSET_OPS } from './onnx/import.js';
export type { ImportOptions } from './onnx/import.js';
export { OrtModel } from './onnx/runtime.js';
export type { OrtModelOptions } from './onnx/runtime.js';
export type { Graph, IrNode, Shape } from './ir/graph.js';
export { runFloat } from './ir/float-exec.js';
export { optimize } from './ir/optimize.js';

export { calibrate, intervalRanges, DEFAULT_INPUT_RANGE } from './quant/calibrate.js';
export { quantize } from './quant/quantize.js';
export { DEFAULT_QUANT_OPTIONS } from './quant/model.js';
export type { QModel, QNode, QuantOptions } from './quant/model.js';
export { measureError } from './quant/error.js';
export type { ErrorReport } from './quant/error.js';
export { runReference, quantizeInput, dequantize, rescaleValue } from './reference/execute.js';

export { emitCircuit } from './circuit/emit.js';
export type { EmittedCircuit } from './circuit/emit.js';

export { compileModel } from './build/compile.js';
export type { CompileOptions, CompileResult, CompileProgress, ProvenanceChecker } from './build/compile.js';
export { compileCircom } from './build/circom.js';
export { directSetup, groth16Setup } from './build/setup.js';
export type { DirectSetupResult, LocalSetupMethod } from './build/setup.js';
export { localPtau, inspectPtau, filePtau } from './build/ptau.js';
export type { PtauInfo, PtauOrigin } from './build/ptau.js';
export { KNOWN_CEREMONY_PTAU, identifyCeremonyPtau, blake2b512File } from './build/ptau-ceremony.js';
export type { KnownPtau } from './build/ptau-ceremony.js';
export { readManifest, computeModelId, computeKeyId, MANIFEST_FORMAT, PROVENANCE_RECORD_FORMAT } from './build/manifest.js';
export type { Manifest, Provenance, ProvenanceStatus, Phase2Chain, Phase2Contribution } from './build/manifest.js';
export { contributePhase2, beaconPhase2, verifySetup } from './build/phase2.js';
export type { ContributeOptions, BeaconOptions, Phase2Result, VerifySetupOptions, SetupReport } from './build/phase2.js';
export { readZkeyChain, verifyPhase2Chain, contributionHash } from './build/phase2-chain.js';

export { loadArtifacts, readPrivateWeights, withPrivateWeights } from './prove/artifacts.js';
export { commitWeights, MAX_HASHED_WEIGHTS, privateWeightsSchema, WEIGHTS_FORMAT, type PrivateWeights, type WeightSegment } from './quant/weights.js';
export type { Artifacts } from './prove/artifacts.js';
export { proveInference, proveInferenceTimed, proveWithOpening, buildReceipt } from './prove/prove.js';
export { verifyChain } from './verify/chain.js';
export type { ChainVerdict } from './verify/chain.js';
export type { ProveOptions, ProveTimings } from './prove/prove.js';
export { proveBatch, checkReceiptId } from './prove/batch.js';
export type { BatchSummary, BatchProgress, BatchOptions, KeptReceiptCheck, RejectedReceipt } from './prove/batch.js';
export { Prover } from './prove/prover.js';
export { ProverPool, ProofAbortedError, defaultPoolShape, capWorkers } from './prove/pool.js';
export type { ProverPoolOptions, PooledProof } from './prove/pool.js';

export { loadVerifierKey, verifyProof, parseReceipt, checkBindings, checkReceiptFields, checkProvenOutput, assertVerifyOptions } from './verify/verify.js';
export type { ProofVerdict, VerifierKey, VerifyOptions } from './verify/verify.js';
export { checkProofPoints } from './verify/points.js';
export { verifyMany, listReceiptFiles } from './verify/many.js';
export { keptReceiptCheck } from './verify/kept.js';
export type { VerifyManySummary, ReceiptResult } from './verify/many.js';
export { junitReport } from './verify/junit.js';
export { verifyGroth16Batch } from './verify/groth16-batch.js';

export { verifyNitroAttestation } from './tee/nitro/verify.js';
export type { NitroVerifyOptions, NitroAttestation } from './tee/nitro/verify.js';
export { decodeNitroAttestation } from './tee/nitro/document.js';
export { loadTeeArtifacts, closeTeeArtifacts, inferAttested, attachProof } from './tee/infer.js';
export type { TeeArtifacts, AttestedInference, InferAttestedOptions } from './tee/infer.js';
export { createAttestationProvider, PROVIDER_NAMES, VENDOR_NAMES, ATTESTATION_FORMATS, verifyAttestation } from './tee/registry.js';
export type { ProviderOptions, VerifyAttestationOptions } from './tee/registry.js';
export type { AttestationEvidence, AttestationVendor, VerifyEvidenceOptions, VendorVerification } from './tee/vendor.js';
export type { AttestationProvider } from './tee/provider.js';
export { verifyDevAttestation } from './tee/dev/dev.js';
export { encodeNsmAttestationRequest } from './tee/nitro/provider.js';
export { verifyReceiptAttestation, verifySealedReceiptAttestation } from './tee/receipt-attestation.js';
export { createEncryptedSession, handleEncryptedRequest, attestEnclaveKey, ReplayCache } from './tee/encrypted/enclave.js';
export type { EncryptedSession, EncryptedSessionOptions } from './tee/encrypted/enclave.js';
export { verifyEnclaveKey, encryptRequest, decryptResponse } from './tee/encrypted/client.js';
export type { VerifiedEnclaveKey, PendingRequest, DecryptedResponse, SealedOpening, EncryptRequestOptions } from './tee/encrypted/client.js';
export { EncryptedRequestError, HPKE_SUITE, ENCLAVE_KEY_FORMAT, ENCRYPTED_REQUEST_FORMAT, ENCRYPTED_RESPONSE_FORMAT, enclaveKeySchema, encryptedRequestSchema, encryptedResponseSchema } from './tee/encrypted/protocol.js';
export type { EnclaveKey, EncryptedRequest, EncryptedResponse } from './tee/encrypted/protocol.js';
export { serveEncrypted, postEncryptedRequest } from './tee/encrypted/server.js';
export type { EncryptedServer } from './tee/encrypted/server.js';
export { evaluateReceipt, evaluateEnclaveKey, loadPolicy, parsePolicy, loadPolicyKey, describeKey, DEFAULT_POLICY } from './verify/policy.js';
export type { EnclaveKeyVerdict } from './verify/policy.js';
export { checkKeySetup, describeKeySetup } from './verify/setup-policy.js';
export type { Policy, PolicyVerdict } from './verify/policy.js';

export { hashLeaf, hashNode, MerkleRootBuilder, MerkleTree, rootFromInclusionProof, verifyInclusion } from './provenance/merkle.js';
export { hashSample, encodeSample, leafData, sampleToJson, sampleFromJson, SAMPLE_ENCODINGS, LEAF_ENCODING } from './provenance/sample.js';
export type { Sample, TensorSample, JsonSample, SampleJson } from './provenance/sample.js';
export { openDataset, readSamplesAt } from './provenance/dataset.js';
export type { OpenedDataset, DatasetSource } from './provenance/dataset.js';
export { parseContributorMap, readContributorMap, CONTRIBUTORS_FORMAT } from './provenance/contributors.js';
export type { ContributorMap } from './provenance/contributors.js';
export { commitDataset, parseCommitment, readCommitment, walkCommittedDataset, COMMITMENT_FORMAT } from './provenance/commitment.js';
export type { DatasetCommitment, CommitOptions, ScanProgress } from './provenance/commitment.js';
export { proveMembership, verifyMembership, readSampleLines, MEMBERSHIP_FORMAT } from './provenance/membership.js';
export type { MembershipProof, MembershipVerdict } from './provenance/membership.js';
export { generateSigningKey, signingKeyFromSecret, readKeyFile, writeKeyFile } from './provenance/keys.js';
export type { SigningKey } from './provenance/keys.js';
export { signContribution, signRecord, checkProvenanceRecord, readProvenanceRecord, checkProvenanceForCompile, CONTRIBUTION_FORMAT } from './provenance/record.js';
export type { ProvenanceRecord, Contribution, RecordInput, RecordCheck } from './provenance/record.js';
export { representationModel, representationOf, REPRESENTATION_METHOD } from './provenance/representation.js';
export type { RepresentationModel, RepresentationSpec, InputTransform } from './provenance/representation.js';
export { loadAttributionModel, prepareAttribution, attributeReceipts, ATTRIBUTION_FORMAT } from './provenance/attribution.js';
export type { Attribution, Attributor, InputOpener } from './provenance/attribution.js';
export { checkAttribution, recomputeRepresentations } from './provenance/check-attribution.js';
export type { AttributionVerdict } from './provenance/check-attribution.js';
export { summarizeAttributions, summaryCsv, summarySvg } from './provenance/report.js';
export type { AttributionSummary } from './provenance/report.js';

export { exportVerifier, loadExportKey, EXPORT_TARGETS } from './export/export.js';
export type { ExportOptions, ExportResult, ExportTarget } from './export/export.js';
export { buildSolidityExport, solidityExportFiles, provenanceHash } from './export/solidity/export-solidity.js';
export type { SolidityExport } from './export/solidity/export-solidity.js';
export { verifierSource, keyDataChunks } from './export/solidity/verifier.js';
export type { VerifierSource, KeyDataChunk } from './export/solidity/verifier.js';
export { encodeReceiptForChain, receiptCallArgs, encodeReceiptArgs, callArgsJson, RECEIPT_TUPLE } from './export/solidity/calldata.js';
export type { ReceiptCallArgs, ChainCall } from './export/solidity/calldata.js';
export { compileSolidity, solcVersion, SOLC_SETTINGS } from './export/solidity/solc.js';
export type { CompiledContract } from './export/solidity/solc.js';
export { parseGroth16Key } from './export/vkey.js';
export type { Groth16Key } from './export/vkey.js';
export { bundleBrowserVerifier } from './export/browser/bundle.js';
export { browserExportFiles } from './export/browser/export-browser.js';
export { verifyReceiptText, keyFromJson, fetchKey, warmUp } from './export/browser/verify-receipt.js';
export type { PageVerdict, CheckRow } from './export/browser/verify-receipt.js';
