// Sign in: workspace, email, password; then the TOTP step when the account has one.
import { api, ApiError } from '../api.js';
import { h, field, form, setFormAlert, clear, icon } from '../ui.js';
import { prefs } from '../store.js';
import { authLayout } from './auth-layout.js';

// The sign-in form, used by this screen and by the "session ended" dialog.
// onTokens(tokensBody) is called once signed in (after the second factor, if any).
export function signInForm({ workspace = '', email = '', lockIdentity = false, onTokens }) {
  const host = h('div', { class: 'signin-steps' });
  let identity = null;

  const passwordStep = form({
    submit: 'Sign in',
    cls: 'form-signin',
    fields: [
      field({ name: 'workspace', label: 'Workspace', value: workspace, required: true, autocomplete: 'organization',
        hint: lockIdentity ? null : 'The short name of your company in Planyard, e.g. granite-ridge.', readonly: lockIdentity, spellcheck: 'false' }),
      field({ name: 'email', label: 'Email', type: 'email', value: email, required: true, autocomplete: 'username', readonly: lockIdentity }),
      field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' }),
    ],
    onSubmit: async v => {
      identity = { workspace: v.workspace.trim().toLowerCase(), email: v.email.trim() };
      const body = await api('POST', '/auth/login', { workspace: identity.workspace, email: identity.email, password: v.password });
      passwordStep.elements.password.value = '';
      if (body.mfa_required) return showMfa(body.mfa_token);
      prefs.set('workspace', identity.workspace);
      await onTokens(body);
    },
  });
  if (!lockIdentity) {
    passwordStep.querySelector('.form-actions').append(
      h('a', { href: '/forgot', class: 'link-quiet', text: 'Forgot your password?' }));
  }

  function showMfa(mfaToken) {
    let useRecovery = false;
    const codeField = field({ name: 'code', label: 'Code from your authenticator app', required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, pattern: '[0-9]*', class: 'field-code' });
    const recField = field({ name: 'recovery_code', label: 'Recovery code', required: false, autocomplete: 'off', class: 'field-code', spellcheck: 'false' });
    recField.hidden = true;
    recField.querySelector('input').disabled = true;
    const toggle = h('button', { type: 'button', class: 'btn btn-link', text: 'Use a recovery code instead' });
    const mfa = form({
      submit: 'Verify',
      cls: 'form-mfa',
      fields: [h('p', { class: 'muted' }, icon('shield'), ' Two-factor authentication is on for this account.'), codeField, recField],
      secondary: [toggle],
      onSubmit: async v => {
        const req = { mfa_token: mfaToken };
        if (useRecovery) req.recovery_code = v.recovery_code.trim(); else req.code = v.code.replace(/\s+/g, '');
        try {
          const body = await api('POST', '/auth/mfa/verify', req);
          prefs.set('workspace', identity.workspace);
          await onTokens(body);
        } catch (err) {
          if (err instanceof ApiError && err.status === 401 && err.code !== 'invalid_code') {
            // the mfa_token is dead (expired or too many tries): start again
            clear(host, passwordStep);
            setFormAlert(passwordStep, 'That sign-in attempt expired. Enter your password again.');
            return;
          }
          if (err instanceof ApiError && err.code === 'invalid_code') {
            err.problem.errors = [{ field: useRecovery ? 'recovery_code' : 'code', code: 'invalid_code', message: useRecovery ? 'That recovery code is not valid.' : 'That code is not right. Wait for the next one and try again.' }];
            err.fieldErrors = err.problem.errors;
          }
          throw err;
        }
      },
    });
    toggle.addEventListener('click', () => {
      useRecovery = !useRecovery;
      codeField.hidden = useRecovery;
      codeField.querySelector('input').disabled = useRecovery;
      codeField.querySelector('input').required = !useRecovery;
      recField.hidden = !useRecovery;
      recField.querySelector('input').disabled = !useRecovery;
      recField.querySelector('input').required = useRecovery;
      toggle.textContent = useRecovery ? 'Use a code from the app' : 'Use a recovery code instead';
      (useRecovery ? recField : codeField).querySelector('input').focus();
    });
    clear(host, mfa);
    mfa.querySelector('input:not([disabled])').focus();
  }

  clear(host, passwordStep);
  return host;
}

export default function render(ctx) {
  const params = ctx.params;
  const notice = params.get('notice');
  const next = ctx.safeNext(params.get('next'));
  const initial = params.get('workspace') || prefs.get('workspace', '') || '';
  authLayout(ctx.main, {
    title: 'Sign in to Planyard',
    lead: 'Your crews, pours and people for the week, in one place.',
    body: [
      notice ? h('div', { class: 'form-alert form-alert-ok', role: 'status' }, icon('check'), h('span', { text: notice })) : null,
      signInForm({ workspace: initial, onTokens: tokens => ctx.signedIn(tokens, next) }),
    ],
    foot: [h('span', { text: 'New here? ' }), h('a', { href: '/signup', text: 'Create a workspace' })],
  });
  const first = ctx.main.querySelector(initial ? 'input[name=email]' : 'input[name=workspace]');
  if (first) first.focus();
}
