// store.js: everything the client knows, and the one place that changes it.
// REST answers and long-poll events both land here; the views subscribe and
// redraw what changed. Applying an event twice changes nothing, so a reload
// may replay events the REST state already holds.
//
// Topics given to subscribers: 'me', 'users', 'chats', 'connection',
// 'outbox', 'chat:<id>' (its messages, typing or receipts changed).

import * as api from './api.js';
import { forget } from './media.js';

export const state = {
  me: null,
  users: new Map(),     // id → User
  chats: new Map(),     // id → Chat (as the API gives it)
  history: new Map(),   // chat id → { messages: [], hasMore, loaded, loading }
  typing: new Map(),    // chat id → Map(user id → until, ms)
  receipts: {},         // chat id → { d, r }: the highest message id others hold / read
  outbox: [],           // messages not yet accepted by the server (outbox.js)
  connection: { status: 'connecting' },
  openChatId: null,     // the conversation on screen
};

const TYPING_SHOW_MS = 6000;
const HISTORY_PAGE = 50;

// --- subscriptions --------------------------------------------------------

const subscribers = new Set();
let dirty = new Set();
let flushQueued = false;

export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

// changed(topic...) tells the subscribers, once per turn of the event loop.
export function changed(...topics) {
  for (const t of topics) dirty.add(t);
  if (!flushQueued) {
    flushQueued = true;
    setTimeout(flush, 0);
  }
}

function flush() {
  flushQueued = false;
  const topics = dirty;
  dirty = new Set();
  for (const fn of subscribers) {
    try { fn(topics); } catch (e) { console.error(e); }
  }
}

// --- persistence (per user, in localStorage) ------------------------------

export function key(name) {
  return `parley.${name}.${state.me ? state.me.id : 'anon'}`;
}

function loadJSON(name, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key(name)) || 'null');
    return v ?? fallback;
  } catch (_) { return fallback; }
}

const saveTimers = {};
export function saveJSON(name, value) {
  clearTimeout(saveTimers[name]);
  saveTimers[name] = setTimeout(() => {
    try { localStorage.setItem(key(name), JSON.stringify(value)); } catch (_) { /* full */ }
  }, 100);
}

// --- sessions -------------------------------------------------------------

// begin(me): a signed-in user; loads what this device kept for them.
export function begin(me) {
  reset();
  state.me = me;
  state.users.set(me.id, me);
  state.receipts = loadJSON('receipts', {});
  changed('me', 'chats', 'users');
}

export function reset() {
  state.me = null;
  state.users.clear();
  state.chats.clear();
  state.history.clear();
  state.typing.clear();
  state.receipts = {};
  state.outbox = [];
  state.openChatId = null;
}

export function setConnection(status, detail = {}) {
  const c = state.connection;
  if (c.status === status && c.retryAt === detail.retryAt) return;
  state.connection = { status, ...detail };
  changed('connection');
}

// --- loading over REST ----------------------------------------------------

// loadAll(): me, the chats and the users they name. Histories already
// loaded are fetched again (after a 410 the events between are lost).
export async function loadAll() {
  const [me, list] = await Promise.all([
    api.get('/me'),
    api.get('/chats', { query: { limit: 500 } }),
  ]);
  state.me = me;
  state.users.set(me.id, me);
  state.chats = new Map(list.chats.map((c) => [c.id, c]));
  const reopen = [...state.history.keys()].filter((id) => state.chats.has(id));
  state.history.clear();
  changed('me', 'chats');
  await ensureUsers(usersOfChats(list.chats));
  for (const id of reopen) if (id === state.openChatId) loadHistory(id).catch(() => {});
}

function usersOfChats(chats) {
  const ids = new Set();
  for (const c of chats) {
    if (c.type === 'direct') c.members.forEach((m) => ids.add(m));
    if (c.last_message) ids.add(c.last_message.sender_id);
  }
  return ids;
}

const userFetches = new Map();

