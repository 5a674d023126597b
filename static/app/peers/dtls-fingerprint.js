// The DTLS certificate check of docs/protocol.md §6. Browsers never shipped WebRTC
// identity assertions, so we compare the certificate the peer actually presented with
// the fingerprint it signed inside a verified envelope.

// Returns the sha-256 fingerprint of an SDP as lowercase hex without colons, or null.
export function sdpFingerprint(sdp) {
  const match = /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/m.exec(sdp ?? '');
  return match ? match[1].replaceAll(':', '').toLowerCase() : null;
}

export async function certificateFingerprint(derBytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', derBytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Resolves to { verdict: 'ok' | 'mismatch' | 'unavailable', fingerprint }. The
// certificate can lag a moment behind the peer connection's 'connected' state, so wait
// for the DTLS transport to settle.
export async function checkRemoteCertificate(pc, signedSdp, { timeoutMs = 5000 } = {}) {
  const expected = sdpFingerprint(signedSdp);
  const transport = pc.sctp?.transport;
  if (!expected || typeof transport?.getRemoteCertificates !== 'function') return { verdict: 'unavailable' };
  const deadline = Date.now() + timeoutMs;
  let certificates = transport.getRemoteCertificates();
  while (!certificates?.length && !['failed', 'closed'].includes(transport.state) && Date.now() < deadline) {
    await new Promise((resolve) => {
      const done = () => {
        transport.removeEventListener('statechange', done);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, 50);
      transport.addEventListener('statechange', done);
    });
    certificates = transport.getRemoteCertificates();
  }
  if (!certificates?.length) return { verdict: 'unavailable' };
  const fingerprint = await certificateFingerprint(certificates[0]);
  return { verdict: fingerprint === expected ? 'ok' : 'mismatch', fingerprint };
}
