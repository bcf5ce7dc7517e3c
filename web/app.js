// The app: session, router (history.pushState) and the shell (top bar, navigation, banners).
// Screens live in screens/*.js; each default-exports render(ctx) and may return a cleanup.

import { api, refresh, setTokens, clearSession, onSession, onProblem, setSessionLostHandler, ApiError } from './api.js';
import { h, clear, icon, dialog, toast, loading, errorBox } from './ui.js';
import { setZone, timeOnly } from './dates.js';
import { prefs, invalidate, roleAtLeast } from './store.js';

const ROUTES = {
  '/signin': { screen: 'signin', public: true, title: 'Sign in' },
  '/signup': { screen: 'signup', public: true, title: 'Create a workspace' },
  '/confirm': { screen: 'confirm', public: true, title: 'Confirm your email' },
  '/confirm-email': { screen: 'confirm-email', public: true, title: 'Confirm your new email' },
  '/forgot': { screen: 'forgot', public: true, title: 'Forgot password' },
  '/reset': { screen: 'reset', public: true, title: 'Choose a new password' },
  '/invite': { screen: 'invite', public: true, title: 'Accept invitation' },
  '/impersonate': { screen: 'impersonate', public: true, title: 'Staff access' },
  '/week': { screen: 'week', title: 'Week', nav: 'Week' },
  '/customers': { screen: 'customers', title: 'Customers', nav: 'Customers' },
  '/projects': { screen: 'projects', title: 'Projects', nav: 'Projects' },
  '/crews': { screen: 'crews', title: 'Crews', nav: 'Crews' },
  '/employees': { screen: 'employees', title: 'Employees', nav: 'Employees' },
  '/assignments': { screen: 'assignments', title: 'Assignments', nav: 'Assignments' },
  '/reminders': { screen: 'reminders', title: 'Reminders', nav: 'Reminders' },
  '/regions': { screen: 'regions', title: 'Regions', nav: 'Regions' },
  '/calendar': { screen: 'calendar', title: 'Calendar', nav: 'Calendar' },
  '/trips': { screen: 'trips', title: 'Trips', nav: 'Trips' },
  '/trip': { screen: 'trip', title: 'Trip', nav: 'Trips' },
  '/admin/members': { screen: 'admin-members', title: 'Members', role: 'admin', nav: 'Admin' },
  '/admin/settings': { screen: 'admin-settings', title: 'Settings', role: 'admin', nav: 'Admin' },
  '/admin/audit': { screen: 'admin-audit', title: 'Audit log', role: 'admin', nav: 'Admin' },
  '/admin/access': { screen: 'admin-access', title: 'Staff access', role: 'admin', nav: 'Admin' },
  '/admin/exports': { screen: 'admin-exports', title: 'Exports', nav: 'Admin' },
  '/admin/billing': { screen: 'admin-billing', title: 'Billing', role: 'owner', nav: 'Admin' },
  '/account': { screen: 'account', title: 'My account' },
};
const NAV = [
  ['/week', 'Week'], ['/customers', 'Customers'], ['/projects', 'Projects'], ['/crews', 'Crews'],
  ['/employees', 'Employees'], ['/assignments', 'Assignments'], ['/reminders', 'Reminders'], ['/regions', 'Regions'],
];
// A workspace that plans trips (kind "trips") sees its own screens and words: its customers
// are clients. The third item names the route's nav it stands for.
const NAV_TRIPS = [['/calendar', 'Calendar'], ['/trips', 'Trips'], ['/customers', 'Clients', 'Customers'], ['/reminders', 'Reminders']];
const tripsKind = () => !!(session.current && session.current.workspace && session.current.workspace.kind === 'trips');
export const home = () => (tripsKind() ? '/calendar' : '/week');

// What the app knows about who is signed in (null when signed out).
export const session = { current: null };

const root = document.getElementById('app');
let cleanup = null;
let renderSeq = 0;
let shell = null;

onSession(body => {
  if (!body) { session.current = null; return; }
  const prev = session.current || {};
  session.current = {
    ...prev,
    user: body.user || prev.user,
    workspace: body.workspace || prev.workspace,
    role: body.role || prev.role,
    impersonation: prev.impersonation || null,
  };
  if (session.current.workspace) applyWorkspace(session.current.workspace);
});

// Another screen changed the workspace (settings) or the user (my account).
export function updateSession(patch) {
  session.current = { ...session.current, ...patch };
  if (patch.workspace) applyWorkspace(patch.workspace);
  renderShell();
}

