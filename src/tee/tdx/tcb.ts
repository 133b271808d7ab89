/**
 * The TCB status of a TDX platform, decided as Intel's Quote Verification Library does
 * (SGX-TDX-DCAP-QuoteVerificationLibrary, QuoteVerifier.cpp 4.1.2.4.11–17,
 * Checks/TcbLevelCheck.cpp and Checks/TdxModuleCheck.cpp), from verified inputs only:
 *
 * 1. TDX module identity: with TEE_TCB_SVN[1] (the module's major version) above 0 the TCB
 *    info's `tdxModuleIdentities` entry `TDX_<version as two hex digits>` applies, else
 *    `tdxModule`; MRSIGNERSEAM must equal its `mrsigner`, and SEAMATTRIBUTES must be zero
 *    and equal its `attributes`. Its TCB level is the first (highest ISVSVN first) whose
 *    `isvsvn` ≤ TEE_TCB_SVN[0].
 * 2. QE identity: MRSIGNER and ISVPRODID equal, MISCSELECT and ATTRIBUTES equal under their
 *    masks; its level is the first (highest first) whose `isvsvn` ≤ the QE's ISVSVN.
 * 3. Platform level: TCB levels ordered highest first; the first whose 16 SGX components
 *    are each ≤ the PCK certificate's and whose PCESVN ≤ its PCESVN is the SGX level; among
 *    those, the first whose TDX components are each ≤ TEE_TCB_SVN (from index 2 when the
 *    module's major version is above 0: bytes 0–1 are then judged by the module identity)
 *    is the TDX level.
 * 4. Statuses converge: a module `OutOfDate` turns `UpToDate`/`SWHardeningNeeded` into
 *    `OutOfDate` and the two configuration statuses into `OutOfDateConfigurationNeeded`; a
 *    module `Revoked` gives `Revoked`; the QE's status converges the same way.
 *
 * A platform below every level ("TCB not supported") or a module or QE that does not match
 * its identity is a verification failure, not a status.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { AttestationError } from '../../shared/errors.js';
import type { QeIdentity, TcbInfo, TcbStatus } from './collateral.js';
import type { PckExtensions } from './pck.js';
import type { QeReport, TdReport } from './quote.js';

/** What TCB evaluation found. */
export interface TcbEvaluation {
  /** The converged status. */
  status: TcbStatus;
  /** The status of the TDX TCB level matched by the platform. */
  platformStatus: TcbStatus;
  /** The TCB date of that level. */
  tcbDate: string;
  /** The TDX module identity used (`TDX_01`, …) and its level's status, when the module's major version is above 0. */
  tdxModule?: { id: string; status: 'UpToDate' | 'OutOfDate' | 'Revoked' };
  /** The QE identity level's status. */
  qeStatus: 'UpToDate' | 'OutOfDate' | 'Revoked';
  /** Intel security advisories of the matched levels. */
  advisoryIds: string[];
}

type IdentityLevel = { tcb: { isvsvn: number }; tcbDate: string; tcbStatus: 'UpToDate' | 'OutOfDate' | 'Revoked'; advisoryIDs?: string[] };

function fail(message: string): never {
  throw new AttestationError(`TCB: ${message}`);
}

const sameHex = (bytes: Uint8Array, hex: string) => bytesToHex(bytes) === hex.toLowerCase();

function masked(bytes: Uint8Array, mask: Uint8Array): string {
  return bytesToHex(bytes.map((b, i) => b & mask[i]!));
}

const highestFirst = (levels: readonly IdentityLevel[]) => [...levels].sort((a, b) => b.tcb.isvsvn - a.tcb.isvsvn);

/** "Revoked" from a component identity dominates; "OutOfDate" lowers an up-to-date or configuration status. */
function converge(status: TcbStatus, other: 'UpToDate' | 'OutOfDate' | 'Revoked'): TcbStatus {
  if (other === 'Revoked') return 'Revoked';
  if (other === 'OutOfDate') {
    if (status === 'UpToDate' || status === 'SWHardeningNeeded') return 'OutOfDate';
    if (status === 'ConfigurationNeeded' || status === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  }
  return status;
}

function checkTdxModule(tcbInfo: TcbInfo, report: TdReport): (TcbEvaluation['tdxModule'] & { advisoryIds: string[] }) | undefined {
  const major = report.teeTcbSvn[1]!;
  const isvsvn = report.teeTcbSvn[0]!;
  let expected: { mrsigner: string; attributes: string } = tcbInfo.tdxModule;
  let identity: NonNullable<TcbInfo['tdxModuleIdentities']>[number] | undefined;
  if (major > 0) {
    const id = `TDX_${major.toString(16).toUpperCase().padStart(2, '0')}`;
    identity = tcbInfo.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === id);
    if (!identity) fail(`the TCB info has no TDX module identity ${id} for the quote's module version ${major}`);
    expected = identity;
  }
  if (!sameHex(report.mrSignerSeam, expected.mrsigner)) fail(`MRSIGNERSEAM ${bytesToHex(report.mrSignerSeam)} is not the TDX module signer ${expected.mrsigner.toLowerCase()}`);
  if (report.seamAttributes.some((b) => b !== 0) || !sameHex(report.seamAttributes, expected.attributes))
    fail(`SEAMATTRIBUTES ${bytesToHex(report.seamAttributes)} are not zero and equal to the TDX module's ${expected.attributes.toLowerCase()}`);
  if (!identity) return undefined;
  const level = highestFirst(identity.tcbLevels).find((l) => isvsvn >= l.tcb.isvsvn);
  if (!level) fail(`the TDX module's ISVSVN ${isvsvn} is below every level of ${identity.id}`);
  return { id: identity.id, status: level.tcbStatus, advisoryIds: level.advisoryIDs ?? [] };
}

