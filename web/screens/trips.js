// Trips: every trip of the workspace, filtered by client, status and the dates it overlaps.
// The trip's page (/trip?id=) holds its travelers and reminders.
import { h, pill } from '../ui.js';
import { dateLong } from '../dates.js';
import { crudScreen, nameOf, options } from './crud.js';
import { TRIP_STATUSES, tripStatusLabel, tripFields, tripBody } from './trip-common.js';

export default crudScreen({
  title: 'Trips', singular: 'trip', path: '/trips', paged: true, wide: true,
  lookups: ['/customers'],
  sort: (a, b) => a.start_date.localeCompare(b.start_date) || a.name.localeCompare(b.name),
  filters: lk => [
    { name: 'customer_id', label: 'Client', empty: 'Any client', options: options(lk['/customers']) },
    { name: 'status', label: 'Status', empty: 'Any status', options: TRIP_STATUSES },
    { name: 'from', label: 'From', type: 'date' },
    { name: 'to', label: 'To', type: 'date' },
  ],
  columns: [
    { label: 'Trip', cell: r => r.name },
    { label: 'Client', cell: (r, lk) => nameOf(lk['/customers'], r.customer_id) },
    { label: 'Dates', cell: r => `${dateLong(r.start_date)} – ${dateLong(r.end_date)}` },
    { label: 'Destination', cell: r => r.destination },
    { label: 'Status', cell: r => pill(tripStatusLabel(r.status), r.status) },
    { label: 'Page', cell: r => h('a', { href: '/trip?id=' + r.id, text: 'Open', 'aria-label': `Open ${r.name}` }) },
  ],
  fields: (r, lk) => tripFields(r, lk['/customers']),
  toBody: tripBody,
});
