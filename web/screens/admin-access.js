// Staff access: platform impersonations of this workspace, and ending one at once.
import { api, listAll, ApiError } from '../api.js';
import { h, clear, button, busy, loading, errorBox, empty, toast, pill, confirmDialog } from '../ui.js';
import { dateTime } from '../dates.js';
import { adminHead } from './admin-tabs.js';

export default async function render(ctx) {
  const { main, session } = ctx;
  const host = h('div', null, loading());
  clear(main, h('div', { class: 'page' }, adminHead(session, 'Staff access'),
    h('p', { class: 'muted', text: 'Planyard staff have no standing access. With a reason, they can be handed a single-use link for a session of at most 30 minutes; each one is listed here and in the audit log, and you can end it at once.' }),
    h('section', { class: 'card' }, h('h2', { text: 'Impersonation sessions' }), host),
    h('section', { class: 'card' }, h('h2', { text: 'Your own sessions' }),
      h('p', null, 'Devices signed in to your account are under ', h('a', { href: '/account#sessions', text: 'My account' }), '.'))));

  async function load() {
    let rows;
    try {
      rows = await listAll('/workspace/impersonations');
    } catch (e) {
      clear(host, e instanceof ApiError && e.notAvailable ? h('p', { class: 'muted', text: 'This server does not list staff access sessions yet.' }) : errorBox(e, load));
      return;
    }
    if (!rows.length) { clear(host, empty('No staff has accessed this workspace.')); return; }
    rows.sort((a, b) => b.created_at.localeCompare(a.created_at));
    clear(host, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'impersonations-table' },
      h('thead', null, h('tr', null, ['Staff', 'Reason', 'Created', 'Redeemed', 'Ends', 'State'].map(t => h('th', { text: t })), h('th', { class: 'actions' }, h('span', { class: 'sr-only', text: 'Actions' })))),
      h('tbody', null, rows.map(r => {
        const end = r.active ? button('End now', { variant: 'danger-quiet', class: 'btn-small' }) : null;
        if (end) end.addEventListener('click', async () => {
          if (!await confirmDialog({ title: 'End this staff session?', message: `${r.staff} is signed out at once.`, confirm: 'End session', danger: true })) return;
          busy(end, async () => {
            try { await api('DELETE', `/workspace/impersonations/${r.id}`); toast('Staff session ended.'); load(); } catch (e) { toast(e.friendly || String(e), 'error'); }
          });
        });
        const state = r.active ? pill('Active', 'pending') : r.revoked_at ? pill('Ended by admin', 'canceled') : pill('Over', 'canceled');
        return h('tr', { dataset: { id: r.id } },
          h('td', { class: 'primary-cell', text: r.staff }), h('td', { text: r.reason || '' }),
          h('td', { class: 'nowrap', text: dateTime(r.created_at) }), h('td', { class: 'nowrap', text: r.redeemed_at ? dateTime(r.redeemed_at) : 'Not yet' }),
          h('td', { class: 'nowrap', text: dateTime(r.revoked_at || r.expires_at) }), h('td', null, state), h('td', { class: 'actions' }, end));
      })))));
  }
  await load();
}
