/**
 * The recorded Intel TDX quote and its collateral (test/fixtures/tee/tdx, from
 * Phala-Network/dcap-qvl @ 9bffe30 sample/; see test/fixtures/tee/README.md): it verifies
 * at a time inside the collateral's window with TCB status UpToDate (dcap-qvl's verdict for
 * it) and the measurements dcap-qvl's parser records in its snapshot
 * (tests/snapshots/verify_quote__could_parse_tdx_quote.snap), the PCK extensions as
 * `openssl asn1parse` reads them; it is refused at the present time, with a byte flipped
 * anywhere we sample (quote header, TD report, signatures, keys, certification data, PEM,
 * padding; every field of the collateral file), and with another root pinned.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AttestationError, InvalidArgumentError } from '../../src/shared/errors.js';
import { verifyAttestation } from '../../src/tee/registry.js';
import { decodeTdxQuote } from '../../src/tee/tdx/quote.js';
import { INTEL_SGX_ROOT_CA_SHA256, verifyTdxQuote } from '../../src/tee/tdx/verify.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/tee/tdx/${name}`, import.meta.url)));
const QUOTE = fixture('tdx_quote');
const COLLATERAL = fixture('tdx_quote_collateral.json');
const AT = new Date('2025-07-01T00:00:00Z');
/** The collateral's window: QE identity issued 2025-06-19T10:32:27Z (the latest start), PCK CRL next update 2025-07-19T10:00:35Z (the first end). */
const NOT_BEFORE = '2025-06-19T10:32:27.000Z';
const NOT_AFTER = '2025-07-19T10:00:35.000Z';

