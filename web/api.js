// The one way the web app talks to Planyard: /api/v1 over fetch.
// - The access token lives in this module's memory only (never in storage or cookies).
// - The refresh token is the __Host- cookie: POST /auth/refresh with an empty body.
// - A 401 gets one silent refresh and one retry; if the session is really gone, the app is
//   asked to sign in again in place (onSessionLost) and the request is retried after that, so
//   nothing the user typed is lost.
// - Errors are ApiError with status, code and the problem+json errors[] of the fields.

const BASE = '/api/v1';
const REFRESH_MARGIN_S = 60;

let accessToken = null;
let accessExpiresAt = 0;       // ms since epoch
let canRefresh = false;        // an impersonation session has no refresh token
let refreshTimer = 0;
let refreshing = null;         // the refresh in flight, shared by every caller
let sessionLostHandler = null; // () => Promise<void>, resolves once signed in again
const sessionListeners = new Set();
const problemListeners = new Set();

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    const p = problem || {};
    super(p.detail || p.title || (status ? `The server answered ${status}.` : 'Network error'));
    this.name = 'ApiError';
    this.status = status;
    this.code = p.code || (status === 0 ? 'network' : 'http_' + status);
    this.problem = p;
    this.fieldErrors = Array.isArray(p.errors) ? p.errors : [];
    this.retryAfter = retryAfter || 0;
  }

  // A sentence for a person.
  get friendly() {
    if (this.status === 0) return 'Planyard could not be reached. Check your connection and try again — nothing you typed was lost.';
    if (this.status >= 500) return `Planyard had a problem (${this.status}). Try again in a moment — nothing you typed was lost.`;
    if (this.status === 429) {
      const m = Math.max(1, Math.ceil(this.retryAfter / 60));
      return this.retryAfter ? `Too many attempts. Try again in ${m} minute${m === 1 ? '' : 's'}.` : 'Too many attempts. Try again later.';
    }
    if (this.status === 404 && this.code === 'not_found' && /no such path/.test(this.problem.detail || ''))
      return 'This server does not offer that yet.';
    const known = MESSAGES[this.code];
    if (known) return known;
    return this.message;
  }

  get notAvailable() {
    return this.status === 404 && /no such path/.test(this.problem.detail || '');
  }
}

const MESSAGES = {
  invalid_credentials: 'That workspace, email and password do not match.',
  email_not_confirmed: 'Confirm your email address first: we sent you a link.',
  token_invalid: 'This link is invalid, already used or expired.',
  invalid_code: 'That code is not right. Check your authenticator app and try again.',
  slug_taken: 'That workspace address is taken. Pick another.',
  password_weak: 'That password is too common or too easy to guess.',
  password_too_short: 'Use at least 12 characters.',
  password_too_long: 'Use at most 256 characters.',
  password_reused: 'Pick a password you have not used recently.',
  not_allowed_while_impersonating: 'Not allowed during a staff access session.',
  workspace_suspended: 'This workspace is suspended: it can be read but not changed.',
  mfa_enrollment_required: 'Your workspace requires two-factor authentication: set it up under My account.',
  double_booked: 'That person is already assigned on that date.',
  in_use: 'Other records still use this one. Remove those first.',
  last_owner: 'A workspace always needs an owner.',
  sole_owner: 'You are the only owner of a workspace. Make someone else owner, or delete the workspace, first.',
  forbidden: 'Your role does not allow this.',
  account_exists: 'This email already has a Planyard account: sign in with it to accept the invitation.',
  wrong_account: 'This invitation is for another email address: sign in with the invited one.',
  already_member: 'You are already a member of this workspace.',
  refresh_token_reused: 'Your session ended. Sign in again.',
  refresh_token_invalid: 'Your session ended. Sign in again.',
};

export function onSession(fn) { sessionListeners.add(fn); return () => sessionListeners.delete(fn); }
export function onProblem(fn) { problemListeners.add(fn); return () => problemListeners.delete(fn); }
export function setSessionLostHandler(fn) { sessionLostHandler = fn; }
export function hasSession() { return accessToken !== null; }
export function accessExpiry() { return accessExpiresAt; }

