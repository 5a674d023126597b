// The decoding half of the device-link scanner (ui/qr-scanner.js): codes made by our
// own encoder, drawn as the page draws them, read back by the vendored decoder. The
// camera half is e2e/fake_camera.py's job.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cameraErrorCode, decodeFrame, QrScanner } from '../../static/app/ui/qr-scanner.js';
import { createQr } from '../../static/vendor/qrcode.js';

// An RGBA image of `text` as a QR code: `scale` pixels a module, a white quiet zone of
// four modules (as ui/qr-canvas.js draws it), then `margin` more white pixels around.
function qrImage(text, { scale = 4, margin = 0 } = {}) {
  const { modules } = createQr(text, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 8) * scale + 2 * margin;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const row = Math.floor((y - margin) / scale) - 4;
      const col = Math.floor((x - margin) / scale) - 4;
      const inside = row >= 0 && col >= 0 && row < modules.size && col < modules.size;
      if (inside && modules.data[row * modules.size + col]) rgba.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
    }
  }
  return { rgba, width: side, height: side };
}

test('a code drawn by our encoder reads back to the exact text', () => {
  for (const text of ['parley-link:TEST-CODE-1234', 'https://parley.example/#link=AbC-_0123456789xyz', 'x'.repeat(150)]) {
    const { rgba, width, height } = qrImage(text, { scale: 3, margin: 17 });
    assert.equal(decodeFrame(rgba, width, height), text);
  }
});

test('a blank image has no code', () => {
  const side = 320;
  assert.equal(decodeFrame(new Uint8ClampedArray(side * side * 4).fill(255), side, side), null);
});

test('a code the caller does not accept is skipped, one it does is returned', () => {
  const { rgba, width, height } = qrImage('WIFI:S:cafe;T:WPA;P:secret;;');
  const seen = [];
  const isLink = (text) => seen.push(text) && text.startsWith('parley-link:');
  assert.equal(decodeFrame(rgba, width, height, isLink), null);
  assert.deepEqual(seen, ['WIFI:S:cafe;T:WPA;P:secret;;']);
  const link = qrImage('parley-link:TEST-CODE-1234');
  assert.equal(decodeFrame(link.rgba, link.width, link.height, isLink), 'parley-link:TEST-CODE-1234');
});

test('camera errors map to the codes the page explains', () => {
  const named = (name) => Object.assign(new Error(name), { name });
  assert.equal(cameraErrorCode(named('NotFoundError')), 'no_camera');
  assert.equal(cameraErrorCode(named('OverconstrainedError')), 'no_camera');
  assert.equal(cameraErrorCode(named('NotAllowedError')), 'camera_denied');
  assert.equal(cameraErrorCode(named('SecurityError')), 'camera_denied');
  assert.equal(cameraErrorCode(named('NotReadableError')), 'camera_failed');
  assert.equal(cameraErrorCode(undefined), 'camera_failed');
});

// The constructor builds DOM; these stand-ins are just enough for it (no frames are drawn).
function withFakeDocument(run) {
  class Node {
    style = { setProperty() {} };
    dataset = {};
    setAttribute() {}
    append() {}
  }
  globalThis.Node = Node;
  globalThis.document = { createElement: () => new Node() };
  return Promise.resolve().then(run).finally(() => {
    delete globalThis.document;
    delete globalThis.Node;
  });
}

test('no camera, a refused one, and stop() before a result: rejected with their codes', () => withFakeDocument(async () => {
  await assert.rejects(new QrScanner({ mediaDevices: undefined }).scan(), { code: 'no_camera' });
  const refusing = { getUserMedia: async () => { throw Object.assign(new Error('no'), { name: 'NotAllowedError' }); } };
  await assert.rejects(new QrScanner({ mediaDevices: refusing }).scan(), { code: 'camera_denied' });

  // stop() while the permission prompt is up: the late stream's tracks are stopped too.
  let grant;
  const stopped = [];
  const slow = { getUserMedia: () => new Promise((resolve) => { grant = resolve; }) };
  const scanner = new QrScanner({ mediaDevices: slow });
  const result = scanner.scan();
  scanner.stop();
  await assert.rejects(result, { code: 'cancelled' });
  grant({ getTracks: () => [{ stop: () => stopped.push('video') }] });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(stopped, ['video']);

  const early = new QrScanner({ mediaDevices: slow });
  early.stop();
  await assert.rejects(early.scan(), { code: 'cancelled' });
}));
