// /impersonate#token=... → a platform staff session (no refresh token, ends after 30 minutes).
import { api } from '../api.js';
import { h, loading, errorBox, icon } from '../ui.js';
import { authLayout, takeFragmentToken } from './auth-layout.js';

export default async function render(ctx) {
  if (ctx.params.get('ended')) {
    authLayout(ctx.main, { title: 'Staff access ended', body: [h('div', { class: 'big-icon big-icon-warn' }, icon('shield')),
      h('p', { text: 'This staff access session has ended (it lasts at most 30 minutes, and a workspace admin can end it at any time).' })] });
    return;
  }
  const token = takeFragmentToken();
  if (!token) {
    authLayout(ctx.main, { title: 'Staff access', body: h('p', { text: 'Open the single-use link printed by `planyard platform impersonate`.' }) });
    return;
  }
  authLayout(ctx.main, { title: 'Starting staff access', body: loading('Redeeming the link…') });
  try {
    const tokens = await api('POST', '/auth/impersonation/redeem', { token });
    await ctx.signedIn(tokens);
  } catch (e) {
    authLayout(ctx.main, { title: 'Staff access', body: [errorBox(e), h('p', { class: 'muted', text: 'Links work once, for 5 minutes.' })] });
  }
}
