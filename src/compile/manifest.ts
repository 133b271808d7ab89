/**
 * The manifest's schema, reader and identities live in src/shared/manifest.ts, so that
 * prove, tee, verify and serve read an artifacts folder without importing compile/. This
 * module re-exports them for the build stage's own modules.
 */
export {
  computeKeyId,
  computeModelId,
  manifestSchema,
  MANIFEST_FORMAT,
  phase2ChainSchema,
  phase2ContributionSchema,
  PROVENANCE_RECORD_FORMAT,
  provenanceSchema,
  provenanceStatusSchema,
  readManifest,
  weightsDeclarationSchema,
} from '../shared/manifest.js';
export type { Manifest, Phase2Chain, Phase2Contribution, Provenance, ProvenanceStatus, WeightsDeclaration } from '../shared/manifest.js';
