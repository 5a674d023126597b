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

// Resolves to 'ok', 'mismatch' or 'unavailable'. The certificate can lag a moment behind
// the peer connection's 'connected' state, so wait for the DTLS transport to settle.
export async function checkRemoteCertificate(pc, signedSdp, { timeoutMs = 5000 } = {}) {
  const expected = sdpFingerprint(signedSdp);
  const transport = pc.sctp?.transport;
  if (!expected || typeof transport?.getRemoteCertificates !== 'function') return 'unavailable';
  const deadline = Date.now() + timeoutMs;
  let certificates = transport.getRemoteCertificates();
  while (!certificates?.length && transport.state !== 'failed' && transport.state !== 'closed' && Date.now() < deadline) {
    await new Promise((resolve) => {
      transport.addEventListener('statechange', resolve, { once: true });
      setTimeout(resolve, 50);
    });
    certificates = transport.getRemoteCertificates();
  }
  if (!certificates?.length) return 'unavailable';
  return (await certificateFingerprint(certificates[0])) === expected ? 'ok' : 'mismatch';
}
