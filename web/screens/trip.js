// A trip's page (/trip?id=): its facts, its travelers (added and removed here) and its
// reminders, with those of a template made from the trip's dates. Reminders move with the
// trip when its dates change (the database does it).
import { api, listAll, ApiError } from '../api.js';
import { h, clear, button, busy, field, form, dialog, toast, confirmDialog, loading, errorBox, empty, pill } from '../ui.js';
import { dateLong, dateTime } from '../dates.js';
import { lookup, invalidate, roleAtLeast } from '../store.js';
import { nameOf, req, opt } from './crud.js';
import { tripStatusLabel, tripFields, tripBody } from './trip-common.js';

const TEMPLATES = [['standard', 'Final payment (30 days before) and documents (7 days before)'],
  ['final_payment', 'Final payment, 30 days before'], ['documents', 'Travel documents, 7 days before']];

export default async function render(ctx) {
  const { main, session, params } = ctx;
  const id = params.get('id') || '';
  const canEdit = roleAtLeast(session.role, 'scheduler');
  clear(main, h('div', { class: 'page' }, loading()));
  let trip, travelers, reminders, clients;
  async function load() {
    [trip, travelers, reminders, clients] = await Promise.all([
      api('GET', '/trips/' + encodeURIComponent(id)),
      api('GET', `/trips/${encodeURIComponent(id)}/travelers`).then(r => r.data),
      listAll('/reminders').then(rows => rows.filter(r => r.subject_type === 'trip' && r.subject_id === id)),
      lookup('/customers'),
    ]);
  }
  try {
    await load();
  } catch (e) {
    clear(main, h('div', { class: 'page' }, h('h1', { text: 'Trip' }), errorBox(e, e instanceof ApiError && e.status === 404 ? null : () => ctx.route())));
    return;
  }
  if (!ctx.isCurrent()) return;

  const travelersHost = h('div');
  const remindersHost = h('div');
  const page = h('div', { class: 'page', id: 'trip-page' });
  clear(main, page);
  draw();

  function draw() {
    document.title = `${trip.name} · ${session.workspace.name} · Planyard`;
    const edit = canEdit ? button('Edit trip', { variant: 'secondary', onclick: openEditor }, 'edit') : null;
    const del = canEdit ? button('Delete trip', { variant: 'ghost', onclick: () => remove(del) }, 'trash') : null;
    clear(page,
      h('p', { class: 'muted small' }, h('a', { href: `/calendar?month=${trip.start_date.slice(0, 7)}`, text: '‹ Calendar' }), ' · ', h('a', { href: '/trips', text: 'All trips' })),
      h('div', { class: 'page-head' }, h('h1', { text: trip.name }), pill(tripStatusLabel(trip.status), trip.status), edit, del),
      h('dl', { class: 'trip-facts' },
        h('dt', { text: 'Client' }), h('dd', { text: nameOf(clients, trip.customer_id) }),
        h('dt', { text: 'Dates' }), h('dd', { text: `${dateLong(trip.start_date)} – ${dateLong(trip.end_date)}` }),
        h('dt', { text: 'Destination' }), h('dd', { text: trip.destination || '—' }),
        h('dt', { text: 'Notes' }), h('dd', { text: trip.notes || '—' })),
      h('div', { class: 'card-grid' },
        h('section', { class: 'card', 'aria-labelledby': 'travelers-h' }, h('h2', { id: 'travelers-h', text: `Travelers (${travelers.length})` }), travelersHost),
        h('section', { class: 'card', 'aria-labelledby': 'reminders-h' }, h('h2', { id: 'reminders-h', text: `Reminders (${reminders.length})` }), remindersHost)));
    drawTravelers();
    drawReminders();
  }

  function drawTravelers() {
    const rows = travelers.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'travelers-table' },
      h('thead', null, h('tr', null, ['Name', 'Birth date', 'Contact', 'Notes'].map(t => h('th', { scope: 'col', text: t })),
        h('th', { class: 'actions' }, h('span', { class: 'sr-only', text: 'Actions' })))),
      h('tbody', null, travelers.map(t => {
        let x = null;
        if (canEdit) {
          x = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Remove ${t.name}` }, 'Remove');
          x.addEventListener('click', () => removeTraveler(t, x));
        }
        return h('tr', { dataset: { id: t.id } },
          h('td', { class: 'primary-cell', 'data-label': 'Name', text: t.name }),
          h('td', { 'data-label': 'Birth date', text: t.birth_date ? dateLong(t.birth_date) : '—' }),
          h('td', { 'data-label': 'Contact', text: t.contact || '—' }),
          h('td', { 'data-label': 'Notes', text: t.notes || '—' }),
          h('td', { class: 'actions' }, x));
      })))) : empty('No travelers yet.');
    const add = canEdit ? form({
      submit: 'Add traveler', cls: 'inline-form',
      fields: h('div', { class: 'form-grid' },
        field({ name: 'name', label: 'Name', required: true, autocomplete: 'off' }),
        field({ name: 'birth_date', label: 'Birth date', type: 'date', hint: 'For fares and documents.' }),
        field({ name: 'contact', label: 'Contact', hint: 'A phone number or email, if needed.' }),
        field({ name: 'notes', label: 'Notes' })),
      onSubmit: async (v, f) => {
        const saved = await api('POST', `/trips/${trip.id}/travelers`, {
          name: req(v.name), birth_date: v.birth_date || null, contact: opt(v.contact), notes: opt(v.notes),
        });
        travelers.push(saved);
        f.reset();
        toast(`${saved.name} added.`);
        draw();
        document.getElementById('travelers-h')?.focus?.();
      },
    }) : null;
    clear(travelersHost, rows, add);
  }

  function drawReminders() {
    const sorted = [...reminders].sort((a, b) => a.remind_at.localeCompare(b.remind_at));
    const rows = sorted.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'trip-reminders-table' },
      h('thead', null, h('tr', null, ['When', 'Channel', 'To', 'Message', 'Status'].map(t => h('th', { scope: 'col', text: t })))),
      h('tbody', null, sorted.map(r => h('tr', { dataset: { id: r.id } },
        h('td', { class: 'primary-cell', 'data-label': 'When', text: dateTime(r.remind_at) }),
        h('td', { 'data-label': 'Channel', text: r.channel === 'sms' ? 'SMS' : 'Email' }),
        h('td', { 'data-label': 'To', text: r.to }),
        h('td', { 'data-label': 'Message', text: r.message }),
        h('td', { 'data-label': 'Status' }, pill(r.status, r.status))))))) : empty('No reminders yet.');
    const make = canEdit ? form({
      submit: 'Make reminders', cls: 'inline-form',
      fields: h('div', { class: 'form-grid' },
        field({ name: 'template', label: 'Template', type: 'select', required: true, options: TEMPLATES, value: 'standard', class: 'span-2' }),
        field({ name: 'channel', label: 'Channel', type: 'select', required: true, options: [['email', 'Email'], ['sms', 'SMS']], value: 'email' }),
        field({ name: 'to', label: 'To', required: true, hint: 'An email address, or for SMS a number like +15551234567.' })),
      onSubmit: async v => {
        const out = await api('POST', `/trips/${trip.id}/reminders`, { template: v.template, channel: v.channel, to: req(v.to) });
        reminders.push(...out.data);
        invalidate('/reminders');
        toast(out.skipped.length ? `${out.data.length} made; ${out.skipped.length} skipped, their day has passed.` : `${out.data.length} reminders made.`);
        draw();
      },
    }) : null;
    clear(remindersHost, h('p', { class: 'muted small', text: 'They move with the trip when its first day changes.' }), rows, make);
  }

  function openEditor() {
    const d = dialog({ title: `Trip: ${trip.name}`, body: [], wide: true });
    const f = form({
      submit: 'Save changes',
      fields: h('div', { class: 'form-grid' }, tripFields(trip, clients)),
      secondary: [button('Close', { variant: 'ghost', onclick: () => d.requestClose() })],
      onSubmit: async v => {
        const full = tripBody(v), diff = {};
        for (const [k, val] of Object.entries(full)) if ((val ?? null) !== (trip[k] ?? null)) diff[k] = val;
        if (Object.keys(diff).length) {
          trip = await api('PATCH', '/trips/' + trip.id, diff);
          invalidate('/trips');
          if (diff.start_date) reminders = (await listAll('/reminders')).filter(r => r.subject_type === 'trip' && r.subject_id === trip.id);
        }
        d.close();
        toast('Trip saved.');
        draw();
      },
    });
    d.setBody(f);
    f.querySelector('input')?.focus();
  }

  async function remove(btn) {
    const erase = field({ name: 'erase_history', label: 'Also erase the travelers\' personal data from the audit history', type: 'checkbox' });
    if (!await confirmDialog({ title: 'Delete trip?', message: `“${trip.name}” will be deleted with its travelers and reminders. The audit log keeps a record of it.`, confirm: 'Delete', danger: true, extra: erase })) return;
    const erasing = erase.querySelector('input').checked;
    await busy(btn, async () => {
      try {
        await api('DELETE', `/trips/${trip.id}${erasing ? '?erase_history=true' : ''}`);
        invalidate('/trips', '/reminders');
        toast('Trip deleted.');
        ctx.navigate(`/calendar?month=${trip.start_date.slice(0, 7)}`);
      } catch (e) {
        toast(e instanceof ApiError ? `Could not delete the trip: ${e.friendly}` : String(e), 'error');
      }
    });
  }

  async function removeTraveler(t, btn) {
    if (!await confirmDialog({ title: 'Remove traveler?', message: `${t.name} will be removed from this trip.`, confirm: 'Remove', danger: true })) return;
    await busy(btn, async () => {
      try {
        await api('DELETE', '/travelers/' + t.id);
        travelers = travelers.filter(x => x.id !== t.id);
        toast(`${t.name} removed.`);
        draw();
      } catch (e) {
        toast(e instanceof ApiError ? `Could not remove ${t.name}: ${e.friendly}` : String(e), 'error');
      }
    });
  }
}
