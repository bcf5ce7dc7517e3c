// /confirm-email#token=... → POST /auth/email/confirm: the new sign-in address takes effect.
import { api } from '../api.js';
import { h, loading, errorBox, icon } from '../ui.js';
import { authLayout, takeFragmentToken } from './auth-layout.js';

export default async function render(ctx) {
  const token = takeFragmentToken();
  authLayout(ctx.main, { title: 'Confirming your new email', body: loading('Confirming…') });
  if (!token) {
    authLayout(ctx.main, { title: 'Confirm your new email', body: h('p', { text: 'Open the link from the email sent to your new address: it carries the code this page needs.' }) });
    return;
  }
  const attempt = async () => {
    try {
      await api('POST', '/auth/email/confirm', { token });
      authLayout(ctx.main, {
        title: 'Email changed',
        body: [h('div', { class: 'big-icon' }, icon('check')),
          h('p', { text: 'Sign in with your new address from now on.' }),
          h('div', { class: 'form-actions' }, h('a', { class: 'btn btn-primary', href: '/signin', text: 'Sign in' }))],
      });
    } catch (e) {
      authLayout(ctx.main, {
        title: 'Confirm your new email',
        body: [errorBox(e, e.status === 0 || e.status >= 500 ? attempt : null),
          h('p', null, 'Links work once and for 24 hours. Ask for a new one from ', h('a', { href: '/account', text: 'your account' }), '.')],
      });
    }
  };
  await attempt();
}
