// api.js: the one door to parley's HTTP API (/api/v1). fetch() with the
// session's token, JSON in and out, and every failure as an ApiError, a
// network failure too (status 0), so that callers branch on .status and
// .code. Listeners hear 'unauthorized' (the token stopped working) and
// 'reachable' (an answer came after a failure: retry loops may hurry).

const BASE = '/api/v1';
const DEFAULT_TIMEOUT_MS = 30000;

let token = null;
let lastFailed = false;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;      // HTTP status; 0: no answer (network, timeout)
    this.code = code;          // parley's error code, e.g. "user_not_found"
    this.field = extra.field ?? null;
    this.lastId = extra.lastId ?? null;       // 410 cursor_expired
    this.retryAfter = extra.retryAfter ?? null; // seconds, 429/503
  }

  // No answer, or an answer that says "later": worth trying again.
  get transient() {
    return this.status === 0 || this.status === 429 || this.status === 502 ||
      this.status === 503 || this.status === 504;
  }

  // The server does not have this endpoint (an older build).
  get unsupported() {
    return this.status === 404 && this.code === 'not_found' ||
      this.status === 405 || this.status === 501;
  }
}

export function setToken(t) { token = t || null; }
export function getToken() { return token; }

// fn(kind) for kind in 'unauthorized', 'reachable'; returns an unsubscriber.
export function onApi(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function tell(kind, detail) {
  for (const fn of listeners) {
    try { fn(kind, detail); } catch (e) { console.error(e); }
  }
}

// An AbortSignal that fires on timeout or when outer fires.
function deadline(ms, outer) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DOMException('timeout', 'TimeoutError')), ms);
  const onOuter = () => ctl.abort(outer.reason);
  if (outer) {
    if (outer.aborted) ctl.abort(outer.reason);
    else outer.addEventListener('abort', onOuter, { once: true });
  }
  return {
    signal: ctl.signal,
    done() { clearTimeout(timer); if (outer) outer.removeEventListener('abort', onOuter); },
  };
}

// request(method, path, opts) → parsed JSON, or null for 204.
//   opts.body     an object, sent as JSON
//   opts.raw      a Blob or File sent as is, with opts.type (or its own type)
//   opts.query    an object of query parameters (null/undefined skipped)
//   opts.timeout  ms (default 30 s); opts.signal an outer AbortSignal
//   opts.blob     true: return the answer's Blob instead of JSON
//   opts.headers  extra headers; opts.cache a fetch cache mode (default no-store)
export async function request(method, path, opts = {}) {
  let url = path.startsWith('/api/') ? path : BASE + path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const qs = q.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (opts.raw) {
    body = opts.raw;
    headers['Content-Type'] = opts.type || opts.raw.type || 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }

  const d = deadline(opts.timeout || DEFAULT_TIMEOUT_MS, opts.signal);
  let res;
  try {
    res = await fetch(url, { method, headers, body, signal: d.signal, cache: opts.cache || 'no-store' });
  } catch (e) {
    d.done();
    if (opts.signal && opts.signal.aborted) throw e; // the caller gave up
    lastFailed = true;
    const what = e && e.name === 'AbortError' || e && e.name === 'TimeoutError'
      ? 'the server did not answer in time' : 'cannot reach the server';
    throw new ApiError(0, 'network', what);
  }

  try {
    if (lastFailed && res.status < 500) {
      lastFailed = false;
      tell('reachable');
    }
    if (res.ok) {
      if (opts.blob) return await res.blob();
      if (res.status === 204) return null;
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    }
    throw await errorOf(res);
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status >= 500) lastFailed = true;
      if (e.status === 401 && token && (e.code === 'invalid_token' || e.code === 'auth_required')) {
        tell('unauthorized', e);
      }
      throw e;
    }
    if (opts.signal && opts.signal.aborted) throw e;
    lastFailed = true;
    throw new ApiError(0, 'network', 'the connection broke off');
  } finally {
    d.done();
  }
}

// The ApiError of a failed response: parley's JSON error body when there is
// one, else a plain description of the status.
async function errorOf(res) {
  const retry = parseInt(res.headers.get('Retry-After') || '', 10);
  let err = null;
  try {
    const j = await res.json();
    err = j && j.error;
  } catch (_) { /* not JSON: a proxy's page */ }
  if (err && typeof err.code === 'string') {
    return new ApiError(res.status, err.code, err.message, {
      field: err.field, lastId: err.last_id,
      retryAfter: Number.isFinite(retry) ? retry : null,
    });
  }
  const code = res.status >= 500 ? 'unavailable' : `http_${res.status}`;
  return new ApiError(res.status, code, `the server answered ${res.status} ${res.statusText}`.trim(),
    { retryAfter: Number.isFinite(retry) ? retry : null });
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => request('PATCH', path, { ...opts, body });
export const put = (path, body, opts = {}) => request('PUT', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// A message for a person: what went wrong, in words.
export function describe(e) {
  if (!(e instanceof ApiError)) return e && e.message ? e.message : String(e);
  const friendly = {
    network: 'Cannot reach the server. Check your connection.',
    invalid_credentials: 'Wrong login, phone or password.',
    login_taken: 'That login is taken.',
    phone_taken: 'That phone number is already registered.',
    user_not_found: 'No one has that login or phone number.',
    rate_limited: 'Too many attempts. Wait a little and try again.',
    avatar_too_large: 'That picture is too large.',
    unsupported_media_type: 'That file type is not accepted here.',
    payload_too_large: 'That file is too large.',
    unavailable: 'The server is busy or restarting. Try again in a moment.',
  };
  if ((e.code === 'avatar_too_large' || e.code === 'payload_too_large') && e.message) {
    return `${friendly[e.code].replace(/\.$/, '')}: ${e.message}.`.replace(/\.\.$/, '.');
  }
  if (e.code === 'invalid_field' || e.code === 'missing_field' || e.code === 'invalid_phone') {
    // The server's own message says what the limit or the problem is.
    return e.message ? capital(e.message) : friendly[e.code];
  }
  return friendly[e.code] || (e.message ? capital(e.message) : `Error ${e.status}`);
}

function capital(s) {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : t + '.';
}
