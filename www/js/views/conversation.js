// views/conversation.js: one chat: its header (presence, typing, options),
// the history (older pages load when scrolled to the top), messages with
// attachments and delivered/read ticks, and the composer (text, files,
// editing, typing notices). Messages not yet accepted by the server show
// from the outbox with a clock, and a failed one offers Retry.

import * as api from '../api.js';
import * as store from '../store.js';
import * as outbox from '../outbox.js';
import { avatar, blobUrl } from '../media.js';
import {
  h, icon, displayName, clock, dayLabel, presenceText, fileSize, linkify,
  base64Of, toast, confirmDialog, narrow,
} from '../dom.js';
import { findUser } from './newchat.js';

const { state } = store;
const MAX_ATTACHMENT = 5 * 1024 * 1024;
const TYPING_EVERY_MS = 3000;

// conversation(chatId, focusMessageId) → { el, update(topics), destroy() }
export function conversation(chatId, focusMessageId = null) {
  let editing = null;           // the message being edited
  let attachment = null;        // { file, mime, name, size, preview }
  let lastTypingSent = 0;
  let stickToBottom = true;     // follow new messages while at the bottom
  let jumpTo = focusMessageId;
  const nodes = new Map();      // key → { sig, el }

  // --- header ---
  const back = h('a.icon-btn.back', { href: '#/', 'aria-label': 'Back to chats', title: 'Back to chats' }, icon('back'));
  const face = h('span.head-face');
  const title = h('h2.conv-title', { id: `conv-title-${chatId}` });
  const sub = h('p.conv-sub', { 'aria-live': 'polite' });
  const menuBody = h('div.menu-body', { id: `menu-${chatId}`, hidden: true });
  const menuBtn = h('button.icon-btn', {
    type: 'button', 'aria-label': 'Chat options', title: 'Chat options', 'aria-expanded': 'false',
    'aria-controls': `menu-${chatId}`, onclick: () => openMenu(menuBody.hidden),
  }, icon('more'));
  const menu = h('div.menu', menuBtn, menuBody);
  function openMenu(open) {
    const chat = state.chats.get(chatId);
    if (open && !chat) return;
    if (open) renderMenu(chat); // drawn when opened: a redraw would lose what is typed in it
    menuBody.hidden = !open;
    menuBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      const first = menuBody.querySelector('input, button');
      if (first) first.focus();
    }
  }
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); openMenu(false); menuBtn.focus(); } });
  menu.addEventListener('focusout', (e) => { if (e.relatedTarget && !menu.contains(e.relatedTarget)) openMenu(false); });
  document.addEventListener('pointerdown', onOutside);
  function onOutside(e) { if (!menu.contains(e.target)) openMenu(false); }
  const head = h('header.conv-head', back, face, h('div.conv-names', title, sub), menu);

  // --- messages ---
  const older = h('div.older', { 'aria-live': 'polite' });
  const list = h('div.msg-list');
  const log = h('div.log', { role: 'log', tabindex: '0', 'aria-labelledby': `conv-title-${chatId}` }, older, list);
  const toBottom = h('button.to-bottom', { type: 'button', hidden: true, 'aria-label': 'Go to the newest messages', onclick: () => scrollToBottom(true) }, icon('down'));

  // --- composer ---
  const fileInput = h('input', { type: 'file', id: `file-${chatId}`, class: 'visually-hidden', tabIndex: -1, onchange: () => { if (fileInput.files[0]) pickFile(fileInput.files[0]); fileInput.value = ''; } });
  const attachBtn = h('button.icon-btn.attach', { type: 'button', 'aria-label': 'Attach a file', title: 'Attach a file', onclick: () => fileInput.click() }, icon('clip'));
  const text = h('textarea.text-input', {
    rows: 1, id: `compose-${chatId}`, 'aria-label': 'Message', placeholder: 'Write a message…',
    maxLength: 16384, enterKeyHint: 'send',
    oninput: () => { autosize(); noteTyping(); },
    onkeydown: onComposerKey,
    onpaste: (e) => {
      const f = [...(e.clipboardData ? e.clipboardData.files : [])][0];
      if (f) { e.preventDefault(); pickFile(f); }
    },
  });
  const sendBtn = h('button.icon-btn.send', { type: 'submit', 'aria-label': 'Send', title: 'Send (Enter)' }, icon('send'));
  const chip = h('div.chip-row', { hidden: true });
  const editBar = h('div.edit-bar', { hidden: true });
  const composer = h('form.composer', { onsubmit: (e) => { e.preventDefault(); submit(); } },
    editBar, chip, h('div.compose-row', fileInput, attachBtn, text, sendBtn));

  const el = h('section.conv', { 'aria-labelledby': `conv-title-${chatId}` },
    head, h('div.log-wrap', log, toBottom), composer);

  // Drop a file anywhere on the conversation.
  el.addEventListener('dragover', (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) { e.preventDefault(); el.classList.add('drop'); } });
  el.addEventListener('dragleave', (e) => { if (e.target === el) el.classList.remove('drop'); });
  el.addEventListener('drop', (e) => {
    el.classList.remove('drop');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) { e.preventDefault(); pickFile(f); }
  });

  log.addEventListener('scroll', onScroll, { passive: true });
  log.addEventListener('keydown', onLogKey);
  document.addEventListener('visibilitychange', onVisible);

  // --- header rendering ---
  function renderHead() {
    const chat = state.chats.get(chatId);
    if (!chat) {
      title.textContent = 'Chat';
      sub.textContent = '';
      return;
    }
    const peer = store.peerOf(chat);
    const name = store.chatTitle(chat);
    title.textContent = name;
    face.replaceChildren(peer && peer.id !== state.me.id ? avatar(peer, 'md', !!peer.online)
      : avatar({ id: chat.id, title: name }, 'md'));
    const typing = store.typingIn(chatId);
    if (typing.length) {
      sub.textContent = chat.type === 'direct' ? 'typing…' : `${typing.map(displayName).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`;
      sub.classList.add('typing');
    } else {
      sub.classList.remove('typing');
      if (chat.type === 'direct') sub.textContent = peer && peer.id !== state.me.id ? presenceText(peer) : '';
      else sub.textContent = `${chat.type === 'channel' ? `Channel #${chat.id}` : 'Group'} · ${chat.members.length} member${chat.members.length === 1 ? '' : 's'}`;
    }
  }

  function renderMenu(chat) {
    const items = [];
    if (chat.type === 'channel') {
      items.push(h('p.menu-note', `Channel number ${chat.id}: others join with it (New chat → Join).`));
    }
    if (chat.type === 'group' || (chat.type === 'channel' && chat.created_by === state.me.id)) {
      const who = h('input', { id: `add-${chatId}`, placeholder: 'login or phone', autocapitalize: 'none' });
      const err = h('p.form-error', { role: 'alert' });
      items.push(h('form.menu-form', {
        onsubmit: async (e) => {
          e.preventDefault();
          err.textContent = '';
          try {
            const u = await findUser(who.value);
            const c = await api.post(`/chats/${chatId}/members`, { user_id: u.id });
            store.addChat(c);
            who.value = '';
            toast(`${displayName(u)} was added.`);
          } catch (ex) { err.textContent = api.describe(ex); }
        },
      }, h('label', { for: `add-${chatId}` }, 'Add a member'), h('div.row', who, h('button', { type: 'submit' }, 'Add')), err));
    }
    const leaveWhat = chat.type === 'direct' ? 'Hide this chat' : chat.type === 'group' ? 'Leave group' : 'Leave channel';
    items.push(h('button.menu-item.danger', { type: 'button', onclick: () => leave(chat, leaveWhat) }, icon('logout'), leaveWhat));
    menuBody.replaceChildren(...items);
  }

  async function leave(chat, what) {
    openMenu(false);
    const hint = chat.type === 'direct' ? 'It comes back when a new message arrives.' : '';
    if (!await confirmDialog(`${what} “${store.chatTitle(chat)}”? ${hint}`.trim(), what)) return;
    try {
      await api.del(`/chats/${chatId}/members/me`);
      state.chats.delete(chatId);
      state.history.delete(chatId);
      store.changed('chats');
      location.hash = '#/';
    } catch (e) {
      toast(api.describe(e), 'error');
    }
  }

  // --- message rendering ---
  function tickOf(m) {
    const t = store.tickOf(m);
    const label = { read: 'Read', delivered: 'Delivered', sent: 'Sent' }[t];
    return h(`span.tick.${t}`, { title: label, dataset: { tick: t } }, icon(t === 'sent' ? 'check' : 'checks', label));
  }

  function attachmentView(a, localPreview) {
    const isImage = /^image\/(png|jpeg|gif|webp|bmp|avif)$/.test(a.mime);
    if (isImage) {
      const img = h('img.att-img', { alt: a.name || 'image', loading: 'lazy' });
      const link = h('a.att-img-link', { target: '_blank', rel: 'noopener', 'aria-label': `Open ${a.name || 'image'}` }, img);
      if (localPreview) {
        img.src = localPreview;
      } else {
        blobUrl(a.url).then((src) => { img.src = src; link.href = src; }, () => {
          link.replaceWith(h('span.att-missing', `${a.name || 'image'} could not be loaded`));
        });
      }
      img.addEventListener('load', () => { if (stickToBottom) scrollToBottom(); });
      return link;
    }
    const link = h('a.att-file', { download: a.name || 'file', 'aria-label': `Download ${a.name || 'file'}` },
      icon('file'), h('span.att-name', a.name || 'file'), h('span.att-size', fileSize(a.size || 0)));
    if (!localPreview && a.url) {
      // Fetched with the token when clicked: a plain link cannot send it.
      link.href = '#';
      link.addEventListener('click', async (e) => {
        if (link.dataset.ready) return;
        e.preventDefault();
        try {
          link.href = await blobUrl(a.url);
          link.dataset.ready = '1';
          link.click();
        } catch (err) { toast(api.describe(err), 'error'); }
      });
    }
    return link;
  }

  function messageNode(m, opts) {
    const mine = m.sender_id === state.me.id;
    const chat = state.chats.get(chatId);
    const sender = store.user(m.sender_id);
    const showName = !mine && chat && chat.type !== 'direct' && opts.first;
    const meta = h('span.meta',
      m.edited_at ? h('span.edited', 'edited ') : null,
      h('time', { dateTime: m.sent_at, title: new Date(m.sent_at).toLocaleString() }, clock(m.sent_at)),
      mine ? tickOf(m) : null);
    const body = h('div.bubble',
      showName ? h('div.sender', { style: { '--h': (m.sender_id * 137.508) % 360 } }, displayName(sender))
        : h('span.visually-hidden', `${mine ? 'You' : displayName(sender)}: `),
      m.attachment ? attachmentView(m.attachment) : null,
      m.text ? h('div.text', linkify(m.text)) : null,
      !m.text && !m.attachment && m.encrypted ? h('div.text.muted', icon('lock'), ' Encrypted message') : null,
      meta);
    const actions = mine ? h('div.actions',
      h('button.icon-btn.small', { type: 'button', tabIndex: -1, 'aria-label': 'Edit message', title: 'Edit (Enter)', onclick: () => startEdit(m) }, icon('edit')),
      h('button.icon-btn.small', { type: 'button', tabIndex: -1, 'aria-label': 'Delete message', title: 'Delete (Delete key)', onclick: () => remove(m) }, icon('trash'))) : null;
    const row = h(`div.msg.${mine ? 'mine' : 'theirs'}`, {
      tabIndex: -1, dataset: { id: m.id, sender: m.sender_id },
    }, !mine && chat && chat.type !== 'direct' ? (opts.first ? avatar(sender || { id: m.sender_id }, 'sm') : h('span.avatar-gap')) : null,
    body, actions);
    if (opts.first) row.classList.add('first');
    return row;
  }

  function pendingNode(o) {
    const failed = o.state === 'failed';
    const meta = h('span.meta',
      failed ? h('span.failed', icon('alert'), ' ', o.error || 'Not sent')
        : h('span.tick.pending', { title: o.error || 'Sending…', dataset: { tick: 'pending' } }, icon('clock', o.error || 'Sending')));
    const body = h('div.bubble',
      o.attachment ? attachmentView({ ...o.attachment, url: null }, o.attachment.preview || null) : null,
      o.text ? h('div.text', linkify(o.text)) : null, meta);
    const actions = failed ? h('div.retry',
      h('button.link', { type: 'button', onclick: () => outbox.retry(o.cid) }, 'Retry'),
      h('button.link', { type: 'button', onclick: () => outbox.discard(o.cid) }, 'Discard')) : null;
    return h('div.msg.mine.pending.first', { dataset: { cid: o.cid, state: o.state } }, body, actions);
  }

  // Rebuilds the list, reusing the node of every item whose look is the same.
  function renderMessages() {
    const hst = store.history(chatId);
    const msgs = hst ? hst.messages : [];
    const pend = outbox.pendingIn(chatId);
    const items = [];
    let prevDay = null;
    let prev = null;
    for (const m of msgs) {
      const day = new Date(m.sent_at).toDateString();
      if (day !== prevDay) {
        items.push({ key: `day:${day}`, sig: day, make: () => h('div.day', h('span', dayLabel(m.sent_at))) });
        prevDay = day;
        prev = null;
      }
      const first = !prev || prev.sender_id !== m.sender_id || new Date(m.sent_at) - new Date(prev.sent_at) > 5 * 60000;
      const mine = m.sender_id === state.me.id;
      const sender = store.user(m.sender_id);
      const sig = [m.text, m.edited_at, first, mine ? store.tickOf(m) : '', sender ? displayName(sender) + (sender.avatar || '') : '', m.attachment ? m.attachment.id : ''].join('|');
      items.push({ key: `m:${m.id}`, sig, make: () => messageNode(m, { first }) });
      prev = m;
    }
    for (const o of pend) {
      items.push({ key: `o:${o.cid}`, sig: `${o.state}|${o.error}`, make: () => pendingNode(o) });
    }
    const fresh = new Map();
    const els = items.map((it) => {
      const old = nodes.get(it.key);
      const node = old && old.sig === it.sig ? old.el : it.make();
      if (old && old.el !== node && document.activeElement === old.el) queueMicrotask(() => node.focus());
      fresh.set(it.key, { sig: it.sig, el: node });
      return node;
    });
    nodes.clear();
    for (const [k, v] of fresh) nodes.set(k, v);

    const before = log.scrollHeight;
    const top = log.scrollTop;
    list.replaceChildren(...els);
    if (hst && hst.loading && hst.loaded) older.textContent = 'Loading older messages…';
    else if (hst && hst.loaded && !hst.hasMore) older.textContent = msgs.length ? 'This is the beginning of the chat.' : '';
    else older.textContent = '';
    if (!hst || !hst.loaded) {
      list.replaceChildren(h('div.loading', hst && hst.error ? hst.error : 'Loading messages…'));
    } else if (!msgs.length && !pend.length) {
      list.replaceChildren(h('div.empty-chat', h('p', 'No messages yet.'), h('p.hint', 'Say hello!')));
    }
    if (stickToBottom) scrollToBottom();
    else if (top < 5 && log.scrollHeight > before) log.scrollTop = top + (log.scrollHeight - before);
    if (jumpTo) tryJump();
  }

  function scrollToBottom(smooth = false) {
    stickToBottom = true;
    toBottom.hidden = true;
    log.scrollTo({ top: log.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
  }

  function onScroll() {
    const fromBottom = log.scrollHeight - log.scrollTop - log.clientHeight;
    stickToBottom = fromBottom < 40;
    toBottom.hidden = stickToBottom;
    if (log.scrollTop < 300) loadOlder();
    if (stickToBottom) markRead();
  }

  async function loadOlder() {
    const hst = store.history(chatId);
    if (!hst || !hst.loaded || hst.loading || !hst.hasMore) return;
    const before = log.scrollHeight;
    const top = log.scrollTop;
    try {
      await store.loadHistory(chatId, true);
    } catch (e) {
      older.textContent = `Older messages could not be loaded: ${api.describe(e)}`;
      return;
    }
    // Keep the messages on screen where they were.
    requestAnimationFrame(() => {
      log.scrollTop = top + (log.scrollHeight - before);
    });
  }

  // Opened from a search result: load pages until the message is there.
  async function tryJump() {
    const id = jumpTo;
    const node = list.querySelector(`.msg[data-id="${id}"]`);
    if (node) {
      jumpTo = null;
      stickToBottom = false;
      node.scrollIntoView({ block: 'center' });
      node.classList.add('flash');
      node.focus({ preventScroll: true });
      setTimeout(() => node.classList.remove('flash'), 2500);
      return;
    }
    const hst = store.history(chatId);
    if (!hst || !hst.loaded || hst.loading) return;
    if (!hst.hasMore || (hst.messages[0] && hst.messages[0].id < id)) { jumpTo = null; return; }
    try { await store.loadHistory(chatId, true); } catch (_) { jumpTo = null; }
  }

  function markRead() {
    if (document.visibilityState !== 'visible' || !stickToBottom) return;
    const chat = state.chats.get(chatId);
    const hst = store.history(chatId);
    if (chat && hst && hst.loaded) store.markRead(chatId);
  }

  function onVisible() {
    if (document.visibilityState === 'visible') markRead();
  }

  // --- keyboard on the log: ↑/↓ move between messages; on your own,
  //     Enter edits and Delete deletes. ---
  function onLogKey(e) {
    const rows = [...list.querySelectorAll('.msg[data-id]')];
    const cur = e.target.closest && e.target.closest('.msg[data-id]');
    if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      if (!rows.length) return;
      e.preventDefault();
      let i = cur ? rows.indexOf(cur) + (e.key === 'ArrowDown' ? 1 : -1) : rows.length - 1;
      i = Math.max(0, Math.min(i, rows.length - 1));
      rows[i].focus();
      rows[i].scrollIntoView({ block: 'nearest' });
      return;
    }
    if (!cur || !cur.classList.contains('mine')) return;
    const m = messageById(Number(cur.dataset.id));
    if (!m) return;
    if (e.key === 'Enter' || e.key === 'e') { e.preventDefault(); startEdit(m); }
    if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); remove(m); }
  }

  function messageById(id) {
    const hst = store.history(chatId);
    return hst ? hst.messages.find((m) => m.id === id) : null;
  }

  // --- composer ---
  function autosize() {
    text.style.height = 'auto';
    text.style.height = `${Math.min(text.scrollHeight, 160)}px`;
  }

  function noteTyping() {
    if (editing || !text.value.trim()) return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = now;
    api.post(`/chats/${chatId}/typing`).catch(() => {});
  }

  function onComposerKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape') {
      if (editing) stopEdit();
      else if (attachment) clearAttachment();
    } else if (e.key === 'ArrowUp' && !text.value && !editing) {
      const hst = store.history(chatId);
      const mine = hst ? hst.messages.filter((m) => m.sender_id === state.me.id && m.text) : [];
      if (mine.length) { e.preventDefault(); startEdit(mine[mine.length - 1]); }
    }
  }

  async function pickFile(file) {
    if (editing) stopEdit();
    if (file.size > MAX_ATTACHMENT) {
      toast(`${file.name} is ${fileSize(file.size)}; files can be up to 5 MB.`, 'error');
      return;
    }
    clearAttachment();
    const isImage = /^image\//.test(file.type);
    attachment = {
      file, mime: file.type || 'application/octet-stream', name: file.name || 'file', size: file.size,
      preview: isImage ? URL.createObjectURL(file) : null,
    };
    chip.hidden = false;
    chip.replaceChildren(h('div.chip',
      attachment.preview ? h('img.chip-img', { src: attachment.preview, alt: '' }) : icon('file'),
      h('span.chip-text', h('span.att-name', attachment.name), h('span.att-size', fileSize(file.size))),
      h('button.icon-btn.small', { type: 'button', 'aria-label': `Remove ${attachment.name}`, onclick: clearAttachment }, icon('close'))));
    text.focus();
  }

  function clearAttachment() {
    attachment = null;
    chip.hidden = true;
    chip.replaceChildren();
  }

  function startEdit(m) {
    clearAttachment();
    editing = m;
    editBar.hidden = false;
    editBar.replaceChildren(icon('edit'), h('span.edit-text', h('strong', 'Edit message'), h('span.muted', m.text || '')),
      h('button.icon-btn.small', { type: 'button', 'aria-label': 'Cancel editing', onclick: stopEdit }, icon('close')));
    text.value = m.text || '';
    autosize();
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  function stopEdit() {
    editing = null;
    editBar.hidden = true;
    text.value = '';
    autosize();
    text.focus();
  }

  async function remove(m) {
    if (!await confirmDialog('Delete this message for everyone?', 'Delete')) return;
    try {
      await api.del(`/messages/${m.id}`);
      const hst = store.history(chatId);
      if (hst) hst.messages = hst.messages.filter((x) => x.id !== m.id);
      store.changed(`chat:${chatId}`);
      text.focus();
    } catch (e) {
      toast(api.describe(e), 'error');
    }
  }

  async function submit() {
    const value = text.value.replace(/\s+$/, '');
    if (editing) {
      const m = editing;
      if (!value.trim()) { remove(m); stopEdit(); return; }
      if (value === m.text) { stopEdit(); return; }
      try {
        const upd = await api.patch(`/messages/${m.id}`, { text: value });
        const hst = store.history(chatId);
        if (hst) { const i = hst.messages.findIndex((x) => x.id === upd.id); if (i >= 0) hst.messages[i] = upd; }
        store.changed(`chat:${chatId}`);
        stopEdit();
      } catch (e) {
        toast(api.describe(e), 'error');
      }
      return;
    }
    if (!value.trim() && !attachment) return;
    let att = null;
    if (attachment) {
      const a = attachment;
      try {
        att = { mime: a.mime, name: a.name, size: a.size, preview: a.preview, data: await base64Of(a.file) };
      } catch (e) {
        toast(`${a.name} could not be read.`, 'error');
        return;
      }
    }
    outbox.queue(chatId, value.trim() ? value : null, att);
    text.value = '';
    autosize();
    clearAttachment();
    lastTypingSent = 0;
    scrollToBottom();
  }

  // --- life cycle ---
  function update(topics) {
    if (topics.has(`chat:${chatId}`) || topics.has('users') || topics.has('outbox')) {
      renderHead();
      renderMessages();
      markRead();
    } else if (topics.has('chats')) {
      renderHead();
    }
    if (topics.has('chats') && !state.chats.has(chatId) && state.connection.status === 'online' && !loadingChat) {
      // Left or hidden elsewhere.
      sub.textContent = 'You are not in this chat.';
      composer.hidden = true;
    }
  }

  let loadingChat = false;
  async function open() {
    if (!state.chats.has(chatId)) {
      loadingChat = true;
      try { await store.refreshChat(chatId); } catch (e) {
        list.replaceChildren(h('div.empty-chat', h('p', e.status === 404 ? 'This chat does not exist, or you are not in it.' : api.describe(e))));
        composer.hidden = true;
        return;
      } finally { loadingChat = false; }
    }
    const hst = store.history(chatId);
    if (!hst || !hst.loaded) {
      try { await store.loadHistory(chatId); } catch (e) {
        const hh = store.history(chatId);
        if (hh) hh.error = `Messages could not be loaded: ${api.describe(e)}`;
        store.changed(`chat:${chatId}`);
      }
    }
    markRead();
  }

  function destroy() {
    document.removeEventListener('visibilitychange', onVisible);
    document.removeEventListener('pointerdown', onOutside);
    if (attachment && attachment.preview) URL.revokeObjectURL(attachment.preview);
  }

  renderHead();
  renderMessages();
  open();
  // On a desktop the composer takes the focus; on a phone that would
  // raise the keyboard over the conversation.
  queueMicrotask(() => { if (!jumpTo && !narrow()) text.focus({ preventScroll: true }); });
  return { el, update, destroy, focus: () => text.focus() };
}
