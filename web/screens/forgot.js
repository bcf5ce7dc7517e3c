// Forgot password: POST /auth/password/forgot (202 always).
import { api } from '../api.js';
import { h, field, form, icon } from '../ui.js';
import { prefs } from '../store.js';
import { authLayout } from './auth-layout.js';

export default function render(ctx) {
  const f = form({
    submit: 'Send reset link',
    fields: [
      field({ name: 'workspace', label: 'Workspace', value: prefs.get('workspace', ''), hint: 'Optional.', spellcheck: 'false' }),
      field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'username' }),
    ],
    onSubmit: async v => {
      const body = { email: v.email.trim() };
      if (v.workspace.trim()) body.workspace = v.workspace.trim();
      await api('POST', '/auth/password/forgot', body);
      authLayout(ctx.main, {
        title: 'Check your email',
        body: [h('div', { class: 'big-icon' }, icon('check')),
          h('p', null, 'If ', h('strong', { text: body.email }), ' has a Planyard account, a reset link is on its way. It works for 30 minutes.'),
          h('div', { class: 'form-actions' }, h('a', { class: 'btn btn-ghost', href: '/signin', text: 'Back to sign in' }))],
      });
    },
  });
  authLayout(ctx.main, {
    title: 'Forgot your password?',
    lead: 'We will email you a link to choose a new one.',
    body: f,
    foot: [h('a', { href: '/signin', text: 'Back to sign in' })],
  });
  f.elements.email.focus();
}
