// Exports: the schedule and the manpower projection as .xlsx; the whole workspace as JSON.
import { download, ApiError } from '../api.js';
import { h, clear, field, form, toast, setFormAlert } from '../ui.js';
import { today, mondayOf, addDays, parseDate } from '../dates.js';
import { roleAtLeast } from '../store.js';
import { adminHead } from './admin-tabs.js';

export default function render(ctx) {
  const { main, session } = ctx;
  const m = mondayOf(today());
  const range = (name) => [
    field({ name: 'from', label: 'From', type: 'date', required: true, value: m }),
    field({ name: 'to', label: 'To', type: 'date', required: true, value: addDays(m, 6), hint: 'At most 92 days.' }),
  ];
  const exporter = (title, path, text) => {
    const f = form({
      submit: `Download ${title}`, cls: 'inline-form', fields: range(),
      onSubmit: async v => {
        if ((parseDate(v.to) - parseDate(v.from)) / 86400000 > 92) throw new ApiError(400, { errors: [{ field: 'to', code: 'invalid', message: 'At most 92 days after From.' }] });
        try {
          await download(`${path}?${new URLSearchParams({ from: v.from, to: v.to })}`, `${path.split('/').pop().replace('.xlsx', '')}-${v.from}.xlsx`);
          toast(`${title} downloaded.`);
        } catch (e) {
          if (e instanceof ApiError && e.notAvailable) { setFormAlert(f, 'This server does not offer this export yet.'); return; }
          throw e;
        }
      },
    });
    return h('section', { class: 'card' }, h('h2', { text: title }), h('p', { class: 'muted', text }), f);
  };
  const parts = [adminHead(session, 'Exports'), h('div', { class: 'card-grid' }, session.workspace.kind === 'trips' ? [
    exporter('Trips', '/exports/trips.xlsx', 'One row per trip that overlaps the dates, with its client and how many travel.'),
    exporter('Travelers', '/exports/travelers.xlsx', 'One row per traveler of those trips.'),
  ] : [
    exporter('Schedule', '/exports/schedule.xlsx', 'One row per pour with project, customer, crew and the people assigned.'),
    exporter('Manpower', '/exports/manpower.xlsx', 'Needed, assigned and available people per day and region.'),
  ])];
  if (roleAtLeast(session.role, 'admin')) {
    const f = form({
      submit: 'Download workspace.json',
      fields: [h('p', { class: 'muted', text: 'Every record of the workspace, its members and its audit log, in one JSON file. The export is itself written to the audit log.' })],
      onSubmit: async () => {
        try {
          await download('/exports/workspace.json', `${session.workspace.slug}-workspace.json`);
          toast('Workspace exported.');
        } catch (e) {
          if (e instanceof ApiError && e.notAvailable) { setFormAlert(f, 'This server does not offer the workspace export yet.'); return; }
          throw e;
        }
      },
    });
    parts.push(h('section', { class: 'card' }, h('h2', { text: 'Everything' }), f));
  }
  clear(main, h('div', { class: 'page' }, parts));
}
