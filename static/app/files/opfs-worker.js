// The file worker: every byte of a file this device sends or fetches goes through here,
// into the Origin Private File System (docs/protocol.md §11). Synchronous access
// handles (only available in a dedicated worker) write in place at once, so a tab that
// is closed mid-transfer loses nothing that was written; `flush` makes it durable
// before the transfer record says the chunk is held.
//
// Requests: { id, op, name, ... } -> { id, result } | { id, error: { name, message } }
//   write { name, offset, data: ArrayBuffer }  read { name, offset, length } -> ArrayBuffer
//   flush { name }   truncate { name, size }   file { name } -> File (closes the handle)
//   delete { name }  size { name } -> number   estimate -> { usage, quota }
const DIRECTORY = 'parley-files';
const handles = new Map(); // name -> Promise<FileSystemSyncAccessHandle>
let directory = null;

async function dir() {
  directory ??= navigator.storage.getDirectory().then((root) => root.getDirectoryHandle(DIRECTORY, { create: true }));
  return directory;
}

function checkName(name) {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError('bad file name');
  return name;
}

async function access(name) {
  checkName(name);
  if (!handles.has(name)) {
    const opening = dir()
      .then((d) => d.getFileHandle(name, { create: true }))
      .then((handle) => handle.createSyncAccessHandle());
    handles.set(name, opening);
    opening.catch(() => handles.delete(name));
  }
  return handles.get(name);
}

async function release(name) {
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
    const handle = await access(name);
    const bytes = new Uint8Array(data);
    let done = 0;
    while (done < bytes.length) done += handle.write(bytes.subarray(done), { at: offset + done });
    return done;
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
    return true;
  },
  async truncate({ name, size }) {
    const handle = await access(name);
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
