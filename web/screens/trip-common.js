// What the trip screens share: the statuses, the editor's fields and its body.
import { field } from '../ui.js';
import { req, opt, options } from './crud.js';

export const TRIP_STATUSES = [['inquiry', 'Inquiry'], ['booked', 'Booked'], ['traveling', 'Traveling'], ['done', 'Done'], ['canceled', 'Canceled']];
export const tripStatusLabel = s => (TRIP_STATUSES.find(x => x[0] === s) || [s, s])[1];

export function tripFields(r, clients, defaults = {}) {
  return [
    field({ name: 'name', label: 'Trip', required: true, value: r?.name, class: 'span-2', placeholder: 'Lisbon in May' }),
    field({ name: 'customer_id', label: 'Client', type: 'select', required: true, empty: 'Choose…', options: options(clients), value: r?.customer_id ?? defaults.customer_id ?? '' }),
    field({ name: 'status', label: 'Status', type: 'select', options: TRIP_STATUSES, value: r?.status ?? 'inquiry' }),
    field({ name: 'start_date', label: 'First day', type: 'date', required: true, value: r?.start_date ?? defaults.start_date ?? '' }),
    field({ name: 'end_date', label: 'Last day', type: 'date', required: true, value: r?.end_date ?? defaults.end_date ?? '' }),
    field({ name: 'destination', label: 'Destination', value: r?.destination, class: 'span-2' }),
    field({ name: 'notes', label: 'Notes', type: 'textarea', value: r?.notes, class: 'span-2' }),
  ];
}

export const tripBody = v => ({
  name: req(v.name), customer_id: v.customer_id || null, status: v.status || 'inquiry',
  start_date: v.start_date || null, end_date: v.end_date || null, destination: opt(v.destination), notes: opt(v.notes),
});
