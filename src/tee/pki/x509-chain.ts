/**
 * Certificate path validation for attestation evidence, shared by the vendors whose
 * evidence carries an X.509 chain (AWS Nitro: "Verifying the root of trust" in the AWS
 * Nitro Enclaves User Guide, `cabundle` root first and the leaf `certificate`; Intel DCAP:
 * the PCK chain of a quote and the signing chains of its collateral). It applies the parts
 * of RFC 5280 §6.1 that fit a fixed, ordered chain:
 *
 * - the root (first) is pinned by the SHA-256 of its DER encoding;
 * - each certificate's issuer name equals the previous certificate's subject and its
 *   signature verifies with the previous certificate's key (the root is self-signed);
 * - signatures are `ecdsa-with-SHA384` or `ecdsa-with-SHA256` (RFC 5758 §3.2), keys EC
 *   P-384 or P-256 (RFC 5480); a vendor may require one curve for the leaf (Nitro: P-384,
 *   the leaf signs with ES384; every certificate in the three recorded AWS chains is
 *   P-384/SHA-384);
 * - CA certificates have basic constraints `cA: true` and key usage `keyCertSign`, and
 *   their path length constraints hold; the leaf is not a CA and has `digitalSignature`
 *   (or, for a chain that ends at a CRL issuer, is a CA with `cRLSign`);
 * - no unknown critical extension; every certificate is valid at the given time.
 *
 * Order: parse every certificate, pin the root, algorithms/keys/extensions, names, then
 * the signatures (run concurrently, the first failure reported in chain order), and
 * validity in time last, checked from the leaf up, so that an "expired" verdict is only
 * ever given for an otherwise authentic chain. A vendor whose evidence has other
 * time-bounded parts (Intel collateral) may leave the time out and check one window.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AttestationError } from '../../shared/errors.js';
import { CURVE_SCALAR_BYTES, importEcdsaPublicKey, verifyEcdsa, type EcCurve, type EcHash, type EcPublicKey } from './ecdsa.js';
import { ecdsaDerToRaw, KEY_USAGE_BIT, parseX509Certificate, type X509Fields } from './x509-certificate.js';

/** One certificate of a verified chain, for reports. */
export interface CertificateSummary {
  /** Where the certificate came from, e.g. `cabundle[i]` or `certificate` (the Nitro leaf). */
  label: string;
  subject: string;
  issuer: string;
  /** Serial number, hex. */
  serialNumber: string;
  /** Start of validity, ISO 8601. */
  notBefore: string;
  /** End of validity, ISO 8601. */
  notAfter: string;
  /** SHA-256 of the DER encoding, hex. */
  sha256: string;
}

/** A certificate to place in a chain, with the name used in error messages. */
export interface ChainInput {
  label: string;
  der: Uint8Array;
}

/** Options for {@link verifyCertificateChain}. */
export interface ChainOptions {
  /** Time at which every certificate must be valid; when absent, the caller checks validity (e.g. with the collateral's). */
  at?: Date;
  /** Lower-case hex SHA-256 of the pinned root's DER. */
  rootFingerprint: string;
  /** The curve the leaf key must be on, and what the leaf signs (for the message); any accepted curve when absent. */
  leafKey?: { curve: EcCurve; purpose: string };
  /** The chain ends at a CA that signs a CRL (the last certificate must be a CA with cRLSign), not at an end entity. */
  crlIssuer?: boolean;
}

/** The outcome of a successful chain verification. */
export interface VerifiedChain {
  /** The leaf's public key (for the evidence's signature). */
  leafKey: EcPublicKey;
  /** Root first, leaf last. */
  certificates: CertificateSummary[];
  /** Every certificate's public key, root first (for signatures the vendor checks besides the chain's). */
  keys: EcPublicKey[];
  /** Every certificate's parsed fields, root first (for vendor extensions, names and serial numbers). */
  fields: X509Fields[];
}

// basicConstraints and keyUsage: the only extensions this validator acts on.
const UNDERSTOOD_CRITICAL = new Set(['2.5.29.19', '2.5.29.15']);

