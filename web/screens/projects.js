// Projects: a customer's job site.
import { field } from '../ui.js';
import { crudScreen, opt, req, nameOf, options } from './crud.js';

export default crudScreen({
  title: 'Projects', singular: 'project', path: '/projects',
  lookups: ['/customers', '/regions'],
  invalidates: ['/projects'],
  sort: (a, b) => a.name.localeCompare(b.name),
  filters: lk => [
    { name: 'customer_id', label: 'Customer', empty: 'All customers', options: options(lk['/customers']) },
    ...(lk['/regions'].length ? [{ name: 'region_id', label: 'Region', empty: 'All regions', options: options(lk['/regions']) }] : []),
  ],
  columns: [
    { label: 'Project', cell: r => r.name },
    { label: 'Customer', cell: (r, lk) => nameOf(lk['/customers'], r.customer_id) },
    { label: 'Address', cell: r => [r.address, r.zip].filter(Boolean).join(', ') },
    { label: 'Region', cell: (r, lk) => nameOf(lk['/regions'], r.region_id, '') },
  ],
  fields: (r, lk, ctx) => [
    field({ name: 'customer_id', label: 'Customer', type: 'select', required: true, empty: lk['/customers'].length ? 'Choose a customer…' : 'No customers yet: add one first', options: options(lk['/customers']), value: r?.customer_id ?? ctx.params.get('customer_id') ?? '' }),
    field({ name: 'name', label: 'Project name', required: true, value: r?.name }),
    field({ name: 'address', label: 'Address', value: r?.address, autocomplete: 'street-address' }),
    field({ name: 'zip', label: 'ZIP', value: r?.zip, autocomplete: 'postal-code', hint: 'Used for the weather forecast of its pours.' }),
    field({ name: 'region_id', label: 'Region', type: 'select', empty: 'No region', options: options(lk['/regions']), value: r?.region_id ?? '' }),
    field({ name: 'notes', label: 'Notes', type: 'textarea', value: r?.notes, class: 'span-2' }),
  ],
  toBody: v => ({ customer_id: v.customer_id, name: req(v.name), address: opt(v.address), zip: opt(v.zip), region_id: v.region_id || null, notes: opt(v.notes) }),
});
