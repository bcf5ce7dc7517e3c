// The calendar of trips: a month of weeks (Monday first) with each trip a bar across its
// days, or the same month as a list. ?month=YYYY-MM&view=month|list; the bars link to the
// trip's page. The month's trips and travelers download as workbooks.
import { api, listAll, download } from '../api.js';
import { h, clear, button, dialog, form, toast, loading, errorBox, empty, pill } from '../ui.js';
import { today, addDays, mondayOf, parseDate, dateLong } from '../dates.js';
import { lookup, invalidate, roleAtLeast } from '../store.js';
import { nameOf } from './crud.js';
import { tripStatusLabel, tripFields, tripBody } from './trip-common.js';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const monthOf = s => s.slice(0, 7);
const monthStart = m => m + '-01';
const monthEnd = m => addDays(nextMonth(m) + '-01', -1);
function nextMonth(m) {
  const [y, mo] = m.split('-').map(Number);
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
}
function prevMonth(m) {
  const [y, mo] = m.split('-').map(Number);
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
}
const monthLabel = m => new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(parseDate(monthStart(m)));
const dayDiff = (a, b) => Math.round((parseDate(b) - parseDate(a)) / 86400000);

export default async function render(ctx) {
  const { main, session, params } = ctx;
  const month = /^\d{4}-(0[1-9]|1[0-2])$/.test(params.get('month') || '') ? params.get('month') : monthOf(today());
  const view = params.get('view') === 'list' ? 'list' : 'month';
  const first = mondayOf(monthStart(month));
  const last = addDays(mondayOf(monthEnd(month)), 6);
  const href = (m, v) => `/calendar?month=${m}${v === 'list' ? '&view=list' : ''}`;
  const canEdit = roleAtLeast(session.role, 'scheduler');

  const body = h('div', { class: 'cal-body' }, loading());
  const newBtn = canEdit ? button('New trip', { variant: 'primary' }, 'plus') : null;
  const xlsx = (what) => button(`${what} .xlsx`, {
    variant: 'ghost', class: 'btn-small',
    onclick: async () => {
      await download(`/exports/${what.toLowerCase()}.xlsx?from=${first}&to=${last}`, `${what.toLowerCase()}-${month}.xlsx`);
      toast(`${what} downloaded.`);
    },
  });
  clear(main, h('div', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', { text: `Calendar: ${monthLabel(month)}` }), newBtn),
    h('div', { class: 'toolbar cal-toolbar' },
      h('a', { class: 'btn btn-secondary btn-small', href: href(prevMonth(month), view) }, '‹ ' + monthLabel(prevMonth(month))),
      h('a', { class: 'btn btn-secondary btn-small', href: href(monthOf(today()), view) }, 'This month'),
      h('a', { class: 'btn btn-secondary btn-small', href: href(nextMonth(month), view) }, monthLabel(nextMonth(month)) + ' ›'),
      h('nav', { class: 'seg', 'aria-label': 'View' },
        h('a', { href: href(month, 'month'), class: ['seg-link', view === 'month' && 'active'], 'aria-current': view === 'month' ? 'page' : null, text: 'Month' }),
        h('a', { href: href(month, 'list'), class: ['seg-link', view === 'list' && 'active'], 'aria-current': view === 'list' ? 'page' : null, text: 'List' })),
      xlsx('Trips'), xlsx('Travelers')),
    body));

  let trips, clients;
  try {
    [trips, clients] = await Promise.all([listAll('/trips', { from: first, to: last }), lookup('/customers')]);
  } catch (e) {
    clear(body, errorBox(e, () => ctx.route()));
    return;
  }
  if (!ctx.isCurrent()) return;
  trips.sort((a, b) => a.start_date.localeCompare(b.start_date) || dayDiff(b.start_date, b.end_date) - dayDiff(a.start_date, a.end_date) || a.name.localeCompare(b.name));

  if (newBtn) newBtn.addEventListener('click', () => {
    const d = dialog({ title: 'New trip', body: [], wide: true });
    const start = month === monthOf(today()) ? today() : monthStart(month);
    const f = form({
      submit: 'Create trip',
      fields: h('div', { class: 'form-grid' }, tripFields(null, clients, { start_date: start, end_date: addDays(start, 6) })),
      onSubmit: async v => {
        const saved = await api('POST', '/trips', tripBody(v));
        invalidate('/trips');
        d.close();
        toast('Trip created.');
        ctx.navigate('/trip?id=' + saved.id);
      },
    });
    d.setBody(f);
    f.querySelector('input')?.focus();
  });

  if (view === 'list') {
    const inMonth = trips.filter(t => t.end_date >= monthStart(month) && t.start_date <= monthEnd(month));
    if (!inMonth.length) { clear(body, empty(`No trips in ${monthLabel(month)}.`)); return; }
    clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'calendar-list' },
      h('thead', null, h('tr', null, ['Trip', 'Client', 'Dates', 'Destination', 'Status'].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', null, inMonth.map(t => h('tr', { dataset: { id: t.id } },
        h('td', { class: 'primary-cell', 'data-label': 'Trip' }, h('a', { href: '/trip?id=' + t.id, text: t.name })),
        h('td', { 'data-label': 'Client', text: nameOf(clients, t.customer_id) }),
        h('td', { 'data-label': 'Dates', text: `${dateLong(t.start_date)} – ${dateLong(t.end_date)}` }),
        h('td', { 'data-label': 'Destination', text: t.destination || '—' }),
        h('td', { 'data-label': 'Status' }, pill(tripStatusLabel(t.status), t.status))))))));
    return;
  }

  const weeks = [];
  for (let w = first; w <= last; w = addDays(w, 7)) weeks.push(w);
  const now = today();
  clear(body, h('div', { class: 'cal', id: 'calendar-month' },
    h('div', { class: 'cal-head', 'aria-hidden': 'true' }, WEEKDAYS.map(d => h('span', { text: d }))),
    weeks.map(w => {
      const end = addDays(w, 6);
      const row = h('section', { class: 'cal-week', 'aria-label': `Week of ${dateLong(w)}` });
      for (let i = 0; i < 7; i++) {
        const day = addDays(w, i);
        const cell = h('span', { class: ['cal-day', monthOf(day) !== month && 'cal-out', day === now && 'cal-today'], text: String(parseDate(day).getUTCDate()) });
        cell.style.gridColumn = String(i + 1);
        row.append(cell);
      }
      // each trip of the week on the first free lane, from its first to its last day there
      const lanes = [];
      for (const t of trips.filter(x => x.end_date >= w && x.start_date <= end)) {
        const a = t.start_date < w ? w : t.start_date, b = t.end_date > end ? end : t.end_date;
        let lane = lanes.findIndex(l => l < a);
        if (lane < 0) { lane = lanes.length; lanes.push(b); } else lanes[lane] = b;
        const bar = h('a', {
          href: '/trip?id=' + t.id, class: ['cal-bar', 'trip-' + t.status, t.start_date < w && 'cal-cont-l', t.end_date > end && 'cal-cont-r'],
          dataset: { id: t.id }, title: `${t.name}: ${dateLong(t.start_date)} – ${dateLong(t.end_date)}`,
          text: t.name + (a === t.start_date || dayDiff(a, b) > 1 ? ` · ${nameOf(clients, t.customer_id, '')}` : ''),
        });
        bar.style.gridColumn = `${dayDiff(w, a) + 1} / span ${dayDiff(a, b) + 1}`;
        bar.style.gridRow = String(lane + 2);
        row.append(bar);
      }
      return row;
    }),
    trips.length ? null : h('p', { class: 'muted cal-none', text: `No trips in ${monthLabel(month)}.` })));
}