// ensureUsers(ids): fetches the users not yet known (4 at a time).
export async function ensureUsers(ids) {
  const want = [...ids].filter((id) => id && !state.users.has(id));
  const queue = [...want];
  async function worker() {
    while (queue.length) {
      const id = queue.shift();
      let p = userFetches.get(id);
      if (!p) {
        p = api.get(`/users/${id}`).then((u) => {
          state.users.set(u.id, u);
          changed('users');
        }).catch(() => {}).finally(() => userFetches.delete(id));
        userFetches.set(id, p);
      }
      await p;
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export function user(id) {
  return state.users.get(id) || null;
}

// refreshChat(id): GET /chats/{id} into the list (or out, when it is gone).
export async function refreshChat(id) {
  try {
    const c = await api.get(`/chats/${id}`);
    if (!c.members.includes(state.me.id)) {
      removeChat(id);
      return null;
    }
    state.chats.set(c.id, c);
    changed('chats', `chat:${id}`);
    ensureUsers(usersOfChats([c]));
    return c;
  } catch (e) {
    if (e.status === 404) removeChat(id);
    throw e;
  }
}

export function addChat(c) {
  const old = state.chats.get(c.id);
  state.chats.set(c.id, old ? { ...old, ...c } : c);
  ensureUsers(usersOfChats([c]));
  changed('chats', `chat:${c.id}`);
}

function removeChat(id) {
  state.chats.delete(id);
  state.history.delete(id);
  changed('chats', `chat:${id}`);
}

// The chats, latest activity first.
export function chatList() {
  const when = (c) => (c.last_message ? c.last_message.sent_at : c.created_at) || '';
  return [...state.chats.values()].sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : b.id - a.id));
}

// For a direct chat, the other member (or me, in notes to self).
export function peerOf(chat) {
  if (!chat || chat.type !== 'direct' || !state.me) return null;
  const other = chat.members.find((m) => m !== state.me.id) ?? state.me.id;
  return user(other);
}

export function chatTitle(chat) {
  if (!chat) return '';
  if (chat.type === 'direct') {
    const p = peerOf(chat);
    if (p && p.id === state.me.id) return 'Notes to self';
    if (p) return p.nick || p.login || p.phone || chat.title;
  }
  return chat.title || `Chat ${chat.id}`;
}

// --- histories ------------------------------------------------------------

function historyOf(chatId) {
  let hst = state.history.get(chatId);
  if (!hst) {
    hst = { messages: [], hasMore: true, loaded: false, loading: false };
    state.history.set(chatId, hst);
  }
  return hst;
}

// Puts m into the sorted list (replacing the one with its id).
function upsert(list, m) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].id < m.id) lo = mid + 1; else hi = mid;
  }
  if (list[lo] && list[lo].id === m.id) list[lo] = m;
  else list.splice(lo, 0, m);
}

// loadHistory(chatId, older): the newest page, or (older) the page before
// the oldest message held. Returns the number of messages added.
export async function loadHistory(chatId, older = false) {
  const hst = historyOf(chatId);
  if (hst.loading || (older && (!hst.hasMore || !hst.loaded))) return 0;
  hst.loading = true;
  changed(`chat:${chatId}`);
  try {
    const before = older && hst.messages.length ? hst.messages[0].id : undefined;
    const r = await api.get(`/chats/${chatId}/messages`, { query: { before, limit: HISTORY_PAGE } });
    if (state.history.get(chatId) !== hst) return 0; // reset meanwhile
    const n = hst.messages.length;
    for (const m of r.messages) upsert(hst.messages, m);
    if (older || !hst.loaded) hst.hasMore = r.has_more;
    hst.loaded = true;
    ensureUsers(new Set(r.messages.map((m) => m.sender_id)));
    return hst.messages.length - n;
  } finally {
    hst.loading = false;
    changed(`chat:${chatId}`);
  }
}

export function history(chatId) {
  return state.history.get(chatId) || null;
}

