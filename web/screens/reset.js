// /reset#token=... → choose a new password (POST /auth/password/reset).
import { api } from '../api.js';
import { h, field, form, setFieldError } from '../ui.js';
import { authLayout, takeFragmentToken } from './auth-layout.js';

export default function render(ctx) {
  const token = takeFragmentToken();
  if (!token) {
    authLayout(ctx.main, { title: 'Choose a new password', body: [h('p', { text: 'Open the link from the reset email: it carries the code this page needs.' }), h('p', null, h('a', { href: '/forgot', text: 'Send a new link' }))] });
    return;
  }
  const f = form({
    submit: 'Set new password',
    fields: [
      field({ name: 'password', label: 'New password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters.' }),
      field({ name: 'again', label: 'The same again', type: 'password', required: true, autocomplete: 'new-password' }),
    ],
    onSubmit: async (v, form) => {
      if (v.password !== v.again) { setFieldError(form, 'again', 'The two passwords differ.'); form.elements.again.focus(); return; }
      await api('POST', '/auth/password/reset', { token, password: v.password });
      ctx.navigate('/signin?notice=' + encodeURIComponent('Password changed. Every session was signed out: sign in with the new password.'), { replace: true });
    },
  });
  authLayout(ctx.main, {
    title: 'Choose a new password',
    lead: 'Every session of your account will be signed out.',
    body: f,
  });
  f.elements.password.focus();
}
