// Create a workspace and its owner; then "check your email" with a resend button.
import { api } from '../api.js';
import { h, field, form, button, busy, toast, icon } from '../ui.js';
import { authLayout } from './auth-layout.js';

const slugify = s => s.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
  .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');

export default function render(ctx) {
  let slugTouched = false;
  const f = form({
    submit: 'Create workspace',
    fields: [
      field({ name: 'workspace_name', label: 'Company name', required: true, autocomplete: 'organization', placeholder: 'Granite Ridge Concrete' }),
      field({ name: 'kind', label: 'What you plan', type: 'select', required: true, value: 'field',
        options: [['field', 'Field work: pours, crews and projects'], ['trips', 'Trips: clients, travelers and their dates']],
        hint: 'The screens and words follow it; an admin can change it later.' }),
      field({ name: 'workspace_slug', label: 'Workspace address', required: true, hint: '3 to 40 of a–z, 0–9 and -. You sign in with it.', spellcheck: 'false', autocomplete: 'off' }),
      field({ name: 'name', label: 'Your name', required: true, autocomplete: 'name' }),
      field({ name: 'email', label: 'Work email', type: 'email', required: true, autocomplete: 'email' }),
      field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters; a passphrase of a few words works well.' }),
    ],
    onSubmit: async v => {
      await api('POST', '/auth/signup', {
        workspace_name: v.workspace_name.trim(), workspace_slug: v.workspace_slug.trim(),
        name: v.name.trim(), email: v.email.trim(), password: v.password, kind: v.kind || 'field',
      });
      sent(v.email.trim(), v.workspace_slug.trim());
    },
  });
  const nameIn = f.elements.workspace_name, slugIn = f.elements.workspace_slug;
  nameIn.addEventListener('input', () => { if (!slugTouched) slugIn.value = slugify(nameIn.value); });
  slugIn.addEventListener('input', () => { slugTouched = slugIn.value !== ''; });

  authLayout(ctx.main, {
    title: 'Create your workspace',
    lead: 'One workspace for your company. You will be its owner and can invite your team.',
    body: f,
    foot: [h('span', { text: 'Already on Planyard? ' }), h('a', { href: '/signin', text: 'Sign in' })],
  });
  nameIn.focus();

  function sent(email, slug) {
    const resend = button('Send the email again', { variant: 'secondary' });
    resend.addEventListener('click', () => busy(resend, async () => {
      try {
        await api('POST', '/auth/confirm/resend', { email });
        toast('Sent again. It can take a minute to arrive.');
      } catch (e) {
        toast(e.friendly || String(e), 'error');
      }
    }));
    authLayout(ctx.main, {
      title: 'Check your email',
      body: [
        h('div', { class: 'big-icon' }, icon('check')),
        h('p', null, 'We sent a confirmation link to ', h('strong', { text: email }), '. Open it to activate the workspace ',
          h('strong', { text: slug }), '.'),
        h('p', { class: 'muted', text: 'The link works for 24 hours.' }),
        h('div', { class: 'form-actions' }, resend, h('a', { class: 'btn btn-ghost', href: '/signin?workspace=' + encodeURIComponent(slug), text: 'Go to sign in' })),
      ],
    });
    ctx.main.querySelector('h1').focus();
  }
}
