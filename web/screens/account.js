// My account: name, password, sessions, two-factor (TOTP with QR code and recovery codes
// shown once), a copy of my data, a new sign-in address, delete my account.
import { api, listAll, clearSession, ApiError, download } from '../api.js';
import { h, clear, icon, button, busy, field, form, toast, loading, errorBox, pill, setFieldError, confirmDialog, setFormAlert } from '../ui.js';
import { dateTime, relative } from '../dates.js';
import { updateSession, loadMe } from '../app.js';
import { invalidate } from '../store.js';

export default async function render(ctx) {
  const { main } = ctx;
  let me = await loadMe();
  const imp = !!me.impersonation;

  const profile = form({
    submit: 'Save name',
    fields: [
      field({ name: 'email', label: 'Email', value: me.user.email, readonly: true }),
      field({ name: 'name', label: 'Name', required: true, value: me.user.name || '', autocomplete: 'name' }),
    ],
    onSubmit: async v => {
      const user = await api('PATCH', '/me', { name: v.name.trim() });
      updateSession({ user: { ...ctx.session.user, ...user } });
      toast('Name saved.');
    },
  });

  const password = form({
    submit: 'Change password',
    fields: [
      username(me.user.email),
      field({ name: 'current_password', label: 'Current password', type: 'password', required: true, autocomplete: 'current-password' }),
      field({ name: 'new_password', label: 'New password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters, not one of your last five.' }),
      field({ name: 'again', label: 'New password again', type: 'password', required: true, autocomplete: 'new-password' }),
    ],
    onSubmit: async (v, f) => {
      if (v.new_password !== v.again) { setFieldError(f, 'again', 'The two new passwords differ.'); f.elements.again.focus(); return; }
      try {
        await api('POST', '/auth/password/change', { current_password: v.current_password, new_password: v.new_password });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'invalid_credentials' && !e.fieldErrors.length) e.fieldErrors = [{ field: 'current_password', code: 'invalid', message: 'That is not your current password.' }];
        throw e;
      }
      f.reset();
      setFormAlert(f, 'Password changed. Your other sessions were signed out.', 'ok');
      loadSessions();
    },
  });

  const myData = h('div', null,
    h('p', null, 'Your profile, your memberships, your sessions and the audit entries about you, in every workspace, as one JSON file.'),
    h('div', { class: 'form-actions' }, button('Download my data', {
      variant: 'secondary', id: 'download-my-data',
      onclick: async ev => {
        await busy(ev.currentTarget, async () => {
          try { await download('/me/export', 'planyard-my-data.json'); toast('Your data was downloaded.'); } catch (e) { toast(e.friendly || String(e), 'error'); }
        });
      },
    }, 'download')));

  const email = form({
    submit: 'Change email',
    fields: [
      username(me.user.email),
      field({ name: 'email', label: 'New email', type: 'email', required: true, autocomplete: 'email' }),
      field({ name: 'password', label: 'Your password', type: 'password', required: true, autocomplete: 'current-password' }),
    ],
    onSubmit: async (v, f) => {
      await api('POST', '/me/email', { email: v.email.trim(), password: v.password });
      f.reset();
      setFormAlert(f, `We sent a link to ${v.email.trim()}. Your sign-in address changes when you open it (within 24 hours); until then, keep using ${me.user.email}.`, 'ok');
    },
  });

  const sessionsHost = h('div', null, loading());
  const mfaHost = h('div', { id: 'mfa' });

  const del = form({
    submit: 'Delete my account',
    fields: [
      username(me.user.email),
      h('p', null, 'Your user, your memberships in every workspace and your sessions are deleted. Workspaces you solely own must be handed over or deleted first.'),
      field({ name: 'password', label: 'Your password', type: 'password', required: true, autocomplete: 'current-password' }),
      me.user.mfa_enabled ? field({ name: 'code', label: 'Code from your authenticator app, or a recovery code', required: true, autocomplete: 'one-time-code' }) : null,
      field({ name: 'erase_history', label: 'Also erase my name and email from the audit history', type: 'checkbox', hint: 'The entries stay (what was done, and when) without who you are.' }),
    ],
    onSubmit: async v => {
      if (!await confirmDialog({ title: 'Delete your account?', message: 'This cannot be undone. Backups keep deleted data until they expire, at most 30 days.', confirm: 'Delete my account', danger: true })) return;
      const body = { password: v.password, erase_history: !!v.erase_history };
      if (v.code) body.code = v.code.trim();
      await api('DELETE', '/me', body);
      clearSession();
      invalidate();
      location.assign('/signin?notice=' + encodeURIComponent('Your account was deleted.'));
    },
  });
  del.submitButton.className = 'btn btn-danger';

  clear(main, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', { text: 'My account' })),
    imp ? h('div', { class: 'form-alert', role: 'status' }, icon('shield'), h('span', { text: 'During staff access, passwords, two-factor, sessions and the account cannot be changed.' })) : null,
    h('div', { class: 'card-grid' },
      h('section', { class: 'card' }, h('h2', { text: 'Profile' }), profile),
      h('section', { class: 'card', id: 'mfa-card' }, h('h2', { text: 'Two-factor authentication' }), mfaHost),
      h('section', { class: 'card' }, h('h2', { text: 'Password' }), password),
      h('section', { class: 'card', id: 'email-card' }, h('h2', { text: 'Email' }), email),
      h('section', { class: 'card', id: 'my-data' }, h('h2', { text: 'Your data' }), myData),
      h('section', { class: 'card', id: 'sessions' }, h('h2', { text: 'Where you are signed in' }), sessionsHost),
      h('section', { class: 'card danger-zone' }, h('h2', { text: 'Delete my account' }), del))));

  // ---- sessions ----
  async function loadSessions() {
    let rows;
    try { rows = await listAll('/me/sessions'); } catch (e) { clear(sessionsHost, errorBox(e, loadSessions)); return; }
    rows.sort((a, b) => (b.current - a.current) || String(b.last_used_at).localeCompare(String(a.last_used_at)));
    const others = rows.filter(r => !r.current);
    const all = others.length ? button(`Sign out ${others.length} other session${others.length === 1 ? '' : 's'}`, { variant: 'danger-quiet', class: 'btn-small' }) : null;
    if (all) all.addEventListener('click', () => busy(all, async () => {
      try {
        for (const s of others) await api('DELETE', `/me/sessions/${s.id}`);
        toast('Other sessions signed out.');
      } catch (e) { toast(e.friendly || String(e), 'error'); }
      loadSessions();
    }));
    clear(sessionsHost, h('ul', { class: 'people sessions-list' }, rows.map(s => {
      const out = s.current ? null : button('Sign out', { variant: 'ghost', class: 'btn-small', 'aria-label': `Sign out ${device(s.user_agent)} (${s.ip || 'unknown IP'})` });
      if (out) out.addEventListener('click', () => busy(out, async () => {
        try { await api('DELETE', `/me/sessions/${s.id}`); toast('Session signed out.'); loadSessions(); } catch (e) { toast(e.friendly || String(e), 'error'); }
      }));
      return h('li', null, icon('user'), h('span', { class: 'grow' },
        h('strong', { text: device(s.user_agent) }), s.current ? [' ', pill('This device', 'ok')] : null,
        h('div', { class: 'muted small', text: `${s.ip || 'unknown IP'} · signed in ${dateTime(s.created_at)} · last used ${s.last_used_at ? relative(s.last_used_at) : '—'}` })), out);
    })), all ? h('div', { class: 'form-actions' }, all) : null);
  }

  // ---- two-factor ----
  function drawMfa() {
    if (me.user.mfa_enabled) {
      const regen = button('New recovery codes', { variant: 'secondary', class: 'btn-small' });
      const off = button('Turn off', { variant: 'danger-quiet', class: 'btn-small' });
      const area = h('div');
      regen.addEventListener('click', () => clear(area, passwordCode('Show new recovery codes', async v => {
        const r = await api('POST', '/me/mfa/recovery-codes', v);
        clear(area, codesBox(r.recovery_codes, () => clear(area)));
      }, () => clear(area))));
      off.addEventListener('click', () => clear(area, passwordCode('Turn two-factor off', async v => {
        await api('DELETE', '/me/mfa/totp', v);
        me = await loadMe();
        toast('Two-factor authentication is off.');
        drawMfa();
      }, () => clear(area), true)));
      clear(mfaHost,
        h('p', null, pill('On', 'ok'), ' Signing in asks for a code from your authenticator app.'),
        h('div', { class: 'form-actions' }, regen, off), area);
      return;
    }
    const start = form({
      submit: 'Set up two-factor',
      fields: [
        username(me.user.email),
        h('p', null, pill('Off', 'canceled'), ' Add a code from an authenticator app (1Password, Google Authenticator, Aegis…) to every sign-in.'),
        field({ name: 'password', label: 'Confirm with your password', type: 'password', required: true, autocomplete: 'current-password' }),
      ],
      onSubmit: async v => {
        const enrol = await api('POST', '/me/mfa/totp', { password: v.password });
        enrolStep(enrol);
      },
    });
    clear(mfaHost, start);
  }

  function enrolStep(enrol) {
    const img = h('img', { src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(enrol.qr_svg || ''), alt: 'QR code to scan with your authenticator app', width: 180, height: 180, id: 'totp-qr' });
    const secret = (enrol.secret || '').replace(/(.{4})/g, '$1 ').trim();
    const activate = form({
      submit: 'Turn on',
      fields: [field({ name: 'code', label: 'The 6-digit code the app shows', required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, class: 'field-code' })],
      secondary: [button('Cancel', { variant: 'ghost', onclick: () => drawMfa() })],
      onSubmit: async v => {
        let r;
        try {
          r = await api('POST', '/me/mfa/totp/activate', { code: v.code.replace(/\s+/g, '') });
        } catch (e) {
          if (e instanceof ApiError && e.code === 'invalid_code' && !e.fieldErrors.length) e.fieldErrors = [{ field: 'code', code: 'invalid_code', message: 'That code is not right: check the time on your phone and try the next one.' }];
          throw e;
        }
        me = await loadMe();
        updateSession({ user: me.user, mfaRequired: false });
        clear(mfaHost, h('div', { class: 'form-alert form-alert-ok', role: 'status' }, icon('check'), h('span', { text: 'Two-factor authentication is on.' })),
          codesBox(r.recovery_codes, () => drawMfa()));
      },
    });
    clear(mfaHost,
      h('ol', { class: 'steps' },
        h('li', null, 'Scan this code with your authenticator app:'),
        h('div', { class: 'qr' }, img, h('div', null,
          h('p', { class: 'muted small', text: 'Can’t scan? Enter this key:' }),
          h('code', { class: 'secret mono', id: 'totp-secret', text: secret }))),
        h('li', null, 'Enter the code it shows to finish:')),
      activate);
    activate.elements.code.focus();
  }

  function passwordCode(submit, onSubmit, cancel, danger = false) {
    const f = form({
      submit,
      fields: [
        username(me.user.email),
        field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' }),
        field({ name: 'code', label: 'Code from your app', required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, class: 'field-code' }),
      ],
      secondary: [button('Cancel', { variant: 'ghost', onclick: cancel })],
      onSubmit: v => onSubmit({ password: v.password, code: v.code.replace(/\s+/g, '') }),
    });
    if (danger) f.submitButton.className = 'btn btn-danger';
    setTimeout(() => f.elements.password.focus());
    return f;
  }

  // Recovery codes, shown once: copy or download them now.
  function codesBox(codes, done) {
    const text = `Planyard recovery codes for ${me.user.email} (${me.workspace.slug})\nEach works once.\n\n${codes.join('\n')}\n`;
    const copy = button('Copy', { variant: 'secondary', class: 'btn-small' });
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(text); toast('Copied.'); } catch { toast('Copying was refused by the browser: select the codes instead.', 'error'); }
    });
    const save = button('Download .txt', { variant: 'secondary', class: 'btn-small' }, 'download');
    save.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const a = h('a', { href: url, download: 'planyard-recovery-codes.txt', hidden: true });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
    return h('div', { class: 'recovery' },
      h('h3', { text: 'Your recovery codes' }),
      h('p', { class: 'muted', text: 'Keep them somewhere safe: each one signs you in once if you lose your phone. They are shown only now.' }),
      h('ul', { class: 'codes', id: 'recovery-codes' }, codes.map(c => h('li', { text: c }))),
      h('div', { class: 'form-actions' }, copy, save, button('I saved them', { variant: 'primary', class: 'btn-small', onclick: done })));
  }

  drawMfa();
  if (imp) for (const f of main.querySelectorAll('form')) if (f !== profile) for (const el of f.elements) el.disabled = true;
  await loadSessions();
  if (location.hash === '#mfa' || location.hash === '#sessions') document.getElementById(location.hash === '#mfa' ? 'mfa-card' : 'sessions')?.scrollIntoView();
}

// Password managers want to know whose password a form is about.
function username(email) {
  return h('input', { type: 'text', name: 'username', autocomplete: 'username', value: email, hidden: true, readonly: true, tabindex: '-1', 'aria-hidden': 'true' });
}

function device(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 40);
}
