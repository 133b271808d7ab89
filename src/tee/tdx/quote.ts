/**
 * The Intel TDX DCAP quote, version 4, decoded byte by byte as the Intel TDX DCAP Quoting
 * Library API (appendix "Quote format", v4) lays it out, little-endian throughout:
 *
 * ```
 * header (48)        version u16 = 4, attestation key type u16 = 2 (ECDSA-256 with P-256),
 *                    TEE type u32 = 0x81 (TDX), reserved u16 ×2, QE vendor id (16),
 *                    user data (20)
 * TD report (584)    TEE_TCB_SVN (16), MRSEAM (48), MRSIGNERSEAM (48), SEAMATTRIBUTES (8),
 *                    TDATTRIBUTES (8), XFAM (8), MRTD (48), MRCONFIGID (48), MROWNER (48),
 *                    MROWNERCONFIG (48), RTMR0–3 (48 each), REPORTDATA (64)
 * signature data     length u32, then: quote signature r‖s (64) over header ‖ TD report,
 *                    ECDSA attestation key x‖y (64), certification data: type u16 = 6
 *                    (QE report certification data), size u32, then
 *                      QE report (384, an SGX report body), QE report signature r‖s (64),
 *                      QE authentication data: size u16, data,
 *                      certification data: type u16 = 5 (PCK certificate chain), size u32,
 *                      the PEM chain (PCK leaf first, then its CA, then the root)
 * ```
 *
 * Every length must add up exactly: every size field must match what it frames, and after
 * the signature data only zero bytes may follow (the quote buffer's padding: the recorded
 * quote has 70), so no byte of a quote is left unchecked.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { AttestationError } from '../../shared/errors.js';

/** TEE type of TDX in the quote header. */
export const TEE_TYPE_TDX = 0x81;
/** Attestation key type 2: ECDSA-256 with P-256. */
export const ATTESTATION_KEY_ECDSA_P256 = 2;
/** Intel's QE vendor id (939A7233-F79C-4CA9-940A-0DB3957F0607). */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
/** Bytes of the header and of the TD report body (v4, TDX 1.0 report). */
export const HEADER_BYTES = 48;
export const TD_REPORT_BYTES = 584;
/** Largest quote accepted (real ones are about 5 KiB). */
export const MAX_QUOTE_BYTES = 64 * 1024;

/** The TD report body: the TD's measurements and configuration. */
export interface TdReport {
  /** TEE_TCB_SVN, the TDX module's and its platform's security versions (16 bytes). */
  teeTcbSvn: Uint8Array;
  mrSeam: Uint8Array;
  mrSignerSeam: Uint8Array;
  seamAttributes: Uint8Array;
  tdAttributes: Uint8Array;
  xfam: Uint8Array;
  mrTd: Uint8Array;
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  /** RTMR0 to RTMR3. */
  rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  reportData: Uint8Array;
}

/** The quoting enclave's SGX report body (384 bytes), as far as verification reads it. */
export interface QeReport {
  /** The 384 bytes the PCK key signed. */
  raw: Uint8Array;
  cpuSvn: Uint8Array;
  miscSelect: number;
  attributes: Uint8Array;
  mrEnclave: Uint8Array;
  mrSigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

/** A structurally valid TDX quote v4 whose signatures are not yet checked. */
export interface TdxQuote {
  version: 4;
  /** Header user data (20 bytes; the QE's, unsigned by the TD). */
  headerUserData: Uint8Array;
  report: TdReport;
  /** Header ‖ TD report: the bytes the attestation key signed. */
  signedBytes: Uint8Array;
  /** Quote signature r‖s. */
  signature: Uint8Array;
  /** Attestation public key x‖y (64 bytes). */
  attestationKey: Uint8Array;
  qeReport: QeReport;
  /** QE report signature r‖s, by the PCK key. */
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** The PEM certificate chain as sent (PCK leaf first), trailing NUL included. */
  pckChainPem: Uint8Array;
}

function fail(message: string): never {
  throw new AttestationError(`TDX quote: ${message}`);
}

/** A bounds-checked little-endian reader over the quote. */
class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  take(n: number, what: string): Uint8Array {
    if (this.offset + n > this.bytes.length) fail(`truncated in ${what} (needs ${n} bytes at offset ${this.offset}, ${this.bytes.length - this.offset} left)`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return b[0]! | (b[1]! << 8);
  }

  u32(what: string): number {
    const b = this.take(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16)) + b[3]! * 2 ** 24;
  }
}

function readTdReport(r: Reader): TdReport {
  const take = (n: number, what: string) => r.take(n, `TD report ${what}`);
  return {
    teeTcbSvn: take(16, 'TEE_TCB_SVN'),
    mrSeam: take(48, 'MRSEAM'),
    mrSignerSeam: take(48, 'MRSIGNERSEAM'),
    seamAttributes: take(8, 'SEAMATTRIBUTES'),
    tdAttributes: take(8, 'TDATTRIBUTES'),
    xfam: take(8, 'XFAM'),
    mrTd: take(48, 'MRTD'),
    mrConfigId: take(48, 'MRCONFIGID'),
    mrOwner: take(48, 'MROWNER'),
    mrOwnerConfig: take(48, 'MROWNERCONFIG'),
    rtmrs: [take(48, 'RTMR0'), take(48, 'RTMR1'), take(48, 'RTMR2'), take(48, 'RTMR3')],
    reportData: take(64, 'REPORTDATA'),
  };
}

