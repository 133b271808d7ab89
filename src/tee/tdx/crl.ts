/**
 * X.509 certificate revocation lists (RFC 5280 §5) as Intel DCAP collateral carries them:
 * the Intel SGX Root CA's CRL (revoking the CAs it issued: PCK Platform/Processor CA, TCB
 * signing) and the PCK CA's CRL (revoking PCK certificates). Decoding is PKI.js on the
 * project's strict DER reader (src/tee/pki/x509-certificate.ts `readDer`); the signed
 * `tbsCertList` is taken from the input bytes, never re-encoded. Only what Intel issues is
 * accepted: version 2, ecdsa-with-SHA256 inside and outside, no critical extension.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import * as asn1js from 'asn1js';
import { CertificateRevocationList } from 'pkijs';
import { readDer } from '../pki/x509-certificate.js';

/** DER AlgorithmIdentifier of ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent. */
const ECDSA_WITH_SHA256 = '300a06082a8648ce3d040302';

/** The parts of a CRL that revocation checking uses. */
export interface Crl {
  /** The DER tbsCertList: the bytes the issuer signed. */
  tbs: Uint8Array;
  /** The DER ECDSA signature. */
  signature: Uint8Array;
  /** DER of the issuer Name, hex (compared with the issuing certificate's subject). */
  issuerDer: string;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Revoked serial numbers, hex, as the certificates encode them. */
  revokedSerials: Set<string>;
}

const childrenOf = (block: asn1js.BaseBlock | undefined): asn1js.BaseBlock[] => (block instanceof asn1js.Constructed ? block.valueBlock.value : []);

/**
 * Parses a DER CRL.
 * @param der - the CRL; nothing may follow it
 * @returns its signed bytes, signature, issuer, validity and revoked serial numbers
 * @throws {Error} a plain description of the first structural problem (the caller names the field)
 */
export function parseCrl(der: Uint8Array): Crl {
  const root = readDer(der, 'CRL');
  let crl: CertificateRevocationList;
  try {
    crl = new CertificateRevocationList({ schema: root });
  } catch (error) {
    throw new Error('not an X.509 CertificateList structure', { cause: error });
  }
  const [tbsBlock, algorithm, ...rest] = childrenOf(root);
  if (rest.length !== 1) throw new Error('trailing fields inside the CRL');
  const tbsFields = childrenOf(tbsBlock);
  if (crl.version !== 1 || !(tbsFields[0] instanceof asn1js.Integer)) throw new Error('expected a version 2 CRL');
  if (bytesToHex(algorithm!.valueBeforeDecodeView) !== ECDSA_WITH_SHA256 || bytesToHex(tbsFields[1]!.valueBeforeDecodeView) !== ECDSA_WITH_SHA256) {
    throw new Error('expected ecdsa-with-SHA256 inside and outside tbsCertList');
  }
  if (crl.signatureValue.valueBlock.unusedBits !== 0) throw new Error('signatureValue has unused bits');
  if (!crl.nextUpdate) throw new Error('no nextUpdate');
  const expected = 5 + (crl.revokedCertificates ? 1 : 0) + (crl.crlExtensions ? 1 : 0);
  if (tbsFields.length !== expected) throw new Error('unexpected fields in tbsCertList');
  for (const ext of crl.crlExtensions?.extensions ?? []) if (ext.critical) throw new Error(`unsupported critical CRL extension ${ext.extnID}`);
  const revokedSerials = new Set<string>();
  for (const entry of crl.revokedCertificates ?? []) {
    for (const ext of entry.crlEntryExtensions?.extensions ?? []) if (ext.critical) throw new Error(`unsupported critical CRL entry extension ${ext.extnID}`);
    revokedSerials.add(bytesToHex(entry.userCertificate.valueBlock.valueHexView));
  }
  return {
    tbs: crl.tbsView,
    signature: crl.signatureValue.valueBlock.valueHexView,
    issuerDer: bytesToHex(new Uint8Array(crl.issuer.valueBeforeDecode)),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate.value,
    revokedSerials,
  };
}
