// harness.js: what the browser tests stand on: the servers and the browser.
//
//   startFront('parleyd' | 'fcgi') → { kind, base, stopApi(), startApi(), close() }
//     parleyd: build/parleyd spawned here on 127.0.0.1:0 (its port read from
//       its stderr), serving www/, with a fresh database in a temp directory.
//     fcgi: tests/browser/front.py, which starts parley.fcgi behind a real
//       nginx configured from deploy/nginx.conf, exactly as the HTTP tests do.
//     stopApi()/startApi() stop and start parley itself (the same port or
//     socket, the same database); close() stops everything and throws if a
//     process failed (exit status, sanitizer report, nginx error).
//   launchBrowser() → a playwright-core Browser: Debian's chromium, headless.
//
// Environment: PARLEY_BUILD (default build/), CHROMIUM (default
// /usr/bin/chromium). Logs go to tests/out/.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const OUT = join(ROOT, 'tests', 'out');
const BUILD = resolve(ROOT, process.env.PARLEY_BUILD || 'build');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';

// Flags of every front: room for many registrations from one address.
const FLAGS = ['--register-max', '100000', '--login-max-failures', '1000'];

const children = new Set();
process.on('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch (_) { /* gone */ } } });

// The environment of a server: ours, less PARLEY_* and proxies.
function serverEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PARLEY_') && !k.toLowerCase().endsWith('_proxy')) env[k] = v;
  }
  return env;
}

async function healthy(base) {
  try {
    const r = await fetch(`${base}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    return r.status === 200;
  } catch (_) { return false; }
}

async function until(what, ok, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms: ${what}`);
}

export async function startFront(kind) {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), `parley-browser-${kind}-`));
  const front = kind === 'parleyd' ? await parleyd(tmp) : await viaPython(kind, tmp);
  const close = front.close;
  front.close = async () => {
    try { await close(); } finally { rmSync(tmp, { recursive: true, force: true }); }
  };
  return front;
}

// --- parleyd, spawned here ---

async function parleyd(tmp) {
  const db = join(tmp, 'p.db');
  let proc = null;
  let port = 0;
  let runs = 0;
  const problems = [];

  async function start() {
    runs++;
    const log = join(OUT, `browser-parleyd-${runs}.log`);
    const logf = createWriteStream(log);
    const p = spawn(join(BUILD, 'parleyd'), ['--db', db, '--listen', `127.0.0.1:${port}`,
      '--www', join(ROOT, 'www'), ...FLAGS], { env: serverEnv(), cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(p);
    let text = '';
    const found = new Promise((res, rej) => {
      p.stderr.on('data', (b) => {
        text += b;
        logf.write(b);
        const m = /parleyd: listening on \S+ \(port (\d+)\)/.exec(text);
        if (m) res(Number(m[1]));
      });
      p.on('exit', (code) => rej(new Error(`parleyd exited (${code}) while starting:\n${text}`)));
    });
    p.on('exit', (code, sig) => {
      children.delete(p);
      logf.end();
      if (code !== 0) problems.push(`parleyd exited with ${code ?? sig} (see ${log})`);
    });
    p.text = () => text;
    let timer;
    const late = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('parleyd did not start')), 20000); });
    try { port = await Promise.race([found, late]); } finally { clearTimeout(timer); }
    proc = p;
    await until('parleyd answers /health', () => healthy(`http://127.0.0.1:${port}`));
  }

  async function stop() {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => { problems.push('parleyd did not stop within 20 s of SIGTERM'); p.kill('SIGKILL'); }, 20000);
    await gone;
    clearTimeout(t);
    const bad = /ERROR: AddressSanitizer|runtime error:|LeakSanitizer/.exec(p.text());
    if (bad) problems.push(`parleyd: sanitizer report: ${bad[0]}`);
  }

  await start();
  return {
    kind: 'parleyd',
    base: `http://127.0.0.1:${port}`,
    stopApi: stop,
    // The same port: the browser's origin (and its localStorage) stays.
    async startApi() {
      for (let i = 0; ; i++) {
        try { await start(); return; } catch (e) {
          if (i >= 4) throw e;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    },
    async close() {
      await stop();
      if (problems.length) throw new Error(`server trouble:\n  ${problems.join('\n  ')}`);
    },
  };
}

// --- a front started by front.py (nginx + parley.fcgi) ---

async function viaPython(kind, tmp) {
  const p = spawn('/usr/bin/python3', [join(HERE, 'front.py'), kind, tmp, ...FLAGS],
    { env: { ...process.env, PARLEY_BUILD: BUILD }, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(p);
  let err = '';
  p.stderr.on('data', (b) => { err += b; });
  const lines = createInterface({ input: p.stdout });
  const waiting = [];
  const problems = [];
  let exited = false;
  lines.on('line', (line) => {
    if (line.startsWith('problem ')) problems.push(line.slice(8));
    else if (waiting.length) waiting.shift()(line);
  });
  p.on('exit', () => {
    exited = true;
    children.delete(p);
    while (waiting.length) waiting.shift()(`error front.py exited: ${err}`);
  });
  const next = (ms = 60000) => new Promise((res, rej) => {
    if (exited) { rej(new Error(`front.py exited: ${err}`)); return; }
    const t = setTimeout(() => rej(new Error(`front.py did not answer in ${ms} ms: ${err}`)), ms);
    waiting.push((line) => { clearTimeout(t); res(line); });
  });
  async function command(cmd) {
    const answer = next();
    p.stdin.write(`${cmd}\n`);
    const line = await answer;
    if (line !== 'ok') throw new Error(`front.py ${cmd}: ${line}`);
  }

  const first = await next();
  if (!first.startsWith('base ')) throw new Error(`front.py: ${first}\n${err}`);
  return {
    kind,
    base: first.slice(5),
    stopApi: () => command('stop-api'),
    startApi: () => command('start-api'),
    async close() {
      const done = next(60000).catch(() => 'done');
      p.stdin.end('quit\n');
      await done;
      if (!exited) await new Promise((r) => p.once('exit', r));
      if (problems.length) throw new Error(`server trouble:\n  ${problems.join('\n  ')}`);
    },
  };
}

// --- the browser ---

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

// A PNG of w×h pixels made by the browser's own canvas: a gradient, or
// noise (which does not compress: a large file).
export async function makePng(page, w, h, noise = false) {
  const b64 = await page.evaluate(({ w, h, noise }) => {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const g = c.getContext('2d');
    if (noise) {
      const img = g.createImageData(w, h);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (Math.random() * 256) | 0;
      g.putImageData(img, 0, 0);
    } else {
      const grad = g.createLinearGradient(0, 0, w, h);
      grad.addColorStop(0, '#2f6fde');
      grad.addColorStop(1, '#f5a623');
      g.fillStyle = grad;
      g.fillRect(0, 0, w, h);
      g.fillStyle = '#fff';
      g.beginPath();
      g.arc(w / 2, h / 2, Math.min(w, h) / 4, 0, Math.PI * 2);
      g.fill();
    }
    return c.toDataURL('image/png').split(',')[1];
  }, { w, h, noise });
  return Buffer.from(b64, 'base64');
}

export function readText(path) {
  return readFileSync(path, 'utf8');
}
