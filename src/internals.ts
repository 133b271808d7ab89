// snarkjs ships no types; these (src/types/snarkjs.d.ts, in the package) name the parts used.
// The path resolves both from src/ and from the built dist/internals.d.ts.
/// <reference path="../src/types/snarkjs.d.ts" preserve="true" />
/**
 * zkinfer's internals (`zkinfer/internals`): the pipeline's building blocks — ONNX import
 * and onnxruntime, the float IR, calibration and quantization, the reference executor,
 * circuit emission, circom, setup and powers-of-tau primitives, field and hash encodings,
 * attestation document decoders, Merkle and sample encodings, the Solidity and browser
 * export's parts. For tools built on zkinfer's pipeline; unlike the main entry
 * (src/index.ts) these may change between minor versions. Named one by one, snapshotted
 * with their types by test/api/index.test.ts.
 */
export { FIELD_MODULUS, encodeSigned, decodeSigned } from './shared/field.js';
export { canonicalJson, sha256Hex, sha256Json } from './shared/hash.js';
export { receiptDigest, inputCommitment, sealedReceiptDigest } from './shared/receipt.js';
export { commitTensor, packValues, packing, randomSalt } from './shared/commitment.js';
export { commitWeights, segmentSignal, weightSegments } from './quant/weights.js';
export type { WeightSegment } from './quant/weights.js';
export type { Packing, ValueRange } from './shared/commitment.js';
export { commitmentRange } from './shared/opening.js';
export { receiptContext, contextPreimage, CONTEXT_DOMAIN } from './shared/context.js';
export type { ContextFields } from './shared/context.js';
export { assertNonce, isNonce, isReceiptTime, MAX_NONCE_BYTES } from './shared/nonce.js';
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
export type { QNode } from './quant/model.js';
export { measureError } from './reference/error.js';
export { runReference, quantizeInput, dequantize, rescaleValue } from './reference/execute.js';
export { emitCircuit } from './circuit/emit.js';
export type { EmittedCircuit } from './circuit/emit.js';
export { compileCircom } from './compile/circom.js';
export { directSetup, groth16Setup } from './compile/setup.js';
export type { DirectSetupResult, LocalSetupMethod } from './compile/setup.js';
export { localPtau, inspectPtau, filePtau } from './compile/ptau.js';
export type { PtauInfo, PtauOrigin } from './compile/ptau.js';
export { KNOWN_CEREMONY_PTAU, identifyCeremonyPtau, blake2b512File } from './compile/ptau-ceremony.js';
export type { KnownPtau } from './compile/ptau-ceremony.js';
export { readZkeyChain, verifyPhase2Chain, contributionHash } from './compile/phase2-chain.js';
export { buildReceipt } from './prove/prove.js';
export { checkBindings, checkReceiptFields, checkProvenOutput, assertVerifyOptions, pairingCheck } from './verify/verify.js';
export { checkSharedProofFile, checkSlot } from './verify/shared.js';
export { parseSharedProof, sharedProofDigest, inferencesOf, SHARED_PROOF_FORMAT, SHARED_PROOF_DIR } from './shared/shared-proof.js';
export { checkProofPoints } from './verify/points.js';
export { verifyGroth16Batch } from './verify/groth16-batch.js';
export { decodeNitroAttestation } from './tee/nitro/document.js';
export { verifyDevAttestation } from './tee/dev/dev.js';
export { encodeNsmAttestationRequest } from './tee/nitro/provider.js';
export {
  EncryptedRequestError,
  HPKE_SUITE,
  ENCLAVE_KEY_FORMAT,
  ENCRYPTED_REQUEST_FORMAT,
  ENCRYPTED_RESPONSE_FORMAT,
  enclaveKeySchema,
  encryptedRequestSchema,
  encryptedResponseSchema,
} from './tee/encrypted/protocol.js';
export type { EnclaveKey, EncryptedRequest, EncryptedResponse } from './tee/encrypted/protocol.js';
export { describeKey } from './verify/policy.js';
export { hashLeaf, hashNode, MerkleRootBuilder, MerkleTree, rootFromInclusionProof, verifyInclusion } from './provenance/merkle.js';
export { hashSample, encodeSample, leafData, sampleToJson, sampleFromJson, SAMPLE_ENCODINGS, LEAF_ENCODING } from './provenance/sample.js';
export type { Sample, TensorSample, JsonSample, SampleJson } from './provenance/sample.js';
export { representationModel, representationOf, REPRESENTATION_METHOD } from './provenance/representation.js';
export type { RepresentationModel, RepresentationSpec, InputTransform } from './provenance/representation.js';
export { buildSolidityExport, solidityExportFiles, provenanceHash } from './export/solidity/export-solidity.js';
export type { SolidityExport } from './export/solidity/export-solidity.js';
export { verifierSource, keyDataChunks } from './export/solidity/verifier.js';
export type { VerifierSource, KeyDataChunk } from './export/solidity/verifier.js';
export { compileSolidity, solcVersion, SOLC_SETTINGS } from './export/solidity/solc.js';
export type { CompiledContract } from './export/solidity/solc.js';
export { parseGroth16Key } from './export/vkey.js';
export type { Groth16Key } from './export/vkey.js';
export { bundleBrowserVerifier } from './export/browser/bundle.js';
export { browserExportFiles } from './export/browser/export-browser.js';