function emit(set, value) {
  for (const fn of set) {
    try { fn(value); } catch (e) { console.warn(e); }
  }
}

// Takes a tokens body (login, refresh, MFA verify, invitation accept, impersonation redeem).
export function setTokens(body) {
  accessToken = body.access_token;
  accessExpiresAt = Date.now() + (body.expires_in || 900) * 1000;
  canRefresh = !!body.refresh_token;
  schedule();
  emit(sessionListeners, body);
}

export function clearSession() {
  accessToken = null;
  accessExpiresAt = 0;
  canRefresh = false;
  clearTimeout(refreshTimer);
  emit(sessionListeners, null);
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!canRefresh) return;
  const ms = Math.max(5000, accessExpiresAt - Date.now() - REFRESH_MARGIN_S * 1000);
  refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, ms);
}

// Timers sleep in background tabs: check again when the page is looked at.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && accessToken && canRefresh &&
      accessExpiresAt - Date.now() < REFRESH_MARGIN_S * 1000)
    refresh().catch(() => {});
});

// POST /auth/refresh with the cookie. Resolves with the tokens body; rejects with ApiError.
export function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const body = await raw('POST', '/auth/refresh', undefined, { auth: false });
        setTokens(body);
        return body;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

async function raw(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (opts.auth !== false && accessToken) headers.Authorization = 'Bearer ' + accessToken;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, { detail: 'network error' });
  }
  if (res.ok) {
    if (opts.blob) return { blob: await res.blob(), type: res.headers.get('Content-Type') || '', name: filename(res) };
    if (res.status === 204 || res.status === 202 && res.headers.get('Content-Length') === '0') return null;
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch { return text; }
  }
  let problem = null;
  try { problem = await res.json(); } catch { problem = { title: res.statusText }; }
  const err = new ApiError(res.status, problem, parseInt(res.headers.get('Retry-After') || '0', 10));
  throw err;
}

function filename(res) {
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : '';
}

const SESSION_CODES = new Set(['unauthorized', 'token_invalid', 'session_revoked']);
const AUTH_PATHS = /^\/auth\/(login|signup|confirm|refresh|password\/forgot|password\/reset|mfa\/verify|impersonation\/redeem)|^\/invitations\/accept/;

// api('GET', '/customers') · api('POST', '/pours', {...}) · api('GET', '/exports/x.xlsx', undefined, {blob: true})
export async function api(method, path, body, opts = {}) {
  try {
    return await raw(method, path, body, opts);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 403 && (err.code === 'mfa_enrollment_required' || err.code === 'workspace_suspended'))
      emit(problemListeners, err);
    // Only a missing, expired or revoked access token is worth a refresh: a wrong password
    // or code (401 invalid_credentials, invalid_code) goes straight back to the form.
    if (err.status !== 401 || AUTH_PATHS.test(path) || path === '/auth/logout' ||
        !SESSION_CODES.has(err.code)) throw err;
  }
  // 401: one silent refresh, then the same request again.
  if (canRefresh) {
    try {
      await refresh();
      return await raw(method, path, body, opts);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
    }
  }
  // The session is gone: sign in again in place, then retry once.
  accessToken = null;
  if (!sessionLostHandler) throw new ApiError(401, { code: 'session_ended', detail: 'Your session ended. Sign in again.' });
  await sessionLostHandler();
  return raw(method, path, body, opts);
}

// Every page of a list, following next_cursor (for lookups: customers, crews ...).
export async function listAll(path, params = {}) {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
    q.set('limit', '200');
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `${path}?${q}`);
    out.push(...(page.data || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

// One page: {data, next_cursor}.
export function listPage(path, params = {}, cursor = null, limit = 50) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return api('GET', `${path}?${q}`);
}

// Downloads an authenticated file (exports, CSV) through a blob: URL.
export async function download(path, fallbackName) {
  const { blob, name } = await api('GET', path, undefined, { blob: true });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name || fallbackName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
  return { size: blob.size, name: a.download };
}
