/**
 * Strict PEM for the certificate chains Intel DCAP carries as text (the PCK chain inside a
 * quote, the issuer chains of the collateral): RFC 7468's strict form — `-----BEGIN
 * CERTIFICATE-----`, base64 lines of exactly 64 characters but the last (1 to 64), `\n`
 * line ends, `-----END CERTIFICATE-----` and `\n` — repeated, and nothing else but, for
 * a quote, one terminating NUL (the quoting library writes a C string). The base64 must be
 * canonical (re-encoding gives the same text), so that no byte of the text can change
 * without changing a certificate.
 */

const BEGIN = '-----BEGIN CERTIFICATE-----\n';
const END = '-----END CERTIFICATE-----\n';
const LINE = /^[A-Za-z0-9+/]{1,64}={0,2}$/;
/** Most certificates in one chain. */
export const MAX_CHAIN_CERTIFICATES = 8;

/**
 * Splits a strict PEM chain into DER certificates, in the order written.
 * @param text - the chain
 * @param options.trailingNul - accept (and require nothing more than) one NUL at the end
 * @returns the DER certificates
 * @throws {Error} a plain description of the first problem (the caller names the field)
 */
export function parsePemCertificates(text: string, options: { trailingNul?: boolean } = {}): Uint8Array[] {
  let rest = options.trailingNul && text.endsWith('\0') ? text.slice(0, -1) : text;
  const out: Uint8Array[] = [];
  while (rest.length > 0) {
    if (out.length === MAX_CHAIN_CERTIFICATES) throw new Error(`more than ${MAX_CHAIN_CERTIFICATES} certificates`);
    const n = out.length;
    if (!rest.startsWith(BEGIN)) throw new Error(`certificate ${n} does not start with "-----BEGIN CERTIFICATE-----" and a line feed`);
    const end = rest.indexOf(END, BEGIN.length);
    if (end < 0) throw new Error(`certificate ${n} has no "-----END CERTIFICATE-----" line ending in a line feed`);
    const body = rest.slice(BEGIN.length, end);
    const lines = body.split('\n');
    if (lines.pop() !== '') throw new Error(`certificate ${n} base64 does not end with a line feed`);
    if (lines.length === 0) throw new Error(`certificate ${n} is empty`);
    lines.forEach((line, i) => {
      if (!LINE.test(line) || (i < lines.length - 1 && line.length !== 64)) throw new Error(`certificate ${n} line ${i + 1} is not a 64-character base64 line`);
    });
    const base64 = lines.join('');
    const der = Buffer.from(base64, 'base64');
    if (der.toString('base64') !== base64) throw new Error(`certificate ${n} base64 is not canonical`);
    out.push(new Uint8Array(der));
    rest = rest.slice(end + END.length);
  }
  if (out.length === 0) throw new Error('no certificate');
  return out;
}
