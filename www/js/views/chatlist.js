// views/chatlist.js: the sidebar: who is signed in, the connection's state,
// message search, and the chats, latest activity first, each with its
// avatar (and presence dot), last message, time and unread count.

import * as api from '../api.js';
import * as store from '../store.js';
import * as events from '../events.js';
import { avatar } from '../media.js';
import { h, icon, displayName, shortTime } from '../dom.js';
import { showNewChat } from './newchat.js';

const { state } = store;

// sidebar({ signOut }) → { el, update(topics), setActive(chatId) }
export function sidebar({ signOut }) {
  let activeId = null;
  let searchSeq = 0;
  let searchTimer = null;
  let countdown = null;

  const meBox = h('a.me', { href: '#/profile', 'aria-label': 'Your profile' });
  const status = h('div.conn', { role: 'status', 'aria-live': 'polite' });
  const search = h('input.search', {
    type: 'search', id: 'search', placeholder: 'Search messages', 'aria-label': 'Search messages',
    autocomplete: 'off',
    oninput: () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); },
    onkeydown: (e) => {
      if (e.key === 'Escape') { search.value = ''; runSearch(); }
      if (e.key === 'ArrowDown') { e.preventDefault(); focusItem(0); }
    },
  });
  const list = h('ul.chat-list', { 'aria-label': 'Chats' });
  const results = h('ul.chat-list.results', { 'aria-label': 'Search results', hidden: true });
  const empty = h('div.empty-list', { hidden: true },
    h('p', 'No chats yet.'),
    h('button.primary', { type: 'button', onclick: () => showNewChat('direct') }, 'Start a chat'));

  const el = h('div.sidebar',
    h('header.side-head',
      meBox,
      h('div.side-actions',
        h('button.icon-btn', { type: 'button', title: 'New chat', 'aria-label': 'New chat', onclick: () => showNewChat('direct') }, icon('plus')),
        h('a.icon-btn', { href: '#/contacts', title: 'Contacts', 'aria-label': 'Contacts' }, icon('users')),
        h('button.icon-btn', { type: 'button', title: 'Sign out', 'aria-label': 'Sign out', onclick: signOut }, icon('logout')))),
    status,
    h('div.search-box', icon('search'), search),
    h('nav.chats', { 'aria-label': 'Chats' }, list, results, empty));

  // Up and down move between the chats of the list.
  function focusItem(i) {
    const items = [...(results.hidden ? list : results).querySelectorAll('a.item')];
    if (items.length) items[Math.max(0, Math.min(i, items.length - 1))].focus();
  }
  el.addEventListener('keydown', (e) => {
    const a = e.target.closest && e.target.closest('a.item');
    if (!a || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
    e.preventDefault();
    const items = [...a.closest('ul').querySelectorAll('a.item')];
    const i = items.indexOf(a) + (e.key === 'ArrowDown' ? 1 : -1);
    if (i < 0) search.focus(); else focusItem(i);
  });

  function renderMe() {
    const me = state.me;
    if (!me) return;
    meBox.replaceChildren(avatar(me, 'md'),
      h('span.me-text', h('span.me-name', displayName(me)), h('span.me-sub', me.status || (me.login ? `@${me.login}` : me.phone || ''))));
  }

  function renderStatus() {
    const c = state.connection;
    clearInterval(countdown);
    status.dataset.state = c.status;
    const line = () => {
      if (c.status === 'online') return ['Connected'];
      if (c.status === 'connecting') return ['Connecting…'];
      if (c.status === 'reloading') return ['Catching up…'];
      const s = Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000));
      return [s ? `Offline. Retrying in ${s} s` : 'Reconnecting…',
        h('button.link', { type: 'button', onclick: () => events.kick() }, 'Retry now')];
    };
    status.replaceChildren(h('span.conn-dot'), ...line());
    if (c.status === 'offline') {
      countdown = setInterval(() => {
        if (state.connection !== c) { clearInterval(countdown); return; }
        const s = Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000));
        status.firstChild.nextSibling.textContent = s ? `Offline. Retrying in ${s} s` : 'Reconnecting…';
      }, 1000);
    }
  }

  function preview(chat) {
    const typing = store.typingIn(chat.id);
    if (typing.length) {
      return h('span.preview.typing', chat.type === 'direct' ? 'typing…' : `${displayName(typing[0])} is typing…`);
    }
    const pending = state.outbox.filter((o) => o.chat_id === chat.id);
    const m = chat.last_message;
    if (pending.length) {
      const o = pending[pending.length - 1];
      return h('span.preview', h('span.who', 'You: '), o.text || (o.attachment ? [icon('clip'), o.attachment.name] : ''));
    }
    if (!m) return h('span.preview.muted', chat.type === 'channel' ? 'Channel' : 'No messages yet');
    const who = m.sender_id === state.me.id ? 'You: '
      : chat.type === 'direct' ? '' : `${displayName(store.user(m.sender_id))}: `;
    const body = m.text || (m.attachment ? [icon('clip'), m.attachment.name || 'attachment']
      : m.encrypted ? [icon('lock'), 'Encrypted message'] : '');
    return h('span.preview', who && h('span.who', who), body);
  }

  function chatItem(chat) {
    const peer = store.peerOf(chat);
    const title = store.chatTitle(chat);
    const face = peer && peer.id !== state.me.id ? avatar(peer, 'md', !!peer.online)
      : avatar({ id: chat.id, title, avatar: peer ? peer.avatar : null }, 'md');
    const unread = chat.unread_count || 0;
    const when = chat.last_message ? chat.last_message.sent_at : chat.created_at;
    const prev = preview(chat);
    // The link's name: the title first (what a screen reader user looks
    // for), then the unread count and the last message.
    const label = `${title}${unread ? `, ${unread} unread` : ''}. ${prev.textContent}${when ? `, ${shortTime(when)}` : ''}`;
    return h('li', h('a.item', {
      href: `#/chat/${chat.id}`,
      dataset: { chatId: chat.id },
      'aria-current': chat.id === activeId ? 'page' : null,
      'aria-label': label,
    },
    face,
    h('span.item-body',
      h('span.item-top',
        h('span.title', chat.type !== 'direct' ? icon(chat.type === 'group' ? 'users' : 'megaphone', chat.type) : null, title),
        h('time.when', { dateTime: when || '' }, shortTime(when))),
      h('span.item-bottom', prev,
        unread ? h('span.badge', { 'aria-hidden': 'true' }, unread > 99 ? '99+' : String(unread)) : null))));
  }

  function renderList() {
    const chats = store.chatList();
    const had = document.activeElement && document.activeElement.closest && document.activeElement.closest('a.item');
    const focusedId = had ? had.dataset.chatId : null;
    list.replaceChildren(...chats.map(chatItem));
    empty.hidden = chats.length > 0 || !results.hidden;
    if (focusedId) {
      const again = list.querySelector(`a.item[data-chat-id="${focusedId}"]`);
      if (again) again.focus();
    }
  }

  async function runSearch() {
    const q = search.value.trim();
    const seq = ++searchSeq;
    if (!q) {
      results.hidden = true;
      list.hidden = false;
      renderList();
      return;
    }
    list.hidden = true;
    empty.hidden = true;
    results.hidden = false;
    results.replaceChildren(h('li.note', 'Searching…'));
    try {
      const r = await api.get('/messages', { query: { q, limit: 50 } });
      if (seq !== searchSeq) return;
      await store.ensureUsers(new Set(r.messages.map((m) => m.sender_id)));
      if (seq !== searchSeq) return;
      if (!r.messages.length) {
        results.replaceChildren(h('li.note', `No messages match “${q}”.`));
        return;
      }
      results.replaceChildren(...r.messages.map((m) => {
        const chat = state.chats.get(m.chat_id);
        const sender = m.sender_id === state.me.id ? 'You' : displayName(store.user(m.sender_id));
        return h('li', h('a.item.result', { href: `#/chat/${m.chat_id}/${m.id}`, dataset: { messageId: m.id } },
          h('span.item-body',
            h('span.item-top', h('span.title', chat ? store.chatTitle(chat) : `Chat ${m.chat_id}`),
              h('time.when', { dateTime: m.sent_at }, shortTime(m.sent_at))),
            h('span.item-bottom', h('span.preview', h('span.who', `${sender}: `), m.text || '')))));
      }));
    } catch (e) {
      if (seq === searchSeq) results.replaceChildren(h('li.note.error', api.describe(e)));
    }
  }

  function update(topics) {
    if (topics.has('me') || topics.has('users')) renderMe();
    if (topics.has('connection')) renderStatus();
    if (results.hidden && (topics.has('chats') || topics.has('users') || topics.has('outbox') || topics.has('me'))) renderList();
  }

  function setActive(id) {
    activeId = id;
    for (const a of list.querySelectorAll('a.item')) {
      if (Number(a.dataset.chatId) === id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  renderMe();
  renderStatus();
  renderList();
  return { el, update, setActive, focusSearch: () => search.focus() };
}
