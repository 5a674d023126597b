// What a received file's object URL may be typed as (files/offer-fields.js): a raster
// image as itself, anything that could run script in Parley's origin as opaque bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isViewableImage, viewableType } from '../../static/app/files/offer-fields.js';

test('only raster images keep their type; SVG, HTML and the rest are opaque bytes', () => {
  for (const mime of ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']) {
    assert.equal(viewableType(mime), mime);
    assert.ok(isViewableImage(mime));
  }
  assert.equal(viewableType('IMAGE/PNG'), 'image/png', 'a sender may write the type in capitals');
  for (const mime of ['image/svg+xml', 'text/html', 'application/xhtml+xml', 'text/xml', 'application/pdf', '', null, 'image/png; x=1']) {
    assert.equal(viewableType(mime), 'application/octet-stream', String(mime));
    assert.equal(isViewableImage(mime), false);
  }
});
