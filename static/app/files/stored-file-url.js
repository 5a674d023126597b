// The finished file of a Transfer as the page shows it: the stored file and one object
// URL of it (the file on disk, not a copy in memory), loaded once and kept until
// released; a failed load is tried again on the next ask.
//
//   const stored = new StoredFileUrl()
//   stored.get(() => files.file(name), mime) -> Promise of { file, url }; stored.release()
//
// The stored file has no type: a preview opened in a tab would show its raw bytes. The
// URL gets the offer's type only where that is safe (files/offer-fields.js viewableType).
import { viewableType } from './offer-fields.js';

export class StoredFileUrl {
  #loading = null; // Promise of { file, url } once asked for

  get(load, mime) {
    if (!this.#loading) {
      // The Blob refers to the stored file, it does not copy it.
      const loading = load().then((file) => ({
        file, url: URL.createObjectURL(new Blob([file], { type: viewableType(mime) })),
      }));
      this.#loading = loading;
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = null;
      });
    }
    return this.#loading;
  }

  release() {
    this.#loading?.then(({ url }) => URL.revokeObjectURL(url), () => {});
    this.#loading = null;
  }
}
