/**
 * The `tdx` attestation provider: inside an Intel TDX guest (a TD), asks the kernel for a
 * quote through configfs-tsm (Linux 6.7+, Documentation/ABI/testing/configfs-tsm): create
 * a directory under `/sys/kernel/config/tsm/report/`, write the 64 bytes of REPORTDATA to
 * its `inblob`, read the quote from `outblob`, check that `generation` did not move (no
 * other writer raced us) and that `provider` is `tdx_guest`, remove the directory. The
 * REPORTDATA binds the receipt (evidence.ts): receipt digest ‖ SHA-256(nonce).
 *
 * The quote is bundled with its collateral, which the operator keeps current from Intel's
 * PCS or a PCCS (for example with dcap-qvl's `get_collateral`, refreshed before its
 * `nextUpdate`) in the file named by `collateral` or `$ZKINFER_TDX_COLLATERAL`; the
 * provider reads it and never goes to the network itself.
 *
 * This provider has not been run on TDX hardware here (there is none); the tests drive it
 * through a stand-in quote source and a fake configfs folder.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { assertRequest, type AttestationProvider, type AttestationRequest } from '../provider.js';
import { encodeTdxBundle, receiptReportData, TDX_FORMAT } from './evidence.js';

/** The configfs-tsm report folder. */
export const TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';

/** Turns 64 bytes of REPORTDATA into a quote. */
export type TdxQuoteSource = (reportData: Uint8Array) => Promise<Uint8Array>;

/** Options of the tdx provider. */
export interface TdxProviderOptions {
  /** The collateral JSON file; default `$ZKINFER_TDX_COLLATERAL`. */
  collateral?: string;
  /** configfs-tsm report folder; default {@link TSM_REPORT_DIR}. */
  tsmDir?: string;
  /** Where quotes come from; default configfs-tsm in `tsmDir`. */
  quoteSource?: TdxQuoteSource;
}

let entries = 0;

/**
 * A quote source over configfs-tsm.
 * @param tsmDir - the report folder (default {@link TSM_REPORT_DIR})
 */
export function configfsQuoteSource(tsmDir = TSM_REPORT_DIR): TdxQuoteSource {
  return async (reportData) => {
    const entry = join(tsmDir, `zkinfer-${process.pid}-${++entries}`);
    const attr = (name: string) => join(entry, name);
    try {
      mkdirSync(entry);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new AttestationError(code === 'ENOENT' ? `not inside an Intel TDX guest (${tsmDir} not found)` : `configfs-tsm: cannot create ${entry} (${code ?? 'error'})`, { cause });
    }
    try {
      const provider = readFileSync(attr('provider'), 'utf8').trim();
      if (provider !== 'tdx_guest') throw new AttestationError(`configfs-tsm: the report provider is ${JSON.stringify(provider)}, not tdx_guest`);
      writeFileSync(attr('inblob'), reportData);
      const generation = readFileSync(attr('generation'), 'utf8').trim();
      const quote = readFileSync(attr('outblob'));
      if (readFileSync(attr('generation'), 'utf8').trim() !== generation) throw new AttestationError('configfs-tsm: the report changed while it was read (another writer); try again');
      return new Uint8Array(quote);
    } catch (cause) {
      if (cause instanceof AttestationError) throw cause;
      throw new AttestationError(`configfs-tsm: cannot get a quote in ${entry} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    } finally {
      try {
        rmdirSync(entry);
      } catch {
        /* already gone */
      }
    }
  };
}

/** The tdx provider: quotes from configfs-tsm bundled with the operator's collateral. */
export class TdxProvider implements AttestationProvider {
  readonly name = 'tdx' as const;
  readonly format = TDX_FORMAT;
  readonly hardware = true;
  private readonly collateralPath: string | undefined;
  private readonly quoteSource: TdxQuoteSource;

  constructor(options: TdxProviderOptions = {}) {
    this.collateralPath = options.collateral ?? process.env.ZKINFER_TDX_COLLATERAL;
    this.quoteSource = options.quoteSource ?? configfsQuoteSource(options.tsmDir);
  }

  /**
   * Gets a quote binding digest ‖ SHA-256(nonce) and bundles it with the collateral.
   * @throws {InvalidArgumentError} for a digest other than 32 bytes, or sizes assertRequest refuses
   * @throws {AttestationError} outside a TD, when configfs-tsm fails, or without collateral
   */
  async attest(request: AttestationRequest): Promise<Uint8Array> {
    assertRequest(request);
    if (request.userData.length !== 32) throw new InvalidArgumentError(`expected userData to be the 32-byte receipt digest, got ${request.userData.length} bytes`);
    if (!this.collateralPath) throw new AttestationError('tdx provider: no collateral file (set ZKINFER_TDX_COLLATERAL or the collateral option)');
    let collateral: Uint8Array;
    try {
      collateral = new Uint8Array(readFileSync(this.collateralPath));
    } catch (cause) {
      throw new AttestationError(`tdx provider: cannot read the collateral ${this.collateralPath} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
    }
    const quote = await this.quoteSource(receiptReportData(request.userData, request.nonce));
    return encodeTdxBundle({ quote, collateral });
  }
}

/** Creates the tdx provider (no device access until {@link TdxProvider.attest}). */
export function createTdxProvider(options: TdxProviderOptions = {}): TdxProvider {
  return new TdxProvider(options);
}
