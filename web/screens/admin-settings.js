// Workspace settings and branding colour; billing (owner); delete the workspace (owner).
import { api, clearSession, ApiError } from '../api.js';
import { h, clear, field, form, toast, loading, setFieldError } from '../ui.js';
import { updateSession } from '../app.js';
import { invalidate } from '../store.js';
import { adminHead } from './admin-tabs.js';

export default async function render(ctx) {
  const { main, session } = ctx;
  clear(main, h('div', { class: 'page' }, adminHead(session, 'Settings'), loading()));
  const ws = await api('GET', '/workspace');
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [ws.timezone];
  if (!zones.includes(ws.timezone)) zones.unshift(ws.timezone);
  if (!zones.includes('UTC')) zones.unshift('UTC');

  const colorText = field({ name: 'primary_color', label: 'Branding colour', value: ws.branding?.primary_color || '', placeholder: '#b45309', hint: 'A hex colour like #b45309: the top bar, buttons and highlights use it.' });
  const picker = h('input', { type: 'color', 'aria-label': 'Pick the branding colour', value: /^#[0-9a-f]{6}$/i.test(ws.branding?.primary_color || '') ? ws.branding.primary_color : '#b45309' });
  const textIn = colorText.querySelector('input');
  picker.addEventListener('input', () => { textIn.value = picker.value; preview(picker.value); });
  textIn.addEventListener('input', () => { if (/^#[0-9a-f]{6}$/i.test(textIn.value)) { picker.value = textIn.value; preview(textIn.value); } });
  colorText.insertBefore(h('div', { class: 'color-row' }, picker, textIn), colorText.querySelector('.hint'));
  const swatch = h('div', { class: 'brand-preview', 'aria-hidden': 'true' }, h('span', { class: 'brand-mark', text: (ws.name || '?').charAt(0).toUpperCase() }), h('span', { class: 'btn btn-primary btn-small', text: 'Button' }));
  function preview(c) {
    // only the preview changes until saved: a custom property on the preview element
    swatch.style.setProperty('--brand', c);
  }

  const f = form({
    submit: 'Save settings',
    fields: h('div', { class: 'form-grid' },
      field({ name: 'name', label: 'Workspace name', required: true, value: ws.name }),
      field({ name: 'slug', label: 'Workspace address', value: ws.slug, readonly: true, hint: 'Used to sign in; it cannot change.' }),
      field({ name: 'timezone', label: 'Time zone', type: 'select', options: zones.map(z => [z, z.replace(/_/g, ' ')]), value: ws.timezone, hint: 'The week runs Monday to Sunday in this zone.' }),
      h('div', { class: 'field' }, colorText, swatch),
      field({ name: 'sheets_send_at', label: "Send tomorrow's sheets at", type: 'time', value: ws.sheets_send_at || '', hint: 'In the time zone above; each person gets their day sheet once. Empty: only when sent from the board.' }),
      field({ name: 'kind', label: 'What the workspace plans', type: 'select', value: ws.kind || 'field', options: [['field', 'Field work (pours and crews)'], ['trips', 'Trips (clients and travelers)']], hint: 'The screens and words of the app follow it; nothing is deleted.' }),
      field({ name: 'require_mfa_for_admins', label: 'Require two-factor authentication for admins and owners', type: 'checkbox', value: ws.require_mfa_for_admins, class: 'span-2', hint: 'Admins without it can only reach My account until they set it up.' })),
    onSubmit: async (v, form) => {
      const body = {};
      if (v.name.trim() !== ws.name) body.name = v.name.trim();
      if (v.timezone !== ws.timezone) body.timezone = v.timezone;
      const color = v.primary_color.trim() || null;
      if (color !== (ws.branding?.primary_color || null)) body.branding = { primary_color: color };
      if (v.require_mfa_for_admins !== ws.require_mfa_for_admins) body.require_mfa_for_admins = v.require_mfa_for_admins;
      if (v.kind && v.kind !== (ws.kind || 'field')) body.kind = v.kind;
      const sendAt = v.sheets_send_at || null;
      if (sendAt !== (ws.sheets_send_at ?? null)) body.sheets_send_at = sendAt;
      if (!Object.keys(body).length) { toast('Nothing changed.'); return; }
      try {
        const saved = await api('PATCH', '/workspace', body);
        Object.assign(ws, saved);
        updateSession({ workspace: saved });
        toast('Settings saved.');
      } catch (e) {
        // errors of the nested branding object name "branding.primary_color"
        if (e instanceof ApiError) for (const fe of e.fieldErrors) if (/primary_color/.test(fe.field)) fe.field = 'primary_color';
        throw e;
      }
    },
  });

  const parts = [adminHead(session, 'Settings'), h('section', { class: 'card' }, h('h2', { text: 'Workspace' }), f)];
  if (session.role === 'owner') parts.push(billingCard(), deleteCard(ws, ctx));
  clear(main, h('div', { class: 'page' }, parts));
}

function billingCard() {
  return h('section', { class: 'card' }, h('h2', { text: 'Billing' }),
    h('p', null, 'The trial, the plan, the card and the receipts are under ', h('a', { href: '/admin/billing', text: 'Billing' }), '.'));
}

function deleteCard(ws, ctx) {
  const f = form({
    submit: 'Delete this workspace forever',
    fields: [
      h('p', null, 'Every customer, project, pour, person, assignment, reminder, member and audit row of ', h('strong', { text: ws.name }), ' is deleted at once. Export it first if you may need it. Backups keep deleted data until they expire, at most 30 days.'),
      field({ name: 'slug', label: `Type the workspace address “${ws.slug}” to confirm`, required: true, autocomplete: 'off', spellcheck: 'false' }),
      field({ name: 'password', label: 'Your password', type: 'password', required: true, autocomplete: 'current-password' }),
      ctx.session.user.mfa_enabled ? field({ name: 'code', label: 'Code from your authenticator app, or a recovery code', required: true, autocomplete: 'one-time-code' }) : null,
    ],
    onSubmit: async (v, form) => {
      if (v.slug.trim() !== ws.slug) { setFieldError(form, 'slug', `Type “${ws.slug}” exactly.`); form.elements.slug.focus(); return; }
      const body = { slug: v.slug.trim(), password: v.password };
      if (v.code) body.code = v.code.trim();
      await api('DELETE', '/workspace', body);
      clearSession();
      invalidate();
      location.assign('/signin?notice=' + encodeURIComponent(`The workspace ${ws.slug} was deleted.`));
    },
  });
  f.submitButton.className = 'btn btn-danger';
  const slugIn = f.elements.slug;
  const sync = () => { f.submitButton.disabled = slugIn.value.trim() !== ws.slug; };
  slugIn.addEventListener('input', sync);
  sync();
  return h('section', { class: 'card danger-zone', id: 'delete-workspace' }, h('h2', { text: 'Delete the workspace' }), f);
}