function applyWorkspace(ws) {
  setZone(ws.timezone || 'UTC');
  const color = ws.branding && /^#[0-9a-fA-F]{6}$/.test(ws.branding.primary_color || '') ? ws.branding.primary_color : '#b45309';
  // CSSOM from a script is allowed by style-src 'self'; a style attribute in markup would not be.
  const s = document.documentElement.style;
  s.setProperty('--brand', color);
  s.setProperty('--brand-ink', inkFor(color));
  prefs.set('workspace', ws.slug);
}

function inkFor(hex) {
  const n = parseInt(hex.slice(1), 16);
  const lin = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const L = 0.2126 * lin(n >> 16) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return L > 0.45 ? '#111827' : '#ffffff';
}

// Loads /me: role, impersonation banner, session expiry.
export async function loadMe() {
  const me = await api('GET', '/me');
  session.current = {
    ...(session.current || {}),
    user: me.user, workspace: me.workspace, role: me.role, impersonation: me.impersonation || null, sessionInfo: me.session,
  };
  applyWorkspace(me.workspace);
  // the owner's banner of a trial's last days or a lapsed payment (billing is theirs to see)
  if (me.role === 'owner' && !me.impersonation) {
    try { session.current.billing = await api('GET', '/billing'); } catch { session.current.billing = null; }
  }
  return me;
}

// The owner's billing banner: the trial's last three days, a failed payment, a lapse.
function billingBanner(s) {
  const b = s.billing;
  if (!b || s.role !== 'owner') return null;
  const link = text => h('a', { href: '/admin/billing', text });
  let msg = null;
  if (s.workspace.status === 'suspended' && b.status === 'trial_ended') {
    msg = ['Your free trial has ended: the workspace is read-only, and is deleted 30 days after the trial. ', link('Choose a plan'), ' to go on.'];
  } else if (s.workspace.status === 'suspended') {
    msg = ['Your subscription has lapsed: the workspace is read-only, and is deleted 30 days after the lapse. ', link('Subscribe again'), ' to go on.'];
  } else if (b.status === 'past_due') {
    msg = ['A payment failed. ', link('Update your card'), ' before the subscription lapses.'];
  } else if (b.status === 'trialing' && !b.plan && Date.parse(b.trial_ends_at) - Date.now() < 3 * 86400000) {
    const n = Math.max(0, Math.ceil((Date.parse(b.trial_ends_at) - Date.now()) / 86400000));
    msg = [`Your free trial ends in ${n} ${n === 1 ? 'day' : 'days'}. `, link('Choose a plan'), ' to keep the workspace open.'];
  }
  return msg && h('div', { class: 'banner banner-warn', role: 'status', id: 'billing-banner' }, icon('alert'), h('span', null, msg));
}

// ---- routing ----
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

document.addEventListener('click', ev => {
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || !ROUTES[url.pathname] && url.pathname !== '/') return;
  ev.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search + url.hash);
  else if (url.hash) document.getElementById(url.hash.slice(1))?.scrollIntoView();
  closeNav();
});
// Back and Forward within one screen (the week's days, views, filters and dialogs) go to the
// screen itself when it asked for them (ctx.onUrl); otherwise the screen is drawn again.
let urlHandler = null;
window.addEventListener('popstate', () => {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (urlHandler && urlHandler.path === path) {
    try { urlHandler.fn(new URLSearchParams(location.search)); return; } catch (e) { console.warn(e); }
  }
  route();
});
// Esc closes the phone menu and gives the focus back to its button
document.addEventListener('keydown', ev => {
  if (ev.key !== 'Escape' || document.querySelector('dialog[open]')) return;
  const nav = document.getElementById('nav');
  if (nav && nav.classList.contains('open')) {
    closeNav();
    document.querySelector('.nav-toggle')?.focus();
  }
});

