// /confirm#token=... → POST /auth/confirm.
import { api } from '../api.js';
import { h, loading, errorBox, icon } from '../ui.js';
import { authLayout, takeFragmentToken } from './auth-layout.js';

export default async function render(ctx) {
  const token = takeFragmentToken();
  authLayout(ctx.main, { title: 'Confirming your email', body: loading('Confirming…') });
  if (!token) {
    authLayout(ctx.main, { title: 'Confirm your email', body: h('p', { text: 'Open the link from the confirmation email: it carries the code this page needs.' }) });
    return;
  }
  const attempt = async () => {
    try {
      await api('POST', '/auth/confirm', { token });
      authLayout(ctx.main, {
        title: 'Email confirmed',
        body: [h('div', { class: 'big-icon' }, icon('check')),
          h('p', { text: 'Your workspace is ready. Sign in to plan your first week.' }),
          h('div', { class: 'form-actions' }, h('a', { class: 'btn btn-primary', href: '/signin', text: 'Sign in' }))],
      });
    } catch (e) {
      authLayout(ctx.main, {
        title: 'Confirm your email',
        body: [errorBox(e, e.status === 0 || e.status >= 500 ? attempt : null),
          h('p', null, 'Links work once and for 24 hours. ', h('a', { href: '/signin', text: 'Sign in' }), ' to request a new one.')],
      });
    }
  };
  await attempt();
}
