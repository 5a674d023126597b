// The Merkle tree of a file (docs/protocol.md §11): leaves are leafHash(i, ciphertext),
// padded with zero hashes to a power of two P, parents H(0x01 ‖ left ‖ right), H being
// the hash of the offer's chunk format (files/chunk-formats.js; format 1 by default).
// A chunk travels with the sibling hashes from its leaf up, so a receiver checks it
// against the root of the `file` entry before it decrypts or stores anything, and a
// holder that cannot decrypt (a blind mirror) can check and serve it too.
//
// Nodes are numbered as in a binary heap: the root is 1, the children of v are 2v and
// 2v + 1, and leaf i is P + i. The sibling of v is v ^ 1, its parent v >> 1.
//
// No top-level await (a Worker may import this): call after `sodiumReady` resolved.
import { equalBytes } from '../crypto/encoding.js';
import { Bitfield } from './bitfield.js';
import { FileChunkError, HASH_BYTES, leafHash, MAX_CHUNKS } from './chunk-crypto.js';
import { FORMAT_V1 } from './chunk-formats.js';

const PARTIAL_FORMAT_VERSION = 1;

function requireCount(n) {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CHUNKS) {
    throw new RangeError(`chunk count must be 1..${MAX_CHUNKS}`);
  }
}

// P: the next power of two >= n.
export function paddedLeafCount(n) {
  requireCount(n);
  let padded = 1;
  while (padded < n) padded *= 2;
  return padded;
}

// log2(P): the number of sibling hashes in a proof.
export function proofLength(n) {
  return Math.log2(paddedLeafCount(n));
}

function isHash(value) {
  return value instanceof Uint8Array && value.length === HASH_BYTES;
}

// The root that `leaf` at `index` and its proof lead to. A proof of the wrong length or
// with a node that is not 32 bytes is a bad chunk; an index >= n is malformed (§11).
export function rootFromProof(index, leaf, proof, n, format = FORMAT_V1) {
  const padded = paddedLeafCount(n);
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
    throw new FileChunkError('malformed', `chunk index must be 0..${n - 1}`);
  }
  if (!Array.isArray(proof) || proof.length !== Math.log2(padded)) {
    throw new FileChunkError('bad_chunk', 'proof length');
  }
  if (!isHash(leaf) || !proof.every(isHash)) throw new FileChunkError('bad_chunk', 'node size');
  const { parentHash } = format;
  let node = padded + index;
  let hash = leaf;
  for (const sibling of proof) {
    hash = node % 2 === 0 ? parentHash(hash, sibling) : parentHash(sibling, hash);
    node >>= 1;
  }
  return hash;
}

// Whether `leaf` at `index` and its proof lead to `root`.
export function leadsToRoot({ root, index, leaf, proof, count, format = FORMAT_V1 }) {
  if (!isHash(root)) return false;
  try {
    return equalBytes(rootFromProof(index, leaf, proof, count, format), root);
  } catch (error) {
    if (error instanceof FileChunkError) return false;
    throw error;
  }
}

// The chunk's leaf when the chunk and its proof lead to `root`, else null (format 1, at
// once). The leaf is what PartialTree.add needs, so a receiver hashes the 128 KiB
// ciphertext only once.
export function verifiedLeaf({ root, index, ciphertext, proof, count }) {
  if (!isHash(root) || !(ciphertext instanceof Uint8Array)) return null;
  const leaf = leafHash(index, ciphertext);
  return leadsToRoot({ root, index, leaf, proof, count }) ? leaf : null;
}

// verifiedLeaf for either format: a promise of the leaf, or of null.
export async function checkedLeaf({ root, index, ciphertext, proof, count, format = FORMAT_V1 }) {
  if (!isHash(root) || !(ciphertext instanceof Uint8Array) || !Number.isSafeInteger(index) || index < 0) return null;
  return format.leafHash(index, ciphertext)
    .then((leaf) => (leadsToRoot({ root, index, leaf, proof, count, format }) ? leaf : null));
}

export function verifyChunk(chunk) {
  return verifiedLeaf(chunk) !== null;
}

// The whole tree, for the sender (who computes every leaf while it encrypts the file)
// and for tests. 2P × 32 bytes in one heap-ordered buffer: 8 MiB for a 10 GiB file.
export class MerkleTree {
  #nodes;

