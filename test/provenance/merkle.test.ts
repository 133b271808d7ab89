/**
 * The RFC 6962 tree against recorded vectors of another implementation (transparency-dev/merkle),
 * then the streaming root, the in-memory tree and proof verification against each other for
 * every size up to 70 and every leaf, and the corruptions a verifier must refuse.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashLeaf, MerkleRootBuilder, MerkleTree, rootFromInclusionProof, verifyInclusion } from '../../src/provenance/merkle.js';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/provenance/rfc6962-vectors.json', import.meta.url), 'utf8')) as {
  leaves: string[];
  leafHashes: string[];
  roots: string[];
  inclusionProofs: { index: number; size: number; proof: string[] }[];
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('RFC 6962 Merkle tree', () => {
  const leafHashes = vectors.leaves.map((l) => hashLeaf(bytes(l)));

  it('leaf hashes match the recorded vectors', () => {
    expect(leafHashes.map(hex)).toEqual(vectors.leafHashes);
  });

  it('streaming and in-memory roots match the recorded root of every size 0..8', () => {
    for (let n = 0; n <= 8; n++) {
      const builder = new MerkleRootBuilder();
      leafHashes.slice(0, n).forEach((h) => builder.push(h));
      expect(hex(builder.root())).toBe(vectors.roots[n]);
      expect(hex(new MerkleTree(leafHashes.slice(0, n)).root())).toBe(vectors.roots[n]);
    }
  });

  it('inclusion proofs equal the recorded audit paths and verify', () => {
    for (const v of vectors.inclusionProofs) {
      const tree = new MerkleTree(leafHashes.slice(0, v.size));
      expect(tree.inclusionProof(v.index).map(hex)).toEqual(v.proof);
      expect(verifyInclusion(v.index, v.size, leafHashes[v.index]!, v.proof.map(bytes), bytes(vectors.roots[v.size]!))).toBe(true);
    }
  });

  it('every leaf of every tree up to 70 leaves proves against the streaming root', () => {
    const hashes = Array.from({ length: 70 }, (_, i) => hashLeaf(Uint8Array.of(i, i >> 8, 7)));
    for (let n = 1; n <= 70; n++) {
      const builder = new MerkleRootBuilder();
      hashes.slice(0, n).forEach((h) => builder.push(h));
      const root = builder.root();
      const tree = new MerkleTree(hashes.slice(0, n));
      expect(hex(tree.root())).toBe(hex(root));
      for (let i = 0; i < n; i++) expect(verifyInclusion(i, n, hashes[i]!, tree.inclusionProof(i), root)).toBe(true);
    }
  });

  it('refuses a wrong index, size, leaf, root, and any added, removed or flipped path element', () => {
    const v = vectors.inclusionProofs[2]!; // leaf 5 of 8
    const root = bytes(vectors.roots[8]!);
    const leaf = leafHashes[5]!;
    const proof = v.proof.map(bytes);
    const flipped = (i: number) => proof.map((p, j) => (j === i ? Uint8Array.from(p, (b, k) => (k === 0 ? b ^ 8 : b)) : p));
    const cases: [number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
      [4, 8, leaf, proof, root],
      [6, 8, leaf, proof, root],
      [5 ^ 2, 8, leaf, proof, root],
      [5, 16, leaf, proof, root],
      [5, 4, leaf, proof, root],
      [5, 8, leafHashes[4]!, proof, root],
      [5, 8, leaf, proof, bytes(vectors.roots[7]!)],
      [5, 8, leaf, [...proof, root], root],
      [5, 8, leaf, [root, ...proof], root],
      [5, 8, leaf, proof.slice(0, -1), root],
      [5, 8, leaf, [proof[0]!, leaf, ...proof.slice(1)], root],
      [5, 8, leaf, flipped(0), root],
      [5, 8, leaf, flipped(1), root],
      [5, 8, leaf, flipped(2), root],
      [-1, 8, leaf, proof, root],
      [8, 8, leaf, proof, root],
    ];
    expect(verifyInclusion(5, 8, leaf, proof, root)).toBe(true);
    for (const c of cases) expect(verifyInclusion(...c)).toBe(false);
    expect(rootFromInclusionProof(0, 1, leaf.subarray(0, 31), [])).toBeUndefined();
  });

  it('refuses to prove a leaf outside the tree', () => {
    expect(() => new MerkleTree(leafHashes.slice(0, 3)).inclusionProof(3)).toThrow('leaf index 3 is outside the tree (size 3)');
  });
});
