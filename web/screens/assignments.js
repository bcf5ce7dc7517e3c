// Assignments: who works which day (and on which pour). One person, one date, once.
import { listAll } from '../api.js';
import { field, setOptions } from '../ui.js';
import { today, mondayOf, addDays, dateLong, parseDate } from '../dates.js';
import { tradeLabel } from '../store.js';
import { crudScreen, opt, nameOf, options } from './crud.js';

const pourNames = new Map(); // pour id → "Project · Mon, Nov 16"

async function loadPours(from, to, lk) {
  const pours = await listAll('/pours', { from, to });
  for (const p of pours) pourNames.set(p.id, { label: `${nameOf(lk['/projects'], p.project_id, 'Pour')}${p.start_time ? ' ' + p.start_time : ''}`, pour: p });
  return pours;
}

export default crudScreen({
  title: 'Assignments', singular: 'assignment', path: '/assignments',
  intro: 'Who works which day. The week shows the same numbers in each day’s manpower line.',
  lookups: ['/employees', '/projects'],
  searchPlaceholder: 'Search by person, pour or role',
  sort: (a, b) => a.date.localeCompare(b.date) || 0,
  filters: lk => [
    { name: 'from', label: 'From', type: 'date', value: mondayOf(today()) },
    { name: 'to', label: 'To', type: 'date', value: addDays(mondayOf(today()), 6) },
    { name: 'employee_id', label: 'Person', empty: 'Everyone', options: options(lk['/employees']) },
  ],
  enrich: async (rows, params, lk) => {
    const dates = rows.map(r => r.date).sort();
    if (!dates.length) return;
    const span = (parseDate(dates[dates.length - 1]) - parseDate(dates[0])) / 86400000;
    if (span <= 92) await loadPours(dates[0], dates[dates.length - 1], lk);
  },
  columns: [
    { label: 'Date', cell: r => dateLong(r.date) },
    { label: 'Person', cell: (r, lk) => {
      const e = lk['/employees'].find(x => x.id === r.employee_id);
      return e ? `${e.name}${e.trade ? ' (' + tradeLabel(e.trade) + ')' : ''}` : 'Unknown';
    } },
    { label: 'Pour', cell: r => (r.pour_id ? (pourNames.get(r.pour_id)?.label || 'Pour') : null) },
    { label: 'Role', cell: r => r.role },
  ],
  fields: (r, lk) => {
    const pourField = field({ name: 'pour_id', label: 'Pour', type: 'select', empty: 'No particular pour', options: [], value: r?.pour_id ?? '', class: 'span-2' });
    const dateField = field({ name: 'date', label: 'Date', type: 'date', required: true, value: r?.date ?? today() });
    const dateIn = dateField.querySelector('input');
    const sel = pourField.querySelector('select');
    const fill = async () => {
      if (!dateIn.value) return;
      try {
        const pours = await loadPours(dateIn.value, dateIn.value, lk);
        setOptions(sel, pours.filter(p => p.status !== 'canceled' || p.id === r?.pour_id).map(p => [p.id, pourNames.get(p.id).label]), 'No particular pour');
        if (r?.pour_id && !sel.value) sel.value = r.pour_id;
      } catch { /* the list of pours is a convenience */ }
    };
    dateIn.addEventListener('change', fill);
    fill();
    return [
      field({ name: 'employee_id', label: 'Person', type: 'select', required: true, empty: 'Choose someone…', options: options(lk['/employees'].filter(e => e.active !== false || e.id === r?.employee_id)), value: r?.employee_id ?? '' }),
      dateField,
      pourField,
      field({ name: 'role', label: 'Role', value: r?.role, placeholder: 'e.g. finisher', class: 'span-2' }),
    ];
  },
  toBody: v => ({ employee_id: v.employee_id, date: v.date, pour_id: v.pour_id || null, role: opt(v.role) }),
});