  constructor(n, nodes, format) {
    this.count = n;
    this.padded = paddedLeafCount(n);
    this.format = format;
    this.#nodes = nodes;
  }

  // `leaves`: an array of n 32-byte hashes, or one Uint8Array of n × 32 bytes (handy
  // from a Worker: one transferable buffer).
  static fromLeaves(leaves, format = FORMAT_V1) {
    const packed = leaves instanceof Uint8Array;
    const n = packed ? leaves.length / HASH_BYTES : leaves.length;
    if (!Number.isInteger(n)) throw new RangeError('packed leaves must be a multiple of 32 bytes');
    const padded = paddedLeafCount(n);
    const nodes = new Uint8Array(2 * padded * HASH_BYTES);
    if (packed) {
      nodes.set(leaves, padded * HASH_BYTES);
    } else {
      leaves.forEach((leaf, i) => {
        if (!isHash(leaf)) throw new TypeError('a leaf must be 32 bytes');
        nodes.set(leaf, (padded + i) * HASH_BYTES);
      });
    }
    // Padding leaves stay zero; every parent above them is hashed like any other.
    const node = (v) => nodes.subarray(v * HASH_BYTES, (v + 1) * HASH_BYTES);
    const { parentHash } = format;
    for (let v = padded - 1; v >= 1; v--) nodes.set(parentHash(node(2 * v), node(2 * v + 1)), v * HASH_BYTES);
    return new MerkleTree(n, nodes, format);
  }

