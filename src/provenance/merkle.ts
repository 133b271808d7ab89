/**
 * The Merkle tree of a dataset commitment: RFC 6962 (Certificate Transparency) §2.1 with
 * SHA-256, so any CT-compatible library can recompute roots and check proofs.
 *
 *   leaf hash   = SHA-256(0x00 ‖ leaf data)
 *   node hash   = SHA-256(0x01 ‖ left ‖ right)
 *   MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two below n
 *
 * The distinct 0x00/0x01 prefixes keep a leaf from ever being read as an inner node (the
 * second-preimage attack on unprefixed trees). Roots are built streaming with a stack of
 * at most log2(n) perfect subtrees; inclusion proofs are RFC 6962 §2.1.1 audit paths,
 * checked with the algorithm of RFC 9162 §2.1.3.2.
 */
import { createHash } from 'node:crypto';
import { ProvenanceError } from '../shared/errors.js';

/** Bytes of a SHA-256 digest. */
export const HASH_BYTES = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x00 ‖ data): the hash of a leaf. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an inner node. */
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree, SHA-256 of nothing (RFC 6962). */
export function emptyRoot(): Uint8Array {
  return createHash('sha256').digest();
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Computes a root from leaf hashes given one at a time, in O(log n) memory: a stack of
 * perfect subtrees whose sizes are the binary digits of the count so far.
 */
export class MerkleRootBuilder {
  private readonly stack: { size: number; hash: Uint8Array }[] = [];
  private count = 0;

  /** Leaves pushed so far. */
  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash (from {@link hashLeaf}). */
  push(leafHash: Uint8Array): void {
    let node = { size: 1, hash: leafHash };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, hash: hashNode(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.count++;
  }

  /** The root of the leaves pushed so far (RFC 6962 MTH); the builder can go on afterwards. */
  root(): Uint8Array {
    if (this.stack.length === 0) return emptyRoot();
    let hash = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = hashNode(this.stack[i]!.hash, hash);
    return hash;
  }
}

/**
 * A whole tree held in memory to produce inclusion proofs: the hashes of every perfect,
 * aligned subtree (about 2n hashes), from which each RFC 6962 subtree hash and audit path
 * takes O(log n) work.
 */
export class MerkleTree {
  /** levels[h][i] = hash of the perfect subtree over leaves [i·2^h, (i+1)·2^h). */
  private readonly levels: Uint8Array[][];
  readonly size: number;

  /**
   * @param leafHashes the leaf hashes in order (each 32 bytes)
   * @param innerLevels the perfect subtrees' hashes above the leaves, as {@link innerLevels}
   *   returned them (a cache: trusted as given); computed when absent
   */
  constructor(leafHashes: readonly Uint8Array[], innerLevels?: readonly (readonly Uint8Array[])[]) {
    this.size = leafHashes.length;
    this.levels = [leafHashes.slice()];
    if (innerLevels) {
      for (const level of innerLevels) this.levels.push(level.slice());
      return;
    }
    for (let level = this.levels[0]!; level.length >= 2;) {
      const up: Uint8Array[] = new Array(level.length >> 1);
      for (let i = 0; i < up.length; i++) up[i] = hashNode(level[2 * i]!, level[2 * i + 1]!);
      this.levels.push(up);
      level = up;
    }
  }

  /** The hashes of the perfect subtrees above the leaves, level by level (level h: ⌊n / 2^h⌋ hashes). */
  innerLevels(): Uint8Array[][] {
    return this.levels.slice(1);
  }

  /** The tree's root (RFC 6962 MTH over all leaves). */
  root(): Uint8Array {
    return this.size === 0 ? emptyRoot() : this.subtree(0, this.size);
  }

  /** MTH(D[lo:hi]) for a range whose start is aligned to the largest power of two ≤ its length. */
  private subtree(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if ((n & (n - 1)) === 0) return this.levels[Math.log2(n)]![lo / n]!;
    const k = splitPoint(n);
    return hashNode(this.subtree(lo, lo + k), this.subtree(lo + k, hi));
  }

  /**
   * The audit path of leaf `index` (RFC 6962 §2.1.1 PATH), from the leaf's sibling up.
   * @throws {ProvenanceError} when the index is outside the tree
   */
  inclusionProof(index: number): Uint8Array[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ProvenanceError(`leaf index ${index} is outside the tree (size ${this.size})`);
    }
    const path: Uint8Array[] = [];
    const walk = (m: number, lo: number, hi: number): void => {
      const n = hi - lo;
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        walk(m, lo, lo + k);
        path.push(this.subtree(lo + k, hi));
      } else {
        walk(m - k, lo + k, hi);
        path.push(this.subtree(lo, lo + k));
      }
    };
    walk(index, 0, this.size);
    return path;
  }
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or undefined when the proof
 * cannot belong to a tree of `treeSize` leaves (index out of range, wrong length).
 */
export function rootFromInclusionProof(index: number, treeSize: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return undefined;
  if (leafHash.length !== HASH_BYTES || proof.some((p) => p.length !== HASH_BYTES)) return undefined;
  // Plain numbers, not bit operators: trees may exceed 2^31 leaves.
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = hashNode(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashNode(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** Whether `proof` shows leaf `index` with hash `leafHash` is in the tree of `treeSize` leaves with root `root`. */
export function verifyInclusion(index: number, treeSize: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusionProof(index, treeSize, leafHash, proof);
  return r !== undefined && Buffer.compare(r, root) === 0;
}
