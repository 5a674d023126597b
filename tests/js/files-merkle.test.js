import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sodiumReady } from '../../static/app/crypto/sodium.js';
import { FileChunkError, leafHash } from '../../static/app/files/chunk-crypto.js';
import {
  MerkleTree, paddedLeafCount, PartialTree, proofLength, rootFromProof, verifiedLeaf, verifyChunk,
} from '../../static/app/files/merkle.js';

const sodium = await sodiumReady;
const COUNTS = [1, 2, 3, 5, 8, 1000];

// Small stand-in ciphertexts: the tree only hashes them.
function ciphertexts(n) {
  return Array.from({ length: n }, (_, i) => new Uint8Array(16 + (i % 5)).fill(i & 0xff));
}

function treeOf(n) {
  const chunks = ciphertexts(n);
  return { chunks, tree: MerkleTree.fromLeaves(chunks.map((c, i) => leafHash(i, c))) };
}

const hash = (...parts) => sodium.crypto_generichash(32, new Uint8Array(parts.flatMap((p) => [...p])), null);
const parent = (left, right) => hash([1], left, right);

test('padded leaf counts and proof lengths', () => {
  assert.deepEqual(COUNTS.map(paddedLeafCount), [1, 2, 4, 8, 8, 1024]);
  assert.deepEqual(COUNTS.map(proofLength), [0, 1, 2, 3, 3, 10]);
  assert.equal(proofLength(2 ** 24), 24);
  assert.throws(() => paddedLeafCount(0), RangeError);
  assert.throws(() => paddedLeafCount(2 ** 24 + 1), RangeError);
});

test('the root is the construction of §11 (three chunks, one padding leaf)', () => {
  const { chunks, tree } = treeOf(3);
  const leaves = chunks.map((c, i) => leafHash(i, c));
  const expected = parent(parent(leaves[0], leaves[1]), parent(leaves[2], new Uint8Array(32)));
  assert.deepEqual(tree.root, expected);
  assert.deepEqual(tree.proof(2), [new Uint8Array(32), parent(leaves[0], leaves[1])]);
  assert.deepEqual(treeOf(1).tree.root, leafHash(0, ciphertexts(1)[0]));
});

test('roots are stable, and packed leaves give the same tree', () => {
  for (const n of COUNTS) {
    const { chunks, tree } = treeOf(n);
    assert.deepEqual(treeOf(n).tree.root, tree.root);
    const packed = new Uint8Array(32 * n);
    chunks.forEach((c, i) => packed.set(leafHash(i, c), 32 * i));
    assert.deepEqual(MerkleTree.fromLeaves(packed).root, tree.root);
  }
  assert.notDeepEqual(treeOf(5).tree.root, treeOf(8).tree.root);
});

test('every proof verifies', () => {
  for (const n of COUNTS) {
    const { chunks, tree } = treeOf(n);
    chunks.forEach((ciphertext, index) => {
      const proof = tree.proof(index);
      assert.equal(proof.length, proofLength(n));
      assert.ok(verifyChunk({ root: tree.root, index, ciphertext, proof, count: n }));
      assert.deepEqual(verifiedLeaf({ root: tree.root, index, ciphertext, proof, count: n }), tree.leaf(index));
    });
  }
});

test('damage anywhere is rejected', () => {
  for (const n of COUNTS) {
    const { chunks, tree } = treeOf(n);
    const root = tree.root;
    const indices = n > 10 ? [0, 1, 499, n - 2, n - 1] : chunks.keys();
    for (const index of indices) {
      const ciphertext = chunks[index];
      const proof = tree.proof(index);
      const verify = (changes) => verifyChunk({ root, index, ciphertext, proof, count: n, ...changes });
      const flipped = ciphertext.slice();
      flipped[index % flipped.length] ^= 1;
      assert.equal(verify({ ciphertext: flipped }), false, 'flipped chunk bit');
      for (let k = 0; k < proof.length; k++) {
        const damaged = proof.map((node) => node.slice());
        damaged[k][31 - (k % 32)] ^= 0x80;
        assert.equal(verify({ proof: damaged }), false, 'flipped proof bit');
      }
      if (n > 1) assert.equal(verify({ index: (index + 1) % n }), false, 'other index');
      assert.equal(verify({ index: n }), false, 'index past the file');
      assert.equal(verify({ proof: [...proof, new Uint8Array(32)] }), false, 'long proof');
      if (proof.length > 0) assert.equal(verify({ proof: proof.slice(1) }), false, 'short proof');
      const otherRoot = root.slice();
      otherRoot[0] ^= 1;
      assert.equal(verify({ root: otherRoot }), false, 'other root');
      assert.equal(verify({ proof: proof.map((node) => node.subarray(1)) }), proof.length === 0, 'short nodes');
    }
  }
});