/**
 * Reads an SGX report body (the QE report): CPUSVN at 0, MISCSELECT at 16, ATTRIBUTES at
 * 48, MRENCLAVE at 64, MRSIGNER at 128, ISVPRODID at 256, ISVSVN at 258, REPORTDATA at 320.
 */
function readQeReport(raw: Uint8Array): QeReport {
  const u16 = (at: number) => raw[at]! | (raw[at + 1]! << 8);
  return {
    raw,
    cpuSvn: raw.subarray(0, 16),
    miscSelect: (raw[16]! | (raw[17]! << 8) | (raw[18]! << 16)) + raw[19]! * 2 ** 24,
    attributes: raw.subarray(48, 64),
    mrEnclave: raw.subarray(64, 96),
    mrSigner: raw.subarray(128, 160),
    isvProdId: u16(256),
    isvSvn: u16(258),
    reportData: raw.subarray(320, 384),
  };
}

/**
 * Tells whether bytes start like a TDX quote: version 4 or 5, ECDSA P-256 key, TEE type TDX.
 * @param bytes - candidate document
 */
export function looksLikeTdxQuote(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 &&
    (bytes[0] === 4 || bytes[0] === 5) &&
    bytes[1] === 0 &&
    bytes[2] === ATTESTATION_KEY_ECDSA_P256 &&
    bytes[3] === 0 &&
    bytes[4] === TEE_TYPE_TDX &&
    bytes[5] === 0 &&
    bytes[6] === 0 &&
    bytes[7] === 0
  );
}

/**
 * Decodes a TDX DCAP quote v4 with every structural check and no cryptographic one.
 * @param bytes - the quote as the quoting enclave wrote it
 * @returns its fields, with the bytes each signature covers
 * @throws {AttestationError} one line starting "TDX quote:" naming the field that is wrong
 */
export function decodeTdxQuote(bytes: Uint8Array): TdxQuote {
  if (!(bytes instanceof Uint8Array)) fail('expected bytes');
  if (bytes.length > MAX_QUOTE_BYTES) fail(`${bytes.length} bytes, more than the ${MAX_QUOTE_BYTES} allowed`);
  const r = new Reader(bytes);
  const version = r.u16('header version');
  if (version !== 4) fail(`version ${version} is not supported (expected 4)`);
  const keyType = r.u16('header attestation key type');
  if (keyType !== ATTESTATION_KEY_ECDSA_P256) fail(`attestation key type ${keyType} is not supported (expected 2, ECDSA-256 with P-256)`);
  const teeType = r.u32('header TEE type');
  if (teeType !== TEE_TYPE_TDX) fail(`TEE type 0x${teeType.toString(16)} is not TDX (0x81)`);
  r.take(4, 'header reserved bytes');
  const vendor = bytesToHex(r.take(16, 'header QE vendor id'));
  if (vendor !== INTEL_QE_VENDOR_ID) fail(`QE vendor id ${vendor} is not Intel's (${INTEL_QE_VENDOR_ID})`);
  const headerUserData = r.take(20, 'header user data');
  const report = readTdReport(r);
  const signedBytes = bytes.subarray(0, HEADER_BYTES + TD_REPORT_BYTES);

  const signatureDataLength = r.u32('signature data length');
  const end = r.offset + signatureDataLength;
  if (end > bytes.length) fail(`signature data length ${signatureDataLength} exceeds the ${bytes.length - r.offset} bytes that follow`);
  const padding = bytes.subarray(end);
  if (padding.some((b) => b !== 0)) fail(`non-zero bytes after the signature data (offset ${end + padding.findIndex((b) => b !== 0)})`);
  const signature = r.take(64, 'quote signature');
  const attestationKey = r.take(64, 'attestation key');
  const outerType = r.u16('certification data type');
  if (outerType !== 6) fail(`certification data type ${outerType} is not supported (expected 6, QE report certification data)`);
  const outerSize = r.u32('certification data size');
  if (r.offset + outerSize !== end) fail(`certification data size ${outerSize} does not match the ${end - r.offset} bytes of signature data that follow`);
  const qeReport = readQeReport(r.take(384, 'QE report'));
  const qeReportSignature = r.take(64, 'QE report signature');
  const authSize = r.u16('QE authentication data size');
  const qeAuthData = r.take(authSize, 'QE authentication data');
  const innerType = r.u16('PCK certification data type');
  if (innerType !== 5) fail(`PCK certification data type ${innerType} is not supported (expected 5, PCK certificate chain)`);
  const innerSize = r.u32('PCK certification data size');
  if (r.offset + innerSize !== end) fail(`PCK certification data size ${innerSize} does not match the ${end - r.offset} bytes of signature data that follow`);
  const pckChainPem = r.take(innerSize, 'PCK certificate chain');
  return { version: 4, headerUserData, report, signedBytes, signature, attestationKey, qeReport, qeReportSignature, qeAuthData, pckChainPem };
}