async function route() {
  const seq = ++renderSeq;
  let path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') {
    history.replaceState(null, '', session.current ? home() : '/signin');
    path = location.pathname;
  }
  const r = ROUTES[path];
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  urlHandler = null;
  if (!r) return renderNotFound();
  if (!r.public && !session.current) {
    const next = encodeURIComponent(location.pathname + location.search);
    history.replaceState(null, '', '/signin?next=' + next);
    return route();
  }
  if (path === '/signin' && session.current) {
    history.replaceState(null, '', safeNext(new URLSearchParams(location.search).get('next')) || home());
    return route();
  }
  const title = tripsKind() && r.screen === 'customers' ? 'Clients' : r.title;
  document.title = `${title} · Planyard`;
  let main;
  if (r.public) {
    shell = null;
    main = h('main', { id: 'main', class: 'auth-main', tabindex: '-1' });
    clear(root, main);
  } else {
    main = renderShell(r).main;
    if (r.role && !roleAtLeast(session.current.role, r.role)) {
      clear(main, h('div', { class: 'page' }, h('h1', { text: r.title }),
        errorBox(new ApiError(403, { code: 'forbidden', detail: 'Your role does not allow this.' }))));
      return;
    }
  }
  clear(main, loading());
  let mod;
  try {
    mod = await import(`./screens/${r.screen}.js`);
  } catch (e) {
    console.warn(e);
    if (seq === renderSeq) clear(main, errorBox(new ApiError(0, {}), () => route()));
    return;
  }
  if (seq !== renderSeq) return;
  const ctx = {
    main, session: session.current, params: new URLSearchParams(location.search), navigate, route, title,
    isCurrent: () => seq === renderSeq,
    onUrl: fn => { if (seq === renderSeq) urlHandler = { path, fn }; },
    signedIn: startSession, safeNext,
  };
  try {
    const c = await mod.default(ctx);
    if (seq === renderSeq) cleanup = typeof c === 'function' ? c : null;
    else if (typeof c === 'function') c();
  } catch (e) {
    if (seq !== renderSeq) return;
    console.warn(e);
    clear(main, errorBox(e, () => route()));
  }
  if (seq === renderSeq && document.activeElement === document.body) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
  if (ws() && seq === renderSeq) document.title = `${title} · ${ws().name} · Planyard`;
}

const ws = () => session.current && session.current.workspace;

function safeNext(next) {
  if (next && next.startsWith('/') && !next.startsWith('//') && ROUTES[next.split('?')[0]] && !ROUTES[next.split('?')[0]].public) return next;
  return null;   // the workspace's home, once it is known (startSession)
}

function renderNotFound() {
  shell = null;
  clear(root, h('main', { id: 'main', class: 'auth-main' }, h('div', { class: 'auth-card' },
    h('h1', { text: 'No such page' }), h('p', null, h('a', { href: home(), text: tripsKind() ? 'Go to the calendar' : 'Go to the week' })))));
}

// ---- the shell ----
function renderShell(r) {
  const s = session.current;
  if (!s) return shell;
  r = r || ROUTES[location.pathname];
  if (!shell) {
    shell = {
      banners: h('div', { class: 'banners' }),
      top: h('header', { class: 'topbar' }),
      main: h('main', { id: 'main', class: 'main', tabindex: '-1' }),
    };
    clear(root, shell.banners, shell.top, shell.main);
  }
  // banners
  clear(shell.banners);
  if (s.impersonation) {
    const imp = s.impersonation;
    shell.banners.append(h('div', { class: 'banner banner-imp', role: 'status', id: 'impersonation-banner' },
      icon('shield'),
      h('span', null, h('strong', { text: `Planyard staff (${imp.staff}) ` }),
        `is signed in as ${s.user.name || s.user.email} until ${timeOnly(imp.expires_at)}`,
        imp.reason ? ` — reason: ${imp.reason}` : '', '. Every action is in the audit log.')));
  }
  const billing = billingBanner(s);
  if (billing) {
    shell.banners.append(billing);
  } else if (s.workspace && s.workspace.status === 'suspended') {
    shell.banners.append(h('div', { class: 'banner banner-warn', role: 'status' }, icon('alert'),
      h('span', { text: 'This workspace is suspended: you can read everything, but changes are refused.' })));
  }
  if (s.mfaRequired) {
    shell.banners.append(h('div', { class: 'banner banner-warn', role: 'status' }, icon('shield'),
      h('span', null, 'Your workspace requires two-factor authentication for admins. ',
        h('a', { href: '/account#mfa', text: 'Set it up now' }), '.')));
  }
  // top bar
  const current = r && r.nav;
  const links = (tripsKind() ? NAV_TRIPS : NAV).map(([href, label, nav = label]) => h('a', { href, class: ['nav-link', current === nav && 'active'], 'aria-current': current === nav ? 'page' : null, text: label }));
  links.push(h('a', { href: roleAtLeast(s.role, 'admin') ? '/admin/members' : '/admin/exports', class: ['nav-link', current === 'Admin' && 'active'], 'aria-current': current === 'Admin' ? 'page' : null, text: roleAtLeast(s.role, 'admin') ? 'Admin' : 'Exports' }));
  const navToggle = h('button', { type: 'button', class: 'icon-btn nav-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav', 'aria-label': 'Menu' }, icon('menu'));
  const nav = h('nav', { id: 'nav', class: 'nav', 'aria-label': 'Main' }, links);
  navToggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    navToggle.setAttribute('aria-expanded', String(open));
  });
  const signOut = h('button', { type: 'button', class: 'btn btn-ghost btn-small topbar-signout' }, 'Sign out');
  signOut.addEventListener('click', () => logout());
  clear(shell.top,
    h('a', { class: 'brand', href: home() },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, (s.workspace.name || '?').trim().charAt(0).toUpperCase()),
      h('span', { class: 'brand-text' }, h('span', { class: 'brand-name', text: s.workspace.name }), h('span', { class: 'brand-sub', text: 'Planyard' }))),
    navToggle, nav,
    h('div', { class: 'topbar-user' },
      h('a', { href: '/account', class: ['user-link', r && r.screen === 'account' && 'active'], 'aria-current': r && r.screen === 'account' ? 'page' : null },
        icon('user'), h('span', { class: 'user-name', text: s.user.name || s.user.email }), h('span', { class: 'role-tag', text: s.role })),
      signOut));
  return shell;
}