test('rootFromProof throws on proofs of the wrong length', () => {
  const { chunks, tree } = treeOf(5);
  const leaf = leafHash(0, chunks[0]);
  assert.deepEqual(rootFromProof(0, leaf, tree.proof(0), 5), tree.root);
  const bad = (e) => e instanceof FileChunkError && e.code === 'bad_chunk';
  assert.throws(() => rootFromProof(0, leaf, tree.proof(0).slice(1), 5), bad);
  assert.throws(() => rootFromProof(0, leaf, [...tree.proof(0), leaf], 5), bad);
  assert.throws(() => rootFromProof(5, leaf, tree.proof(0), 5), (e) => e.code === 'malformed');
});

test('a partial tree proves what it holds exactly as the full tree does', () => {
  for (const n of COUNTS) {
    const { chunks, tree } = treeOf(n);
    const partial = new PartialTree(n, tree.root);
    const held = chunks.map((_, i) => i).filter((i) => i % 3 !== 1);
    for (const i of held) partial.add(i, leafHash(i, chunks[i]), tree.proof(i));
    for (let i = 0; i < n; i++) {
      assert.equal(partial.has(i), held.includes(i));
      if (partial.has(i)) assert.deepEqual(partial.proof(i), tree.proof(i));
      else assert.throws(() => partial.proof(i), RangeError);
    }
    const restored = PartialTree.fromBytes(partial.toBytes(), n, tree.root);
    for (const i of held) assert.deepEqual(restored.proof(i), tree.proof(i));
    assert.equal(restored.held.count(), held.length);
    assert.deepEqual(restored.toBytes(), partial.toBytes());
  }
});

test('a complete tree as a partial tree serves every chunk and saves compactly', () => {
  for (const n of COUNTS) {
    const { tree } = treeOf(n);
    const partial = tree.toPartial();
    assert.ok(partial.complete);
    for (let i = 0; i < n; i++) assert.deepEqual(partial.proof(i), tree.proof(i));
    const bytes = partial.toBytes();
    // The leaves, the bitfield and at most one padding node per level.
    assert.ok(bytes.length <= 1 + Math.ceil(n / 8) + 32 * (n + proofLength(n)));
    const restored = PartialTree.fromBytes(bytes, n, tree.root);
    for (let i = 0; i < n; i++) assert.deepEqual(restored.proof(i), tree.proof(i));
  }
});

test('a partial tree refuses bad proofs and damaged saved bytes', () => {
  const { chunks, tree } = treeOf(8);
  const partial = new PartialTree(8, tree.root);
  assert.throws(() => partial.add(0, leafHash(0, chunks[1]), tree.proof(0)), (e) => e.code === 'bad_chunk');
  assert.equal(partial.has(0), false);
  const empty = partial.toBytes();
  assert.equal(empty.length, 2);
  assert.equal(PartialTree.fromBytes(empty, 8, tree.root).held.count(), 0);
  partial.add(3, leafHash(3, chunks[3]), tree.proof(3));
  const bytes = partial.toBytes();
  assert.equal(bytes.length, 2 + 32 * 4); // leaf 3, its sibling, and one node per level above
  const malformed = (e) => e instanceof FileChunkError && e.code === 'malformed';
  for (let at = 2; at < bytes.length; at += 13) {
    const damaged = bytes.slice();
    damaged[at] ^= 4;
    assert.throws(() => PartialTree.fromBytes(damaged, 8, tree.root), malformed);
  }
  const otherHeld = bytes.slice();
  otherHeld[1] = 0b10000;
  assert.throws(() => PartialTree.fromBytes(otherHeld, 8, tree.root), malformed);
  assert.throws(() => PartialTree.fromBytes(bytes.subarray(0, bytes.length - 1), 8, tree.root), malformed);
  assert.throws(() => PartialTree.fromBytes(new Uint8Array([...bytes, 0]), 8, tree.root), malformed);
  assert.throws(() => PartialTree.fromBytes(new Uint8Array([2, ...bytes.subarray(1)]), 8, tree.root), malformed);
  assert.throws(() => PartialTree.fromBytes(bytes, 9, tree.root), malformed);
});

test('any set of held chunks round-trips through bytes (property)', () => {
  const { chunks, tree } = treeOf(37);
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 36 }), { maxLength: 37 }), (held) => {
    const partial = new PartialTree(37, tree.root);
    for (const i of held) partial.add(i, leafHash(i, chunks[i]), tree.proof(i));
    const restored = PartialTree.fromBytes(partial.toBytes(), 37, tree.root);
    for (let i = 0; i < 37; i++) {
      assert.equal(restored.has(i), held.includes(i));
      if (restored.has(i)) assert.deepEqual(restored.proof(i), tree.proof(i));
    }
  }), { numRuns: 100 });
});
