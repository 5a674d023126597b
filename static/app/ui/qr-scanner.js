// Reads a QR code with the camera, for linking a device: the new device shows its code
// (ui/qr-canvas.js) and the existing one scans it here.
//
//   const scanner = new QrScanner({ accept: (text) => text.startsWith('parley-link:') });
//   dialog.append(scanner.el);
//   const text = await scanner.scan();   // rejects with error.code: 'no_camera',
//   scanner.stop();                      // 'camera_denied', 'camera_failed', 'cancelled'
import { decodeQr } from '../../vendor/jsqr.js';
import { h } from './dom.js';

// Larger frames cost more per decode than they gain: a code held up to the camera
// fills much of the picture, and 640 px leaves its modules several pixels wide.
const MAX_WIDTH = 640;
// Without requestVideoFrameCallback there is no "new frame" signal; a timer keeps the
// decode rate (and the battery cost) bounded where requestAnimationFrame would not.
const TIMER_MS = 150;

// The pure part: the text of the QR code in an RGBA image, if `accept` takes it. A
// foreign code (a Wi-Fi one, a menu) gives null, so scanning goes on.
export function decodeFrame(rgba, width, height, accept = () => true) {
  const text = decodeQr(rgba, width, height);
  return text !== null && accept(text) ? text : null;
}

export function scanError(code, cause) {
  const error = new Error(`QR scan failed: ${code}`, { cause });
  error.code = code;
  return error;
}

// A getUserMedia failure as one of our codes. OverconstrainedError cannot come from
// our ideal-only constraint, but a browser may still say so when it has no camera.
export function cameraErrorCode(error) {
  if (['NotFoundError', 'OverconstrainedError', 'DevicesNotFoundError'].includes(error?.name)) return 'no_camera';
  if (['NotAllowedError', 'SecurityError', 'PermissionDeniedError'].includes(error?.name)) return 'camera_denied';
  return 'camera_failed';
}

export class QrScanner {
  constructor({ accept = () => true, mediaDevices = globalThis.navigator?.mediaDevices } = {}) {
    this.accept = accept;
    this.mediaDevices = mediaDevices;
    // muted + playsInline: otherwise iOS refuses to play it inline without a gesture.
    this.video = h('video', { class: 'qr-scanner-video', muted: true, playsInline: true, 'aria-label': 'Camera' });
    this.el = h('div', {
      class: 'qr-scanner', 'data-testid': 'qr-scanner',
      style: { 'max-width': '16rem', border: '2px solid currentColor', 'border-radius': '0.5rem', overflow: 'hidden' },
    }, this.video);
    this.video.style.setProperty('width', '100%');
    this.video.style.setProperty('display', 'block');
    this.canvas = null;
    this.context = null;
    this.stream = null;
    this.pending = null; // the next scheduled look at the video: () => cancel it
    this.done = false;
    this.result = null;
  }

  // The first accepted text; the camera is released as soon as it is found.
  scan() {
    this.result ??= new Promise((resolve, reject) => {
      if (this.done) return reject(scanError('cancelled')); // stop() came first
      this.settle = { resolve, reject };
      this.#start();
    });
    return this.result;
  }

  // Releases the camera; a scan still waiting rejects with 'cancelled'.
  stop() {
    this.#finish(scanError('cancelled'));
  }

  async #start() {
    if (!this.mediaDevices?.getUserMedia) return this.#finish(scanError('no_camera'));
    let stream;
    try {
      stream = await this.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (error) {
      return this.#finish(scanError(cameraErrorCode(error), error));
    }
    // stop() came while the permission prompt was up: give the camera straight back.
    if (this.done) return stream.getTracks().forEach((track) => track.stop());
    this.stream = stream;
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (error) {
      if (!this.done) this.#finish(scanError('camera_failed', error));
      return;
    }
    this.#schedule();
  }

  #schedule() {
    if (this.done) return;
    const video = this.video;
    // requestVideoFrameCallback is tied to frames presented for composition: a video
    // outside the document may get none (Chromium still calls it), the timer always runs.
    if (video.requestVideoFrameCallback && video.isConnected) {
      const id = video.requestVideoFrameCallback(() => this.#look());
      this.pending = () => video.cancelVideoFrameCallback(id);
    } else {
      const id = setTimeout(() => this.#look(), TIMER_MS);
      this.pending = () => clearTimeout(id);
    }
  }

  #look() {
    this.pending = null;
    if (this.done) return;
    let text;
    try {
      text = this.#decodeCurrentFrame();
    } catch (error) {
      return this.#finish(scanError('camera_failed', error));
    }
    if (text !== null) this.#finish(null, text);
    else this.#schedule();
  }

  #decodeCurrentFrame() {
    const { videoWidth, videoHeight } = this.video;
    if (!videoWidth || !videoHeight) return null; // no frame yet
    const scale = Math.min(1, MAX_WIDTH / videoWidth);
    const width = Math.round(videoWidth * scale);
    const height = Math.round(videoHeight * scale);
    this.canvas ??= h('canvas');
    if (this.canvas.width !== width || this.canvas.height !== height) {
      Object.assign(this.canvas, { width, height });
      this.context = null;
    }
    // willReadFrequently keeps the canvas on the CPU, where getImageData is cheap.
    this.context ??= this.canvas.getContext('2d', { willReadFrequently: true });
    this.context.drawImage(this.video, 0, 0, width, height);
    const { data } = this.context.getImageData(0, 0, width, height);
    return decodeFrame(data, width, height, this.accept);
  }

  #finish(error, text) {
    if (this.done) return;
    this.done = true;
    this.pending?.();
    this.pending = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
    if (!this.settle) return; // stopped before scan(), which will then reject
    if (error) this.settle.reject(error);
    else this.settle.resolve(text);
  }
}