function closeNav() {
  const nav = document.getElementById('nav');
  if (nav && nav.classList.contains('open')) {
    nav.classList.remove('open');
    document.querySelector('.nav-toggle')?.setAttribute('aria-expanded', 'false');
  }
}

export async function logout() {
  try { await api('POST', '/auth/logout'); } catch { /* signed out either way */ }
  clearSession();
  invalidate();
  session.current = null;
  shell = null;
  navigate('/signin', { replace: true });
  toast('Signed out.');
}

// After a sign-in (login, MFA, invitation, impersonation): load /me and go on.
async function startSession(tokens, next = null) {
  setTokens(tokens);
  invalidate();
  await loadMe();
  shell = null;
  navigate(next || home(), { replace: true });
}

// When the session dies mid-work, sign in again in a dialog; the page (and every form on it)
// stays as it was, and the request that failed is sent again.
let relogin = null;
setSessionLostHandler(() => {
  const s = session.current;
  if (!s || s.impersonation) {
    clearSession();
    session.current = null;
    shell = null;
    navigate(s && s.impersonation ? '/impersonate?ended=1' : '/signin?next=' + encodeURIComponent(location.pathname + location.search), { replace: true });
    return Promise.reject(new ApiError(401, { code: 'session_ended', detail: 'Your session ended. Sign in again.' }));
  }
  if (!relogin) {
    relogin = new Promise((resolve, reject) => {
      import('./screens/signin.js').then(({ signInForm }) => {
        let done = false;
        const d = dialog({
          title: 'Your session ended',
          body: [
            h('p', { class: 'muted', text: 'Sign in again to carry on. Nothing on the page is lost.' }),
            signInForm({
              workspace: s.workspace.slug, email: s.user.email, lockIdentity: true,
              onTokens: async tokens => { setTokens(tokens); done = true; d.close(); },
            }),
          ],
          onClose: () => {
            relogin = null;
            if (done) { resolve(); loadMe().then(() => renderShell()).catch(() => {}); } else reject(new ApiError(401, { code: 'session_ended', detail: 'Your session ended. Sign in again to save.' }));
          },
        });
      }, reject);
    });
  }
  return relogin;
});

onProblem(err => {
  if (!session.current) return;
  if (err.code === 'mfa_enrollment_required') {
    const first = !session.current.mfaRequired;
    session.current.mfaRequired = true;
    // everything but My account is closed until a second factor is set up: go there
    if (location.pathname !== '/account') navigate('/account#mfa', { replace: true });
    else if (first) renderShell();
  }
  if (err.code === 'workspace_suspended' && session.current.workspace.status !== 'suspended') {
    session.current.workspace = { ...session.current.workspace, status: 'suspended' };
    renderShell();
  }
});

// ---- start ----
async function boot() {
  const path = location.pathname;
  const tokenPage = ['/impersonate', '/confirm', '/confirm-email', '/reset'].includes(path);
  if (!tokenPage) {
    try {
      await refresh();
      await loadMe();
    } catch (e) {
      clearSession();
      session.current = null;
      if (!(e instanceof ApiError) || e.status !== 401) {
        // the server could not be reached: say so, and try again on demand
        if (!ROUTES[path] || !ROUTES[path].public) {
          clear(root, h('main', { id: 'main', class: 'auth-main' }, h('div', { class: 'auth-card' },
            h('h1', { text: 'Planyard' }), errorBox(e, () => boot()))));
          return;
        }
      }
    }
  }
  route();
}

boot();
