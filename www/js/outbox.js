// outbox.js: messages on their way to the server. Each gets a client_msg_id
// when it is written; the sender sends them one at a time, in order, and
// when the server cannot be reached it tries again (1 s, 2 s ... 8 s) with
// the same id, so a message whose answer was lost is never sent twice (the
// server answers a repeat with the first message). The queue is kept in
// localStorage: a reload while offline keeps what was written.

import * as api from './api.js';
import * as store from './store.js';
import { randomId } from './dom.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000];
const KEEP_ATTACHMENT_BYTES = 512 * 1024; // larger ones are not kept across reloads

const { state } = store;
let running = false;
let wake = null;
let failures = 0;

api.onApi((kind) => { if (kind === 'reachable' && wake) wake(); });
window.addEventListener('online', () => { if (wake) wake(); });

// restore(): the queue this device kept for the signed-in user.
export function restore() {
  let kept = [];
  try { kept = JSON.parse(localStorage.getItem(store.key('outbox')) || '[]'); } catch (_) { /* none */ }
  state.outbox = Array.isArray(kept) ? kept.map((o) => ({ ...o, state: 'queued', error: null })) : [];
  store.changed('outbox');
  pump();
}

function save() {
  const keep = state.outbox.filter((o) => !o.attachment || o.attachment.data.length <= KEEP_ATTACHMENT_BYTES * 4 / 3)
    .map(({ cid, chat_id, text, attachment, created_at }) => ({ cid, chat_id, text, attachment, created_at }));
  store.saveJSON('outbox', keep);
}

// queue(chatId, text, attachment): attachment is { mime, name, data
// (base64), size, preview? } or null. Returns the outbox entry.
export function queue(chatId, text, attachment = null) {
  const o = {
    cid: randomId(),
    chat_id: chatId,
    text: text || null,
    attachment,
    created_at: new Date().toISOString(),
    state: 'queued',
    error: null,
  };
  state.outbox.push(o);
  save();
  store.changed('outbox', `chat:${chatId}`);
  pump();
  return o;
}

export function retry(cid) {
  const o = state.outbox.find((x) => x.cid === cid);
  if (!o) return;
  o.state = 'queued';
  o.error = null;
  store.changed('outbox', `chat:${o.chat_id}`);
  if (wake) wake(); else pump();
}

export function discard(cid) {
  const i = state.outbox.findIndex((x) => x.cid === cid);
  if (i < 0) return;
  const [o] = state.outbox.splice(i, 1);
  save();
  store.changed('outbox', `chat:${o.chat_id}`);
}

export function pendingIn(chatId) {
  return state.outbox.filter((o) => o.chat_id === chatId);
}

// pump(): sends the queue; one loop at a time.
export async function pump() {
  if (running) return;
  running = true;
  try {
    for (;;) {
      const o = state.outbox.find((x) => x.state !== 'failed');
      if (!o || !state.me) break;
      o.state = 'sending';
      store.changed(`chat:${o.chat_id}`);
      try {
        const body = { client_msg_id: o.cid };
        if (o.text) body.text = o.text;
        if (o.attachment) {
          body.attachment = { mime: o.attachment.mime, name: o.attachment.name, data: o.attachment.data };
        }
        const m = await api.post(`/chats/${o.chat_id}/messages`, body, { timeout: 60000 });
        failures = 0;
        store.addMessage(m); // takes it out of the outbox
        if (state.outbox.includes(o)) discard(o.cid);
        save();
      } catch (e) {
        if (!state.outbox.includes(o)) continue; // discarded meanwhile
        if (e instanceof api.ApiError && e.transient) {
          o.state = 'waiting';
          o.error = e.status === 0 ? 'Waiting for the connection…' : 'The server is busy; trying again…';
          store.changed(`chat:${o.chat_id}`);
          const base = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
          let ms = base * (0.8 + Math.random() * 0.4);
          if (e.status === 429 && e.retryAfter) ms = Math.max(ms, e.retryAfter * 1000);
          await sleep(ms);
          if (o.state === 'waiting') o.state = 'queued';
        } else if (e instanceof api.ApiError && e.status === 401) {
          o.state = 'queued';
          break; // signed out; kept for the next sign-in
        } else {
          o.state = 'failed';
          o.error = api.describe(e);
          store.changed(`chat:${o.chat_id}`);
        }
      }
    }
  } finally {
    running = false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); if (wake === done) wake = null; resolve(); }
    wake = done;
  });
}
