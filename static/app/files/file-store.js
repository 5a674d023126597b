// FileStore: the main thread's side of files/opfs-worker.js. Every call is one request
// to the worker; byte buffers are transferred, not copied.
//
//   const files = FileStore.open()          // null when this browser has no OPFS workers
//   await files.write(name, offset, bytes)  // bytes: Uint8Array (its buffer is handed over,
//                                           // and back: the answer, for the caller to drop)
//   await files.read(name, offset, length)  -> Uint8Array
//   await files.flush(name); await files.truncate(name, size); await files.delete(name)
//   await files.file(name)                  -> File backed by the stored bytes
//
// Names are [A-Za-z0-9_-]{1,64}: a transfer's own random name (files/transfer-manager.js).
export class FileStoreError extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.code = code;
  }
}

export class FileStore {
  static open() {
    if (typeof Worker !== 'function' || !globalThis.navigator?.storage?.getDirectory) return null;
    const worker = new Worker(new URL('./opfs-worker.js', import.meta.url), { type: 'module', name: 'parley-files' });
    return new FileStore(worker);
  }

  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject }
    worker.addEventListener('message', ({ data }) => {
      const waiting = this.pending.get(data.id);
      if (!waiting) return;
      this.pending.delete(data.id);
      if (data.error) waiting.reject(toError(data.error));
      else waiting.resolve(data.result);
    });
    worker.addEventListener('error', (event) => {
      const error = new FileStoreError('no_storage', event.message || 'file worker failed');
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      this.broken = error;
    });
  }

  #call(op, fields = {}, transfer = []) {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...fields }, transfer);
    });
  }

  // The bytes are copied into a buffer of their own when they are a view of a larger one
  // (that buffer stays with the caller); otherwise the buffer itself moves to the worker.
  write(name, offset, bytes) {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const data = whole ? bytes.buffer : bytes.slice().buffer;
    return this.#call('write', { name, offset, data }, [data]);
  }

  async read(name, offset, length) {
    return new Uint8Array(await this.#call('read', { name, offset, length }));
  }

  flush(name) {
    return this.#call('flush', { name });
  }

  truncate(name, size) {
    return this.#call('truncate', { name, size });
  }

  size(name) {
    return this.#call('size', { name });
  }

  file(name) {
    return this.#call('file', { name });
  }

  delete(name) {
    return this.#call('delete', { name });
  }

  estimate() {
    return this.#call('estimate');
  }
}

function toError({ name, message }) {
  if (name === 'QuotaExceededError') return new FileStoreError('storage_full', message);
  if (name === 'NotFoundError') return new FileStoreError('not_stored', message);
  return new FileStoreError('storage_failed', `${name}: ${message}`);
}