// DER AlgorithmIdentifier of ecdsa-with-SHA256/384 (1.2.840.10045.4.3.2/3), parameters absent.
const SIGNATURE_ALGORITHMS: ReadonlyArray<{ der: string; hash: EcHash }> = [
  { der: '300a06082a8648ce3d040302', hash: 'SHA-256' },
  { der: '300a06082a8648ce3d040303', hash: 'SHA-384' },
];
// DER SubjectPublicKeyInfo prefixes for id-ecPublicKey on each curve, uncompressed point.
const SPKI_PREFIXES: ReadonlyArray<{ prefix: string; curve: EcCurve; length: number }> = [
  { prefix: '3076301006072a8648ce3d020106052b81040022036200' + '04', curve: 'P-384', length: 120 },
  { prefix: '3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04', curve: 'P-256', length: 91 },
];

interface ParsedCertificate extends X509Fields {
  label: string;
  summary: CertificateSummary;
}

function fail(message: string, cause?: unknown): never {
  throw new AttestationError(`certificate chain: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Parsed certificates by the SHA-256 of their DER. Parsing is a pure function of the bytes
 * and the root and intermediates of Nitro chains repeat across documents, so a bounded memo
 * (oldest dropped first) saves the ASN.1 work; every check on the fields still runs for
 * every document. Failed parses are not cached.
 */
const parsedCache = new Map<string, X509Fields>();
const PARSED_CACHE_LIMIT = 256;

/** Empties the parsed-certificate memo (for cold-start measurements and tests). */
export function clearCertificateCache(): void {
  parsedCache.clear();
}

function parseCertificate({ label, der }: ChainInput): ParsedCertificate {
  const id = bytesToHex(sha256(der));
  let fields = parsedCache.get(id);
  if (!fields) {
    try {
      fields = parseX509Certificate(der);
    } catch (error) {
      fail(`${label} is not a valid X.509 certificate`, error);
    }
    if (parsedCache.size >= PARSED_CACHE_LIMIT) parsedCache.delete(parsedCache.keys().next().value!);
    parsedCache.set(id, fields);
  }
  const summary: CertificateSummary = {
    label,
    subject: fields.subject,
    issuer: fields.issuer,
    serialNumber: fields.serialNumber,
    notBefore: fields.notBefore.toISOString(),
    notAfter: fields.notAfter.toISOString(),
    sha256: id,
  };
  return { ...fields, label, summary };
}

function signatureHash(c: ParsedCertificate): EcHash {
  const outer = bytesToHex(c.signatureAlgorithm);
  if (outer !== bytesToHex(c.tbsSignatureAlgorithm)) fail(`${c.label} has different signature algorithms inside and outside tbsCertificate`);
  const known = SIGNATURE_ALGORITHMS.find((a) => a.der === outer);
  if (!known) fail(`${c.label} uses an unsupported signature algorithm (expected ECDSA with SHA-256 or SHA-384)`);
  return known.hash;
}

function keyCurve(c: ParsedCertificate): EcCurve {
  const hex = bytesToHex(c.spki);
  const known = SPKI_PREFIXES.find((k) => c.spki.length === k.length && hex.startsWith(k.prefix));
  if (!known) fail(`${c.label} has an unsupported public key (expected EC P-256 or P-384, uncompressed)`);
  return known.curve;
}

function checkExtensions(c: ParsedCertificate, isLeaf: boolean, intermediatesBelow: number, crlIssuer: boolean): void {
  for (const { oid, critical } of c.extensions) {
    if (critical && !UNDERSTOOD_CRITICAL.has(oid)) fail(`${c.label} has an unsupported critical extension ${oid}`);
  }
  const bc = c.basicConstraints;
  const usages = c.keyUsage;
  if (isLeaf && crlIssuer) {
    if (!bc?.ca) fail(`${c.label} is not a CA certificate (basic constraints)`);
    if (usages === undefined) fail(`${c.label} has no key usage extension`);
    if (!usages.has(KEY_USAGE_BIT.cRLSign)) fail(`${c.label} key usage does not include cRLSign`);
    return;
  }
  if (isLeaf) {
    if (bc?.ca) fail(`${c.label} is a CA certificate, expected an end-entity certificate`);
    if (usages === undefined) fail(`${c.label} has no key usage extension`);
    if (!usages.has(KEY_USAGE_BIT.digitalSignature)) fail(`${c.label} key usage does not include digitalSignature`);
    return;
  }
  if (!bc?.ca) fail(`${c.label} is not a CA certificate (basic constraints)`);
  if (bc.pathLength !== undefined && intermediatesBelow > bc.pathLength) {
    fail(`${c.label} path length constraint ${bc.pathLength} exceeded by ${intermediatesBelow} intermediate certificates`);
  }
  if (usages === undefined) fail(`${c.label} has no key usage extension`);
  if (!usages.has(KEY_USAGE_BIT.keyCertSign)) fail(`${c.label} key usage does not include keyCertSign`);
}

/**
 * Verifies an ordered certificate chain: root (pinned) first, leaf last.
 * @param chain - certificates, root first; at least the root and the leaf
 * @param options - verification time and pinned root fingerprint
 * @returns the leaf's key and a summary of every certificate
 * @throws {AttestationError} one line starting "certificate chain:" naming the certificate
 */
export async function verifyCertificateChain(chain: readonly ChainInput[], options: ChainOptions): Promise<VerifiedChain> {
  if (chain.length < 2) fail('needs at least a root and a leaf certificate');
  const certs = chain.map(parseCertificate);
  const root = certs[0];
  const leafIndex = certs.length - 1;

  if (root.summary.sha256 !== options.rootFingerprint) {
    fail(`${root.label} is not the pinned root (its SHA-256 is ${root.summary.sha256})`);
  }

  const hashes = certs.map(signatureHash);
  const curves = certs.map(keyCurve);
  const leafKey = options.leafKey;
  if (leafKey && curves[leafIndex] !== leafKey.curve) fail(`${certs[leafIndex].label} key is ${curves[leafIndex]}, expected ${leafKey.curve} for ${leafKey.purpose}`);
  certs.forEach((c, i) => checkExtensions(c, i === leafIndex, Math.max(0, leafIndex - 1 - i), options.crlIssuer === true));

  // Names and signature encodings first (no crypto), in chain order.
  const signatures = certs.map((c, i) => {
    const issuer = certs[Math.max(0, i - 1)];
    if (c.issuerDer !== issuer.subjectDer) {
      fail(i === 0 ? `${c.label} is not self-issued` : `${c.label} issuer does not match the subject of ${issuer.label}`);
    }
    try {
      return ecdsaDerToRaw(c.signatureValue, CURVE_SCALAR_BYTES[curves[Math.max(0, i - 1)]]);
    } catch (error) {
      fail(`${c.label} signature is not a valid ECDSA signature encoding`, error);
    }
  });

  // The key imports and signature checks are independent: run them together (six P-384
  // verifications dominate the cost), then report the first failure in chain order.
  const keys = await Promise.all(certs.map((c, i) => importEcdsaPublicKey(c.spki, curves[i]).catch((error: unknown) => error)));
  keys.forEach((key, i) => {
    if (!(key && typeof key === 'object' && 'key' in key)) fail(`${certs[i].label} public key is not a valid ${curves[i]} point`, key);
  });
  const publicKeys = keys as EcPublicKey[];
  const verdicts = await Promise.all(certs.map((c, i) => verifyEcdsa(publicKeys[Math.max(0, i - 1)], hashes[i], signatures[i], c.tbs)));
  verdicts.forEach((valid, i) => {
    if (!valid) fail(i === 0 ? `${certs[i].label} self-signature does not verify` : `${certs[i].label} signature does not verify with the key of ${certs[i - 1].label}`);
  });

  const at = options.at?.getTime();
  for (let i = leafIndex; at !== undefined && i >= 0; i--) {
    const c = certs[i];
    if (at < c.notBefore.getTime()) fail(`${c.label} is not valid before ${c.summary.notBefore}`);
    if (at > c.notAfter.getTime()) fail(`${c.label} expired at ${c.summary.notAfter}`);
  }

  return { leafKey: publicKeys[leafIndex], certificates: certs.map((c) => c.summary), keys: publicKeys, fields: certs };
}