function checkQe(qeIdentity: QeIdentity, qe: QeReport): IdentityLevel {
  const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
  if (!sameHex(qe.mrSigner, qeIdentity.mrsigner)) fail(`the QE's MRSIGNER ${bytesToHex(qe.mrSigner)} is not the QE identity's ${qeIdentity.mrsigner.toLowerCase()}`);
  if (qe.isvProdId !== qeIdentity.isvprodid) fail(`the QE's ISVPRODID ${qe.isvProdId} is not the QE identity's ${qeIdentity.isvprodid}`);
  const misc = new Uint8Array([qe.miscSelect & 0xff, (qe.miscSelect >> 8) & 0xff, (qe.miscSelect >> 16) & 0xff, (qe.miscSelect >>> 24) & 0xff]);
  const miscMask = hex(qeIdentity.miscselectMask);
  if (masked(misc, miscMask) !== masked(hex(qeIdentity.miscselect), miscMask)) fail(`the QE's MISCSELECT ${bytesToHex(misc)} does not match the QE identity's under its mask`);
  const attributesMask = hex(qeIdentity.attributesMask);
  if (masked(qe.attributes, attributesMask) !== masked(hex(qeIdentity.attributes), attributesMask))
    fail(`the QE's ATTRIBUTES ${bytesToHex(qe.attributes)} do not match the QE identity's under its mask`);
  const level = highestFirst(qeIdentity.tcbLevels).find((l) => qe.isvSvn >= l.tcb.isvsvn);
  if (!level) fail(`the QE's ISVSVN ${qe.isvSvn} is below every level of the QE identity`);
  return level;
}

/** Compares two SVN lists, highest first (lexicographic). */
function compareDescending(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
  return 0;
}

/**
 * Decides the TCB status of a verified quote.
 * @param tcbInfo - the verified TCB info
 * @param qeIdentity - the verified QE identity
 * @param pck - the PCK certificate's SGX extensions
 * @param report - the TD report
 * @param qe - the QE report
 * @returns the converged status, its parts and the advisories
 * @throws {AttestationError} "TCB: …" when the module or QE does not match its identity, or
 *   the platform is below every level
 */
export function evaluateTcb(tcbInfo: TcbInfo, qeIdentity: QeIdentity, pck: PckExtensions, report: TdReport, qe: QeReport): TcbEvaluation {
  const tdxModule = checkTdxModule(tcbInfo, report);
  const qeLevel = checkQe(qeIdentity, qe);
  const svns = (components: readonly { svn: number }[]) => components.map((c) => c.svn);
  const levels = [...tcbInfo.tcbLevels].sort(
    (a, b) =>
      compareDescending(svns(a.tcb.sgxtcbcomponents), svns(b.tcb.sgxtcbcomponents)) || b.tcb.pcesvn - a.tcb.pcesvn || compareDescending(svns(a.tcb.tdxtcbcomponents), svns(b.tcb.tdxtcbcomponents)),
  );
  const from = report.teeTcbSvn[1]! > 0 ? 2 : 0;
  const sgxOk = levels.filter((l) => pck.pceSvn >= l.tcb.pcesvn && l.tcb.sgxtcbcomponents.every((c, i) => pck.tcbComponents[i]! >= c.svn));
  if (sgxOk.length === 0) fail(`the platform's SGX TCB (components ${pck.tcbComponents.join('.')}, PCESVN ${pck.pceSvn}) is below every level of the TCB info`);
  const level = sgxOk.find((l) => l.tcb.tdxtcbcomponents.every((c, i) => i < from || report.teeTcbSvn[i]! >= c.svn));
  if (!level) fail(`the TD's TEE_TCB_SVN ${bytesToHex(report.teeTcbSvn)} is below every level of the TCB info`);

  let status: TcbStatus = level.tcbStatus;
  if (tdxModule) status = converge(status, tdxModule.status);
  if (status !== 'Revoked') status = converge(status, qeLevel.tcbStatus);
  const advisoryIds = [...new Set([...(level.advisoryIDs ?? []), ...(tdxModule?.advisoryIds ?? []), ...(qeLevel.advisoryIDs ?? [])])];
  const result: TcbEvaluation = { status, platformStatus: level.tcbStatus, tcbDate: level.tcbDate, qeStatus: qeLevel.tcbStatus, advisoryIds };
  if (tdxModule) result.tdxModule = { id: tdxModule.id, status: tdxModule.status };
  return result;
}
