// views/newchat.js: the "New chat" dialog: a direct chat with someone found
// by login or phone, a new group or channel, or joining a channel by its
// number. Also the look-up helpers the contacts view shares.

import * as api from '../api.js';
import * as store from '../store.js';
import { h } from '../dom.js';
import { looksLikePhone } from './auth.js';

// findUser("alice" | "+7 999 …") → User; throws ApiError user_not_found.
export async function findUser(text) {
  const v = text.trim().replace(/^@/, '');
  const query = looksLikePhone(v) ? { phone: v } : { login: v };
  const r = await api.get('/users', { query });
  if (!r.users.length) {
    throw new api.ApiError(404, 'user_not_found', `No one has the ${query.phone ? 'phone number' : 'login'} ${v}.`);
  }
  const u = r.users[0];
  store.state.users.set(u.id, { ...(store.state.users.get(u.id) || {}), ...u });
  return u;
}

// openDirect(userId): the direct chat with that user (made when needed).
export async function openDirect(userId) {
  const chat = await api.post('/chats', { type: 'direct', user_id: userId });
  store.addChat(chat);
  location.hash = `#/chat/${chat.id}`;
  return chat;
}

// showNewChat(tab): opens the dialog on tab 'direct' | 'group' | 'channel' | 'join'.
export function showNewChat(tab = 'direct') {
  const error = h('p.form-error', { role: 'alert' });
  const panels = {};
  const tabs = {};
  const names = { direct: 'Person', group: 'Group', channel: 'Channel', join: 'Join' };

  function select(t) {
    for (const k of Object.keys(panels)) {
      panels[k].hidden = k !== t;
      tabs[k].setAttribute('aria-selected', String(k === t));
      tabs[k].tabIndex = k === t ? 0 : -1;
    }
    error.textContent = '';
    const first = panels[t].querySelector('input');
    if (first) first.focus();
  }

  async function run(btn, fn) {
    error.textContent = '';
    btn.disabled = true;
    try {
      await fn();
      dlg.close();
    } catch (e) {
      error.textContent = api.describe(e);
    } finally {
      btn.disabled = false;
    }
  }

  // A direct chat.
  const who = h('input', { id: 'nc-who', autocomplete: 'off', autocapitalize: 'none', spellcheck: false, placeholder: 'alice or +7 999 123-45-67' });
  const goDirect = h('button.primary', { type: 'submit' }, 'Start chat');
  panels.direct = h('form.panel', {
    onsubmit: (e) => {
      e.preventDefault();
      if (!who.value.trim()) { error.textContent = 'Enter a login or a phone number.'; return; }
      run(goDirect, async () => { await openDirect((await findUser(who.value)).id); });
    },
  }, h('div.field', h('label', { for: 'nc-who' }, 'Login or phone number'), who),
  h('div.row.end', goDirect));

  // A group.
  const gTitle = h('input', { id: 'nc-gtitle', maxLength: 128 });
  const gMembers = h('input', { id: 'nc-gmembers', autocapitalize: 'none', spellcheck: false, placeholder: 'bob, +7 999 123-45-67' });
  const goGroup = h('button.primary', { type: 'submit' }, 'Create group');
  panels.group = h('form.panel', {
    onsubmit: (e) => {
      e.preventDefault();
      if (!gTitle.value.trim()) { error.textContent = 'Give the group a name.'; return; }
      run(goGroup, async () => {
        const wanted = gMembers.value.split(/[,;\n]+/).map((s) => s.trim()).filter(Boolean);
        const members = [];
        for (const w of wanted) members.push((await findUser(w)).id);
        const chat = await api.post('/chats', { type: 'group', title: gTitle.value.trim(), members });
        store.addChat(chat);
        location.hash = `#/chat/${chat.id}`;
      });
    },
  }, h('div.field', h('label', { for: 'nc-gtitle' }, 'Group name'), gTitle),
  h('div.field', h('label', { for: 'nc-gmembers' }, 'Members ', h('span.hint', '(logins or phone numbers, separated by commas)')), gMembers),
  h('div.row.end', goGroup));

  // A channel.
  const cTitle = h('input', { id: 'nc-ctitle', maxLength: 128 });
  const goChannel = h('button.primary', { type: 'submit' }, 'Create channel');
  panels.channel = h('form.panel', {
    onsubmit: (e) => {
      e.preventDefault();
      if (!cTitle.value.trim()) { error.textContent = 'Give the channel a name.'; return; }
      run(goChannel, async () => {
        const chat = await api.post('/chats', { type: 'channel', title: cTitle.value.trim() });
        store.addChat(chat);
        location.hash = `#/chat/${chat.id}`;
      });
    },
  }, h('p.hint', 'Anyone on this server can join a channel with its number.'),
  h('div.field', h('label', { for: 'nc-ctitle' }, 'Channel name'), cTitle),
  h('div.row.end', goChannel));

  // Joining a channel.
  const jId = h('input', { id: 'nc-join', inputMode: 'numeric', autocomplete: 'off', placeholder: '12' });
  const goJoin = h('button.primary', { type: 'submit' }, 'Join');
  panels.join = h('form.panel', {
    onsubmit: (e) => {
      e.preventDefault();
      const id = parseInt(jId.value.replace(/^#/, ''), 10);
      if (!(id > 0)) { error.textContent = 'Enter the channel\'s number.'; return; }
      run(goJoin, async () => {
        try {
          const chat = await api.post(`/chats/${id}/members`, { user_id: store.state.me.id });
          store.addChat(chat);
          location.hash = `#/chat/${chat.id}`;
        } catch (err) {
          if (err.status === 404) throw new api.ApiError(404, 'chat_not_found', `There is no channel number ${id}.`);
          if (err.status === 403) throw new api.ApiError(403, 'forbidden', `Chat ${id} is not a channel you can join.`);
          throw err;
        }
      });
    },
  }, h('div.field', h('label', { for: 'nc-join' }, 'Channel number'), jId),
  h('div.row.end', goJoin));

  const order = ['direct', 'group', 'channel', 'join'];
  for (const k of order) {
    tabs[k] = h('button.tab', {
      type: 'button', role: 'tab', id: `nc-tab-${k}`, onclick: () => select(k),
      onkeydown: (e) => {
        const i = order.indexOf(k);
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          const next = order[(i + (e.key === 'ArrowRight' ? 1 : order.length - 1)) % order.length];
          select(next);
          tabs[next].focus();
        }
      },
    }, names[k]);
    panels[k].setAttribute('role', 'tabpanel');
    panels[k].setAttribute('aria-labelledby', `nc-tab-${k}`);
  }

  const dlg = h('dialog.sheet', { 'aria-labelledby': 'nc-title' },
    h('div.sheet-head',
      h('h2', { id: 'nc-title' }, 'New chat'),
      h('button.icon-btn', { type: 'button', 'aria-label': 'Close', onclick: () => dlg.close() }, '✕')),
    h('div.tabs', { role: 'tablist' }, order.map((k) => tabs[k])),
    order.map((k) => panels[k]),
    error);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  select(tab);
  return dlg;
}
