// /invite#token=... → join a workspace: as a new user (name + password), or as the user
// already signed in (or signing in now) with the invited email.
import { api, setTokens, ApiError } from '../api.js';
import { h, field, form, button, busy, setFormAlert, clear } from '../ui.js';
import { authLayout, takeFragmentToken } from './auth-layout.js';
import { signInForm } from './signin.js';

let kept = null; // the token stays in memory while the user signs in

export default function render(ctx) {
  const token = takeFragmentToken() || kept;
  kept = token;
  if (!token) {
    authLayout(ctx.main, { title: 'Accept an invitation', body: h('p', { text: 'Open the link from the invitation email: it carries the code this page needs.' }) });
    return;
  }
  const accepted = async tokens => { kept = null; await ctx.signedIn(tokens); };

  const newUser = form({
    submit: 'Join the workspace',
    fields: [
      field({ name: 'name', label: 'Your name', required: true, autocomplete: 'name' }),
      field({ name: 'password', label: 'Choose a password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters.' }),
    ],
    onSubmit: async v => {
      try {
        await accepted(await api('POST', '/invitations/accept', { token, name: v.name.trim(), password: v.password }));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'account_exists') {
          select(1);
          const f = existingHost.querySelector('form, .form');
          if (f) setFormAlert(f, e.friendly);
          return;
        }
        throw e;
      }
    },
  });

  const existingHost = h('div');
  const s = ctx.session;
  if (s) {
    const go = button(`Accept as ${s.user.email}`, { variant: 'primary' });
    const box = h('div', { class: 'form' }, h('div', { class: 'form-alert', role: 'alert', hidden: true }), h('div', { class: 'form-actions' }, go));
    go.addEventListener('click', () => busy(go, async () => {
      try { await accepted(await api('POST', '/invitations/accept', { token })); } catch (e) { setFormAlert(box, e.friendly || String(e)); }
    }));
    existingHost.append(box);
  } else {
    existingHost.append(signInForm({
      onTokens: async tokens => {
        setTokens(tokens);
        try {
          await accepted(await api('POST', '/invitations/accept', { token }));
        } catch (e) {
          const f = existingHost.querySelector('form');
          setFormAlert(f, e instanceof ApiError ? e.friendly : String(e));
        }
      },
    }));
  }

  const tabs = h('div', { class: 'segmented', role: 'tablist', 'aria-label': 'How to join' });
  const panels = [
    ['I am new to Planyard', newUser],
    [s ? `I am ${s.user.name || s.user.email}` : 'I already have an account', existingHost],
  ];
  const panelHost = h('div', { class: 'tab-panel', role: 'tabpanel' });
  panels.forEach(([label, panel], i) => {
    const t = h('button', { type: 'button', role: 'tab', class: 'segment', 'aria-selected': 'false', text: label });
    t.addEventListener('click', () => select(i));
    tabs.append(t);
  });
  function select(i) {
    [...tabs.children].forEach((t, j) => t.setAttribute('aria-selected', String(i === j)));
    clear(panelHost, panels[i][1]);
  }
  select(s ? 1 : 0);
  authLayout(ctx.main, {
    title: 'Join your team on Planyard',
    lead: 'You were invited to a workspace. The invitation works once, for 7 days.',
    body: [tabs, panelHost],
  });
}
