// The schema of the server's `ice-servers` answer (docs/protocol.md §3): the STUN and
// TURN servers this device may use, exactly as `new RTCPeerConnection({iceServers})`
// takes them. Everything from outside is bounded and copied field by field, so nothing
// else the server puts in a frame ever reaches the browser's WebRTC stack.
//
//   parseIceServersAnswer(frame) -> { servers, expires }   (throws IceServersSchemaError)
//   hasRelay(servers)            -> whether any server is a TURN relay
export const MAX_ICE_SERVERS = 8;
export const MAX_URLS_PER_SERVER = 8;
const MAX_URL_CHARS = 512;
const MAX_CREDENTIAL_CHARS = 256; // coturn's REST usernames are `<unix time>:<id>`; HMAC-SHA1 is 28 chars
// The grammar the server checks its settings with (RFC 7064, 7065; signal_server/
// ice_servers.py): a URL the WebRTC stack cannot parse makes RTCPeerConnection's
// constructor throw, which would take every link down with it.
const SCHEME = /^(stuns?|turns?):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(\?transport=(udp|tcp))?$/;
const RELAY_SCHEME = /^turns?:/;

export class IceServersSchemaError extends Error {
  constructor(message) {
    super(message);
    this.name = 'IceServersSchemaError';
  }
}

function boundedString(value, max, what) {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new IceServersSchemaError(`${what} must be a string of 1..${max} characters`);
  }
  return value;
}

function parseServer(server) {
  if (!server || typeof server !== 'object' || Array.isArray(server)) {
    throw new IceServersSchemaError('a server must be an object');
  }
  const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
  if (!Array.isArray(urls) || urls.length === 0 || urls.length > MAX_URLS_PER_SERVER) {
    throw new IceServersSchemaError(`urls must be 1..${MAX_URLS_PER_SERVER} strings`);
  }
  for (const url of urls) {
    boundedString(url, MAX_URL_CHARS, 'a url');
    if (!SCHEME.test(url)) {
      throw new IceServersSchemaError('a url must be stun:, stuns:, turn: or turns: host[:port][?transport=udp|tcp]');
    }
  }
  const relay = urls.some((url) => RELAY_SCHEME.test(url));
  if (!relay) return { urls: [...urls] };
  // A TURN url without credentials makes RTCPeerConnection's constructor throw, which
  // would take every link down with it.
  return {
    urls: [...urls],
    username: boundedString(server.username, MAX_CREDENTIAL_CHARS, 'a TURN username'),
    credential: boundedString(server.credential, MAX_CREDENTIAL_CHARS, 'a TURN credential'),
  };
}

export function parseIceServersAnswer(frame) {
  const { servers, expires } = frame ?? {};
  if (!Array.isArray(servers) || servers.length > MAX_ICE_SERVERS) {
    throw new IceServersSchemaError(`servers must be a list of at most ${MAX_ICE_SERVERS}`);
  }
  if (expires !== null && !(Number.isSafeInteger(expires) && expires > 0)) {
    throw new IceServersSchemaError('expires must be a unix time in seconds or null');
  }
  const parsed = servers.map(parseServer);
  if (hasRelay(parsed) && expires === null) throw new IceServersSchemaError('TURN credentials need an expiry');
  return { servers: parsed, expires };
}

export function hasRelay(servers) {
  return servers.some((server) => [server.urls].flat().some((url) => RELAY_SCHEME.test(url)));
}
