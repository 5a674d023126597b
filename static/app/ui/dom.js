// The one way views build DOM: elements with properties and children, text always as
// text nodes. Nothing here ever parses HTML, so message content cannot run.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    // Through CSSOM, not a style attribute: the CSP forbids inline style attributes.
    else if (key === 'style') for (const [prop, v] of Object.entries(value)) el.style.setProperty(prop, v);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// The app icon (static/icons, drawn by scripts/make_icons.py) as the brand mark; it is
// in the app shell, so it shows offline too.
export function brandMark({ large = false } = {}) {
  return h('img', {
    class: large ? 'brand-mark large' : 'brand-mark', src: '/static/icons/icon-192.png', alt: '', 'aria-hidden': 'true',
  });
}
