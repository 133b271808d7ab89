/**
 * The Intel SGX extensions of a PCK certificate (Intel "SGX PCK Certificate and
 * Certificate Revocation List Profile Specification", OID 1.2.840.113741.1.13.1): the
 * platform's identity and the TCB the certificate was issued for, which TCB level
 * matching compares with the collateral's TCB info.
 *
 * ```
 * SGXExtensions ::= SEQUENCE OF SEQUENCE { OID, value }
 *   .1 PPID OCTET STRING (16)        .2 TCB SEQUENCE OF SEQUENCE { OID, value }:
 *   .3 PCE-ID OCTET STRING (2)          .2.1 … .2.16 SGX TCB component SVNs INTEGER (0–255)
 *   .4 FMSPC OCTET STRING (6)           .2.17 PCESVN INTEGER (0–65535), .2.18 CPUSVN OCTET STRING (16)
 *   .5 SGX type ENUMERATED           .6 PlatformInstanceID, .7 Configuration (platform CA certificates)
 * ```
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import * as asn1js from 'asn1js';
import { readDer } from '../pki/x509-certificate.js';

/** OID of the SGX extensions. */
export const SGX_EXTENSIONS_OID = '1.2.840.113741.1.13.1';

/** What a PCK certificate says about its platform. */
export interface PckExtensions {
  /** Platform provisioning id, hex. */
  ppid: string;
  /** The 16 SGX TCB component SVNs. */
  tcbComponents: number[];
  pceSvn: number;
  /** CPUSVN, hex. */
  cpuSvn: string;
  /** PCE id, hex (2 bytes). */
  pceId: string;
  /** Family-model-stepping-platform-customSKU, hex (6 bytes). */
  fmspc: string;
  /** 0 standard, 1 scalable, 2 scalable with integrity. */
  sgxType: number;
}

const childrenOf = (block: asn1js.BaseBlock | undefined): asn1js.BaseBlock[] => (block instanceof asn1js.Constructed ? block.valueBlock.value : []);

/** The `{OID, value}` pairs of a SEQUENCE OF SEQUENCE, keyed by the OID's last arc under `prefix`. */
function pairs(block: asn1js.BaseBlock | undefined, prefix: string, what: string): Map<number, asn1js.BaseBlock> {
  if (!(block instanceof asn1js.Sequence)) throw new Error(`${what} is not a SEQUENCE`);
  const out = new Map<number, asn1js.BaseBlock>();
  for (const item of childrenOf(block)) {
    const [oid, value, ...rest] = childrenOf(item);
    if (!(item instanceof asn1js.Sequence) || !(oid instanceof asn1js.ObjectIdentifier) || value === undefined || rest.length > 0) throw new Error(`${what} has an entry that is not {OID, value}`);
    const id = oid.valueBlock.toString();
    const arc = id.startsWith(`${prefix}.`) ? Number(id.slice(prefix.length + 1)) : NaN;
    if (!Number.isInteger(arc)) throw new Error(`${what} has an unknown entry ${id}`);
    if (out.has(arc)) throw new Error(`${what} has ${id} more than once`);
    out.set(arc, value);
  }
  return out;
}

function octets(block: asn1js.BaseBlock | undefined, bytes: number, what: string): string {
  if (!(block instanceof asn1js.OctetString) || block.valueBlock.valueHexView.length !== bytes) throw new Error(`${what} is not an OCTET STRING of ${bytes} bytes`);
  return bytesToHex(block.valueBlock.valueHexView);
}

function integer(block: asn1js.BaseBlock | undefined, max: number, what: string): number {
  if (!(block instanceof asn1js.Integer || block instanceof asn1js.Enumerated)) throw new Error(`${what} is not an INTEGER`);
  const value = block.valueBlock.valueDec;
  if (!Number.isInteger(value) || value < 0 || value > max || block.valueBlock.valueHexView.length > 3) throw new Error(`${what} is out of range`);
  return value;
}

/**
 * Parses the SGX extensions of a PCK certificate.
 * @param value - the extension's DER value (extnValue contents)
 * @returns the platform's identity and TCB
 * @throws {Error} a plain description of the first problem (the caller names the certificate)
 */
export function parsePckExtensions(value: Uint8Array): PckExtensions {
  const top = pairs(readDer(value, 'SGX extensions'), SGX_EXTENSIONS_OID, 'SGX extensions');
  for (const arc of top.keys()) if (arc < 1 || arc > 7) throw new Error(`SGX extensions has an unknown entry ${SGX_EXTENSIONS_OID}.${arc}`);
  const tcb = pairs(top.get(2), `${SGX_EXTENSIONS_OID}.2`, 'SGX TCB');
  if (tcb.size !== 18 || [...tcb.keys()].some((arc) => arc < 1 || arc > 18)) throw new Error('SGX TCB must list components 1 to 16, PCESVN and CPUSVN');
  return {
    ppid: octets(top.get(1), 16, 'PPID'),
    tcbComponents: Array.from({ length: 16 }, (_, i) => integer(tcb.get(i + 1), 255, `SGX TCB component ${i + 1}`)),
    pceSvn: integer(tcb.get(17), 65535, 'PCESVN'),
    cpuSvn: octets(tcb.get(18), 16, 'CPUSVN'),
    pceId: octets(top.get(3), 2, 'PCE-ID'),
    fmspc: octets(top.get(4), 6, 'FMSPC'),
    sgxType: integer(top.get(5), 2, 'SGX type'),
  };
}
