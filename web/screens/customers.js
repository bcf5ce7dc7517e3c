// Customers: name, contact, email, phone, notes. Search by name on the server (q). A
// workspace that plans trips calls them clients (families, mostly).
import { h } from '../ui.js';
import { field } from '../ui.js';
import { crudScreen, opt, req } from './crud.js';

const spec = (title, singular) => ({
  title, singular, path: '/customers', erasable: true, serverSearch: 'q', paged: true,
  searchPlaceholder: `Search ${title.toLowerCase()} by name`,
  invalidates: ['/customers'],
  sort: (a, b) => a.name.localeCompare(b.name),
  columns: [
    { label: 'Name', cell: r => r.name },
    { label: 'Contact', cell: r => r.contact_name },
    { label: 'Email', cell: r => (r.email ? h('a', { href: 'mailto:' + r.email, text: r.email }) : null) },
    { label: 'Phone', cell: r => (r.phone ? h('a', { href: 'tel:' + r.phone, text: r.phone, class: 'nowrap' }) : null) },
    { label: 'Notes', cell: r => (r.notes ? h('span', { class: 'muted', text: r.notes.length > 80 ? r.notes.slice(0, 80) + '…' : r.notes }) : null) },
  ],
  fields: r => [
    field({ name: 'name', label: 'Name', required: true, value: r?.name, class: 'span-2', autocomplete: 'organization' }),
    field({ name: 'contact_name', label: 'Contact person', value: r?.contact_name }),
    field({ name: 'email', label: 'Email', type: 'email', value: r?.email }),
    field({ name: 'phone', label: 'Phone', type: 'tel', value: r?.phone }),
    field({ name: 'notes', label: 'Notes', type: 'textarea', value: r?.notes, class: 'span-2' }),
  ],
  toBody: v => ({ name: req(v.name), contact_name: opt(v.contact_name), email: opt(v.email), phone: opt(v.phone), notes: opt(v.notes) }),
});

const customers = crudScreen(spec('Customers', 'customer'));
const clients = crudScreen(spec('Clients', 'client'));
export default ctx => (ctx.session.workspace.kind === 'trips' ? clients : customers)(ctx);