// addMessage(m): a message the server holds (from an answer or an event).
export function addMessage(m) {
  const chat = state.chats.get(m.chat_id);
  const mine = state.me && m.sender_id === state.me.id;
  if (mine && m.client_msg_id) {
    const i = state.outbox.findIndex((o) => o.cid === m.client_msg_id);
    if (i >= 0) {
      state.outbox.splice(i, 1);
      changed('outbox');
    }
  }
  const hst = state.history.get(m.chat_id);
  if (hst) upsert(hst.messages, m);
  if (!chat) {
    // A chat this client has not seen (made elsewhere, or shown again).
    refreshChat(m.chat_id).catch(() => {});
    return;
  }
  const last = chat.last_message;
  const fresh = !last || m.id > last.id;
  if (fresh) chat.last_message = m;
  else if (last.id === m.id) chat.last_message = m;
  if (fresh && !mine && m.id > chat.last_read_id) chat.unread_count = (chat.unread_count || 0) + 1;
  clearTyping(m.chat_id, m.sender_id);
  if (!state.users.has(m.sender_id)) ensureUsers([m.sender_id]);
  changed('chats', `chat:${m.chat_id}`);
}

function updateMessage(m) {
  const hst = state.history.get(m.chat_id);
  if (hst) {
    const i = hst.messages.findIndex((x) => x.id === m.id);
    if (i >= 0) hst.messages[i] = m;
  }
  const chat = state.chats.get(m.chat_id);
  if (chat && chat.last_message && chat.last_message.id === m.id) chat.last_message = m;
  changed('chats', `chat:${m.chat_id}`);
}

function deleteMessage(chatId, id) {
  const hst = state.history.get(chatId);
  if (hst) {
    const i = hst.messages.findIndex((x) => x.id === id);
    if (i >= 0) hst.messages.splice(i, 1);
  }
  const chat = state.chats.get(chatId);
  // The list's last message and unread count come from the server again.
  if (chat && ((chat.last_message && chat.last_message.id === id) || id > chat.last_read_id)) {
    refreshChat(chatId).catch(() => {});
  }
  changed('chats', `chat:${chatId}`);
}

// markRead(chatId): tells the server this user has read the chat to its
// newest message, when there is something unread.
const readSent = new Map();
export async function markRead(chatId) {
  const chat = state.chats.get(chatId);
  if (!chat || !chat.last_message) return;
  const id = chat.last_message.id;
  if (id <= chat.last_read_id && !chat.unread_count) return;
  if ((readSent.get(chatId) || 0) >= id) return;
  readSent.set(chatId, id);
  chat.last_read_id = Math.max(chat.last_read_id, id);
  chat.unread_count = 0;
  changed('chats');
  try {
    await api.post(`/chats/${chatId}/read`, { message_id: id });
  } catch (e) {
    readSent.delete(chatId);
  }
}

// --- typing and receipts --------------------------------------------------

function setTyping(chatId, userId) {
  let m = state.typing.get(chatId);
  if (!m) state.typing.set(chatId, (m = new Map()));
  m.set(userId, Date.now() + TYPING_SHOW_MS);
  setTimeout(() => changed(`chat:${chatId}`, 'chats'), TYPING_SHOW_MS + 50);
  changed(`chat:${chatId}`, 'chats');
}

function clearTyping(chatId, userId) {
  const m = state.typing.get(chatId);
  if (m && m.delete(userId)) changed(`chat:${chatId}`, 'chats');
}

// Who is typing in a chat now: a list of users.
export function typingIn(chatId) {
  const m = state.typing.get(chatId);
  if (!m) return [];
  const now = Date.now();
  return [...m].filter(([, until]) => until > now).map(([id]) => user(id) || { id });
}

function receipt(chatId, kind, messageId) {
  const r = state.receipts[chatId] || (state.receipts[chatId] = { d: 0, r: 0 });
  let moved = false;
  if (messageId > r.d) { r.d = messageId; moved = true; }
  if (kind === 'r' && messageId > r.r) { r.r = messageId; moved = true; }
  if (moved) {
    saveJSON('receipts', state.receipts);
    changed(`chat:${chatId}`, 'chats');
  }
}

