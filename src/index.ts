// snarkjs ships no types; these (src/types/snarkjs.d.ts, in the package) name the parts used.
// The path resolves both from src/ and from the built dist/index.d.ts.
/// <reference path="../src/types/snarkjs.d.ts" preserve="true" />
/**
 * zkinfer's library API: what the commands do, as functions — compile, prove, verify, the
 * TEE path and its attestations, policy, export, provenance — with their options, results,
 * file formats (receipt, manifest, opening) and errors. The pipeline's building blocks
 * (import, quantization, the reference executor, circuit emission, setup primitives,
 * encodings) are in `zkinfer/internals` (src/internals.ts), without a stability promise.
 * Every export is named here one by one (no `export *`), so a change to the public surface
 * shows up in review; test/api/index.test.ts snapshots the names and the declared types.
 */
export {
  ZkinferError,
  InvalidArgumentError,
  OnnxImportError,
  CompileError,
  InputError,
  ProveError,
  VerifyError,
  AttestationError,
  ProvenanceError,
  ExportError,
  EXIT,
  exitCodeOf,
} from './shared/errors.js';
export { readInputFile, readInputLines, flattenInput } from './shared/input.js';
export type { InputRecord, InputFailure } from './shared/input.js';
export { RECEIPT_FORMAT, PROBABILITY_TOLERANCE, receiptSchema, isHashedOutput, isPublicReceipt, sealedReceiptSchema, isSealedReceipt } from './shared/receipt.js';
export type { SealedReceipt } from './shared/receipt.js';
export { checkOpening, parseOpening, openingPathFor, openingSchema, OPENING_FORMAT } from './shared/opening.js';
export type { Opening, OpeningVerdict } from './shared/opening.js';
export type { Visibility } from './shared/layout.js';
export type { Receipt, PublicReceipt, HashedInput, HashedOutput, PublicInput, PublicOutput } from './shared/receipt.js';
export type { QModel, QuantOptions } from './quant/model.js';
export type { ErrorReport } from './reference/error.js';
export { compileModel } from './compile/compile.js';
export type { CompileOptions, CompileResult, CompileProgress, ProvenanceChecker } from './compile/compile.js';
export { readManifest, computeModelId, computeKeyId, MANIFEST_FORMAT, PROVENANCE_RECORD_FORMAT } from './shared/manifest.js';
export type { Manifest, Provenance, ProvenanceStatus, Phase2Chain, Phase2Contribution } from './shared/manifest.js';
export { contributePhase2, beaconPhase2, verifySetup } from './compile/phase2.js';
export type { ContributeOptions, BeaconOptions, Phase2Result, VerifySetupOptions, SetupReport } from './compile/phase2.js';
export { openArtifacts } from './shared/artifacts.js';
export type { ArtifactsFolder, ArtifactName } from './shared/artifacts.js';
export { loadArtifacts, readPrivateWeights, withPrivateWeights } from './prove/artifacts.js';
export { MAX_HASHED_WEIGHTS, privateWeightsSchema, WEIGHTS_FORMAT } from './quant/weights.js';
export type { PrivateWeights } from './quant/weights.js';
export type { Artifacts } from './prove/artifacts.js';
export { proveInference, proveInferenceTimed, proveWithOpening } from './prove/prove.js';
export { verifyChain } from './verify/chain.js';
export type { ChainVerdict } from './verify/chain.js';
export type { ProveOptions, ProveTimings } from './prove/prove.js';
export { proveBatch, checkReceiptId } from './prove/batch.js';
export type { BatchSummary, BatchProgress, BatchOptions, KeptReceiptCheck, RejectedReceipt } from './prove/batch.js';
export { Prover } from './prove/prover.js';
export { ProverPool, ProofAbortedError, defaultPoolShape, capWorkers } from './prove/pool.js';
export type { ProverPoolOptions, PooledProof, PooledSharedProof } from './prove/pool.js';
export { proveShared, SharedInputError } from './prove/shared.js';
export type { SharedInput, SharedProveResult } from './prove/shared.js';
export type { SharedProof, SharedProofRef } from './shared/shared-proof.js';
export { loadVerifierKey, verifyProof, parseReceipt } from './verify/verify.js';
export type { ProofVerdict, VerifierKey, VerifyOptions } from './verify/verify.js';
export { verifyMany, listReceiptFiles } from './verify/many.js';
export { keptReceiptCheck } from './verify/kept.js';
export type { VerifyManySummary, ReceiptResult } from './verify/many.js';
export { junitReport } from './verify/junit.js';
export { verifyNitroAttestation } from './tee/nitro/verify.js';
export type { NitroVerifyOptions, NitroAttestation } from './tee/nitro/verify.js';
export { loadTeeArtifacts, closeTeeArtifacts, inferAttested, attachProof } from './tee/infer.js';
export type { TeeArtifacts, AttestedInference, InferAttestedOptions } from './tee/infer.js';
export { createAttestationProvider, PROVIDER_NAMES, VENDOR_NAMES, ATTESTATION_FORMATS, verifyAttestation } from './tee/registry.js';
export type { ProviderOptions, VerifyAttestationOptions } from './tee/registry.js';
export type { AttestationEvidence, AttestationVendor, VerifyEvidenceOptions, VendorVerification } from './tee/vendor.js';
export type { AttestationProvider } from './tee/provider.js';
export { verifyReceiptAttestation, verifySealedReceiptAttestation } from './tee/receipt-attestation.js';
export { createEncryptedSession, handleEncryptedRequest, attestEnclaveKey, ReplayCache } from './tee/encrypted/enclave.js';
export type { EncryptedSession, EncryptedSessionOptions } from './tee/encrypted/enclave.js';
export { verifyEnclaveKey, encryptRequest, decryptResponse } from './tee/encrypted/client.js';
export type { VerifiedEnclaveKey, PendingRequest, DecryptedResponse, SealedOpening, EncryptRequestOptions } from './tee/encrypted/client.js';
export { serveEncrypted, postEncryptedRequest } from './tee/encrypted/server.js';
export type { EncryptedServer } from './tee/encrypted/server.js';
export { evaluateReceipt, evaluateEnclaveKey, loadPolicy, parsePolicy, loadPolicyKey, DEFAULT_POLICY } from './verify/policy.js';
export type { EnclaveKeyVerdict } from './verify/policy.js';
export { checkKeySetup, describeKeySetup } from './verify/setup-policy.js';
export type { Policy, PolicyVerdict } from './verify/policy.js';
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
export { loadAttributionModel, prepareAttribution, attributeReceipts, ATTRIBUTION_FORMAT } from './provenance/attribution.js';
export type { Attribution, Attributor, InputOpener } from './provenance/attribution.js';
export { checkAttribution, recomputeRepresentations } from './provenance/check-attribution.js';
export type { AttributionVerdict } from './provenance/check-attribution.js';
export { summarizeAttributions, summaryCsv, summarySvg } from './provenance/report.js';
export type { AttributionSummary } from './provenance/report.js';
export { exportVerifier, loadExportKey, EXPORT_TARGETS } from './export/export.js';
export type { ExportOptions, ExportResult, ExportTarget } from './export/export.js';
export { encodeReceiptForChain, receiptCallArgs, encodeReceiptArgs, callArgsJson, RECEIPT_TUPLE } from './export/solidity/calldata.js';
export type { ReceiptCallArgs, ChainCall } from './export/solidity/calldata.js';
export { verifyReceiptText, keyFromJson, fetchKey, warmUp } from './export/browser/verify-receipt.js';
export type { PageVerdict, CheckRow, ReceiptSummary } from './export/browser/verify-receipt.js';
