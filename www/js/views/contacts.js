// views/contacts.js: the contact list (GET /contacts), adding one by login
// or phone (PUT /contacts/{id}), removing one, and importing a pasted list
// of names with phones or e-mails (POST /contacts/import). A server without
// these endpoints (404/405) gets a plain note instead of the forms.

import * as api from '../api.js';
import * as store from '../store.js';
import { avatar } from '../media.js';
import { h, icon, displayName, presenceText, toast, confirmDialog } from '../dom.js';
import { findUser, openDirect } from './newchat.js';

const { state } = store;

// parseContacts("Ann, +7 999 …\nBob <bob@x.org>") → [{ name, phone?, email? }]
export function parseContacts(text) {
  const out = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line) continue;
    const c = {};
    const email = line.match(/[^\s<>,;]+@[^\s<>,;]+\.[^\s<>,;]+/);
    if (email) { c.email = email[0]; line = line.replace(email[0], ' '); }
    const phone = line.match(/\+?\d[\d\s().-]{5,}\d/);
    if (phone) { c.phone = phone[0].trim(); line = line.replace(phone[0], ' '); }
    c.name = line.replace(/[<>,;:\t|]+/g, ' ').replace(/\s+/g, ' ').trim() || c.phone || c.email;
    if (c.phone || c.email) out.push(c);
  }
  return out;
}

// contactsView() → { el, update(topics), destroy() }
export function contactsView() {
  let contacts = [];
  let unsupported = false;
  const listEl = h('ul.contact-list', { 'aria-label': 'Your contacts' });
  const note = h('div.note', { role: 'status' });

  // Add one.
  const who = h('input', { id: 'ct-who', autocapitalize: 'none', spellcheck: false, placeholder: 'alice or +7 999 123-45-67' });
  const name = h('input', { id: 'ct-name', placeholder: 'optional' });
  const addErr = h('p.form-error', { role: 'alert' });
  const addBtn = h('button.primary', { type: 'submit' }, 'Add contact');
  const addForm = h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      addErr.textContent = '';
      if (!who.value.trim()) { addErr.textContent = 'Enter a login or a phone number.'; who.focus(); return; }
      addBtn.disabled = true;
      try {
        const u = await findUser(who.value);
        const body = name.value.trim() ? { name: name.value.trim() } : {};
        await api.put(`/contacts/${u.id}`, body);
        toast(`${name.value.trim() || displayName(u)} is in your contacts.`);
        who.value = '';
        name.value = '';
        await load();
      } catch (ex) {
        addErr.textContent = ex.unsupported ? 'This server does not keep contacts yet.' : api.describe(ex);
      } finally {
        addBtn.disabled = false;
      }
    },
  }, h('h3', 'Add a contact'),
  h('div.field', h('label', { for: 'ct-who' }, 'Login or phone number'), who),
  h('div.field', h('label', { for: 'ct-name' }, 'Name for them'), name),
  addErr, h('div.row.end', addBtn));

  // Import a pasted list.
  const paste = h('textarea', { id: 'ct-import', rows: 4, placeholder: 'Ann Smith, +7 999 123-45-67\nBob <bob@example.org>' });
  const impErr = h('p.form-error', { role: 'alert' });
  const impResult = h('p.result', { role: 'status' });
  const impBtn = h('button', { type: 'submit' }, 'Import');
  const importForm = h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      impErr.textContent = '';
      impResult.textContent = '';
      const list = parseContacts(paste.value);
      if (!list.length) { impErr.textContent = 'Paste one contact a line: a name and a phone number or e-mail.'; paste.focus(); return; }
      impBtn.disabled = true;
      try {
        const r = await api.post('/contacts/import', { contacts: list });
        const n = r.matched.length;
        impResult.textContent = `${n} ${n === 1 ? 'person is' : 'people are'} on parley and now in your contacts` +
          (r.unmatched ? `; ${r.unmatched} not found.` : '.');
        paste.value = '';
        await load();
      } catch (ex) {
        impErr.textContent = ex.unsupported ? 'This server does not keep contacts yet.' : api.describe(ex);
      } finally {
        impBtn.disabled = false;
      }
    },
  }, h('h3', 'Import contacts'),
  h('div.field', h('label', { for: 'ct-import' }, 'Paste a list, one contact a line'), paste),
  impErr, impResult, h('div.row.end', impBtn));

  const el = h('section.page', { 'aria-labelledby': 'contacts-title' },
    h('header.page-head',
      h('a.icon-btn.back', { href: '#/', 'aria-label': 'Back to chats' }, icon('back')),
      h('h2', { id: 'contacts-title' }, 'Contacts')),
    h('div.page-body', note, listEl, h('div.cards', addForm, importForm)));

  function row(c) {
    const u = state.users.get(c.user.id) || c.user;
    const shown = c.name || displayName(u);
    const ident = [u.login ? `@${u.login}` : null, u.phone].filter(Boolean).join(' · ');
    return h('li.contact', { dataset: { userId: u.id } },
      avatar(u, 'md', !!u.online),
      h('div.contact-text', h('span.title', shown), h('span.muted', ident || presenceText(u))),
      h('div.contact-actions',
        h('button', { type: 'button', onclick: () => openDirect(u.id).catch((e) => toast(api.describe(e), 'error')) }, 'Message'),
        h('button.danger-text', {
          type: 'button', 'aria-label': `Remove ${shown}`,
          onclick: async () => {
            if (!await confirmDialog(`Remove ${shown} from your contacts?`, 'Remove')) return;
            try {
              await api.del(`/contacts/${u.id}`);
              contacts = contacts.filter((x) => x.user.id !== u.id);
              render();
            } catch (e) { toast(api.describe(e), 'error'); }
          },
        }, 'Remove')));
  }

  function render() {
    if (unsupported) {
      note.textContent = 'Contacts are not available on this server yet. You can still start a chat with anyone by login or phone number (New chat).';
      note.className = 'note warn';
      listEl.replaceChildren();
      addForm.hidden = true;
      importForm.hidden = true;
      return;
    }
    note.className = 'note';
    note.textContent = contacts.length ? '' : 'No contacts yet. Add someone by login or phone, or import a list.';
    listEl.replaceChildren(...contacts.map(row));
  }

  async function load() {
    try {
      const r = await api.get('/contacts');
      contacts = r.contacts || [];
      for (const c of contacts) {
        state.users.set(c.user.id, { ...(state.users.get(c.user.id) || {}), ...c.user });
      }
      unsupported = false;
    } catch (e) {
      if (e.unsupported) unsupported = true;
      else { note.textContent = api.describe(e); note.className = 'note error'; return; }
    }
    render();
  }

  function update(topics) {
    if (topics.has('users') && !unsupported) render();
  }

  note.textContent = 'Loading…';
  load();
  return { el, update, destroy() {} };
}