/** From dcap-qvl's snapshot of this quote (decimal byte arrays there, hex here). */
const EXPECTED = {
  teeTcbSvn: '06010300000000000000000000000000',
  mrSeam: '5b38e33a6487958b72c3c12a938eaa5e3fd4510c51aeeab58c7d5ecee41d7c436489d6c8e4f92f160b7cad34207b00c1',
  mrSignerSeam: '00'.repeat(48),
  seamAttributes: '00'.repeat(8),
  tdAttributes: '0000001000000000',
  xfam: 'e702060000000000',
  mrTd: '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
  mrConfigId: '00'.repeat(48),
  mrOwner: '00'.repeat(48),
  mrOwnerConfig: '00'.repeat(48),
  rtmr0: '44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0',
  rtmr1: '0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378',
  rtmr2: 'd833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132',
  rtmr3: '00'.repeat(48),
  reportData: '9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20',
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('the recorded TDX quote', () => {
  it('verifies at 2025-07-01 with TCB status UpToDate and the measurements dcap-qvl reads', async () => {
    const result = await verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: AT });
    expect(result).toMatchObject({ teeType: 'TDX', quoteVersion: 4, tcbStatus: 'UpToDate', platformTcbStatus: 'UpToDate', qeTcbStatus: 'UpToDate', advisoryIds: [], debug: false });
    expect(result.td).toEqual(EXPECTED);
    expect(result.tdxModule).toEqual({ id: 'TDX_01', status: 'UpToDate' });
    expect(result.tcbDate).toBe('2024-03-13T00:00:00Z');
    expect(result.qe).toEqual({
      mrEnclave: 'e5a3a7b5d830c2953b98534c6c59a3a34fdc34e933f7f5898f0a85cf08846bca',
      mrSigner: 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5',
      isvProdId: 2,
      isvSvn: 6,
    });
    expect(result.platform).toEqual({
      ppid: '811dca2a26b952e85bb6448b097ba4fd',
      tcbComponents: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0],
      pceSvn: 11,
      cpuSvn: '03030202040100050000000000000000',
      pceId: '0000',
      fmspc: 'b0c06f000000',
      sgxType: 1,
    });
    expect(result.pckCertificateChain.map((c) => c.subject.split(',')[0])).toEqual(['CN=Intel SGX Root CA', 'CN=Intel SGX PCK Platform CA', 'CN=Intel SGX PCK Certificate']);
    expect(result.pckCertificateChain[0]!.sha256).toBe(INTEL_SGX_ROOT_CA_SHA256);
    expect(result.validity).toEqual({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER });
    expect(result.verifiedAt).toBe(AT.toISOString());
  });

  it('is the same quote dcap-qvl parses: header fields and padding', () => {
    const quote = decodeTdxQuote(QUOTE);
    expect(Buffer.from(quote.headerUserData).toString('hex')).toBe('889b7d6ff9df2405b240a830e73faf3d00000000');
    expect(Buffer.from(quote.attestationKey).toString('hex')).toBe('c78ac5859b9f567238fad82ad63202bc516ee7ad14ec1d9adfc633e4cf5f71f73d6138ce76d0d9c1443f695464d1ed419c37ce696e70e95a5b317894a5897907');
    expect(Buffer.from(quote.qeAuthData).toString('hex')).toBe('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    expect(QUOTE.length - 4936).toBe(70); // zero padding after the signature data
  });

  it('is valid exactly within its window', async () => {
    const at = (iso: string, ms: number) => new Date(Date.parse(iso) + ms);
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: new Date(NOT_BEFORE) })).resolves.toBeTruthy();
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: new Date(NOT_AFTER) })).resolves.toBeTruthy();
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: at(NOT_BEFORE, -1) })).rejects.toThrow(new AttestationError(`validity: qe_identity is not valid before ${NOT_BEFORE}`));
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: at(NOT_AFTER, 1) })).rejects.toThrow(new AttestationError(`validity: pck_crl expired at ${NOT_AFTER}`));
  });

  it('is refused at the present time: the first item to expire is named', async () => {
    const error = await rejection(verifyTdxQuote(QUOTE, { collateral: COLLATERAL }));
    expect(error).toBeInstanceOf(AttestationError);
    expect(error.message).toBe(`validity: pck_crl expired at ${NOT_AFTER}`);
  });

  it('is refused with another root pinned', async () => {
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: AT, rootFingerprint: 'ab'.repeat(32) })).rejects.toThrow(
      new AttestationError(`certificate chain: PCK chain[2] is not the pinned root (its SHA-256 is ${INTEL_SGX_ROOT_CA_SHA256})`),
    );
  });

  it('applies the policy options: report data, debug, accepted statuses', async () => {
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: AT, expectedReportData: EXPECTED.reportData })).resolves.toBeTruthy();
    const other = `00${EXPECTED.reportData.slice(2)}`;
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: AT, expectedReportData: other })).rejects.toThrow(
      new AttestationError(`policy: report data ${EXPECTED.reportData} does not match the expected ${other}`),
    );
    await expect(verifyTdxQuote(QUOTE, { collateral: COLLATERAL, at: AT, acceptedTcbStatuses: ['OutOfDate'] })).rejects.toThrow(
      new AttestationError('policy: TCB status UpToDate is not accepted (accepted: OutOfDate)'),
    );
  });

  it.each([
    [{ at: AT }, 'invalid option collateral: expected the collateral JSON as bytes'],
    [{ collateral: COLLATERAL, at: 'yesterday' }, 'invalid option at: expected a valid Date'],
    [{ collateral: COLLATERAL, rootFingerprint: 'abcd' }, 'invalid option rootFingerprint: expected 64 hex digits (a SHA-256)'],
    [{ collateral: COLLATERAL, expectedReportData: 'abcd' }, 'invalid option expectedReportData: expected 64 bytes'],
    [
      { collateral: COLLATERAL, acceptedTcbStatuses: ['Fine'] },
      'invalid option acceptedTcbStatuses.0: Invalid option: expected one of "UpToDate"|"SWHardeningNeeded"|"ConfigurationNeeded"|"ConfigurationAndSWHardeningNeeded"|"OutOfDate"|"OutOfDateConfigurationNeeded"|"Revoked"',
    ],
  ])('refuses malformed options: %#', async (options, message) => {
    await expect(verifyTdxQuote(QUOTE, options as never)).rejects.toThrow(new InvalidArgumentError(message));
  });
});

