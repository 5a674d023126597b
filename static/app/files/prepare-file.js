// The sender's side of a file offer (docs/protocol.md §11): read the File a piece at a
// time, encrypt every chunk with a fresh file key in the offer's chunk format
// (files/chunk-formats.js), hash it into its Merkle leaf, and copy the plaintext into
// this device's file storage, so the file can still be served after a reload (the
// browser's File object does not survive one). Nothing holds the whole file: one piece
// of READ_CHUNKS chunks at a time.
//
//   const { root, key, tree, count } = await prepareFile({ file, files, name, onProgress, format })
//     root, key: Uint8Array(32); tree: PartialTree holding every leaf (for proofs)
import { CHUNK_SIZE, chunkCount, newFileKey } from './chunk-crypto.js';
import { chunkFormat, NEW_FILE_FORMAT } from './chunk-formats.js';
import { MerkleTree } from './merkle.js';

const READ_CHUNKS = 32; // 4 MiB per read

export async function prepareFile({
  file, files, name, onProgress = () => {}, signal = null, format = chunkFormat(NEW_FILE_FORMAT),
}) {
  const size = file.size;
  const count = chunkCount(size);
  const key = newFileKey();
  const cipher = await format.cipher(key);
  const leaves = new Array(count);
  for (let first = 0; first < count; first += READ_CHUNKS) {
    if (signal?.aborted) throw new DOMException('cancelled', 'AbortError');
    const last = Math.min(count, first + READ_CHUNKS);
    const start = first * CHUNK_SIZE;
    const piece = new Uint8Array(await file.slice(start, Math.min(size, last * CHUNK_SIZE)).arrayBuffer());
    const sealed = [];
    for (let index = first; index < last; index++) {
      const offset = (index - first) * CHUNK_SIZE;
      const plaintext = piece.subarray(offset, Math.min(piece.length, offset + CHUNK_SIZE));
      // The chunks of a piece are sealed and hashed at once (format 2 runs them natively).
      sealed.push(cipher.seal(index, size, plaintext).then((ciphertext) => format.leafHash(index, ciphertext))
        .then((leaf) => { leaves[index] = leaf; }));
    }
    await Promise.all(sealed);
    if (piece.length) await files.write(name, start, piece);
    onProgress(Math.min(size, last * CHUNK_SIZE), size);
  }
  await files.truncate(name, size); // also flushes: durable before the offer is written
  const merkle = MerkleTree.fromLeaves(leaves, format);
  return { root: merkle.root, key, tree: merkle.toPartial(), count, format: format.version };
}
