// client.test.js: the browser client (www/) driven in headless chromium, as
// two people would use it, against each front: parleyd serving www/ itself,
// and nginx serving www/ with /api/ passed to parley.fcgi.
//
// Run: node --test tests/browser/   (tests/run.py does, in its "browser"
// suite). One browser; Alice and Bob each have their own context (their own
// localStorage). The tests of a front run in order and build on each other.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFront, launchBrowser, makePng, PASSWORD, OUT } from './harness.js';

const FRONTS = (process.env.PARLEY_BROWSER_FRONTS || 'parleyd fcgi').split(/\s+/).filter(Boolean);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const FAST = 1000; // ms: "sees the other's message within 1 s"

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

const uniq = () => Math.random().toString(36).slice(2, 8);

for (const kind of FRONTS) {
  describe(`browser client on ${kind}`, () => {
    let front;
    const people = {};   // name → { ctx, page, login?, phone?, polls }
    const pageErrors = [];

    before(async () => {
      mkdirSync(OUT, { recursive: true });
      front = await startFront(kind);
    });

    after(async () => {
      for (const p of Object.values(people)) await p.ctx.close().catch(() => {});
      if (front) await front.close();
    });

    // A browser context for one person, watching its long-polls: at no
    // moment may more than one be in flight.
    async function person(name, viewport = DESKTOP) {
      const ctx = await browser.newContext({ viewport, baseURL: front.base });
      ctx.setDefaultTimeout(8000);
      const page = await ctx.newPage();
      const polls = { inFlight: 0, max: 0, started: 0 };
      const isPoll = (r) => r.url().includes('/api/v1/events?after=');
      page.on('request', (r) => {
        if (!isPoll(r)) return;
        polls.started++;
        polls.inFlight++;
        polls.max = Math.max(polls.max, polls.inFlight);
      });
      const done = (r) => { if (isPoll(r)) polls.inFlight--; };
      page.on('requestfinished', done);
      page.on('requestfailed', done);
      page.on('framenavigated', (f) => { if (f === page.mainFrame()) polls.inFlight = 0; });
      page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
      // Console errors too (a refused CSP rule says so there), less the
      // failed requests the browser notes on its own (the server restart,
      // the 410, 404s of endpoints this server may not have).
      page.on('console', (m) => {
        if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) pageErrors.push(`${name}: console: ${m.text()}`);
      });
      people[name] = { ctx, page, polls };
      return people[name];
    }

    async function register(p, identity, nick) {
      const { page } = p;
      await page.goto('/');
      await page.getByRole('tab', { name: 'Create account' }).click();
      await page.getByLabel('Login or phone number').fill(identity);
      await page.getByLabel('Your name').fill(nick);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('.conn[data-state="online"]').waitFor();
    }

    async function token(page) {
      return page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).token);
    }

    async function rest(page, method, path, body) {
      const r = await fetch(front.base + path, {
        method,
        headers: { Authorization: `Bearer ${await token(page)}`, 'Content-Type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
      return r.status === 204 ? null : JSON.parse(text);
    }

    // The chat list's link to the chat titled title.
    const chatLink = (page, title) => page.getByRole('link', { name: new RegExp(`^${title}[,.]`) });
    const composer = (page) => page.getByRole('textbox', { name: 'Message' });
    const bubble = (page, text) => page.locator('.msg .text', { hasText: text });

    async function send(page, text) {
      await composer(page).fill(text);
      await composer(page).press('Enter');
    }

    function chatId(page) {
      const m = /#\/chat\/(\d+)/.exec(page.url());
      assert.ok(m, `no chat open: ${page.url()}`);
      return Number(m[1]);
    }

    // The visible controls without an accessible name (an aria-label, a
    // <label>, or text of their own): [] when all are labelled.
    function unlabelled(page) {
      return page.evaluate(() => [...document.querySelectorAll('button, a[href], input, textarea, select, [role="log"]')]
        .filter((el) => el.offsetParent !== null && el.type !== 'file')
        .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
          (el.labels && el.labels.length) || el.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 120)));
    }

    const suffix = uniq();
    const aliceLogin = `alice_${suffix}`;
    const bobPhone = `+7 (999) ${100 + Math.floor(Math.random() * 900)}-${10 + Math.floor(Math.random() * 90)}-${10 + Math.floor(Math.random() * 90)}`;

    test('register with a login and with a phone number', async () => {
      const a = await person('alice');
      const b = await person('bob');
      await Promise.all([register(a, aliceLogin, 'Alice'), register(b, bobPhone, 'Bob')]);
      await a.page.locator('.me-name', { hasText: 'Alice' }).waitFor();
      await b.page.locator('.me-name', { hasText: 'Bob' }).waitFor();
    });

    test('a direct chat: each sees the other\'s messages within 1 s, no reload', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await a.getByRole('button', { name: 'New chat' }).first().click();
      await a.getByLabel('Login or phone number').fill(bobPhone);
      await a.getByRole('button', { name: 'Start chat' }).click();
      await a.locator('.conv-title', { hasText: 'Bob' }).waitFor();

      await send(a, 'Hello Bob, this is Alice');
      const t0 = Date.now();
      const item = b.locator('a.item', { hasText: 'Hello Bob, this is Alice' });
      await item.waitFor({ timeout: FAST });
      assert.ok(Date.now() - t0 <= FAST + 100, `took ${Date.now() - t0} ms`);
      assert.equal(await item.locator('.badge').textContent(), '1');
      await item.locator('.title', { hasText: 'Alice' }).waitFor();

      await item.click();
      await bubble(b, 'Hello Bob, this is Alice').waitFor();
      await send(b, 'Hi Alice! Bob here.');
      await bubble(a, 'Hi Alice! Bob here.').waitFor({ timeout: FAST });

      await send(a, 'How are you?');
      await bubble(b, 'How are you?').waitFor({ timeout: FAST });
      // nothing twice
      assert.equal(await bubble(b, 'How are you?').count(), 1);
      assert.equal(await bubble(a, 'How are you?').count(), 1);
    });

    test('delivered and read ticks on one\'s own messages', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      // Bob has the chat open: Alice's messages are delivered, then read.
      const mine = a.locator('.msg.mine', { hasText: 'How are you?' });
      await mine.locator('[data-tick="read"]').waitFor({ timeout: 5000 });
      // Bob looks elsewhere: a new message is delivered, not read...
      await b.goto('/#/');
      await b.locator('.home').waitFor();
      await send(a, 'Are you there?');
      const there = a.locator('.msg.mine', { hasText: 'Are you there?' });
      await there.locator('[data-tick="delivered"]').waitFor({ timeout: 5000 });
      assert.equal(await there.locator('[data-tick="delivered"]').getAttribute('title'), 'Delivered');
      // ...until he opens the chat.
      await b.locator('a.item', { hasText: 'Are you there?' }).click();
      await there.locator('[data-tick="read"]').waitFor({ timeout: 5000 });
      await b.locator('a.item .badge').waitFor({ state: 'detached' });
    });

    test('typing indicator', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await composer(b).pressSequentially('I am wri', { delay: 20 });
      await a.locator('.conv-sub.typing', { hasText: 'typing' }).waitFor({ timeout: 3000 });
      await composer(b).press('Enter');
      await bubble(a, 'I am wri').waitFor({ timeout: FAST });
      await a.locator('.conv-sub.typing').waitFor({ state: 'detached', timeout: 2000 });
    });

    test('edit and delete one\'s own messages (keyboard)', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await send(a, 'Lunch at noon?');
      await bubble(b, 'Lunch at noon?').waitFor({ timeout: FAST });
      await a.locator('.msg.mine[data-id]', { hasText: 'Lunch at noon?' }).waitFor(); // sent, not pending
      // ↑ in the empty composer edits the last message.
      await composer(a).press('ArrowUp');
      await a.locator('.edit-bar', { hasText: 'Edit message' }).waitFor();
      await composer(a).fill('Lunch at one?');
      await composer(a).press('Enter');
      await b.locator('.msg', { hasText: 'Lunch at one?' }).locator('.edited').waitFor({ timeout: 2000 });
      assert.equal(await bubble(b, 'Lunch at noon?').count(), 0);

      await send(a, 'a message with a typo');
      await bubble(b, 'a message with a typo').waitFor({ timeout: FAST });
      const msg = a.locator('.msg.mine', { hasText: 'a message with a typo' });
      await msg.hover();
      await msg.getByRole('button', { name: 'Delete message' }).click();
      await a.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await bubble(b, 'a message with a typo').waitFor({ state: 'detached', timeout: 2000 });
      await bubble(a, 'a message with a typo').waitFor({ state: 'detached', timeout: 2000 });
    });

    test('usable with the keyboard alone, every control labelled', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      assert.deepEqual(await unlabelled(b), []);
      await b.goto('/#/');
      await b.locator('.home').waitFor();
      // "/" finds, ↓ walks the list, Enter opens
      await b.keyboard.press('/');
      assert.equal(await b.evaluate(() => document.activeElement.id), 'search');
      await b.keyboard.press('ArrowDown');
      await b.keyboard.press('Enter');
      await b.locator('.conv-title', { hasText: 'Alice' }).waitFor();
      // the composer has the focus: type and send
      await b.keyboard.type('typed without a mouse');
      await b.keyboard.press('Enter');
      await bubble(a, 'typed without a mouse').waitFor({ timeout: FAST });
      await b.locator('.msg.mine[data-id]', { hasText: 'typed without a mouse' }).waitFor(); // sent, not pending
      // Shift+Tab to the conversation, ↑ to the last message, Delete, Enter
      await b.keyboard.press('Shift+Tab');
      await b.keyboard.press('Shift+Tab');
      assert.equal(await b.evaluate(() => document.activeElement.getAttribute('role')), 'log');
      await b.keyboard.press('ArrowUp');
      await b.keyboard.press('Delete');
      await b.getByRole('dialog').waitFor();
      await b.keyboard.press('Enter');
      await bubble(a, 'typed without a mouse').waitFor({ state: 'detached', timeout: 2000 });
      // Alt+N: a new chat; Escape closes it
      await b.keyboard.press('Alt+n');
      await b.getByRole('dialog', { name: 'New chat' }).waitFor();
      assert.deepEqual(await unlabelled(b), []);
      await b.keyboard.press('Escape');
      await b.getByRole('dialog').waitFor({ state: 'detached' });
    });

    test('attachments: an image preview and a file link, fetched with the token', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      const png = await makePng(a, 240, 160);
      await a.locator('input[type="file"]').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
      await a.locator('.chip', { hasText: 'sunset.png' }).locator('img').waitFor();
      await composer(a).fill('the view from here');
      await composer(a).press('Enter');
      const img = b.locator('.msg', { hasText: 'the view from here' }).locator('img.att-img');
      await img.waitFor({ timeout: 3000 });
      await b.waitForFunction((el) => el.complete && el.naturalWidth === 240 && el.src.startsWith('blob:'),
        await img.elementHandle(), { timeout: 5000 });

      await a.locator('input[type="file"]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shopping: bread, tea\n') });
      await composer(a).press('Enter');
      const link = b.locator('a.att-file', { hasText: 'notes.txt' });
      await link.waitFor({ timeout: 3000 });
      const [download] = await Promise.all([b.waitForEvent('download'), link.click()]);
      assert.equal(download.suggestedFilename(), 'notes.txt');
    });

    test('older history loads on scrolling up', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      const bobId = await b.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).user_id);
      const chat = await rest(a, 'POST', '/api/v1/chats', { type: 'group', title: 'Archive', members: [bobId] });
      for (let i = 1; i <= 70; i++) {
        await rest(a, 'POST', `/api/v1/chats/${chat.id}/messages`, { text: `archived message ${i}.` });
      }
      await b.locator('a.item', { hasText: 'Archive' }).click();
      await bubble(b, 'archived message 70.').waitFor();
      assert.equal(await bubble(b, 'archived message 1.').count(), 0);
      const log = b.getByRole('log');
      for (let i = 0; i < 10 && !(await bubble(b, 'archived message 1.').count()); i++) {
        await log.evaluate((el) => { el.scrollTop = 0; });
        await b.waitForTimeout(300);
      }
      await bubble(b, 'archived message 1.').waitFor({ timeout: 3000 });
      await b.getByText('This is the beginning of the chat.').waitFor();
      assert.equal(await b.locator('.msg', { hasText: /archived message \d+\./ }).count(), 70);
    });

    test('message search opens the chat at the message', async () => {
      const { page: b } = people.bob;
      await b.goto('/#/');
      await b.getByRole('searchbox', { name: 'Search messages' }).fill('lunch');
      const hit = b.locator('.results a.item', { hasText: 'Lunch at one?' });
      await hit.waitFor({ timeout: 3000 });
      await hit.click();
      await b.locator('.msg.flash', { hasText: 'Lunch at one?' }).waitFor({ timeout: 3000 });
      await b.getByRole('searchbox', { name: 'Search messages' }).fill('');
    });

    test('groups and channels: create, join, leave', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await a.getByRole('button', { name: 'New chat' }).first().click();
      await a.getByRole('tab', { name: 'Group' }).click();
      await a.getByLabel('Group name').fill('Book club');
      await a.getByLabel('Members').fill(bobPhone);
      await a.getByRole('button', { name: 'Create group' }).click();
      await a.locator('.conv-title', { hasText: 'Book club' }).waitFor();
      await b.locator('a.item', { hasText: 'Book club' }).waitFor({ timeout: 3000 });
      await send(a, 'First book: Dune, by Frank Herbert. We meet on the first Sunday of each month at the library.');
      await b.locator('a.item', { hasText: 'First book: Dune, by Frank Herbert. We meet on the first Sunday of each month at the library.' }).waitFor({ timeout: FAST });

      await a.getByRole('button', { name: 'New chat' }).first().click();
      await a.getByRole('tab', { name: 'Channel' }).click();
      await a.getByLabel('Channel name').fill('Announcements');
      await a.getByRole('button', { name: 'Create channel' }).click();
      await a.locator('.conv-title', { hasText: 'Announcements' }).waitFor();
      const channel = chatId(a);

      await b.getByRole('button', { name: 'New chat' }).first().click();
      await b.getByRole('tab', { name: 'Join' }).click();
      await b.getByLabel('Channel number').fill(String(channel));
      await b.getByRole('button', { name: 'Join', exact: true }).click();
      await b.locator('.conv-title', { hasText: 'Announcements' }).waitFor();
      await a.locator('.conv-sub', { hasText: '2 members' }).waitFor({ timeout: 3000 });
      await send(a, 'Welcome, everyone');
      await bubble(b, 'Welcome, everyone').waitFor({ timeout: FAST });

      await b.getByRole('button', { name: 'Chat options' }).click();
      await b.getByRole('button', { name: 'Leave channel' }).click();
      await b.getByRole('dialog').getByRole('button', { name: 'Leave channel' }).click();
      await b.locator('.home').waitFor();
      await b.locator('a.item', { hasText: 'Announcements' }).waitFor({ state: 'detached' });
      await a.locator('.conv-sub', { hasText: '1 member' }).waitFor({ timeout: 3000 });
    });

    test('profile: a new name and status reach the other side', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await b.getByRole('link', { name: 'Your profile' }).click();
      await b.getByLabel('Name', { exact: true }).fill('Bobby');
      await b.getByLabel('Status').fill('reading Dune');
      await b.getByRole('button', { name: 'Save' }).click();
      await b.locator('.me-name', { hasText: 'Bobby' }).waitFor();
      await a.goto('/#/');
      await chatLink(a, 'Bobby').waitFor({ timeout: 3000 });
    });

    test('a reload keeps the session and the history', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await chatLink(b, 'Alice').click();
      await bubble(b, 'Hello Bob, this is Alice').waitFor();
      const url = b.url();
      await b.reload();
      assert.equal(b.url(), url);
      await b.locator('.conn[data-state="online"]').waitFor();
      await bubble(b, 'Hello Bob, this is Alice').waitFor();
      await bubble(b, 'I am wri').waitFor();
      assert.equal(await b.locator('#auth-id').count(), 0);
      // and the live updates go on after it
      await chatLink(a, 'Bobby').click();
      await send(a, 'still there after your reload?');
      await bubble(b, 'still there after your reload?').waitFor({ timeout: FAST });
    });

    test('the server restarts mid-conversation: nothing is lost or doubled', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await front.stopApi();
      await Promise.all([
        a.locator('.conn[data-state="offline"]').waitFor({ timeout: 15000 }),
        b.locator('.conn[data-state="offline"]').waitFor({ timeout: 15000 }),
      ]);
      await a.locator('.banner', { hasText: 'Offline' }).waitFor();
      const fromAlice = ['sent while the server was down 1', 'sent while the server was down 2'];
      for (const t of fromAlice) await send(a, t);
      await send(b, 'Bob, also while it was down');
      // shown at once, with a clock, until the server takes them
      await a.locator('.msg.pending', { hasText: fromAlice[1] }).waitFor();
      await b.locator('.msg.pending [data-tick="pending"]').waitFor();

      await front.startApi();
      for (const t of fromAlice) {
        await bubble(b, t).waitFor({ timeout: 20000 });
      }
      await bubble(a, 'Bob, also while it was down').waitFor({ timeout: 20000 });
      await a.locator('.msg.pending').waitFor({ state: 'detached', timeout: 20000 });
      await b.locator('.msg.pending').waitFor({ state: 'detached', timeout: 20000 });
      await a.locator('.conn[data-state="online"]').waitFor({ timeout: 20000 });
      for (const p of [a, b]) {
        for (const t of [...fromAlice, 'Bob, also while it was down']) assert.equal(await bubble(p, t).count(), 1, t);
      }
      // the server holds each exactly once, in the order written
      const chat = chatId(b);
      const { messages } = await rest(b, 'GET', `/api/v1/chats/${chat}/messages?limit=20`);
      const texts = messages.map((m) => m.text);
      for (const t of [...fromAlice, 'Bob, also while it was down']) {
        assert.equal(texts.filter((x) => x === t).length, 1, t);
      }
      assert.ok(texts.indexOf(fromAlice[0]) < texts.indexOf(fromAlice[1]));
      // and it goes on
      await send(b, 'back to normal');
      await bubble(a, 'back to normal').waitFor({ timeout: FAST });
    });

    test('an expired cursor (410) reloads the state and goes on', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      const uid = await b.evaluate(() => JSON.parse(localStorage.getItem('parley.session')).user_id);
      const url = b.url();
      // A page of the same origin without the client, so that no poll
      // writes the cursor back meanwhile.
      await b.goto('/favicon.svg');
      await b.evaluate((k) => localStorage.setItem(k, '999999999'), `parley.cursor.${uid}`);
      const expired = b.waitForResponse((r) => r.url().includes('/api/v1/events?after=999999999') && r.status() === 410);
      await b.goto(url);
      await expired;
      await b.locator('.conn[data-state="online"]').waitFor();
      await send(a, 'after the expired cursor');
      await bubble(b, 'after the expired cursor').waitFor({ timeout: 2000 });
      const kept = await b.evaluate((k) => Number(localStorage.getItem(k)), `parley.cursor.${uid}`);
      assert.ok(kept < 999999999, `cursor ${kept}`);
    });

    test('screenshots at desktop and phone width', async () => {
      const { page: a } = people.alice;
      await chatLink(a, 'Bobby').click();
      await bubble(a, 'back to normal').waitFor();
      await a.waitForTimeout(300);
      await a.screenshot({ path: join(OUT, `browser-${kind}-desktop.png`) });

      const phone = await person('alice-phone', PHONE);
      const { page: p } = phone;
      await p.goto('/');
      await p.getByLabel('Login or phone number').fill(aliceLogin);
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await chatLink(p, 'Bobby').waitFor();
      // the list fits the screen, its buttons too
      const right = await p.evaluate(() => Math.max(...[...document.querySelectorAll('.sidebar, .side-actions, a.item .when, a.item .badge')]
        .map((el) => el.getBoundingClientRect().right)));
      assert.ok(right <= PHONE.width, `the list reaches ${right} px`);
      await p.screenshot({ path: join(OUT, `browser-${kind}-phone-list.png`) });
      await chatLink(p, 'Bobby').click();
      await bubble(p, 'back to normal').waitFor();
      await p.locator('.msg img.att-img').first().waitFor();
      // one pane at a time, nothing wider than the screen
      assert.equal(await p.locator('.sidebar').isVisible(), false);
      const wide = await p.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= PHONE.width, `page is ${wide} px wide`);
      await p.waitForTimeout(300);
      await p.screenshot({ path: join(OUT, `browser-${kind}-phone.png`) });
      await p.getByRole('link', { name: 'Back to chats' }).click();
      await p.locator('.sidebar').waitFor();
    });

    test('sign out, and sign in again with the phone number', async () => {
      const { page: b } = people.bob;
      await b.getByRole('button', { name: 'Sign out' }).first().click();
      await b.locator('#auth-id').waitFor();
      assert.equal(await b.evaluate(() => localStorage.getItem('parley.session')), null);
      await b.getByLabel('Login or phone number').fill(bobPhone);
      await b.getByLabel('Password').fill('wrong password');
      await b.getByRole('button', { name: 'Sign in' }).click();
      await b.getByRole('alert').filter({ hasText: 'Wrong login, phone or password' }).waitFor();
      await b.getByLabel('Password').fill(PASSWORD);
      await b.getByRole('button', { name: 'Sign in' }).click();
      await b.locator('a.item', { hasText: 'Book club' }).waitFor();
    });

    test('an avatar upload shows, on both sides; too large is refused with the server\'s message', async () => {
      const { page: a } = people.alice;
      const { page: b } = people.bob;
      await a.goto('/#/profile');
      const big = await makePng(a, 400, 400, true);
      assert.ok(big.length > 256 * 1024, `${big.length} bytes`);
      await a.locator('#avatar-file').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: big });
      await a.getByRole('button', { name: 'Upload' }).click();
      // the server's own words: its limit
      await a.locator('#avatar-error').filter({ hasText: /too large: .*at most/ }).waitFor();
      await a.getByRole('button', { name: 'Cancel' }).click();

      const png = await makePng(a, 96, 96);
      await a.locator('#avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
      await a.getByRole('img', { name: 'Preview of your new picture' }).waitFor();
      await a.getByRole('button', { name: 'Upload' }).click();
      await a.locator('.me .avatar img').waitFor({ timeout: 5000 });
      await b.goto('/#/');
      await chatLink(b, 'Alice').locator('.avatar img').waitFor({ timeout: 5000 });
    });

    test('contacts: add by phone, import a pasted list, remove', async () => {
      const { page: a } = people.alice;
      await a.goto('/#/contacts');
      await a.getByLabel('Login or phone number').fill(bobPhone);
      await a.getByLabel('Name for them').fill('Bob from the book club');
      await a.getByRole('button', { name: 'Add contact' }).click();
      const row = a.locator('li.contact', { hasText: 'Bob from the book club' });
      await row.waitFor({ timeout: 3000 });
      await row.getByRole('button', { name: /^Remove/ }).click();
      await a.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
      await row.waitFor({ state: 'detached' });

      await a.getByLabel('Paste a list, one contact a line').fill(`Bob B, ${bobPhone}\nNobody Known, +7 000 000-00-01\n`);
      await a.getByRole('button', { name: 'Import' }).click();
      await a.getByRole('status').filter({ hasText: '1 person is on parley' }).waitFor({ timeout: 3000 });
      await a.getByText('1 not found').waitFor();
      await a.locator('li.contact').first().waitFor();
      await a.locator('li.contact').getByRole('button', { name: 'Message' }).first().click();
      await a.locator('.conv-title').waitFor();
    });

    test('never more than one long-poll in flight per tab', async () => {
      const { polls: pa } = people.alice;
      const { polls: pb } = people.bob;
      assert.ok(pa.started > 3 && pb.started > 3, `polls: ${pa.started}, ${pb.started}`);
      assert.equal(pa.max, 1, 'alice had two polls at once');
      assert.equal(pb.max, 1, 'bob had two polls at once');
      // the guard itself: a second start() in the same tab is refused
      const again = await people.alice.page.evaluate(async () => {
        const events = await import('/js/events.js');
        return events.start({ cursorKey: 'x', load: async () => {}, apply() {}, status() {} });
      });
      assert.equal(again, false);
      // a held poll, not a loop that spins (a few events may still come)
      const before = pa.started;
      await people.alice.page.waitForTimeout(1500);
      assert.ok(pa.started - before <= 4, `${pa.started - before} polls in 1.5 s of quiet`);
    });

    test('no script errors in any page, nothing refused by the CSP', () => {
      assert.deepEqual(pageErrors, []);
    });
  });
}
