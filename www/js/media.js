// media.js: pictures and files that need the token. An <img src> cannot send
// an Authorization header, so avatars and attachments are fetched with it
// and shown through blob: URLs, cached by their API URL for this session.

import * as api from './api.js';
import { h, initials, hue, displayName } from './dom.js';

const cache = new Map(); // API URL → Promise<string blob URL>

// blobUrl(url) → a blob: URL of that API resource (one fetch per URL).
export function blobUrl(url) {
  let p = cache.get(url);
  if (!p) {
    p = api.get(url, { blob: true, timeout: 60000, cache: 'no-cache' }).then((b) => URL.createObjectURL(b));
    p.catch(() => cache.delete(url)); // a later view may try again
    cache.set(url, p);
  }
  return p;
}

// forget(url): the next blobUrl(url) fetches it again (a new avatar may
// come at the same URL); the HTTP cache makes that a cheap 304.
export function forget(url) {
  const p = cache.get(url);
  if (p) {
    cache.delete(url);
    setTimeout(() => p.then((u) => URL.revokeObjectURL(u), () => {}), 10000);
  }
}

// Forgets every blob (sign-out).
export function clear() {
  for (const p of cache.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
  cache.clear();
}

// An avatar: the picture when the user has one, else initials on a colour.
// size: 'sm' | 'md' | 'lg'. user may be a User or { id, title } of a chat.
export function avatar(user, size = 'md', online = undefined) {
  const name = user && (user.title || displayName(user));
  const el = h(`span.avatar.${size}`, { 'aria-hidden': 'true', style: { '--h': hue(user ? user.id : 0) } },
    h('span.initials', initials(name)));
  const dot = online === undefined ? null : h('span.dot', { class: online ? 'on' : 'off' });
  if (user && user.avatar) {
    blobUrl(user.avatar).then((src) => {
      el.replaceChildren(h('img', { src, alt: '' }));
      if (dot) el.append(dot);
    }, () => { /* keep the initials */ });
  }
  if (dot) el.append(dot);
  return el;
}
