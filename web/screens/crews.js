// Crews: a foreman and members; members are set with PUT /crews/{id}/members.
import { api } from '../api.js';
import { h, field } from '../ui.js';
import { tradeLabel } from '../store.js';
import { crudScreen, req, nameOf, options } from './crud.js';

export default crudScreen({
  title: 'Crews', singular: 'crew', path: '/crews', wide: true,
  lookups: ['/regions', '/employees'],
  invalidates: ['/crews'],
  sort: (a, b) => a.name.localeCompare(b.name),
  filters: lk => (lk['/regions'].length ? [{ name: 'region_id', label: 'Region', empty: 'All regions', options: options(lk['/regions']) }] : []),
  columns: [
    { label: 'Crew', cell: r => r.name },
    { label: 'Foreman', cell: (r, lk) => nameOf(lk['/employees'], r.foreman_id, '') },
    { label: 'Members', cell: (r, lk) => (r.member_ids || []).map(id => nameOf(lk['/employees'], id)).sort().join(', ') },
    { label: 'Size', cell: r => String((r.member_ids || []).length) },
    { label: 'Region', cell: (r, lk) => nameOf(lk['/regions'], r.region_id, '') },
  ],
  fields: (r, lk) => {
    const people = [...lk['/employees']].filter(e => e.active !== false || (r?.member_ids || []).includes(e.id))
      .sort((a, b) => a.name.localeCompare(b.name));
    const members = new Set(r?.member_ids || []);
    return [
      field({ name: 'name', label: 'Crew name', required: true, value: r?.name }),
      field({ name: 'region_id', label: 'Region', type: 'select', empty: 'No region', options: options(lk['/regions']), value: r?.region_id ?? '' }),
      field({ name: 'foreman_id', label: 'Foreman', type: 'select', empty: 'No foreman', options: people.map(e => [e.id, e.name]), value: r?.foreman_id ?? '', class: 'span-2' }),
      h('fieldset', { class: 'field span-2 members-field' },
        h('legend', { text: `Members (${members.size} of ${people.length})` }),
        people.length ? h('div', { class: 'checklist', id: 'crew-members' }, people.map(e => {
          const cb = h('input', { type: 'checkbox', value: e.id, class: 'member-cb', 'data-name': e.name });
          cb.checked = members.has(e.id);
          return h('label', null, cb, h('span', null, e.name, ' ', h('span', { class: 'muted', text: e.trade ? tradeLabel(e.trade) : '' })));
        })) : h('p', { class: 'muted', text: 'Add employees first, then pick the crew members here.' }),
        h('p', { class: 'field-error', id: 'crew-members-err', 'aria-live': 'polite' })),
    ];
  },
  toBody: v => ({ name: req(v.name), region_id: v.region_id || null, foreman_id: v.foreman_id || null }),
  afterSave: async (saved, v, f, before) => {
    const ids = [...f.querySelectorAll('.member-cb:checked')].map(cb => cb.value);
    const was = [...(before?.member_ids || [])].sort().join();
    if ([...ids].sort().join() === was && before) return saved;
    if (!before && !ids.length) return saved;
    return api('PUT', `/crews/${saved.id}/members`, { employee_ids: ids });
  },
});
