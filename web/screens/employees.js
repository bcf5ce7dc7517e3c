// Employees: the people who place, finish, pump and drive.
import { h, field, pill } from '../ui.js';
import { TRADES, tradeLabel, roleAtLeast } from '../store.js';
import { crudScreen, opt, req, nameOf, options } from './crud.js';
import { crewLinkPanel } from './send.js';

const CHANNELS = [['both', 'Email and SMS'], ['email', 'Email'], ['sms', 'SMS']];

export default crudScreen({
  title: 'Employees', singular: 'employee', path: '/employees', erasable: true,
  lookups: ['/regions'],
  invalidates: ['/employees'],
  sort: (a, b) => a.name.localeCompare(b.name),
  filters: lk => [
    { name: 'trade', label: 'Trade', empty: 'All trades', options: TRADES },
    { name: 'active', label: 'Status', empty: 'Everyone', options: [['true', 'Active'], ['false', 'Inactive']], value: 'true' },
    ...(lk['/regions'].length ? [{ name: 'region_id', label: 'Region', empty: 'All regions', options: options(lk['/regions']) }] : []),
  ],
  columns: [
    { label: 'Name', cell: r => r.name },
    { label: 'Trade', cell: r => (r.trade ? tradeLabel(r.trade) : null) },
    { label: 'Phone', cell: r => (r.phone ? h('a', { href: 'tel:' + r.phone, text: r.phone, class: 'nowrap' }) : null) },
    { label: 'Email', cell: r => r.email },
    { label: 'Region', cell: (r, lk) => nameOf(lk['/regions'], r.region_id, '') },
    { label: 'Status', cell: r => (r.active === false ? pill('Inactive', 'canceled') : pill('Active', 'active')) },
  ],
  fields: (r, lk, ctx) => [
    field({ name: 'name', label: 'Name', required: true, value: r?.name, autocomplete: 'off' }),
    field({ name: 'trade', label: 'Trade', type: 'select', empty: 'No trade', options: TRADES, value: r?.trade ?? '' }),
    field({ name: 'phone', label: 'Phone', type: 'tel', value: r?.phone, autocomplete: 'off' }),
    field({ name: 'email', label: 'Email', type: 'email', value: r?.email, autocomplete: 'off', hint: 'Pour details are mailed here when a crew is notified.' }),
    field({ name: 'channel', label: 'Day sheets by', type: 'select', options: CHANNELS, value: r?.channel ?? 'both', hint: 'SMS needs the phone as +15551234567.' }),
    field({ name: 'region_id', label: 'Region', type: 'select', empty: 'No region', options: options(lk['/regions']), value: r?.region_id ?? '' }),
    field({ name: 'active', label: 'Active (counts as available on the week)', type: 'checkbox', value: r ? r.active !== false : true }),
    r && ctx && roleAtLeast(ctx.session.role, 'admin') ? crewLinkPanel(r) : null,
  ].filter(Boolean),
  toBody: v => ({ name: req(v.name), trade: v.trade || null, phone: opt(v.phone), email: opt(v.email), region_id: v.region_id || null, active: !!v.active, channel: v.channel || 'both' }),
});
