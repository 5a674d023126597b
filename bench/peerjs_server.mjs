// PeerJS's own server (npm package `peer`), for bench/signaling/: `node
// bench/peerjs_server.mjs PORT`. Options as shipped except two that would refuse the
// benchmark's load: concurrent_limit (5,000 by default) is raised, as Parley's per-address
// caps are, and it listens on 127.0.0.1 only. Prints 'listening' once it accepts.
import { PeerServer } from 'peer';

const port = Number(process.argv[2] || 9000);
PeerServer({ host: '127.0.0.1', port, path: '/', concurrent_limit: 1_000_000 }, () => {
  console.log('listening');
});
