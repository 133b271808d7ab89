/**
 * The Intel TDX vendor plug-in (src/tee/vendor.ts): DCAP quotes v4 verified with their
 * collateral against the pinned Intel SGX Root CA (verify.ts). Measurements are named as
 * Intel names them — `mrtd`, `rtmr0` … `rtmr3`, `mrconfigid`, `mrowner`, `mrownerconfig`,
 * `mrseam` —, the report data is REPORTDATA, the status is the platform's TCB status, and
 * a quote has no nonce and no signed time. A document is either a raw quote (with the
 * collateral beside it, `attest verify --collateral`) or a bundle of both (evidence.ts),
 * the form receipts carry; a receipt's quote must bind digest ‖ SHA-256(nonce) and is
 * verified at the evaluation time (or when its collateral expired, if earlier: the policy
 * then sees evidence that old), every TCB status passed on to the policy
 * (`vendors.tdx.acceptedTcbStatuses`, default `UpToDate` only).
 */
import { AttestationError, InvalidArgumentError } from '../../shared/errors.js';
import { bytesOf, type AttestationEvidence, type AttestationVendor, type VendorVerification, type VerifyEvidenceOptions } from '../vendor.js';
import { TCB_STATUSES, type TcbStatus } from './collateral.js';
import { decodeTdxBundle, looksLikeTdxBundle, receiptReportDataHex, TDX_FORMAT } from './evidence.js';
import { createTdxProvider, type TdxProviderOptions } from './provider.js';
import { looksLikeTdxQuote } from './quote.js';
import { collateralExpiry, verifyTdxQuote, type TdxVerification, type TdxVerifyOptions } from './verify.js';

/**
 * The vendor-neutral evidence of a verified quote.
 * @param v - the result of `verifyTdxQuote`
 */
export function tdxEvidence(v: TdxVerification): AttestationEvidence {
  const { td } = v;
  return {
    vendor: 'tdx',
    hardware: true,
    measurements: {
      mrtd: td.mrTd,
      rtmr0: td.rtmr0,
      rtmr1: td.rtmr1,
      rtmr2: td.rtmr2,
      rtmr3: td.rtmr3,
      mrconfigid: td.mrConfigId,
      mrowner: td.mrOwner,
      mrownerconfig: td.mrOwnerConfig,
      mrseam: td.mrSeam,
    },
    reportData: td.reportData,
    debug: v.debug,
    tcbStatus: v.tcbStatus,
    validity: v.validity,
    verifiedAt: v.verifiedAt,
  };
}

function summarize(v: TdxVerification): string[] {
  const parts = [`platform ${v.platformTcbStatus}`, ...(v.tdxModule ? [`TDX module ${v.tdxModule.id} ${v.tdxModule.status}`] : []), `QE ${v.qeTcbStatus}`];
  const root = v.pckCertificateChain[0]!;
  return [
    `  TCB status  ${v.tcbStatus} (${parts.join(', ')}), TCB date ${v.tcbDate}${v.advisoryIds.length > 0 ? `, advisories ${v.advisoryIds.join(' ')}` : ''}`,
    `  debug       ${v.debug ? 'yes (TDATTRIBUTES.DEBUG is set)' : 'no'}`,
    `  MRTD        ${v.td.mrTd}`,
    ...([0, 1, 2, 3] as const).map((i) => `  RTMR${i}       ${v.td[`rtmr${i}`]}`),
    `  report data ${v.td.reportData}`,
    `  platform    FMSPC ${v.platform.fmspc}, PCE-ID ${v.platform.pceId}, PCESVN ${v.platform.pceSvn}`,
    `  chain       ${v.pckCertificateChain.length} certificates, root SHA-256 ${root.sha256}`,
    `  valid       ${v.validity.notBefore} to ${v.validity.notAfter}, checked at ${v.verifiedAt}`,
  ];
}

/** The quote and collateral of a document: a bundle, or a raw quote with the collateral option. */
function quoteAndCollateral(document: Uint8Array, collateral: Uint8Array | undefined): { quote: Uint8Array; collateral: Uint8Array } {
  if (looksLikeTdxBundle(document)) {
    if (collateral !== undefined) throw new InvalidArgumentError('invalid option collateral: the TDX evidence bundle carries its own collateral');
    return decodeTdxBundle(document);
  }
  if (collateral === undefined) throw new InvalidArgumentError('invalid option collateral: an Intel TDX quote is verified with its collateral (TCB info, QE identity, CRLs)');
  return { quote: document, collateral };
}

function tdxOptions(options: VerifyEvidenceOptions, collateral: Uint8Array): TdxVerifyOptions {
  if (options.expectedNonce !== undefined) throw new InvalidArgumentError('invalid option expectedNonce: an Intel TDX quote has no nonce field (bind it in the report data)');
  const out: TdxVerifyOptions = { collateral };
  if (options.at !== undefined) out.at = options.at;
  if (options.rootFingerprint !== undefined) out.rootFingerprint = options.rootFingerprint;
  if (options.allowDebug !== undefined) out.allowDebug = options.allowDebug;
  if (options.acceptedTcbStatuses !== undefined) out.acceptedTcbStatuses = options.acceptedTcbStatuses as TcbStatus[];
  if (options.expectedUserData !== undefined) out.expectedReportData = bytesOf(options.expectedUserData, 'expectedUserData');
  return out;
}

/** The `tdx` vendor. */
export const tdxVendor: AttestationVendor = {
  name: 'tdx',
  format: TDX_FORMAT,
  title: 'an Intel TDX quote (DCAP v4)',
  hardware: true,
  measurements: {
    keys: /^(?:mrtd|rtmr[0-3]|mrconfigid|mrowner|mrownerconfig|mrseam)$/,
    keysText: 'mrtd, rtmr0 to rtmr3, mrconfigid, mrowner, mrownerconfig, mrseam',
    bytes: [48],
    noun: 'TD measurements',
  },
  tcbStatuses: TCB_STATUSES,
  debugReason: 'debug TD (TDATTRIBUTES.DEBUG is set)',

  detect: (document) => looksLikeTdxQuote(document) || looksLikeTdxBundle(document),

  async verify(document, options): Promise<VendorVerification> {
    const parts = quoteAndCollateral(document, options.collateral);
    const report = await verifyTdxQuote(parts.quote, tdxOptions(options, parts.collateral));
    return { evidence: tdxEvidence(report), report, summary: summarize(report) };
  },

  async verifyReceiptEvidence(document, { digest, nonce, now, rootFingerprint }) {
    if (!looksLikeTdxBundle(document)) throw new AttestationError(`TDX evidence: a receipt's document must be a ${TDX_FORMAT} bundle`);
    const { quote, collateral } = decodeTdxBundle(document);
    // A quote has no signed time: it is verified at the evaluation time or, when its collateral has expired since,
    // at the collateral's last valid instant (the evidence is then that old, and the policy's age rule decides).
    // Whether its TCB status and debug flag count is the policy's call too.
    const expiry = collateralExpiry(collateral);
    const at = now.getTime() > expiry.getTime() ? expiry : now;
    const report = await verifyTdxQuote(quote, { collateral, at, allowDebug: true, acceptedTcbStatuses: TCB_STATUSES, ...(rootFingerprint ? { rootFingerprint } : {}) });
    const expected = receiptReportDataHex(digest, nonce);
    if (report.td.reportData !== expected) throw new AttestationError(`TDX evidence: report data ${report.td.reportData} is not the receipt digest ‖ SHA-256(nonce) ${expected}`);
    return tdxEvidence(report);
  },

  createProvider: (options) => createTdxProvider(options as TdxProviderOptions | undefined),
};