// The tick of my message: 'read', 'delivered' or 'sent'. The receipts are
// the events this device saw; the server keeps no per-member read marks to
// ask for later, so a message that someone answered counts as read too
// (they saw it), which covers what happened before this device signed in.
export function tickOf(m) {
  const r = state.receipts[m.chat_id];
  if (r && r.r >= m.id) return 'read';
  if (latestFromOthers(m.chat_id) > m.id) return 'read';
  if (r && r.d >= m.id) return 'delivered';
  return 'sent';
}

function latestFromOthers(chatId) {
  const me = state.me ? state.me.id : 0;
  const chat = state.chats.get(chatId);
  if (chat && chat.last_message && chat.last_message.sender_id !== me) return chat.last_message.id;
  const hst = state.history.get(chatId);
  if (hst) {
    for (let i = hst.messages.length - 1; i >= 0; i--) {
      if (hst.messages[i].sender_id !== me) return hst.messages[i].id;
    }
  }
  return 0;
}

// --- events ---------------------------------------------------------------

// apply(events): one batch of the long-poll, in order.
export function apply(events) {
  for (const ev of events) {
    try {
      applyOne(ev);
    } catch (e) {
      console.error('event', ev.type, e);
    }
  }
}

function applyOne({ type, data }) {
  const me = state.me ? state.me.id : 0;
  switch (type) {
    case 'message.new':
      addMessage(data);
      break;
    case 'message.updated':
      updateMessage(data);
      break;
    case 'message.deleted':
      deleteMessage(data.chat_id, data.message_id);
      break;
    case 'message.delivered':
      if (data.user_id !== me) receipt(data.chat_id, 'd', data.message_id);
      break;
    case 'message.read': {
      if (data.user_id !== me) {
        receipt(data.chat_id, 'r', data.message_id);
        break;
      }
      // Read on another device of mine.
      const chat = state.chats.get(data.chat_id);
      if (chat && data.message_id > chat.last_read_id) {
        chat.last_read_id = data.message_id;
        if (!chat.last_message || data.message_id >= chat.last_message.id) chat.unread_count = 0;
        changed('chats');
      }
      break;
    }
    case 'chat.created':
      addChat(data);
      break;
    case 'chat.member_joined': {
      const chat = state.chats.get(data.chat_id);
      if (chat && !chat.members.includes(data.user_id)) {
        chat.members = [...chat.members, data.user_id];
        changed('chats', `chat:${chat.id}`);
      } else if (!chat && data.user_id === me) {
        refreshChat(data.chat_id).catch(() => {});
      }
      ensureUsers([data.user_id]);
      break;
    }
    case 'chat.member_left': {
      if (data.user_id === me) {
        removeChat(data.chat_id);
        break;
      }
      const chat = state.chats.get(data.chat_id);
      if (chat) {
        chat.members = chat.members.filter((m) => m !== data.user_id);
        changed('chats', `chat:${chat.id}`);
      }
      break;
    }
    case 'user.updated': {
      const old = state.users.get(data.id);
      if (old && old.avatar) forget(old.avatar); // the picture may be new
      state.users.set(data.id, { ...(state.users.get(data.id) || {}), ...data });
      if (data.id === me) state.me = { ...state.me, ...data };
      changed('users', 'chats', 'me', ...chatTopicsOf(data.id));
      break;
    }
    case 'presence': {
      const u = state.users.get(data.user_id);
      if (u) {
        state.users.set(u.id, { ...u, online: data.online, last_online: data.last_online });
        changed('users', 'chats', ...chatTopicsOf(u.id));
      }
      break;
    }
    case 'typing':
      if (data.user_id !== me) setTyping(data.chat_id, data.user_id);
      break;
    default:
      break; // a newer server's event: nothing to do
  }
}

function chatTopicsOf(userId) {
  return [...state.chats.values()].filter((c) => c.members.includes(userId)).map((c) => `chat:${c.id}`);
}
