// PeerLink: the first frame each end of a link receives is the other's `hello`, whatever
// the order in which the two certificate checks finish and the `parley` channel opens,
// and whether frames arrive at once or only after the receiver is ready (§6: nothing is
// sent before the certificate check passes; frames that arrive earlier wait). Two real
// PeerLinks over fake peer connections whose channel ends are wired together; each end
// acts as the room swarm does: `hello` when the link opens, other frames only once the
// peer's `hello` came. A frame that reached an end before the peer's hello would be the
// `unauthenticated` close of room-swarm.js.
//
// The answerer's end is announced as Chromium 156 announces it: already `open`, its
// 'open' event at once after the 'datachannel' event, and what is sent on it lost,
// without an error, until the stream underneath is open, which the wire here makes as
// late as it can be: until the first frame came over it. An answerer whose certificate
// check had passed before the channel came used to greet into that gap (seen in about 1
// link set-up in 100 between two real pages: its hello never counted in messagesSent,
// its frames after the peer's hello arrived, and the peer closed the link as
// `unauthenticated`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerLink } from '../../static/app/peers/peer-link.js';
import { certificateOf, FakePeerConnection } from './fake-peer-connection.js';

const settle = async () => {
  for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
};

// One end of the `parley` channel; what it sends is held by the wire until delivered,
// or lost (`lost`) while the stream underneath is not open yet (`carries`).
class WiredChannel extends EventTarget {
  constructor(wire, readyState) {
    super();
    Object.assign(this, { wire, readyState, label: 'parley', bufferedAmount: 0, other: null, carries: false, lost: [] });
  }
  send(text) {
    if (this.carries) this.wire.push(() => this.other.receive(text));
    else this.lost.push(JSON.parse(text).t);
  }
  close() { this.readyState = 'closed'; }
  open() {
    this.readyState = 'open';
    this.carries = true;
    this.dispatchEvent(new Event('open'));
  }
  receive(data) {
    this.carries = true; // a frame came over the stream: it is open
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
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
  const bobEnd = new WiredChannel(wire, 'open'); // announced to Bob already open...
  adaEnd.other = bobEnd;
  bobEnd.other = adaEnd;
  const deliver = () => { while (wire.length) wire.shift()(); };
  const actions = {
    adaChecks: () => ada.pc.connect(),
    bobChecks: () => bob.pc.connect(),
    channelOpens: () => {
      adaEnd.open();
      bob.pc.announce(bobEnd); // ...with its 'open' event; it carries from the first frame
    },
  };
  // The certificate check (§6) runs on a thread of its own: each step waits for it, so
  // the order of the steps is the order the links see.
  const checked = () => Promise.all([ada.certificateCheck, bob.certificateCheck]);
  for (const step of steps) {
    actions[step]();
    await checked();
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
  return { ends, lost: [...adaEnd.lost, ...bobEnd.lost] };
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
      const { ends, lost } = await linkUp(steps, { deliverAtOnce });
      assert.deepEqual(lost, [], 'sent before the channel could carry it');
      for (const end of ends) {
        assert.deepEqual(end.received, ['hello', 'typing'], `what ${end.name} received`);
        assert.ok(end.ready, `${end.name} ready`);
      }
    });
  }
}