describe('a byte flipped in the quote', () => {
  // Offsets: header 0–47, TD report 48–631 (MRTD at 184, RTMR0 at 376, REPORTDATA at 568),
  // signature data length 632, quote signature 636, attestation key 700, certification data
  // type 764 and size 766, QE report 770, its signature 1154, QE auth data size 1218 and
  // data 1220, PCK certification type 1252 and size 1254, PEM 1258–4935 (leaf, CA, root,
  // NUL), zero padding 4936–5005.
  const SIG = 'signature: the quote signature does not verify with the attestation key';
  const QE_SIG = 'signature: the QE report signature does not verify with the key of PCK chain[0]';
  const QE_DATA = 'signature: the QE report data is not SHA-256(attestation key ‖ QE authentication data) followed by 32 zero bytes';
  it.each([
    [0, 'TDX quote: version 5 is not supported (expected 4)'],
    [2, 'TDX quote: attestation key type 3 is not supported (expected 2, ECDSA-256 with P-256)'],
    [4, 'TDX quote: TEE type 0x80 is not TDX (0x81)'],
    [8, SIG],
    [12, "TDX quote: QE vendor id 929a7233f79c4ca9940a0db3957f0607 is not Intel's (939a7233f79c4ca9940a0db3957f0607)"],
    [30, SIG],
    [48, SIG],
    [64, SIG],
    [168, SIG],
    [184, SIG],
    [376, SIG],
    [568, SIG],
    [631, SIG],
    [632, 'TDX quote: certification data size 4166 does not match the 4167 bytes of signature data that follow'],
    [636, SIG],
    [699, SIG],
    [700, QE_DATA],
    [763, QE_DATA],
    [764, 'TDX quote: certification data type 7 is not supported (expected 6, QE report certification data)'],
    [766, 'TDX quote: certification data size 4167 does not match the 4166 bytes of signature data that follow'],
    [770, QE_SIG],
    [1060, QE_SIG],
    [1154, QE_SIG],
    [1217, QE_SIG],
    [1218, 'TDX quote: PCK certification data type 24064 is not supported (expected 5, PCK certificate chain)'],
    [1220, QE_DATA],
    [1252, 'TDX quote: PCK certification data type 4 is not supported (expected 5, PCK certificate chain)'],
    [1254, 'TDX quote: PCK certification data size 3679 does not match the 3678 bytes of signature data that follow'],
    [1258, 'TDX quote: PCK certificate chain: certificate 0 does not start with "-----BEGIN CERTIFICATE-----" and a line feed'],
    [1290, 'certificate chain: PCK chain[0] is not a valid X.509 certificate'],
    [2000, 'TDX quote: PCK certificate chain: certificate 0 line 11 is not a 64-character base64 line'],
    [2600, 'certificate chain: PCK chain[0] signature does not verify with the key of PCK chain[1]'],
    [3200, 'certificate chain: PCK chain[1] issuer does not match the subject of PCK chain[2]'],
    [3800, 'certificate chain: PCK chain[1] is not a valid X.509 certificate'],
    [4500, 'certificate chain: PCK chain[2] is not the pinned root (its SHA-256 is 490d7e887ac271d7be4697d234050bcbeaf5dd7a339e6bf9de78c94709e40c86)'],
    [4934, 'TDX quote: PCK certificate chain: certificate 2 has no "-----END CERTIFICATE-----" line ending in a line feed'],
    [4935, 'TDX quote: PCK certificate chain: certificate 3 does not start with "-----BEGIN CERTIFICATE-----" and a line feed'],
    [4936, 'TDX quote: non-zero bytes after the signature data (offset 4936)'],
    [5005, 'TDX quote: non-zero bytes after the signature data (offset 5005)'],
  ])('at offset %i is refused', async (offset, message) => {
    const quote = QUOTE.slice();
    quote[offset]! ^= 0x01;
    await expect(verifyTdxQuote(quote, { collateral: COLLATERAL, at: AT })).rejects.toThrow(new AttestationError(message));
  });
});

