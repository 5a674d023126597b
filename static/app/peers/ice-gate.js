// IceGate: work that makes links waits until the ICE servers are known
// (peers/ice-config.js), or the first links would gather no STUN or TURN candidates. At
// most the client's 5 s: then the configuration goes on with what it has.
//
//   const gate = new IceGate(iceConfig)   // null: no wait at all
//   gate.run(() => ...)                   now, or once the servers are known
//   gate.reset()                          a new rendezvous connection: what waited is void
//   gate.stop()                           nothing that waited runs any more

// Signals arriving in the wait; beyond, they are lost as on a congested server, and the
// peer's own timeout and redial take over.
const MAX_WAITING = 256;

export class IceGate {
  #iceConfig;
  #waiting = [];
  #generation = 0;
  #stopped = false;

  constructor(iceConfig) {
    this.#iceConfig = iceConfig;
  }

  run(work) {
    if (!this.#iceConfig) return work();
    if (this.#waiting.length >= MAX_WAITING) return undefined;
    this.#waiting.push(work);
    if (this.#waiting.length === 1) {
      const generation = this.#generation;
      this.#iceConfig.whenReady().then(() => {
        if (this.#stopped || generation !== this.#generation) return;
        for (const held of this.#waiting.splice(0)) held();
      });
    }
    return undefined;
  }

  reset() {
    this.#generation += 1;
    this.#waiting = [];
  }

  stop() {
    this.#stopped = true;
  }
}
