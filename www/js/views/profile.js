// views/profile.js: your profile: the avatar (a chosen picture is previewed
// before it is uploaded with PUT /me/avatar; the server's own error, such
// as its size limit, is shown), name and status (PATCH /me), and sign-out.

import * as api from '../api.js';
import * as store from '../store.js';
import { avatar, forget } from '../media.js';
import { h, icon, displayName, fileSize, toast } from '../dom.js';

const { state } = store;
const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

// profileView({ signOut }) → { el, update(topics), destroy() }
export function profileView({ signOut }) {
  let chosen = null;     // { file, url } waiting for Upload
  let saving = false;

  const face = h('div.profile-face');
  const fileInput = h('input', {
    type: 'file', id: 'avatar-file', accept: AVATAR_TYPES.join(','), class: 'visually-hidden',
    onchange: () => { if (fileInput.files[0]) choose(fileInput.files[0]); fileInput.value = ''; },
  });
  const pick = h('button', { type: 'button', onclick: () => fileInput.click() }, 'Choose a picture…');
  const upload = h('button.primary', { type: 'button', hidden: true, onclick: doUpload }, 'Upload');
  const cancel = h('button', { type: 'button', hidden: true, onclick: () => { unchoose(); renderFace(); } }, 'Cancel');
  const removeBtn = h('button.danger-text', { type: 'button', hidden: true, onclick: doRemove }, 'Remove picture');
  const avatarMsg = h('p.form-error', { role: 'alert', id: 'avatar-error' });
  const avatarInfo = h('p.hint.small', { id: 'avatar-info' }, 'PNG, JPEG, GIF or WebP.');

  const nick = h('input', { id: 'pf-nick', maxLength: 64, autocomplete: 'nickname' });
  const status = h('input', { id: 'pf-status', maxLength: 140, placeholder: 'What are you up to?' });
  const saveErr = h('p.form-error', { role: 'alert' });
  const saveBtn = h('button.primary', { type: 'submit' }, 'Save');
  const idLine = h('dl.ident');

  const form = h('form.card', {
    onsubmit: async (e) => {
      e.preventDefault();
      saveErr.textContent = '';
      if (!nick.value.trim()) { saveErr.textContent = 'Your name cannot be empty.'; nick.focus(); return; }
      saving = true;
      saveBtn.disabled = true;
      try {
        const me = await api.patch('/me', { nick: nick.value.trim(), status: status.value.trim() || null });
        state.me = me;
        state.users.set(me.id, me);
        store.changed('me', 'users');
        toast('Profile saved.');
      } catch (ex) {
        saveErr.textContent = api.describe(ex);
      } finally {
        saving = false;
        saveBtn.disabled = false;
      }
    },
  }, h('h3', 'About you'),
  h('div.field', h('label', { for: 'pf-nick' }, 'Name'), nick),
  h('div.field', h('label', { for: 'pf-status' }, 'Status'), status),
  saveErr, h('div.row.end', saveBtn));

  const el = h('section.page', { 'aria-labelledby': 'profile-title' },
    h('header.page-head',
      h('a.icon-btn.back', { href: '#/', 'aria-label': 'Back to chats' }, icon('back')),
      h('h2', { id: 'profile-title' }, 'Your profile')),
    h('div.page-body',
      h('div.card.avatar-card',
        face,
        h('div.avatar-side',
          h('h3', 'Picture'),
          avatarInfo,
          h('div.row', fileInput, pick, upload, cancel, removeBtn),
          avatarMsg)),
      form,
      h('div.card', h('h3', 'Account'), idLine,
        h('div.row.end', h('button.danger', { type: 'button', onclick: signOut }, icon('logout'), ' Sign out')))));

  function renderFace() {
    const me = state.me;
    if (chosen) {
      face.replaceChildren(h('span.avatar.xl.preview', h('img', { src: chosen.url, alt: 'Preview of your new picture' })));
    } else {
      face.replaceChildren(avatar(me, 'xl'));
    }
    pick.hidden = !!chosen;
    upload.hidden = !chosen;
    cancel.hidden = !chosen;
    removeBtn.hidden = !!chosen || !me.avatar;
  }

  function renderFields() {
    const me = state.me;
    if (!saving && document.activeElement !== nick && document.activeElement !== status) {
      nick.value = me.nick || '';
      status.value = me.status || '';
    }
    const rows = [['Login', me.login ? `@${me.login}` : '—'], ['Phone', me.phone || '—'],
      ['Member since', me.registered_at ? new Date(me.registered_at).toLocaleDateString() : '—']];
    idLine.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', k), h('dd', v)]));
  }

  function choose(file) {
    avatarMsg.textContent = '';
    if (!AVATAR_TYPES.includes(file.type)) {
      avatarMsg.textContent = `${file.name} is not a PNG, JPEG, GIF or WebP picture.`;
      return;
    }
    unchoose();
    chosen = { file, url: URL.createObjectURL(file) };
    avatarInfo.textContent = `${file.name}, ${fileSize(file.size)}. Upload it?`;
    renderFace();
    upload.focus();
  }

  function unchoose() {
    if (chosen) URL.revokeObjectURL(chosen.url);
    chosen = null;
    avatarInfo.textContent = 'PNG, JPEG, GIF or WebP.';
  }

  async function doUpload() {
    if (!chosen) return;
    avatarMsg.textContent = '';
    upload.disabled = true;
    upload.textContent = 'Uploading…';
    try {
      const r = await api.request('PUT', '/me/avatar', { raw: chosen.file, type: chosen.file.type, timeout: 60000 });
      const me = r && r.id ? r : await api.get('/me');
      if (state.me.avatar) forget(state.me.avatar);
      if (me.avatar) forget(me.avatar);
      state.me = me;
      state.users.set(me.id, me);
      unchoose();
      store.changed('me', 'users', 'chats');
      toast('Your picture is updated.');
    } catch (e) {
      avatarMsg.textContent = e.unsupported ? 'This server does not take profile pictures yet.'
        : api.describe(e);
    } finally {
      upload.disabled = false;
      upload.textContent = 'Upload';
      renderFace();
    }
  }

  async function doRemove() {
    avatarMsg.textContent = '';
    try {
      await api.del('/me/avatar');
      const me = await api.get('/me');
      state.me = me;
      state.users.set(me.id, me);
      store.changed('me', 'users', 'chats');
    } catch (e) {
      avatarMsg.textContent = e.unsupported ? 'This server does not take profile pictures yet.' : api.describe(e);
    }
  }

  function update(topics) {
    if (topics.has('me') || topics.has('users')) {
      renderFace();
      renderFields();
    }
  }

  renderFace();
  renderFields();
  return { el, update, destroy() { unchoose(); } };
}

