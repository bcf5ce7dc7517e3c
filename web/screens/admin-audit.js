// The audit log: filters, newest first with "Load more", verify the hash chain, CSV export.
import { api, listAll, listPage, download, ApiError } from '../api.js';
import { h, clear, icon, button, busy, loading, errorBox, empty, toast, pill } from '../ui.js';
import { dateTime, zonedToUTC, addDays, isDate } from '../dates.js';
import { lookup } from '../store.js';
import { adminHead } from './admin-tabs.js';

const ACTIONS = ['pour.created', 'pour.updated', 'pour.canceled', 'pour.deleted', 'customer.created', 'customer.updated', 'customer.deleted',
  'project.created', 'employee.created', 'employee.removed', 'crew.created', 'crew.assigned', 'assignment.created', 'assignment.deleted',
  'reminder.created', 'member.invited', 'member.removed', 'member.role_changed', 'workspace.updated', 'workspace.branding_updated',
  'workspace.exported', 'auth.login', 'auth.login_failed', 'auth.logout', 'auth.mfa_enabled', 'auth.password_changed',
  'platform.impersonate_tenant', 'platform.impersonation_revoked'];

export default async function render(ctx) {
  const { main, session } = ctx;
  const f = {};
  const mk = (name, label, input) => { f[name] = input; input.id = 'audit-' + name; return h('div', { class: 'field' }, h('label', { for: input.id, text: label }), input); };
  const actorSel = h('select', null, h('option', { value: '', text: 'Anyone' }));
  const filters = h('form', { class: 'toolbar audit-filters', role: 'search', 'aria-label': 'Filter the audit log' },
    mk('action', 'Action', h('input', { type: 'text', list: 'audit-actions', placeholder: 'e.g. pour.canceled', autocomplete: 'off' })),
    h('datalist', { id: 'audit-actions' }, ACTIONS.map(a => h('option', { value: a }))),
    mk('actor_id', 'Who', actorSel),
    mk('entity_id', 'Record id', h('input', { type: 'text', placeholder: 'uuid', autocomplete: 'off' })),
    mk('from', 'From', h('input', { type: 'date' })),
    mk('to', 'To', h('input', { type: 'date' })),
    h('button', { type: 'submit', class: 'btn btn-secondary btn-small' }, icon('search'), h('span', { text: 'Filter' })));
  const verifyBtn = button('Verify chain', { variant: 'secondary' }, 'shield');
  const csvBtn = button('Export CSV', { variant: 'secondary' }, 'download');
  const verifyOut = h('div', { class: 'verify-out', 'aria-live': 'polite' });
  const list = h('div', null, loading());
  const more = button('Load more', { variant: 'secondary' });
  more.hidden = true;
  let cursor = null, rows = [], seq = 0;
  const members = new Map();
  const names = new Map();

  clear(main, h('div', { class: 'page' }, adminHead(session, 'Audit log', verifyBtn, csvBtn),
    h('p', { class: 'muted', text: 'Every change, sign-in and export, written in the same transaction as the change. Rows are hash-chained: nobody can alter one without it showing here.' }),
    verifyOut, filters, list, h('div', { class: 'list-foot' }, more)));

  for (const k of ['action', 'actor_id', 'entity_id', 'from', 'to']) if (ctx.params.get(k)) f[k].value = ctx.params.get(k);

  filters.addEventListener('submit', ev => { ev.preventDefault(); load(); });
  for (const k of ['actor_id', 'from', 'to']) f[k].addEventListener('change', () => load());
  more.addEventListener('click', () => busy(more, () => load(true)));
  verifyBtn.addEventListener('click', () => busy(verifyBtn, async () => {
    try {
      const r = await api('GET', '/audit/verify');
      clear(verifyOut, r.ok
        ? h('div', { class: 'form-alert form-alert-ok', role: 'status' }, icon('check'), h('span', { text: `The chain is intact: ${r.rows} rows verified.` }))
        : h('div', { class: 'form-alert', role: 'alert' }, icon('alert'), h('span', { text: `The chain is broken at row ${r.first_bad_id}. Contact Planyard support.` })));
    } catch (e) { clear(verifyOut, errorBox(e)); }
  }));
  csvBtn.addEventListener('click', () => busy(csvBtn, async () => {
    try {
      // the rows the screen shows: the same filters as the list
      const q = new URLSearchParams(params()).toString();
      await download('/audit/export.csv' + (q ? '?' + q : ''), 'audit.csv');
      toast('Audit log downloaded.');
    } catch (e) { toast(e instanceof ApiError ? 'Export failed: ' + e.friendly : String(e), 'error'); }
  }));

  function params() {
    const p = {};
    if (f.action.value.trim()) p.action = f.action.value.trim();
    if (f.actor_id.value) p.actor_id = f.actor_id.value;
    if (f.entity_id.value.trim()) p.entity_id = f.entity_id.value.trim();
    if (isDate(f.from.value)) p.from = zonedToUTC(f.from.value);
    if (isDate(f.to.value)) p.to = zonedToUTC(addDays(f.to.value, 1));
    return p;
  }

  async function load(append = false) {
    const my = ++seq;
    if (!append) clear(list, loading());
    const p = params();
    const q = new URLSearchParams({ ...Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'from' && k !== 'to')) });
    for (const k of ['action', 'actor_id', 'entity_id', 'from', 'to']) if (f[k].value) q.set(k, f[k].value);
    history.replaceState(null, '', '/admin/audit' + (q.toString() ? '?' + q : ''));
    try {
      const page = await listPage('/audit', p, append ? cursor : null, 100);
      if (my !== seq) return;
      rows = append ? rows.concat(page.data) : page.data;
      cursor = page.next_cursor;
      draw();
    } catch (e) {
      if (my === seq) clear(list, errorBox(e, () => load()));
    }
  }

  function draw() {
    more.hidden = !cursor;
    if (!rows.length) { clear(list, empty('No audit rows match.')); return; }
    clear(list, h('div', { class: 'table-wrap' }, h('table', { class: 'table audit-table', id: 'audit-table' },
      h('thead', null, h('tr', null, ['When', 'Who', 'Action', 'Record', 'Changes', 'IP'].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', null, rows.map(r => h('tr', { dataset: { action: r.action } },
        h('td', { class: 'nowrap', 'data-label': 'When', text: dateTime(r.at) }),
        h('td', { 'data-label': 'Who' }, actor(r.actor)),
        h('td', { 'data-label': 'Action' }, h('span', { class: 'mono action', text: r.action })),
        h('td', { 'data-label': 'Record' }, r.entity_type || '', r.entity_id ? h('div', { class: 'mono muted small', title: r.entity_id, text: r.entity_id.slice(0, 8) + '…' }) : null),
        h('td', { 'data-label': 'Changes' }, changes(r.changes)),
        h('td', { 'data-label': 'IP', class: 'mono small', text: r.ip || '' })))))));
  }

  function actor(a) {
    if (!a) return '—';
    if (a.kind === 'platform') return h('span', null, pill('Staff', 'pending'), ' ', a.email || '');
    if (a.kind === 'system') return h('span', { class: 'muted', text: 'System' });
    const m = a.id && members.get(a.id);
    return m && m.name ? h('span', { title: a.email }, m.name) : (a.email || a.id || '—');
  }

  function changes(c) {
    if (!c || typeof c !== 'object') return '';
    const keys = Object.keys(c);
    if (!keys.length) return '';
    const show = v => (v === null || v === undefined ? '∅' : typeof v === 'object' ? JSON.stringify(v)
      : names.has(v) ? names.get(v) : /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(String(v)) ? String(v).slice(0, 8) + '…' : String(v));
    const trim = s => (s.length > 60 ? s.slice(0, 60) + '…' : s);
    return h('ul', { class: 'changes' }, keys.slice(0, 8).map(k => {
      const pair = Array.isArray(c[k]) ? c[k] : [null, c[k]];
      return h('li', null, h('span', { class: 'muted', text: k + ': ' }),
        pair[0] !== null && pair[0] !== undefined ? [h('span', { class: 'old', text: trim(show(pair[0])) }), ' → '] : null,
        h('span', { class: 'new', text: trim(show(pair[1])) }));
    }), keys.length > 8 ? h('li', { class: 'muted', text: `and ${keys.length - 8} more` }) : null);
  }

  // ids in the changes are shown by name where the workspace still has the record
  await Promise.all(['/customers', '/projects', '/crews', '/employees', '/regions'].map(async path => {
    try { for (const r of await lookup(path)) names.set(r.id, r.name); } catch { /* names are a convenience */ }
  }));
  try {
    for (const m of await listAll('/members')) { members.set(m.user_id, m); names.set(m.user_id, m.name || m.email); }
    for (const m of [...members.values()].sort((a, b) => (a.name || a.email).localeCompare(b.name || b.email)))
      actorSel.append(h('option', { value: m.user_id, text: m.name ? `${m.name} (${m.email})` : m.email }));
    if (ctx.params.get('actor_id')) actorSel.value = ctx.params.get('actor_id');
  } catch { /* the filter is a convenience */ }
  await load();
}
