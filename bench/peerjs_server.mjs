// PeerJS's own server (npm package `peer`), for bench/signaling/: `node
// bench/peerjs_server.mjs FD`, serving on the listening socket it inherits as file
// descriptor FD (as `manage.py serve --fd` does). It is assembled as the package's
// PeerServer() assembles it (express, an HTTP server, ExpressPeerServer at '/'), with
// options as shipped except concurrent_limit (5,000 by default), raised as Parley's
// per-address caps are so that the benchmark's load is not refused. Prints 'listening'
// once it accepts.
import http from 'node:http';

import express from 'express';
import { ExpressPeerServer } from 'peer';

const fd = Number(process.argv[2]);
const app = express();
const server = http.createServer(app);
app.use(ExpressPeerServer(server, { path: '/', concurrent_limit: 1_000_000 }));
server.listen({ fd }, () => {
  console.log('listening');
});
