// The week: pours by day, Monday to Sunday in the workspace's time zone, with the manpower
// line of each day (needed / assigned / available), red when a region is short.
import { api, listAll, download, ApiError } from '../api.js';
import { h, clear, icon, button, busy, loading, errorBox, pill, toast } from '../ui.js';
import { today, mondayOf, addDays, isDate, weekLabel, dayLabel, dateLong, getZone } from '../dates.js';
import { prefs, lookup, invalidate, roleAtLeast, statusLabel, STATUSES, byName } from '../store.js';
import { openPourDialog } from './pour-dialog.js';

export default async function render(ctx) {
  const { main, session } = ctx;
  const canEdit = roleAtLeast(session.role, 'scheduler');
  const start = ctx.params.get('start');
  let monday = mondayOf(start && isDate(start) ? start : (isDate(prefs.get('week', '')) ? prefs.get('week') : today()));
  let region = prefs.get('region', '');
  let showCanceled = prefs.get('showCanceled', true);
  let data = null;
  let loadSeq = 0;
  let retried = false;

  const title = h('h1', { id: 'week-title' });
  const sub = h('span', { class: 'muted' });
  const prev = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Previous week', title: 'Previous week' }, icon('left'));
  const next = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Next week', title: 'Next week' }, icon('right'));
  const thisWeek = button('This week', { variant: 'secondary', class: 'btn-small' });
  const jump = h('input', { type: 'date', 'aria-label': 'Go to date', class: 'jump', title: 'Go to a date' });
  const regionSel = h('select', { 'aria-label': 'Region', id: 'week-region' }, h('option', { value: '', text: 'All regions' }));
  const canceledToggle = h('input', { type: 'checkbox', id: 'show-canceled' });
  canceledToggle.checked = showCanceled;
  const exportBtn = button('Export .xlsx', { variant: 'secondary', class: 'btn-small', title: 'Download this week as a spreadsheet' }, 'download');
  const newBtn = canEdit ? button('New pour', { variant: 'primary', class: 'btn-small' }, 'plus') : null;
  // day sheets: the dialog lives in send.js
  const sendBtn = canEdit ? button("Send tomorrow's sheets", { variant: 'secondary', class: 'btn-small', onclick: () => import('./send.js').then(m => m.openSendDialog()) }) : null;
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const grid = h('div', { class: 'week-grid', 'aria-labelledby': 'week-title' });
  const status = h('div', { class: 'week-status' });

  clear(main, h('div', { class: 'page page-week' },
    h('div', { class: 'week-head' },
      h('div', { class: 'week-nav' }, prev, thisWeek, next),
      h('div', { class: 'week-title' }, title, sub),
      h('div', { class: 'toolbar' },
        jump,
        h('div', { class: 'field' }, regionSel),
        h('div', { class: 'field field-check' }, h('label', { for: 'show-canceled' }, canceledToggle, h('span', { text: 'Show canceled' }))),
        exportBtn, sendBtn, newBtn)),
    h('div', { class: 'toolbar' }, summary, h('div', { class: 'legend', 'aria-label': 'Status colours' },
      STATUSES.map(([k, label]) => h('span', null, h('span', { class: 'swatch swatch-' + k }), label)))),
    status,
    grid));

  prev.addEventListener('click', () => go(addDays(monday, -7)));
  next.addEventListener('click', () => go(addDays(monday, 7)));
  thisWeek.addEventListener('click', () => go(mondayOf(today())));
  jump.addEventListener('change', () => { if (isDate(jump.value)) go(mondayOf(jump.value)); });
  regionSel.addEventListener('change', () => { region = regionSel.value; prefs.set('region', region); load(); });
  canceledToggle.addEventListener('change', () => { showCanceled = canceledToggle.checked; prefs.set('showCanceled', showCanceled); draw(); });
  exportBtn.addEventListener('click', () => busy(exportBtn, async () => {
    try {
      const q = new URLSearchParams({ from: monday, to: addDays(monday, 6) });
      await download(`/exports/schedule.xlsx?${q}`, `schedule-${monday}.xlsx`);
      toast('Schedule downloaded.');
    } catch (e) {
      toast(e instanceof ApiError ? 'Export failed: ' + e.friendly : String(e), 'error');
    }
  }));
  if (newBtn) newBtn.addEventListener('click', () => openNew(monday <= today() && today() <= addDays(monday, 6) ? today() : monday));

  const onKey = ev => {
    if (ev.target.closest('input, select, textarea, dialog') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'ArrowLeft' && ev.shiftKey) { ev.preventDefault(); go(addDays(monday, -7)); }
    if (ev.key === 'ArrowRight' && ev.shiftKey) { ev.preventDefault(); go(addDays(monday, 7)); }
  };
  document.addEventListener('keydown', onKey);

  function go(m) {
    monday = m;
    history.replaceState(null, '', '/week?start=' + monday);
    load();
  }

  async function load() {
    const seq = ++loadSeq;
    prefs.set('week', monday);
    title.textContent = weekLabel(monday);
    sub.textContent = `Week of ${dateLong(monday)} · ${getZone()}`;
    jump.value = '';
    if (!data) clear(grid, loading('Loading the week…'));
    else grid.classList.add('is-loading');
    clear(status);
    const params = { from: monday, to: addDays(monday, 6) };
    if (region) params.region_id = region;
    try {
      const [pours, manpower, projects, customers, crews, regions] = await Promise.all([
        listAll('/pours', params),
        api('GET', '/manpower?' + new URLSearchParams(params)),
        lookup('/projects'), lookup('/customers'), lookup('/crews'), lookup('/regions'),
      ]);
      if (seq !== loadSeq || !ctx.isCurrent()) return;
      // a project or crew made in another tab since the lookups were fetched: fetch them again
      const knownP = new Set(projects.map(p => p.id)), knownC = new Set(crews.map(c => c.id));
      if (!retried && pours.some(p => !knownP.has(p.project_id) || (p.crew_id && !knownC.has(p.crew_id)))) {
        retried = true;
        invalidate('/projects', '/customers', '/crews');
        return load();
      }
      retried = false;
      data = {
        pours, manpower: manpower.data || [],
        projects: new Map(projects.map(p => [p.id, p])), customers: new Map(customers.map(c => [c.id, c])),
        crews: new Map(crews.map(c => [c.id, c])), regions: [...regions].sort(byName),
      };
      fillRegions();
      draw();
    } catch (e) {
      if (seq !== loadSeq) return;
      if (!data) clear(grid, errorBox(e, load));
      else clear(status, errorBox(e, load));
    } finally {
      if (seq === loadSeq) grid.classList.remove('is-loading');
    }
  }

  function fillRegions() {
    const keep = region;
    clear(regionSel, h('option', { value: '', text: 'All regions' }), data.regions.map(r => h('option', { value: r.id, text: r.name })));
    regionSel.value = data.regions.some(r => r.id === keep) ? keep : '';
    regionSel.parentElement.hidden = data.regions.length === 0;
  }

  function draw() {
    const t = today();
    const visible = data.pours.filter(p => showCanceled || p.status !== 'canceled');
    const live = data.pours.filter(p => p.status !== 'canceled');
    const volume = live.reduce((a, p) => a + (parseFloat(p.volume_cy) || 0), 0);
    clear(summary,
      h('span', null, h('b', { text: String(live.length) }), live.length === 1 ? ' pour' : ' pours'),
      h('span', null, h('b', { text: volume.toLocaleString(undefined, { maximumFractionDigits: 1 }) }), ' cy'),
      h('span', null, h('b', { text: String(live.filter(p => p.pump).length) }), ' with pump'),
      h('span', null, h('b', { text: String(live.filter(p => p.status === 'tentative').length) }), ' tentative'));
    const days = [];
    for (let i = 0; i < 7; i++) {
      const date = addDays(monday, i);
      const pours = visible.filter(p => p.scheduled_date === date)
        .sort((a, b) => (a.start_time || '99').localeCompare(b.start_time || '99'));
      const rows = data.manpower.filter(m => m.date === date);
      const dayVol = pours.filter(p => p.status !== 'canceled').reduce((a, p) => a + (parseFloat(p.volume_cy) || 0), 0);
      const addBtn = canEdit ? h('button', { type: 'button', class: 'btn btn-small day-add', 'aria-label': `Add a pour on ${dateLong(date)}` }, icon('plus'), h('span', { text: 'Add pour' })) : null;
      if (addBtn) addBtn.addEventListener('click', () => openNew(date));
      days.push(h('section', {
        class: ['day', date === t && 'today', i >= 5 && 'weekend'], 'aria-label': dateLong(date), dataset: { date },
      },
      h('header', { class: 'day-head' },
        h('span', { class: 'day-name', text: dayLabel(date, { weekday: 'short' }) }),
        h('span', { class: 'day-date', text: dayLabel(date, { month: 'short', day: 'numeric' }) }),
        dayVol ? h('span', { class: 'day-total', text: `${dayVol.toLocaleString(undefined, { maximumFractionDigits: 1 })} cy` }) : null),
      manpowerLine(date, rows),
      h('div', { class: 'pours' }, pours.map(pourCard)),
      addBtn));
    }
    clear(grid, days);
  }

  function manpowerLine(date, rows) {
    const sum = k => rows.reduce((a, r) => a + (r[k] || 0), 0);
    const needed = sum('needed'), assigned = sum('assigned'), available = sum('available');
    const shortRegions = rows.filter(r => r.assigned < r.needed || r.available < 0);
    const short = shortRegions.length > 0;
    const regionName = id => (data.regions.find(r => r.id === id) || { name: 'No region' }).name;
    const label = `Manpower on ${dateLong(date)}: ${needed} needed, ${assigned} assigned, ${available} available` +
      (short ? `; short of ${shortRegions.reduce((a, r) => a + Math.max(0, r.needed - r.assigned), 0)}` : '');
    return h('div', {
      class: ['mp', short && 'short', !short && needed === 0 && 'idle'], role: 'group', 'aria-label': label,
      title: rows.map(r => `${regionName(r.region_id)}: ${r.needed} needed / ${r.assigned} assigned / ${r.available} available`).join('\n'),
      dataset: { needed, assigned, available, short: short ? 'true' : 'false' },
    },
    h('div', { class: 'mp-head' },
      short ? h('span', { class: 'mp-flag' }, icon('alert'), ` Short ${shortRegions.reduce((a, r) => a + Math.max(0, r.needed - r.assigned), 0)}`)
        : h('span', { class: 'mp-flag' }, needed === 0 ? 'Manpower' : (icon('check')), needed === 0 ? '' : ' Staffed'),
      short && rows.length > 1 ? h('span', { class: 'mp-regions', text: shortRegions.map(r => `${regionName(r.region_id)} −${Math.max(0, r.needed - r.assigned)}`).join(' · ') }) : null),
    h('div', { class: 'mp-nums' },
      h('span', { class: 'mp-num' }, h('b', { text: String(needed) }), h('small', { text: 'needed' })),
      h('span', { class: 'mp-num' }, h('b', { text: String(assigned) }), h('small', { text: 'assigned' })),
      h('span', { class: 'mp-num' }, h('b', { text: String(available) }), h('small', { text: 'available' }))));
  }

  function pourCard(p) {
    const project = data.projects.get(p.project_id);
    const customer = project && data.customers.get(project.customer_id);
    const crew = p.crew_id && data.crews.get(p.crew_id);
    const projectName = project ? project.name : 'Unknown project';
    const vol = `${Number(p.volume_cy).toLocaleString(undefined, { maximumFractionDigits: 2 })} cy`;
    // the same crew on another pour that day: the scheduler must see it
    const clash = p.status !== 'canceled' && (p.conflicts || []).length
      ? `${crew ? crew.name : 'The crew'} has ${p.conflicts.length} other pour${p.conflicts.length === 1 ? '' : 's'} this day` : null;
    const label = [p.start_time || 'no start time', projectName, customer && customer.name, vol, p.mix,
      p.pump ? 'pump' : null, crew ? crew.name : 'no crew', statusLabel(p.status), clash].filter(Boolean).join(', ');
    const card = h('button', { type: 'button', class: ['pour', 'st-' + p.status], 'aria-label': label, dataset: { id: p.id, status: p.status } },
      h('div', { class: 'pour-top' },
        h('span', { class: 'pour-time' }, icon('clock'), ' ', p.start_time || '—'),
        pill(statusLabel(p.status), p.status)),
      h('div', { class: 'pour-project', text: projectName }),
      customer ? h('div', { class: 'pour-customer', text: customer.name }) : null,
      h('div', { class: 'pour-facts' },
        h('span', { class: 'nowrap', text: vol }),
        h('span', { text: p.mix }),
        p.pump ? h('span', { class: 'pour-pump nowrap' }, icon('pump'), ' Pump') : null),
      h('div', { class: 'pour-crew' }, icon('crew'),
        h('span', { class: 'nowrap', text: crew ? crew.name : 'No crew' }),
        p.crew_size_needed ? h('span', { class: 'muted nowrap', text: ` · ${p.crew_size_needed} needed` }) : null),
      clash ? h('div', { class: 'pour-conflict', title: clash }, icon('alert'), h('span', { text: `Crew on ${p.conflicts.length + 1} pours` })) : null);
    card.addEventListener('click', () => openPourDialog({ pour: p, canEdit, onChange: load }));
    return card;
  }

  function openNew(date) {
    openPourDialog({ pour: null, date, canEdit, onChange: load });
  }

  await load();
  return () => document.removeEventListener('keydown', onKey);
}

