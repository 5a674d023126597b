// When a transfer's record is saved: soon (one timer, however many ask meanwhile) or now,
// each save after the saves before it, so an older state never overwrites a newer one.
//
//   const saves = new SaveSchedule()
//   saves.soon(delayMs, save); await saves.now(write); saves.pending
export class SaveSchedule {
  #timer = null;
  #saving = Promise.resolve();

  get pending() {
    return this.#timer !== null;
  }

  soon(delayMs, save) {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      save();
    }, delayMs);
  }

  // write() runs once the saves before it are done; a failure is logged, not thrown.
  now(write) {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#saving = this.#saving.then(write).catch((error) => console.warn('parley: transfer state not saved', error));
    return this.#saving;
  }
}
