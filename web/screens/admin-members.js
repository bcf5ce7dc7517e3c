// Members and invitations: roles, removal, invite by email, revoke an invitation.
import { api, listAll, ApiError } from '../api.js';
import { h, clear, button, busy, field, form, toast, confirmDialog, loading, errorBox, pill, empty } from '../ui.js';
import { dateTime } from '../dates.js';
import { ROLES } from '../store.js';
import { adminHead } from './admin-tabs.js';

export default async function render(ctx) {
  const { main, session } = ctx;
  const isOwner = session.role === 'owner';
  const membersHost = h('div', null, loading());
  const invitesHost = h('div', null, loading());
  const roleChoices = isOwner ? ROLES : ROLES.filter(r => r[0] !== 'owner');

  const invite = form({
    submit: 'Send invitation', cls: 'inline-form',
    fields: [
      field({ name: 'email', label: 'Email', type: 'email', required: true, autocomplete: 'off' }),
      field({ name: 'role', label: 'Role', type: 'select', options: roleChoices, value: 'scheduler' }),
    ],
    onSubmit: async (v, f) => {
      await api('POST', '/invitations', { email: v.email.trim(), role: v.role });
      f.reset();
      f.elements.role.value = 'scheduler';
      toast(`Invitation sent to ${v.email.trim()}.`);
      loadInvites();
    },
  });

  clear(main, h('div', { class: 'page' }, adminHead(session, 'Members'),
    h('section', { class: 'card' }, h('h2', { text: 'People in this workspace' }),
      h('p', { class: 'muted small', text: 'Viewers read; schedulers also plan pours and people; admins also manage members, settings and the audit log; owners also delete the workspace and see billing.' }),
      membersHost),
    h('section', { class: 'card' }, h('h2', { text: 'Invite someone' }), invite,
      h('h3', { class: 'sub-h', text: 'Pending invitations' }), invitesHost)));

  async function loadMembers() {
    try {
      const members = await listAll('/members');
      clear(membersHost, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'members-table' },
        h('thead', null, h('tr', null, ['Name', 'Email', 'Role', 'Two-factor', 'Joined'].map(t => h('th', { text: t })), h('th', { class: 'actions' }, h('span', { class: 'sr-only', text: 'Actions' })))),
        h('tbody', null, members.map(m => row(m))))));
    } catch (e) { clear(membersHost, errorBox(e, loadMembers)); }
  }

  function row(m) {
    const me = m.user_id === session.user.id;
    const sel = h('select', { 'aria-label': `Role of ${m.name || m.email}` }, (isOwner || m.role !== 'owner' ? roleChoices : ROLES).map(([v, l]) => h('option', { value: v, text: l })));
    sel.value = m.role;
    sel.disabled = !isOwner && m.role === 'owner';
    sel.addEventListener('change', async () => {
      const to = sel.value;
      // a role changes only when confirmed: an arrow key on a focused select must not promote anyone
      const label = r => (ROLES.find(x => x[0] === r) || [r, r])[1];
      const ok = await confirmDialog({
        title: `Make ${m.name || m.email} ${/^[aeiou]/i.test(label(to)) ? 'an' : 'a'} ${label(to).toLowerCase()}?`,
        message: `${m.name || m.email} is ${label(m.role).toLowerCase()} now. The new role applies to their next request.`,
        confirm: `Change role to ${label(to)}`,
        danger: to === 'owner' || to === 'admin',
      });
      if (!ok) { sel.value = m.role; sel.focus(); return; }
      sel.disabled = true;
      try {
        await api('PATCH', `/members/${m.user_id}`, { role: to });
        m.role = to;
        toast(`${m.name || m.email} is now ${to}.`);
      } catch (e) {
        sel.value = m.role;
        toast(e instanceof ApiError ? e.friendly : String(e), 'error');
      } finally {
        sel.disabled = !isOwner && m.role === 'owner';
      }
    });
    const rm = button(me ? 'Leave' : 'Remove', { variant: 'ghost', class: 'btn-small' });
    rm.disabled = !isOwner && m.role === 'owner';
    rm.addEventListener('click', async () => {
      if (!await confirmDialog({ title: `Remove ${m.name || m.email}?`, message: 'Their sessions in this workspace end at once. Their account stays.', confirm: 'Remove', danger: true })) return;
      busy(rm, async () => {
        try {
          await api('DELETE', `/members/${m.user_id}`);
          toast(`${m.name || m.email} removed.`);
          loadMembers();
        } catch (e) { toast(e instanceof ApiError ? e.friendly : String(e), 'error'); }
      });
    });
    return h('tr', { dataset: { id: m.user_id } },
      h('td', { class: 'primary-cell', 'data-label': 'Name' }, m.name || '—', me ? h('span', { class: 'muted', text: ' (you)' }) : null),
      h('td', { 'data-label': 'Email', text: m.email }),
      h('td', { 'data-label': 'Role' }, sel),
      h('td', { 'data-label': 'Two-factor' }, m.mfa_enabled ? pill('On', 'ok') : pill('Off', 'canceled')),
      h('td', { 'data-label': 'Joined', class: 'nowrap', text: dateTime(m.joined_at) }),
      h('td', { class: 'actions' }, rm));
  }

  async function loadInvites() {
    try {
      const inv = await listAll('/invitations');
      if (!inv.length) { clear(invitesHost, empty('No pending invitations.')); return; }
      clear(invitesHost, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'invitations-table' },
        h('thead', null, h('tr', null, ['Email', 'Role', 'Expires'].map(t => h('th', { text: t })), h('th', { class: 'actions' }, h('span', { class: 'sr-only', text: 'Actions' })))),
        h('tbody', null, inv.map(i => {
          const rv = button('Revoke', { variant: 'ghost', class: 'btn-small' });
          rv.addEventListener('click', () => busy(rv, async () => {
            try { await api('DELETE', `/invitations/${i.id}`); toast('Invitation revoked.'); loadInvites(); } catch (e) { toast(e.friendly || String(e), 'error'); }
          }));
          return h('tr', null, h('td', { class: 'primary-cell', text: i.email }), h('td', { text: i.role }),
            h('td', { class: 'nowrap', text: dateTime(i.expires_at) }), h('td', { class: 'actions' }, rv));
        })))));
    } catch (e) { clear(invitesHost, errorBox(e, loadInvites)); }
  }

  await Promise.all([loadMembers(), loadInvites()]);
}
