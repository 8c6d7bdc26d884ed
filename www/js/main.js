// main.js: starts the client. Without a kept session it shows the sign-in
// screen; with one it builds the two-pane shell (chats beside the open
// conversation, or one at a time at phone width), starts the long-poll and
// the outbox, and routes on the URL's hash:
//   #/              the chat list (and an empty main pane on a desktop)
//   #/chat/ID[/MSG] a conversation (MSG: a search hit to scroll to)
//   #/contacts      contacts          #/profile   your profile

import * as api from './api.js';
import * as store from './store.js';
import * as events from './events.js';
import * as outbox from './outbox.js';
import * as media from './media.js';
import { h, icon, toast } from './dom.js';
import { authView } from './views/auth.js';
import { sidebar } from './views/chatlist.js';
import { conversation } from './views/conversation.js';
import { contactsView } from './views/contacts.js';
import { profileView } from './views/profile.js';
import { showNewChat } from './views/newchat.js';

const SESSION_KEY = 'parley.session';
const root = document.getElementById('app');

let shell = null;   // { el, side, mainEl, view, route }
let unsubscribe = null;

function readSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return s && typeof s.token === 'string' && s.user_id > 0 ? s : null;
  } catch (_) { return null; }
}

// --- signing in and out ---------------------------------------------------

function showAuth(note = '') {
  stopApp();
  document.title = 'parley';
  root.replaceChildren(authView(onSession, note));
  const first = root.querySelector('#auth-id');
  if (first) first.focus();
}

function onSession(session, user) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  if (location.hash && location.hash !== '#/') location.hash = '#/';
  startApp(session, user);
}

async function signOut() {
  const me = store.state.me;
  try { await api.del('/sessions/current', { timeout: 5000 }); } catch (_) { /* ends locally anyway */ }
  forgetDevice(me ? me.id : null);
  location.hash = '#/';
  showAuth();
}

// What this device kept for a user: removed on sign-out (a shared computer).
function forgetDevice(userId) {
  localStorage.removeItem(SESSION_KEY);
  if (userId) {
    for (const k of ['cursor', 'receipts', 'outbox']) localStorage.removeItem(`parley.${k}.${userId}`);
  }
}

api.onApi((kind) => {
  if (kind === 'unauthorized' && shell) {
    forgetDevice(null);
    showAuth('Your session has ended. Please sign in again.');
  }
});

// --- the app ------------------------------------------------------------

function startApp(session, user) {
  stopApp();
  api.setToken(session.token);
  store.begin(user || { id: session.user_id });

  const side = sidebar({ signOut });
  const mainEl = h('main.main', { id: 'main' });
  const banner = h('div.banner', { role: 'status', hidden: true });
  const el = h('div.shell', side.el, h('div.main-wrap', banner, mainEl));
  shell = { el, side, mainEl, banner, view: null, route: null };
  root.replaceChildren(el);

  unsubscribe = store.subscribe((topics) => {
    if (!shell) return;
    shell.side.update(topics);
    if (shell.view) shell.view.update(topics);
    if (topics.has('connection')) renderBanner();
    if (topics.has('chats')) updateTitle();
  });

  events.start({
    cursorKey: `parley.cursor.${session.user_id}`,
    load: store.loadAll,
    apply: store.apply,
    status: (s, d) => store.setConnection(s, d),
  });
  outbox.restore();
  route();
}

function stopApp() {
  events.stop();
  if (unsubscribe) unsubscribe();
  unsubscribe = null;
  if (shell && shell.view) shell.view.destroy();
  shell = null;
  store.reset();
  media.clear();
  api.setToken(null);
}

// A thin line above the conversation while the connection is down (the
// sidebar, which says so too, is hidden at phone width).
function renderBanner() {
  const c = store.state.connection;
  const b = shell.banner;
  b.hidden = c.status === 'online' || c.status === 'connecting';
  b.replaceChildren(icon('alert'), c.status === 'reloading' ? ' Catching up…' : ' Offline: messages will be sent when the connection is back. ',
    c.status === 'offline' ? h('button.link', { type: 'button', onclick: () => events.kick() }, 'Retry now') : null);
}

function updateTitle() {
  let unread = 0;
  for (const c of store.state.chats.values()) unread += c.unread_count || 0;
  document.title = unread ? `(${unread}) parley` : 'parley';
}

// --- routing --------------------------------------------------------------

function parseRoute() {
  const p = location.hash.replace(/^#\/?/, '').split('/');
  if (p[0] === 'chat' && Number(p[1]) > 0) return { name: 'chat', id: Number(p[1]), msg: Number(p[2]) || null };
  if (p[0] === 'contacts') return { name: 'contacts' };
  if (p[0] === 'profile') return { name: 'profile' };
  return { name: 'home' };
}

function route() {
  if (!shell) return;
  const r = parseRoute();
  const key = JSON.stringify(r);
  if (shell.route === key) return;
  shell.route = key;
  if (shell.view) shell.view.destroy();
  shell.view = null;
  store.state.openChatId = r.name === 'chat' ? r.id : null;
  if (r.name === 'chat') shell.view = conversation(r.id, r.msg);
  else if (r.name === 'contacts') shell.view = contactsView();
  else if (r.name === 'profile') shell.view = profileView({ signOut });
  shell.side.setActive(r.name === 'chat' ? r.id : null);
  shell.el.dataset.pane = r.name === 'home' ? 'list' : 'main';
  shell.mainEl.replaceChildren(shell.view ? shell.view.el : home());
}

function home() {
  return h('div.home',
    h('span.logo.big', icon('chat')),
    h('h2', 'Pick a chat, or start one'),
    h('p.hint', 'Find people by their login or phone number.'),
    h('button.primary', { type: 'button', onclick: () => showNewChat('direct') }, 'New chat'));
}

window.addEventListener('hashchange', route);

// Ctrl+K (or /) finds messages; Alt+N starts a chat.
document.addEventListener('keydown', (e) => {
  if (!shell) return;
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if ((e.key === 'k' && (e.ctrlKey || e.metaKey)) || (e.key === '/' && !typing)) {
    e.preventDefault();
    if (shell.el.dataset.pane === 'main' && window.matchMedia('(max-width: 720px)').matches) location.hash = '#/';
    shell.side.focusSearch();
  } else if (e.altKey && e.key === 'n') {
    e.preventDefault();
    showNewChat('direct');
  }
});

// --- start ---------------------------------------------------------------

const saved = readSession();
if (saved) startApp(saved);
else showAuth();

// Errors nobody caught: say so instead of failing silently.
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof api.ApiError) {
    e.preventDefault();
    if (e.reason.status !== 401) toast(api.describe(e.reason), 'error');
  }
});
