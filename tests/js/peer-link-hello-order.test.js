// PeerLink: the first frame each end of a link receives is the other's `hello`, whatever
// the order in which the two certificate checks finish and the `parley` channel opens,
// and whether frames arrive at once or only after the receiver is ready (§6: nothing is
// sent before the certificate check passes; frames that arrive earlier wait). Two real
// PeerLinks over fake peer connections whose channel ends are wired together; each end
// acts as the room swarm does: `hello` when the link opens, other frames only once the
// peer's `hello` came. A frame that reached an end before the peer's hello would be the
// `unauthenticated` close of room-swarm.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLink } from '../../static/app/peers/peer-link.js';
import { certificateOf, FakePeerConnection } from './fake-peer-connection.js';

const settle = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
};

// One end of the `parley` channel; what it sends is held by the wire until delivered.
class WiredChannel extends EventTarget {
  constructor(wire, readyState) {
    super();
    Object.assign(this, { wire, readyState, label: 'parley', bufferedAmount: 0, other: null });
  }
  send(text) { this.wire.push(() => this.other.receive(text)); }
  close() { this.readyState = 'closed'; }
  open() {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  receive(data) { this.dispatchEvent(Object.assign(new Event('message'), { data })); }
}

// Each end names its own certificate and is presented the other's; its own `parley`
// channel is one end of the wire.
function makePeerConnection(name, peerName, wire) {
  return class extends FakePeerConnection {
    static localCertificate = certificateOf(name);
    static remoteCertificate = certificateOf(peerName);
    createDataChannel() {
      this.ownChannel = new WiredChannel(wire, 'connecting');
      return this.ownChannel;
    }
  };
}

// An end that behaves like the room swarm on top of its link.
function actAsSwarm(link, name) {
  const end = { name, received: [], ready: false };
  link.addEventListener('open', () => link.send({ t: 'hello', v: 1, name, proof: `${'A'.repeat(85)}A` }));
  link.addEventListener('message', ({ detail: { frame } }) => {
    end.received.push(frame.t);
    if (end.ready) return;
    if (frame.t !== 'hello') return; // room-swarm.js would close the link: unauthenticated
    end.ready = true;
    link.send({ t: 'typing', active: true }); // as room state, calls and files do at once
  });
  return end;
}

async function linkUp(steps, { deliverAtOnce }) {
  const wire = [];
  const ada = new PeerLink({ polite: true, initiator: true, RTCPeerConnectionImpl: makePeerConnection('ada', 'bob', wire) });
  const bob = new PeerLink({ polite: false, initiator: false, RTCPeerConnectionImpl: makePeerConnection('bob', 'ada', wire) });
  ada.addEventListener('signal', ({ detail }) => bob.signal(detail.payload));
  bob.addEventListener('signal', ({ detail }) => ada.signal(detail.payload));
  const ends = [actAsSwarm(ada, 'ada'), actAsSwarm(bob, 'bob')];
  ada.pc.dispatchEvent(new Event('negotiationneeded'));
  await settle();
  assert.equal(ada.pc.signalingState, 'stable', 'offer and answer exchanged');

  const adaEnd = ada.pc.ownChannel;
  const bobEnd = new WiredChannel(wire, 'open'); // announced to Bob already open
  adaEnd.other = bobEnd;
  bobEnd.other = adaEnd;
  const deliver = () => { while (wire.length) wire.shift()(); };
  const actions = {
    adaChecks: () => ada.pc.connect(),
    bobChecks: () => bob.pc.connect(),
    channelOpens: () => {
      adaEnd.open();
      bob.pc.dispatchEvent(Object.assign(new Event('datachannel'), { channel: bobEnd }));
    },
  };
  for (const step of steps) {
    actions[step]();
    await settle();
    if (deliverAtOnce) deliver();
    await settle();
  }
  for (let round = 0; round < 4; round += 1) {
    deliver();
    await settle();
  }
  ada.close();
  bob.close();
  return ends;
}

const ORDERS = [
  ['adaChecks', 'bobChecks', 'channelOpens'],
  ['adaChecks', 'channelOpens', 'bobChecks'],
  ['bobChecks', 'adaChecks', 'channelOpens'],
  ['bobChecks', 'channelOpens', 'adaChecks'],
  ['channelOpens', 'adaChecks', 'bobChecks'],
  ['channelOpens', 'bobChecks', 'adaChecks'],
];

for (const steps of ORDERS) {
  for (const deliverAtOnce of [true, false]) {
    test(`hello comes first: ${steps.join(', ')}; frames ${deliverAtOnce ? 'at once' : 'late'}`, async () => {
      const ends = await linkUp(steps, { deliverAtOnce });
      for (const end of ends) {
        assert.deepEqual(end.received, ['hello', 'typing'], `what ${end.name} received`);
        assert.ok(end.ready, `${end.name} ready`);
      }
    });
  }
}
