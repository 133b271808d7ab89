/**
 * The models a server or worker holds, by model id: each artifacts folder given on the
 * command line is loaded once (its files checked against the manifest) and kept warm —
 * the onnxruntime session for the fast path, the verification key for `/v1/verify`.
 * Artifacts are identified by model id and key id (DESIGN.md "Artifacts and identity").
 */
import { InvalidArgumentError } from '../shared/errors.js';
import { openArtifacts } from '../shared/artifacts.js';
import type { Manifest } from '../shared/manifest.js';
import type { QModel } from '../quant/model.js';
import type { EvaluateOptions } from '../verify/policy.js';
import { loadPolicyKey } from '../verify/policy.js';
import { loadTeeArtifacts, closeTeeArtifacts, type TeeArtifacts } from '../tee/infer.js';
import type { ModelsResponse } from './schemas.js';

/** One model held by the server. */
export interface HeldModel {
  dir: string;
  manifest: Manifest;
  model: QModel;
  tee: TeeArtifacts;
  /** What the verifier needs (manifest, and the verification key when there is one). */
  key: EvaluateOptions['key'];
  /** Whether the artifacts can be proven (compiled with a setup). */
  provable: boolean;
}

/** The models held, by model id. */
export class ModelRegistry {
  readonly #models = new Map<string, HeldModel>();

  /**
   * Loads artifacts folders.
   * @throws {InvalidArgumentError} when two folders hold the same model id, or a model has a hashed input or output, or proves several inferences per proof
   * @throws the loaders' errors for a missing or altered artifact
   */
  constructor(dirs: readonly string[]) {
    for (const dir of dirs) {
      const folder = openArtifacts(dir);
      const tee = loadTeeArtifacts(folder);
      const { manifest } = tee;
      // A hashed model's openings (values and salts) belong to the data owner; the service has nowhere to hand them.
      if (manifest.io.input.visibility !== 'public' || manifest.io.output.visibility !== 'public') {
        throw new InvalidArgumentError(
          `${dir}: the service serves models with public input and output; this model's input is ${manifest.io.input.visibility} and output ${manifest.io.output.visibility} (prove it with \`zkinfer prove\`, which writes the opening)`,
        );
      }
      // One job proves one inference and writes one receipt with its own proof; shared proofs are batch proving's.
      const inferences = manifest.circuit.inferences;
      if (inferences !== undefined && inferences > 1)
        throw new InvalidArgumentError(`${dir}: the service proves one inference per proof; this model proves ${inferences} per proof (prove it with \`zkinfer prove --inputs\`)`);
      const held = this.#models.get(manifest.modelId);
      if (held) throw new InvalidArgumentError(`${dir}: holds model ${manifest.modelId}, already loaded from ${held.dir}`);
      this.#models.set(manifest.modelId, { dir: tee.dir, manifest, model: tee.model, tee, key: loadPolicyKey(folder), provable: manifest.files.zkey !== null && manifest.keyId !== null });
    }
  }

  /** The model with this id, if held. */
  get(modelId: string): HeldModel | undefined {
    return this.#models.get(modelId);
  }

  /** Every model held. */
  all(): HeldModel[] {
    return [...this.#models.values()];
  }

  /** The `GET /v1/models` answer. */
  describe(): ModelsResponse {
    return {
      models: this.all().map((m) => ({
        modelId: m.manifest.modelId,
        keyId: m.manifest.keyId,
        ...(m.manifest.provenance?.name !== undefined ? { name: m.manifest.provenance.name } : {}),
        inputShape: [...m.model.input.shape],
        visibility: { input: m.manifest.io.input.visibility, output: m.manifest.io.output.visibility },
        provable: m.provable,
      })),
    };
  }

  /** Releases the onnxruntime sessions. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((m) => closeTeeArtifacts(m.tee)));
  }
}
