// Which chunks of a file are held: one bit per chunk, bit k of byte j (LSB first) is
// chunk 8j + k, the layout of the `have` frame (docs/protocol.md §11), so the bytes go
// on the wire and into storage as they are.
export const MAX_HAVE_BITS_BYTES = 16384;

function popcount8(byte) {
  let bits = byte;
  bits -= (bits >> 1) & 0x55;
  bits = (bits & 0x33) + ((bits >> 2) & 0x33);
  return (bits + (bits >> 4)) & 0x0f;
}

// Index of the highest set bit of `bits`, or -1 when none is set.
export function lastSetBit(bits) {
  for (let j = bits.length - 1; j >= 0; j--) {
    if (bits[j] !== 0) return 8 * j + 31 - Math.clz32(bits[j]);
  }
  return -1;
}

export class Bitfield {
  #bytes;
  #count;

  // `bytes` (optional) is a saved bitfield of exactly ceil(n / 8) bytes; it is copied.
  constructor(n, bytes) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('n must be a safe integer >= 0');
    this.n = n;
    const length = Math.ceil(n / 8);
    if (bytes === undefined) {
      this.#bytes = new Uint8Array(length);
      this.#count = 0;
      return;
    }
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw new RangeError(`a bitfield of ${n} bits has ${length} bytes`);
    }
    if (n % 8 !== 0 && bytes[length - 1] >> (n % 8) !== 0) {
      throw new RangeError('bits past the last chunk are set');
    }
    this.#bytes = bytes.slice();
    this.#count = this.#bytes.reduce((sum, byte) => sum + popcount8(byte), 0);
  }

  #check(i) {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new RangeError(`bit ${i} is not 0..${this.n - 1}`);
  }

  has(i) {
    this.#check(i);
    return (this.#bytes[i >> 3] & (1 << (i & 7))) !== 0;
  }

  // Returns whether the bit was newly set.
  set(i) {
    if (this.has(i)) return false;
    this.#bytes[i >> 3] |= 1 << (i & 7);
    this.#count++;
    return true;
  }

  // Returns whether the bit was set before.
  clear(i) {
    if (!this.has(i)) return false;
    this.#bytes[i >> 3] &= ~(1 << (i & 7));
    this.#count--;
    return true;
  }

  count() {
    return this.#count;
  }

  get complete() {
    return this.#count === this.n;
  }

  // The live bytes (no copy): for saving, or for a frame sent right away.
  get bytes() {
    return this.#bytes;
  }

  // Indices not held, from `from` upwards; whole held bytes are skipped at once.
  * missing(from = 0) {
    for (let i = Math.max(0, from); i < this.n; i++) {
      if ((i & 7) === 0 && this.#bytes[i >> 3] === 0xff) {
        i += 7;
        continue;
      }
      if (!this.has(i)) yield i;
    }
  }

  // The whole field cut into `have` frame ranges (views into the live bytes).
  ranges(maxBytes = MAX_HAVE_BITS_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('maxBytes must be >= 1');
    const out = [];
    for (let j = 0; j < this.#bytes.length; j += maxBytes) {
      out.push({ first: j * 8, bits: this.#bytes.subarray(j, j + maxBytes) });
    }
    return out;
  }

  // ORs in a `have` range: bit k of byte j of `bits` is chunk first + 8j + k, any
  // `first`. Bits for chunks >= n must be clear (a peer that sets them is malformed);
  // if one is set, nothing is merged.
  merge(first, bits) {
    if (!Number.isSafeInteger(first) || first < 0) throw new RangeError('first must be >= 0');
    const last = lastSetBit(bits);
    if (last < 0) return;
    if (first + last >= this.n) throw new RangeError(`bit ${first + last} is not 0..${this.n - 1}`);
    if (first % 8 === 0) {
      for (let j = 0; j <= last >> 3; j++) {
        const target = (first >> 3) + j;
        const before = this.#bytes[target];
        this.#bytes[target] = before | bits[j];
        this.#count += popcount8(this.#bytes[target]) - popcount8(before);
      }
      return;
    }
    for (let j = 0; j <= last >> 3; j++) {
      for (let k = 0; k < 8; k++) {
        if (bits[j] & (1 << k)) this.set(first + 8 * j + k);
      }
    }
  }
}
