// The name and type a file offer carries (docs/protocol.md §11), cleaned from what the
// browser's File says.
const MAX_FILE_NAME = 255;

// A name of 1..255 code points that keeps its extension when cut.
export function fileNameOf(name) {
  // Control characters in a name could hide its real extension or break the card's line.
  // eslint-disable-next-line no-control-regex
  const clean = String(name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'file';
  const points = [...clean];
  if (points.length <= MAX_FILE_NAME) return clean;
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 ? [...clean.slice(dot)].slice(0, 16) : [];
  return [...points.slice(0, MAX_FILE_NAME - extension.length), ...extension].join('');
}

// The browser's guess at the type, when it is a plain `type/subtype`; else unknown.
export function mimeOf(type) {
  const clean = String(type ?? '').split(';')[0].trim().toLowerCase();
  return clean.length <= 127 && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(clean) ? clean : '';
}

// Raster images a tab may show as themselves. Anything else keeps no type of its own in
// an object URL: an SVG or HTML file opened from this origin would run its script here.
const VIEWABLE_IMAGES = /^image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/;

export function isViewableImage(mime) {
  return VIEWABLE_IMAGES.test(String(mime ?? '').toLowerCase());
}

// The type an object URL of a received file is given: its own for a viewable image,
// opaque bytes (which a tab downloads) for the rest.
export function viewableType(mime) {
  return isViewableImage(mime) ? String(mime).toLowerCase() : 'application/octet-stream';
}
