// The file worker: every byte of a file this device sends or fetches goes through here,
// into the Origin Private File System (docs/protocol.md §11). Synchronous access
// handles (only available in a dedicated worker) write in place; `flush` makes the
// writes durable before the transfer record says a chunk is held.
//
// Writes that continue one another are gathered into one buffer of up to WRITE_BATCH
// bytes and written in one call when it is full, when a write elsewhere in the file
// comes, or before any other request on that file (flush, read, truncate, …). Each
// handle.write costs a fixed overhead (an IPC to the browser in a private window:
// 128 KiB writes ran at a third of the speed of 1-2 MiB ones), so a download written
// chunk by chunk was bound by it. A `write` answer means the bytes are taken; an error
// writing them (a full disk) comes with the next flush then.
//
// Requests: { id, op, name, ... } -> { id, result } | { id, error: { name, message } }
//   write { name, offset, data: ArrayBuffer } -> data (handed back: see below)
//   read { name, offset, length } -> ArrayBuffer
//   flush { name }   truncate { name, size }   file { name } -> File (closes the handle)
//   delete { name }  size { name } -> number   estimate -> { usage, quota }
const DIRECTORY = 'parley-files';
const WRITE_BATCH = 2 * 1024 * 1024;
const handles = new Map(); // name -> Promise<FileSystemSyncAccessHandle>
const batches = new Map(); // name -> { buffer: Uint8Array(WRITE_BATCH), offset, length }
let spare = null; // the buffer of a file's last batch, for the next file's
let directory = null;

async function dir() {
  directory ??= navigator.storage.getDirectory().then((root) => root.getDirectoryHandle(DIRECTORY, { create: true }));
  return directory;
}

function checkName(name) {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError('bad file name');
  return name;
}

// Only writing makes a file: a read or a flush that comes after the file was deleted (a
// disappearing file, docs/protocol.md §7) fails instead of leaving an empty one behind.
async function access(name, { create = false } = {}) {
  checkName(name);
  if (!handles.has(name)) {
    const opening = dir()
      .then((d) => d.getFileHandle(name, { create }))
      .then((handle) => handle.createSyncAccessHandle());
    handles.set(name, opening);
    opening.catch(() => handles.delete(name));
  }
  return handles.get(name);
}

function writeAll(handle, bytes, offset) {
  let done = 0;
  while (done < bytes.length) done += handle.write(bytes.subarray(done), { at: offset + done });
  return done;
}

// Writes the gathered bytes of `name`, if any. Called before every other request on it.
async function writeBatch(name) {
  const batch = batches.get(name);
  if (!batch?.length) return;
  const { offset, length } = batch;
  batch.length = 0; // taken even if the write fails: the error goes to this request
  writeAll(await access(name, { create: true }), batch.buffer.subarray(0, length), offset);
}

// A flushed file gives its buffer back: a finished download keeps none.
function dropBatch(name) {
  const batch = batches.get(name);
  if (!batch) return;
  batches.delete(name);
  spare = batch.buffer;
}

async function release(name) {
  dropBatch(name);
  const opening = handles.get(name);
  if (!opening) return;
  handles.delete(name);
  try {
    (await opening).close();
  } catch {
    // it never opened
  }
}

const ops = {
  async write({ name, offset, data }) {
    const bytes = new Uint8Array(data);
    let batch = batches.get(name);
    if (batch?.length && (batch.offset + batch.length !== offset || batch.length + bytes.length > WRITE_BATCH)) {
      await writeBatch(name);
    }
    if (bytes.length > WRITE_BATCH / 2) {
      writeAll(await access(name, { create: true }), bytes, offset);
      return data;
    }
    await access(name, { create: true }); // a bad name or a file that cannot open fails this write
    if (!batch) {
      batch = { buffer: spare ?? new Uint8Array(WRITE_BATCH), offset: 0, length: 0 };
      spare = null;
      batches.set(name, batch);
    }
    if (batch.length === 0) batch.offset = offset;
    batch.buffer.set(bytes, batch.length);
    batch.length += bytes.length;
    if (batch.length === WRITE_BATCH) await writeBatch(name);
    // The buffer goes back to the page, which lets it go: dropped here, the buffers of a
    // download piled up (this worker allocates little, so its collector ran seldom; B's
    // workers peaked at 74 MB in a 256 MiB download) while the page collects often.
    return data;
  },
  async read({ name, offset, length }) {
    const handle = await access(name);
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = handle.read(buffer.subarray(done), { at: offset + done });
      if (n === 0) break;
      done += n;
    }
    if (done !== length) throw new RangeError('short read');
    return buffer.buffer;
  },
  async flush({ name }) {
    (await access(name)).flush();
    dropBatch(name);
    return true;
  },
  async truncate({ name, size }) {
    const handle = await access(name, { create: true });
    handle.truncate(size);
    handle.flush();
    return true;
  },
  async size({ name }) {
    return (await access(name)).getSize();
  },
  // A File backed by the stored bytes (never read into memory here): for a preview, or
  // a download. The sync handle is closed first, so the file is not locked.
  async file({ name }) {
    checkName(name);
    await release(name);
    const handle = await (await dir()).getFileHandle(name);
    return handle.getFile();
  },
  async delete({ name }) {
    checkName(name);
    await release(name);
    try {
      await (await dir()).removeEntry(name);
    } catch (error) {
      if (error?.name !== 'NotFoundError') throw error;
    }
    return true;
  },
  async estimate() {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    return { usage, quota };
  },
};

// One request at a time per file: writes and reads of a file never interleave, and a
// `file` request sees every write made before it.
const queues = new Map(); // name -> Promise

self.addEventListener('message', ({ data }) => {
  const { id, op } = data;
  const key = data.name ?? '';
  const run = (queues.get(key) ?? Promise.resolve()).then(async () => {
    try {
      if (!Object.hasOwn(ops, op)) throw new TypeError(`unknown op ${op}`);
      if (op !== 'write' && op !== 'delete' && batches.has(key)) await writeBatch(key);
      const result = await ops[op](data);
      self.postMessage({ id, result }, result instanceof ArrayBuffer ? [result] : []);
    } catch (error) {
      self.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } });
    }
  });
  queues.set(key, run);
  run.then(() => {
    if (queues.get(key) === run) queues.delete(key);
  });
});
