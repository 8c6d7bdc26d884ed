// events.js: this tab's one long-poll loop on GET /api/v1/events.
//
// The cursor (the last event id this tab holds) is kept in localStorage, so
// a reload continues where it stopped and the server knows what this device
// has (the cursor is the acknowledgement that makes "delivered" ticks).
// Failures back off (1 s, 2 s, 4 s ... 8 s, with jitter) and any answer of
// the API in between ends the wait early. 410 cursor_expired reloads the
// state over REST and continues after the error's last_id. A module flag
// guards the loop: there is never more than one poll in flight per tab.

import * as api from './api.js';

const POLL_TIMEOUT_S = 25;
const BACKOFF_MS = [1000, 2000, 4000, 8000];

let running = 0;          // the guard: the generation of the loop that runs, or 0
let generation = 0;       // bumped by start() and stop(), so an old loop ends
let abortPoll = null;     // aborts the poll in flight
let wake = null;          // ends a backoff wait early
let failures = 0;

api.onApi((kind) => { if (kind === 'reachable') kick(); });
window.addEventListener('online', () => kick());

// start(opts) begins polling unless a loop runs already.
//   opts.cursorKey      localStorage key of the cursor
//   opts.load()         loads the state over REST (at start, and on 410)
//   opts.apply(events)  applies a batch of events to the state
//   opts.status(s, d)   s: 'connecting' | 'online' | 'offline' | 'reloading';
//                       d: { retryAt } when offline
export function start(opts) {
  if (running && running === generation) return false; // one runs already
  // A loop that stop() ended may still be unwinding (its poll was aborted):
  // it sends nothing more, since it is no longer the current generation.
  const gen = ++generation;
  running = gen;
  failures = 0;
  loop(opts, gen).finally(() => { if (running === gen) running = 0; });
  return true;
}

// stop() ends the loop (sign-out); the poll in flight is aborted.
export function stop() {
  generation++;
  if (abortPoll) abortPoll.abort();
  kick();
}

// kick() ends a backoff wait now (the network came back, a send worked, or
// the person pressed "Retry now").
export function kick() {
  if (wake) wake();
}

export function isRunning() { return running !== 0 && running === generation; }

function readCursor(key) {
  const v = parseInt(localStorage.getItem(key) || '', 10);
  return Number.isFinite(v) && v >= 0 ? v : null;
}

function saveCursor(key, v) {
  try { localStorage.setItem(key, String(v)); } catch (_) { /* private mode */ }
}

async function loop(opts, gen) {
  const live = () => gen === generation;
  let cursor = readCursor(opts.cursorKey);
  let loaded = false;

  while (live()) {
    try {
      if (cursor === null) {
        // First start on this device: where the queue stands now, then the
        // state over REST; events after that cursor are applied on top.
        opts.status('connecting');
        const r = await api.get('/events', { timeout: 15000 });
        if (!live()) break;
        cursor = r.last_id;
        saveCursor(opts.cursorKey, cursor);
      }
      if (!loaded) {
        opts.status('connecting');
        await opts.load();
        if (!live()) break;
        loaded = true;
        opts.status('online');
      }
      // After a failure, a quick poll (timeout 0) says at once whether the
      // server is back; then polls are held again.
      const hold = failures ? 0 : POLL_TIMEOUT_S;
      const ctl = new AbortController();
      abortPoll = ctl;
      const r = await api.get('/events', {
        query: { after: cursor, timeout: hold },
        timeout: (hold + 20) * 1000,
        signal: ctl.signal,
      });
      if (abortPoll === ctl) abortPoll = null;
      if (!live()) break;
      failures = 0;
      opts.status('online');
      if (r.events && r.events.length) opts.apply(r.events);
      cursor = r.last_id;
      saveCursor(opts.cursorKey, cursor);
    } catch (e) {
      if (!live()) break;
      abortPoll = null;
      if (e instanceof api.ApiError && e.status === 410) {
        // Too old, or from another database: reload and go on after last_id.
        opts.status('reloading');
        cursor = e.lastId ?? null;
        if (cursor !== null) saveCursor(opts.cursorKey, cursor);
        loaded = false;
        continue;
      }
      if (e instanceof api.ApiError && e.status === 401) break; // signed out
      if (!(e instanceof api.ApiError)) console.error('events:', e);
      const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      let ms = base * (0.8 + Math.random() * 0.4);
      if (e.status === 429 && e.retryAfter) ms = Math.max(ms, e.retryAfter * 1000);
      failures++;
      opts.status('offline', { retryAt: Date.now() + ms, error: e });
      await sleep(ms);
    }
  }
}

// Waits ms, or less when kick() is called.
function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); if (wake === done) wake = null; resolve(); }
    wake = done;
  });
}