describe('a byte flipped in the collateral file', () => {
  // Fields start at: pck_crl_issuer_chain 4, root_ca_crl 1970, pck_crl 2575,
  // tcb_info_issuer_chain 7918, tcb_info 9873, tcb_info_signature 13267,
  // qe_identity_issuer_chain 13423, qe_identity 15381, qe_identity_signature 15915.
  it.each([
    [1, 'collateral: not UTF-8 JSON'],
    [60, 'certificate chain: pck_crl_issuer_chain[0] is not a valid X.509 certificate'],
    [1500, 'certificate chain: pck_crl_issuer_chain[1] is not the pinned root (its SHA-256 is d0d218deb55e0ccbeb6f57f809ff8c87252c537e1944872cdf938e6ded1e48fb)'],
    [2300, 'collateral: root_ca_crl signature does not verify with the key of PCK chain[2]'],
    [2500, 'collateral: at "root_ca_crl": expected lower-case hex'],
    [2700, 'collateral: pck_crl is not issued by pck_crl_issuer_chain[0] (CN=Intel SGX PCK Platform CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US)'],
    [5000, 'collateral: pck_crl signature does not verify with the key of pck_crl_issuer_chain[0]'],
    [7000, 'collateral: pck_crl is not a valid CRL: DER element runs past its container'],
    [8000, 'certificate chain: tcb_info_issuer_chain[0] signature does not verify with the key of tcb_info_issuer_chain[1]'],
    [9000, 'certificate chain: tcb_info_issuer_chain[1] is not a valid X.509 certificate'],
    [11000, 'signature: tcb_info_signature does not verify with the key of tcb_info_issuer_chain[0]'],
    [12000, 'collateral: tcb_info is not JSON'],
    [13300, 'signature: tcb_info_signature does not verify with the key of tcb_info_issuer_chain[0]'],
    [14000, 'collateral: qe_identity_issuer_chain: certificate 0 line 8 is not a 64-character base64 line'],
    [15500, 'signature: qe_identity_signature does not verify with the key of qe_identity_issuer_chain[0]'],
    [16000, 'collateral: at "qe_identity_signature": expected lower-case hex'],
    [16071, 'collateral: not UTF-8 JSON'],
  ])('at offset %i is refused', async (offset, message) => {
    const collateral = COLLATERAL.slice();
    collateral[offset]! ^= 0x01;
    await expect(verifyTdxQuote(QUOTE, { collateral, at: AT })).rejects.toThrow(new AttestationError(message));
  });
});

describe('the recorded quote through the vendor registry', () => {
  it('is detected as TDX and needs its collateral', async () => {
    const { vendor, evidence } = await verifyAttestation(QUOTE, { collateral: COLLATERAL, at: AT });
    expect(vendor.name).toBe('tdx');
    expect(evidence).toEqual({
      vendor: 'tdx',
      hardware: true,
      measurements: {
        mrtd: EXPECTED.mrTd,
        rtmr0: EXPECTED.rtmr0,
        rtmr1: EXPECTED.rtmr1,
        rtmr2: EXPECTED.rtmr2,
        rtmr3: EXPECTED.rtmr3,
        mrconfigid: EXPECTED.mrConfigId,
        mrowner: EXPECTED.mrOwner,
        mrownerconfig: EXPECTED.mrOwnerConfig,
        mrseam: EXPECTED.mrSeam,
      },
      reportData: EXPECTED.reportData,
      debug: false,
      tcbStatus: 'UpToDate',
      validity: { notBefore: NOT_BEFORE, notAfter: NOT_AFTER },
      verifiedAt: AT.toISOString(),
    });
    await expect(verifyAttestation(QUOTE, { at: AT })).rejects.toThrow(
      new InvalidArgumentError('invalid option collateral: an Intel TDX quote is verified with its collateral (TCB info, QE identity, CRLs)'),
    );
    await expect(verifyAttestation(QUOTE, { collateral: COLLATERAL, at: AT, expectedNonce: 'ab' })).rejects.toThrow(
      new InvalidArgumentError('invalid option expectedNonce: an Intel TDX quote has no nonce field (bind it in the report data)'),
    );
    await expect(verifyAttestation(QUOTE, { collateral: COLLATERAL, at: AT, expectedUserData: EXPECTED.reportData })).resolves.toBeTruthy();
  });
});
