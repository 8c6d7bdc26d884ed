// views/auth.js: the sign-in and create-account screen. An identity is a
// login or a phone number; the same field takes either.

import * as api from '../api.js';
import { h, icon } from '../dom.js';

// A phone number as people type it: +, digits, spaces, dashes, brackets.
export function looksLikePhone(s) {
  return /^\+?[\d\s().-]{6,}$/.test(s.trim()) && (s.match(/\d/g) || []).length >= 6;
}

function identity(s) {
  const v = s.trim();
  return looksLikePhone(v) ? { phone: v } : { login: v };
}

// authView(onSession, note): onSession({ token, user_id }, user?) is called
// when the person is signed in. note: a message to show first.
export function authView(onSession, note = '') {
  let mode = 'signin';
  const error = h('p.form-error', { role: 'alert', id: 'auth-error' });
  if (note) error.textContent = note;

  const idInput = h('input', { id: 'auth-id', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: false });
  const nickInput = h('input', { id: 'auth-nick', name: 'nick', autocomplete: 'nickname', maxLength: 64 });
  const pwInput = h('input', { id: 'auth-password', name: 'password', type: 'password', required: true, minLength: 8, autocomplete: 'current-password' });
  const submit = h('button.primary.wide', { type: 'submit' }, 'Sign in');
  const nickRow = h('div.field', { hidden: true },
    h('label', { for: 'auth-nick' }, 'Your name ', h('span.hint', '(optional)')),
    nickInput);
  const pwHint = h('span.hint', { hidden: true }, ' (8 characters or more)');
  const idHint = h('p.hint.small', { id: 'auth-id-hint', hidden: true },
    'A login (letters, digits, _ . -) or a phone number with its country code, like +7 999 123-45-67.');
  idInput.setAttribute('aria-describedby', 'auth-id-hint');

  const tabs = {
    signin: h('button.tab', { type: 'button', role: 'tab', id: 'tab-signin', onclick: () => setMode('signin') }, 'Sign in'),
    register: h('button.tab', { type: 'button', role: 'tab', id: 'tab-register', onclick: () => setMode('register') }, 'Create account'),
  };

  function setMode(m) {
    mode = m;
    const reg = m === 'register';
    tabs.signin.setAttribute('aria-selected', String(!reg));
    tabs.register.setAttribute('aria-selected', String(reg));
    nickRow.hidden = !reg;
    pwHint.hidden = !reg;
    idHint.hidden = !reg;
    pwInput.autocomplete = reg ? 'new-password' : 'current-password';
    submit.textContent = reg ? 'Create account' : 'Sign in';
    error.textContent = '';
    idInput.focus();
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    error.textContent = '';
    const id = idInput.value.trim();
    if (!id) { error.textContent = 'Enter your login or phone number.'; idInput.focus(); return; }
    if (pwInput.value.length < 8) { error.textContent = 'The password needs 8 characters or more.'; pwInput.focus(); return; }
    submit.disabled = true;
    submit.textContent = mode === 'register' ? 'Creating…' : 'Signing in…';
    try {
      if (mode === 'register') {
        const body = { ...identity(id), password: pwInput.value };
        if (nickInput.value.trim()) body.nick = nickInput.value.trim();
        const r = await api.post('/users', body);
        onSession({ token: r.session.token, user_id: r.user.id }, r.user);
      } else {
        const s = await api.post('/sessions', { ...identity(id), password: pwInput.value });
        onSession({ token: s.token, user_id: s.user_id });
      }
    } catch (e) {
      error.textContent = api.describe(e);
      submit.disabled = false;
      submit.textContent = mode === 'register' ? 'Create account' : 'Sign in';
      (e.field === 'password' ? pwInput : idInput).focus();
    }
  }

  const el = h('div.auth',
    h('main.auth-card',
      h('div.brand', h('span.logo', icon('chat')), h('h1', 'parley')),
      h('p.tagline', 'Talk with the people you know.'),
      h('div.tabs', { role: 'tablist', 'aria-label': 'Sign in or create an account' }, tabs.signin, tabs.register),
      h('form', { onsubmit: onSubmit, novalidate: true, 'aria-labelledby': 'tab-signin' },
        h('div.field',
          h('label', { for: 'auth-id' }, 'Login or phone number'),
          idInput, idHint),
        nickRow,
        h('div.field',
          h('label', { for: 'auth-password' }, 'Password', pwHint),
          pwInput),
        error,
        submit)));
  setMode('signin');
  if (note) error.textContent = note;
  return el;
}