  #node(v) {
    return this.#nodes.slice(v * HASH_BYTES, (v + 1) * HASH_BYTES);
  }

  get root() {
    return this.#node(1);
  }

  leaf(index) {
    this.#checkIndex(index);
    return this.#node(this.padded + index);
  }

  #checkIndex(index) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`chunk index must be 0..${this.count - 1}`);
    }
  }

  proof(index) {
    this.#checkIndex(index);
    const proof = [];
    for (let v = this.padded + index; v > 1; v >>= 1) proof.push(this.#node(v ^ 1));
    return proof;
  }

  // Every chunk held: the original sender and complete holders serve through the same
  // PartialTree code as anyone else.
  toPartial() {
    const partial = new PartialTree(this.count, this.root, this.format);
    partial[LOAD_COMPLETE](this.#nodes);
    return partial;
  }
}

const LOAD_COMPLETE = Symbol('load complete tree');

// The nodes a holder of some chunks needs to prove them: for each chunk it verified, the
// leaf, the path up and the siblings along it. Sparse (a Map of node -> slot in one
// growing buffer), because a peer that holds a few chunks of a huge file should not pay
// for 2P nodes; about 60 bytes a node, 2P nodes once complete.
export class PartialTree {
  #slots = new Map();
  #pool = new Uint8Array(64 * HASH_BYTES);
  #used = 0;

  constructor(n, root, format = FORMAT_V1) {
    if (!isHash(root)) throw new TypeError('root must be 32 bytes');
    this.format = format;
    this.count = n;
    this.padded = paddedLeafCount(n);
    this.root = root.slice();
    // Which chunks this tree can prove; read it (e.g. held.ranges() for `have`), but
    // only add() changes it.
    this.held = new Bitfield(n);
  }

  #get(v) {
    const slot = this.#slots.get(v);
    return slot === undefined ? undefined : this.#pool.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
  }

  #put(v, hash) {
    if (this.#slots.has(v)) return;
    if ((this.#used + 1) * HASH_BYTES > this.#pool.length) {
      const grown = new Uint8Array(this.#pool.length * 2);
      grown.set(this.#pool);
      this.#pool = grown;
    }
    this.#pool.set(hash, this.#used * HASH_BYTES);
    this.#slots.set(v, this.#used++);
  }

  [LOAD_COMPLETE](nodes) {
    this.#pool = nodes.slice();
    for (let v = 1; v < 2 * this.padded; v++) this.#slots.set(v, v);
    this.#used = 2 * this.padded;
    for (let i = 0; i < this.count; i++) this.held.set(i);
  }

  has(index) {
    return Number.isSafeInteger(index) && index >= 0 && index < this.count && this.held.has(index);
  }

  get complete() {
    return this.held.complete;
  }

  // Records a verified chunk. The path is recomputed (log2(P) small hashes) and checked
  // against the root again, so a wrong call cannot plant nodes: throws bad_chunk.
  add(index, leaf, proof) {
    const computed = rootFromProof(index, leaf, proof, this.count, this.format);
    if (!equalBytes(computed, this.root)) throw new FileChunkError('bad_chunk', 'proof does not lead to the root');
    if (this.held.has(index)) return;
    const { parentHash } = this.format;
    let v = this.padded + index;
    let hash = leaf;
    this.#put(v, hash);
    for (const sibling of proof) {
      this.#put(v ^ 1, sibling);
      hash = v % 2 === 0 ? parentHash(hash, sibling) : parentHash(sibling, hash);
      v >>= 1;
      this.#put(v, hash);
    }
    this.held.set(index);
  }

  proof(index) {
    if (!this.has(index)) throw new RangeError(`chunk ${index} is not held`);
    const proof = [];
    for (let v = this.padded + index; v > 1; v >>= 1) proof.push(this.#get(v ^ 1).slice());
    return proof;
  }

  // Nodes on the path of a held chunk: computable from the stored ones below.
  #coveredNodes() {
    const covered = new Set();
    for (const index of heldIndices(this.held)) {
      for (let v = this.padded + index; v >= 1 && !covered.has(v); v >>= 1) covered.add(v);
    }
    return covered;
  }

  // The nodes to store: the held leaves and the siblings of covered nodes that are not
  // covered themselves. Everything else is recomputed by fromBytes. Heap order.
  static #storedNodes(covered, padded) {
    const stored = [];
    for (const v of covered) {
      if (v >= padded) stored.push(v);
      if (v > 1 && !covered.has(v ^ 1)) stored.push(v ^ 1);
    }
    return stored.sort((a, b) => a - b);
  }

  // version u8 (1) ‖ held bitfield (ceil(n / 8) bytes, as in `have`) ‖ the stored nodes'
  // hashes in heap order, 32 bytes each. A complete holder stores about 32 bytes a chunk.
  toBytes() {
    const stored = PartialTree.#storedNodes(this.#coveredNodes(), this.padded);
    const heldBytes = this.held.bytes;
    const out = new Uint8Array(1 + heldBytes.length + stored.length * HASH_BYTES);
    out[0] = PARTIAL_FORMAT_VERSION;
    out.set(heldBytes, 1);
    stored.forEach((v, k) => out.set(this.#get(v), 1 + heldBytes.length + k * HASH_BYTES));
    return out;
  }

  // Rebuilds the tree and checks that it leads to `root`, so damaged storage is found
  // here and not by the peers we would serve it to. Throws FileChunkError('malformed').
  static fromBytes(bytes, n, root, format = FORMAT_V1) {
    const tree = new PartialTree(n, root, format);
    const heldLength = Math.ceil(n / 8);
    if (!(bytes instanceof Uint8Array) || bytes.length < 1 + heldLength || bytes[0] !== PARTIAL_FORMAT_VERSION) {
      throw new FileChunkError('malformed', 'not a saved PartialTree');
    }
    try {
      tree.held = new Bitfield(n, bytes.subarray(1, 1 + heldLength));
    } catch {
      throw new FileChunkError('malformed', 'held bitfield');
    }
    const covered = tree.#coveredNodes();
    const stored = PartialTree.#storedNodes(covered, tree.padded);
    if (bytes.length !== 1 + heldLength + stored.length * HASH_BYTES) {
      throw new FileChunkError('malformed', 'node count');
    }
    const nodesAt = 1 + heldLength;
    stored.forEach((v, k) => tree.#put(v, bytes.subarray(nodesAt + k * HASH_BYTES, nodesAt + (k + 1) * HASH_BYTES)));
    // Deeper nodes have larger numbers, so descending order computes children first.
    const { parentHash } = format;
    for (const v of [...covered].sort((a, b) => b - a)) {
      if (v < tree.padded) tree.#put(v, parentHash(tree.#get(2 * v), tree.#get(2 * v + 1)));
    }
    if (covered.size > 0 && !equalBytes(tree.#get(1), tree.root)) {
      throw new FileChunkError('malformed', 'saved nodes do not lead to the root');
    }
    return tree;
  }

  get nodeCount() {
    return this.#slots.size;
  }
}

function* heldIndices(held) {
  const bytes = held.bytes;
  for (let j = 0; j < bytes.length; j++) {
    if (bytes[j] === 0) continue;
    for (let k = 0; k < 8; k++) if (bytes[j] & (1 << k)) yield 8 * j + k;
  }
}
