// Draws a QR code on a <canvas> from the encoder's module matrix (no HTML or SVG is
// parsed, so nothing about it needs a looser CSP).
import { createQr } from '../../vendor/qrcode.js';
import { h } from './dom.js';

const QUIET_ZONE = 4; // modules of white around the code, as the standard asks

export function qrCanvas(text, { pixels = 200, label = 'QR code' } = {}) {
  const { modules } = createQr(text, { errorCorrectionLevel: 'M' });
  const cells = modules.size + 2 * QUIET_ZONE;
  const scale = Math.max(1, Math.floor(pixels / cells));
  const canvas = h('canvas', { class: 'qr', width: cells * scale, height: cells * scale, role: 'img', 'aria-label': label });
  canvas.dataset.qrText = text;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.data[row * modules.size + col]) {
        ctx.fillRect((col + QUIET_ZONE) * scale, (row + QUIET_ZONE) * scale, scale, scale);
      }
    }
  }
  return canvas;
}
