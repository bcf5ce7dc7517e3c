// The week: pours by day, Monday to Sunday in the workspace's time zone, with the manpower
// line of each day (needed / assigned / available), red when a region is short.
//
// Four views of the same week: the days side by side, one day (a phone's default, with a strip
// of the seven days to jump between), crews × days (lanes), and people × days (who is free
// when). A pour card is dragged to another day (or, in the lanes, another crew) under the
// API's rules; its "Move" button does the same from the keyboard or a touch screen.
//
// Every state of the screen is in the address (week, day, view, region, trade, canceled shown,
// the open pour dialog), each change a history entry that Back and Forward walk.
import { api, listAll, download, ApiError } from '../api.js';
import { h, clear, icon, button, busy, loading, errorBox, pill, toast, dialog, form, field } from '../ui.js';
import { today, mondayOf, addDays, isDate, weekLabel, dayLabel, dateLong, getZone } from '../dates.js';
import { lookup, invalidate, roleAtLeast, statusLabel, STATUSES, TRADES, tradeLabel, byName } from '../store.js';
import { openPourDialog } from './pour-dialog.js';

const VIEWS = [['week', 'Week'], ['day', 'Day'], ['crews', 'Crews'], ['people', 'People']];
const PHONE = '(max-width: 760px)';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The address → the screen's state, or a message saying what in it is wrong.
function parseUrl(params) {
  const st = {}, bad = [];
  const start = params.get('start');
  if (start !== null && !isDate(start)) bad.push(`“${start}” is not a date (start)`);
  const day = params.get('day');
  if (day !== null && !isDate(day)) bad.push(`“${day}” is not a date (day)`);
  st.monday = mondayOf(isDate(start) ? start : isDate(day) ? day : today());
  if (isDate(day) && mondayOf(day) !== st.monday) bad.push(`${day} is not in the week of ${st.monday}`);
  st.day = isDate(day) ? day : null;
  const view = params.get('view');
  if (view !== null && !VIEWS.some(v => v[0] === view)) bad.push(`“${view}” is not a view (week, day, crews or people)`);
  st.view = VIEWS.some(v => v[0] === view) ? view : null;
  st.region = params.get('region') || '';
  if (st.region && !UUID.test(st.region)) bad.push(`“${st.region}” is not a region`);
  st.trade = params.get('trade') || '';
  if (st.trade && !TRADES.some(t => t[0] === st.trade)) bad.push(`“${st.trade}” is not a trade`);
  const canceled = params.get('canceled');
  if (canceled !== null && canceled !== '0' && canceled !== '1') bad.push(`canceled must be 0 or 1, not “${canceled}”`);
  st.showCanceled = canceled !== '0';
  st.pour = params.get('pour') || null;
  if (st.pour && !UUID.test(st.pour)) bad.push(`“${st.pour}” is not a pour`);
  st.newOn = params.get('new');
  if (st.newOn !== null && !isDate(st.newOn)) bad.push(`“${st.newOn}” is not a date (new)`);
  return { st, bad };
}

export default async function render(ctx) {
  const { main, session } = ctx;
  const canEdit = roleAtLeast(session.role, 'scheduler');
  const phone = window.matchMedia(PHONE);
  let st = null;             // the state the screen shows (see parseUrl)
  let data = null;           // what was loaded for data.monday / data.region
  let loadSeq = 0;
  let retried = false;
  let openDlg = null;        // the pour dialog on screen: { d, key }
  let refocus = null;        // a pour card to give the focus back to once the week is drawn
  let dragging = null;       // the pour being dragged

  const title = h('h1', { id: 'week-title' });
  const sub = h('span', { class: 'muted' });
  const prev = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Previous week', title: 'Previous week' }, icon('left'));
  const next = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Next week', title: 'Next week' }, icon('right'));
  const thisWeek = button('This week', { variant: 'secondary', class: 'btn-small' });
  const jump = h('input', { type: 'date', 'aria-label': 'Go to date', class: 'jump', title: 'Go to a date' });
  const regionSel = h('select', { 'aria-label': 'Region', id: 'week-region' }, h('option', { value: '', text: 'All regions' }));
  const tradeSel = h('select', { 'aria-label': 'Trade', id: 'week-trade' }, h('option', { value: '', text: 'All trades' }), TRADES.map(([v, l]) => h('option', { value: v, text: l })));
  const canceledToggle = h('input', { type: 'checkbox', id: 'show-canceled' });
  const exportBtn = button('Export .xlsx', { variant: 'secondary', class: 'btn-small', title: 'Download this week as a spreadsheet' }, 'download');
  const printBtn = button('Print', { variant: 'secondary', class: 'btn-small', title: 'Print what is on screen: one sheet per day' }, 'print');
  const newBtn = canEdit ? button('New pour', { variant: 'primary', class: 'btn-small' }, 'plus') : null;
  // day sheets: the dialog lives in send.js
  const sendBtn = canEdit ? button("Send tomorrow's sheets", { variant: 'secondary', class: 'btn-small', onclick: () => import('./send.js').then(m => m.openSendDialog()) }) : null;
  const viewBtns = VIEWS.map(([v, label]) => {
    const b = h('button', { type: 'button', class: 'segment', 'aria-pressed': 'false', dataset: { view: v } }, label);
    b.addEventListener('click', () => change({ view: v }));
    return b;
  });
  const viewSwitch = h('div', { class: 'segmented view-switch', role: 'group', 'aria-label': 'View' }, viewBtns);
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const strip = h('nav', { class: 'day-strip', 'aria-label': 'Days of the week' });
  const grid = h('div', { class: 'week-grid', 'aria-labelledby': 'week-title' });
  const status = h('div', { class: 'week-status' });
  const printHead = h('p', { class: 'print-only print-head' });

  clear(main, h('div', { class: 'page page-week' },
    h('div', { class: 'week-head' },
      h('div', { class: 'week-title' }, title, sub),
      h('div', { class: 'week-nav' }, prev, thisWeek, next),
      h('div', { class: 'toolbar' },
        jump,
        h('div', { class: 'field' }, regionSel),
        h('div', { class: 'field field-trade' }, tradeSel),
        h('div', { class: 'field field-check' }, h('label', { for: 'show-canceled' }, canceledToggle, h('span', { text: 'Show canceled' }))),
        exportBtn, printBtn, sendBtn, newBtn)),
    h('div', { class: 'toolbar week-bar' }, viewSwitch, summary, h('div', { class: 'legend', 'aria-label': 'Status colours' },
      STATUSES.map(([k, label]) => h('span', null, h('span', { class: 'swatch swatch-' + k }), label)))),
    printHead,
    status,
    strip,
    grid));

  prev.addEventListener('click', () => change({ monday: addDays(st.monday, -7), day: st.day && addDays(st.day, -7) }));
  next.addEventListener('click', () => change({ monday: addDays(st.monday, 7), day: st.day && addDays(st.day, 7) }));
  thisWeek.addEventListener('click', () => change({ monday: mondayOf(today()), day: null }));
  jump.addEventListener('change', () => { if (isDate(jump.value)) change({ monday: mondayOf(jump.value), day: jump.value }); });
  regionSel.addEventListener('change', () => change({ region: regionSel.value }));
  tradeSel.addEventListener('change', () => change({ trade: tradeSel.value }));
  canceledToggle.addEventListener('change', () => change({ showCanceled: canceledToggle.checked }));
  printBtn.addEventListener('click', () => window.print());
  exportBtn.addEventListener('click', () => busy(exportBtn, async () => {
    try {
      // what is on screen: this week, and the region chosen
      const q = new URLSearchParams({ from: st.monday, to: addDays(st.monday, 6) });
      if (st.region) q.set('region_id', st.region);
      await download(`/exports/schedule.xlsx?${q}`, `schedule-${st.monday}.xlsx`);
      toast('Schedule downloaded.');
    } catch (e) {
      toast(e instanceof ApiError ? 'Export failed: ' + e.friendly : String(e), 'error');
    }
  }));
  if (newBtn) newBtn.addEventListener('click', () => change({ newOn: st.monday <= today() && today() <= addDays(st.monday, 6) ? today() : st.day || st.monday }));

  const onKey = ev => {
    if (ev.target.closest('input, select, textarea, dialog') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === 'ArrowLeft' && ev.shiftKey) { ev.preventDefault(); prev.click(); }
    if (ev.key === 'ArrowRight' && ev.shiftKey) { ev.preventDefault(); next.click(); }
  };
  document.addEventListener('keydown', onKey);
  const onMedia = () => { if (data && !st.view) draw(); };
  phone.addEventListener('change', onMedia);

  const viewOf = () => st.view || (phone.matches ? 'day' : 'week');
  const dayOf = () => st.day || (st.monday <= today() && today() <= addDays(st.monday, 6) ? today() : st.monday);

  // The state → the address. Defaults are left out: a bare /week is this week.
  function urlOf(s) {
    const q = new URLSearchParams();
    if (s.monday !== mondayOf(today())) q.set('start', s.monday);
    if (s.day) q.set('day', s.day);
    if (s.view) q.set('view', s.view);
    if (s.region) q.set('region', s.region);
    if (s.trade) q.set('trade', s.trade);
    if (!s.showCanceled) q.set('canceled', '0');
    if (s.pour) q.set('pour', s.pour);
    else if (s.newOn) q.set('new', s.newOn);
    const qs = q.toString();
    return '/week' + (qs ? '?' + qs : '');
  }

  // A change made on the screen: a new history entry, then the screen follows it.
  function change(patch) {
    const nextSt = { ...(st || parseUrl(new URLSearchParams()).st), ...patch };
    if (!('pour' in patch) && !('newOn' in patch)) { nextSt.pour = null; nextSt.newOn = null; }
    if ('newOn' in patch) nextSt.pour = null;
    history.pushState({ week: true, dialog: !!(nextSt.pour || nextSt.newOn) }, '', urlOf(nextSt));
    apply(nextSt);
  }

  function apply(nextSt) {
    const before = st;
    st = nextSt;
    clear(status);
    canceledToggle.checked = st.showCanceled;
    tradeSel.value = st.trade;
    if (data) regionSel.value = st.region;
    if (!before || !data || before.monday !== st.monday || before.region !== st.region) load();
    else draw();
    syncDialog();
  }

  ctx.onUrl(params => {
    const { st: s, bad } = parseUrl(params);
    if (bad.length) return refuse(bad);
    apply(s);
  });

  // An address that names no state of this screen: say so, and show nothing in its place.
  function refuse(bad) {
    st = null;
    data = null;
    closeDialog();
    title.textContent = 'No such week';
    sub.textContent = '';
    clear(summary);
    clear(strip);
    clear(grid);
    clear(status, h('div', { class: 'error-box', role: 'alert', id: 'week-url-error' }, icon('alert'),
      h('div', null, h('p', { text: `This address does not name a week to show: ${bad.join('; ')}.` }),
        h('a', { href: '/week', class: 'btn btn-secondary' }, 'Go to this week'))));
    for (const b of [prev, next, thisWeek, exportBtn, printBtn, newBtn]) if (b) b.disabled = true;
  }

  async function load() {
    const seq = ++loadSeq;
    const monday = st.monday, region = st.region;
    for (const b of [prev, next, thisWeek, exportBtn, printBtn, newBtn]) if (b) b.disabled = false;
    title.textContent = weekLabel(monday);
    sub.textContent = `Week of ${dateLong(monday)} · ${getZone()}`;
    jump.value = '';
    // another week never shows under the old week's cards, not even while it loads
    if (!data || data.monday !== monday) { data = null; clear(strip); clear(grid, loading('Loading the week…')); }
    else grid.classList.add('is-loading');
    const params = { from: monday, to: addDays(monday, 6) };
    if (region) params.region_id = region;
    try {
      const [pours, manpower, assignments, projects, customers, crews, regions, employees] = await Promise.all([
        listAll('/pours', params),
        api('GET', '/manpower?' + new URLSearchParams(params)),
        listAll('/assignments', { from: monday, to: addDays(monday, 6) }),
        lookup('/projects'), lookup('/customers'), lookup('/crews'), lookup('/regions'), lookup('/employees'),
      ]);
      if (seq !== loadSeq || !ctx.isCurrent()) return;
      // a project or crew made in another tab since the lookups were fetched: fetch them again
      const knownP = new Set(projects.map(p => p.id)), knownC = new Set(crews.map(c => c.id)), knownE = new Set(employees.map(e => e.id));
      if (!retried && (pours.some(p => !knownP.has(p.project_id) || (p.crew_id && !knownC.has(p.crew_id))) || assignments.some(a => !knownE.has(a.employee_id)))) {
        retried = true;
        invalidate('/projects', '/customers', '/crews', '/employees');
        return load();
      }
      retried = false;
      if (region && !regions.some(r => r.id === region)) {
        return refuse([`no region of this workspace has the id ${region}`]);
      }
      data = {
        monday, region, pours, manpower: manpower.data || [], assignments,
        projects: new Map(projects.map(p => [p.id, p])), customers: new Map(customers.map(c => [c.id, c])),
        crews: new Map(crews.map(c => [c.id, c])), regions: [...regions].sort(byName),
        employees: new Map(employees.map(e => [e.id, e])),
      };
      fillRegions();
      draw();
      syncDialog();
    } catch (e) {
      if (seq !== loadSeq) return;
      if (!data) { clear(strip); clear(grid, errorBox(e, load)); } else clear(status, errorBox(e, load));
    } finally {
      if (seq === loadSeq) grid.classList.remove('is-loading');
    }
  }

  function fillRegions() {
    clear(regionSel, h('option', { value: '', text: 'All regions' }), data.regions.map(r => h('option', { value: r.id, text: r.name })));
    regionSel.value = st.region;
    regionSel.parentElement.hidden = data.regions.length === 0;
  }

  const peopleOn = pourId => data.assignments.filter(a => a.pour_id === pourId).map(a => data.employees.get(a.employee_id)).filter(Boolean);
  const projectName = p => (data.projects.get(p.project_id) || { name: 'Unknown project' }).name;

  function draw() {
    if (!data) return;
    // the focus stays on the card it was on, through the redraw
    const act = document.activeElement;
    const item = act && grid.contains(act) && act.closest('.pour-item');
    const had = item ? { id: item.dataset.id, move: act.classList.contains('pour-move') } : null;
    const view = viewOf();
    for (const b of viewBtns) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    tradeSel.parentElement.hidden = view !== 'people';
    const visible = data.pours.filter(p => st.showCanceled || p.status !== 'canceled');
    const live = data.pours.filter(p => p.status !== 'canceled');
    const volume = live.reduce((a, p) => a + (parseFloat(p.volume_cy) || 0), 0);
    clear(summary,
      h('span', null, h('b', { text: String(live.length) }), live.length === 1 ? ' pour' : ' pours'),
      h('span', null, h('b', { text: volume.toLocaleString(undefined, { maximumFractionDigits: 1 }) }), ' cy'),
      h('span', null, h('b', { text: String(live.filter(p => p.pump).length) }), ' with pump'),
      h('span', null, h('b', { text: String(live.filter(p => p.status === 'tentative').length) }), ' tentative'));
    const regionName = st.region ? (data.regions.find(r => r.id === st.region) || {}).name : null;
    printHead.textContent = `${view === 'day' ? dateLong(dayOf()) : weekLabel(st.monday)}${regionName ? ' · ' + regionName : ''} · printed ${new Date().toLocaleString()}`;
    grid.className = 'week-grid view-' + view;
    clear(strip);
    if (view === 'day') drawStrip(visible);
    if (view === 'week' || view === 'day') drawDays(visible, view === 'day' ? [dayOf()] : null);
    else if (view === 'crews') drawLanes(visible);
    else drawPeople();
    const dialogOpen = !!document.querySelector('dialog[open]');
    const want = had || (refocus && !dialogOpen && (document.activeElement === document.body || !document.activeElement) ? { id: refocus } : null);
    if (want) {
      const el = grid.querySelector(`.pour-item[data-id="${CSS.escape(want.id)}"] ${want.move ? '.pour-move' : '.pour'}`);
      if (el) el.focus({ preventScroll: true });
    }
    if (!dialogOpen) refocus = null;
  }

  function drawStrip(visible) {
    const t = today(), sel = dayOf();
    for (let i = 0; i < 7; i++) {
      const date = addDays(st.monday, i);
      const n = visible.filter(p => p.scheduled_date === date && p.status !== 'canceled').length;
      const b = h('button', { type: 'button', class: ['strip-day', date === t && 'today'], 'aria-current': date === sel ? 'date' : null, dataset: { date } },
        h('span', { class: 'strip-name', text: dayLabel(date, { weekday: 'short' }) }),
        h('span', { class: 'strip-date', text: dayLabel(date, { day: 'numeric' }) }),
        h('span', { class: 'strip-count', text: n ? `${n} ${n === 1 ? 'pour' : 'pours'}` : 'none' }));
      b.addEventListener('click', () => change({ day: date, view: st.view || (phone.matches ? null : 'day') }));
      strip.append(b);
    }
  }

  function drawDays(visible, only) {
    const t = today();
    const days = [];
    for (let i = 0; i < 7; i++) {
      const date = addDays(st.monday, i);
      if (only && !only.includes(date)) continue;
      const pours = visible.filter(p => p.scheduled_date === date)
        .sort((a, b) => (a.start_time || '99').localeCompare(b.start_time || '99'));
      const rows = data.manpower.filter(m => m.date === date);
      const dayVol = pours.filter(p => p.status !== 'canceled').reduce((a, p) => a + (parseFloat(p.volume_cy) || 0), 0);
      const addBtn = canEdit ? h('button', { type: 'button', class: 'btn btn-small day-add', 'aria-label': `Add pour on ${dateLong(date)}` }, icon('plus'), h('span', { text: 'Add pour' })) : null;
      if (addBtn) addBtn.addEventListener('click', () => change({ newOn: date }));
      const sec = h('section', {
        class: ['day', date === t && 'today', i >= 5 && 'weekend'], 'aria-label': dateLong(date), dataset: { date },
      },
      h('header', { class: 'day-head' },
        h('span', { class: 'day-name', text: dayLabel(date, { weekday: 'short' }) }),
        h('span', { class: 'day-date', text: dayLabel(date, { month: 'short', day: 'numeric' }) }),
        h('span', { class: 'print-only day-long', text: dateLong(date) }),
        dayVol ? h('span', { class: 'day-total', text: `${dayVol.toLocaleString(undefined, { maximumFractionDigits: 1 })} cy` }) : null),
      manpowerLine(date, rows),
      h('div', { class: 'pours' }, pours.map(pourCard), pours.length ? null : h('p', { class: 'print-only muted', text: 'No pours.' })),
      addBtn);
      dropTarget(sec, { date });
      days.push(sec);
    }
    clear(grid, days);
  }

  // Crews × days: a lane per crew (and one for pours with no crew yet).
  function drawLanes(visible) {
    const crews = [...data.crews.values()].filter(c => !st.region || c.region_id === st.region || visible.some(p => p.crew_id === c.id)).sort(byName);
    const lanes = [...crews.map(c => [c.id, c.name]), ['', 'No crew']];
    const table = h('div', { class: 'lanes', role: 'table', 'aria-label': 'Pours by crew and day' });
    table.append(h('div', { class: 'lane lane-head', role: 'row' }, h('div', { class: 'lane-name', role: 'columnheader', text: 'Crew' }),
      [0, 1, 2, 3, 4, 5, 6].map(i => h('div', { class: 'lane-day', role: 'columnheader', text: dayLabel(addDays(st.monday, i), { weekday: 'short', day: 'numeric' }) }))));
    for (const [id, name] of lanes) {
      const row = h('div', { class: 'lane', role: 'row', dataset: { crew: id } }, h('div', { class: 'lane-name', role: 'rowheader', text: name }));
      for (let i = 0; i < 7; i++) {
        const date = addDays(st.monday, i);
        const pours = visible.filter(p => p.scheduled_date === date && (p.crew_id || '') === id)
          .sort((a, b) => (a.start_time || '99').localeCompare(b.start_time || '99'));
        const cell = h('div', { class: 'lane-cell', role: 'cell', 'aria-label': `${name}, ${dateLong(date)}`, dataset: { date, crew: id } },
          h('div', { class: 'pours' }, pours.map(pourCard)));
        dropTarget(cell, { date, crew: id });
        row.append(cell);
      }
      table.append(row);
    }
    clear(grid, h('div', { class: 'lanes-wrap' }, table));
  }

  // People × days: what each person is on, or free; a free cell assigns in one pick.
  function drawPeople() {
    const people = [...data.employees.values()].filter(e => e.active !== false && (!st.region || e.region_id === st.region) && (!st.trade || e.trade === st.trade)).sort(byName);
    const pours = new Map(data.pours.map(p => [p.id, p]));
    const dates = [0, 1, 2, 3, 4, 5, 6].map(i => addDays(st.monday, i));
    const t = today();
    const table = h('table', { class: 'table people-grid', id: 'people-grid' },
      h('caption', { class: 'sr-only', text: `Who is free in the week of ${dateLong(st.monday)}` }),
      h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Person' }),
        dates.map(d => h('th', { scope: 'col', class: d === t ? 'today' : null, text: dayLabel(d, { weekday: 'short', day: 'numeric' }) })))),
      h('tbody', null, people.map(e => h('tr', { dataset: { employee: e.id } },
        h('th', { scope: 'row' }, h('span', { class: 'person-name', text: e.name }), h('span', { class: 'muted small', text: tradeLabel(e.trade) })),
        dates.map(d => {
          const a = data.assignments.find(x => x.employee_id === e.id && x.date === d);
          if (a) {
            const p = a.pour_id && pours.get(a.pour_id);
            const label = p ? `${projectName(p)}${p.start_time ? ' ' + p.start_time : ''}` : 'Assigned (no pour)';
            const open = p ? h('button', { type: 'button', class: 'cell-busy', dataset: { pour: p.id } }, label) : h('span', { class: 'cell-busy', text: label });
            if (p) open.addEventListener('click', () => { refocus = null; change({ pour: p.id }); });
            return h('td', { class: 'busy', dataset: { date: d, state: 'busy' } }, open);
          }
          const free = canEdit
            ? h('button', { type: 'button', class: 'cell-free', 'aria-label': `Free: assign ${e.name} on ${dateLong(d)}` }, 'Free')
            : h('span', { class: 'cell-free', text: 'Free' });
          if (canEdit) free.addEventListener('click', () => assignFromGrid(e, d, free));
          return h('td', { class: 'free', dataset: { date: d, state: 'free' } }, free);
        })))));
    clear(grid, people.length ? h('div', { class: 'table-wrap' }, table)
      : h('div', { class: 'empty' }, h('p', { text: st.trade || st.region ? 'Nobody matches these filters.' : 'No active employees yet.' })));
  }

  function assignFromGrid(e, date, cell) {
    const pours = data.pours.filter(p => p.scheduled_date === date && p.status !== 'canceled')
      .sort((a, b) => (a.start_time || '99').localeCompare(b.start_time || '99'));
    const alert = h('div', { class: 'form-alert', role: 'alert', hidden: true });
    const d = dialog({ title: `Assign ${e.name} · ${dateLong(date)}`, body: [] });
    const choices = pours.map(p => {
      const n = peopleOn(p.id).length;
      const b = button(`${projectName(p)}${p.start_time ? ' · ' + p.start_time : ''} · ${n}${p.crew_size_needed ? ' of ' + p.crew_size_needed : ''} assigned`, { variant: 'secondary', class: 'pick-pour', dataset: { pour: p.id } });
      b.addEventListener('click', () => busy(b, async () => {
        try {
          await api('POST', '/assignments', { employee_id: e.id, pour_id: p.id });
          toast(`${e.name} assigned to ${projectName(p)} on ${dateLong(date)}.`);
          d.close();
          load();
        } catch (err) {
          alert.hidden = false;
          clear(alert, icon('alert'), h('span', { text: err instanceof ApiError && err.code === 'double_booked' ? `${e.name} is already assigned on ${dateLong(date)}.` : (err.friendly || String(err)) }));
        }
      }));
      return b;
    });
    d.setBody(alert, pours.length
      ? [h('p', { class: 'muted', text: 'Pick the pour:' }), h('div', { class: 'pick-list' }, choices)]
      : h('p', { text: `No pours on ${dateLong(date)}${st.region ? ' in this region' : ''}.` }),
    h('div', { class: 'form-actions' }, button('Close', { variant: 'ghost', onclick: () => d.close() })));
    (choices[0] || d.querySelector('.form-actions button')).focus();
    void cell;
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

  const movable = p => canEdit && p.status !== 'canceled' && p.status !== 'completed';

  function pourCard(p) {
    const project = data.projects.get(p.project_id);
    const customer = project && data.customers.get(project.customer_id);
    const crew = p.crew_id && data.crews.get(p.crew_id);
    const name = project ? project.name : 'Unknown project';
    const vol = `${Number(p.volume_cy).toLocaleString(undefined, { maximumFractionDigits: 2 })} cy`;
    const people = peopleOn(p.id);
    // the same crew on another pour that day: the scheduler must see it
    const clash = p.status !== 'canceled' && (p.conflicts || []).length
      ? `${crew ? crew.name : 'The crew'} has ${p.conflicts.length} other pour${p.conflicts.length === 1 ? '' : 's'} this day` : null;
    const card = h('button', { type: 'button', class: ['pour', 'st-' + p.status], dataset: { id: p.id, status: p.status } },
      h('div', { class: 'pour-top' },
        h('span', { class: 'pour-time' }, icon('clock'), ' ', p.start_time || '—'),
        pill(statusLabel(p.status), p.status)),
      h('div', { class: 'pour-project', text: name }),
      customer ? h('div', { class: 'pour-customer', text: customer.name }) : null,
      h('div', { class: 'pour-facts' },
        h('span', { class: 'nowrap', text: vol }),
        h('span', { text: p.mix }),
        p.pump ? h('span', { class: 'pour-pump nowrap' }, icon('pump'), ' Pump') : null),
      h('div', { class: 'pour-crew' }, icon('crew'),
        h('span', { class: 'nowrap', text: crew ? crew.name : 'No crew' }),
        p.crew_size_needed || people.length ? h('span', { class: 'muted nowrap', text: ` · ${people.length}${p.crew_size_needed ? ' of ' + p.crew_size_needed : ''}`, title: `${people.length} assigned${p.crew_size_needed ? ` of ${p.crew_size_needed} needed` : ''}` }) : null),
      people.length ? h('div', { class: 'pour-people print-only', text: people.map(e => e.name).sort().join(', ') }) : null,
      p.notes ? h('div', { class: 'pour-notes print-only', text: p.notes }) : null,
      p.status === 'canceled' && p.cancel_reason ? h('div', { class: 'pour-notes print-only', text: 'Canceled: ' + p.cancel_reason }) : null,
      clash ? h('div', { class: 'pour-conflict', title: clash }, icon('alert'), h('span', { text: `Crew on ${p.conflicts.length + 1} pours` })) : null);
    card.addEventListener('click', () => { refocus = p.id; change({ pour: p.id }); });
    const item = h('div', { class: 'pour-item', dataset: { id: p.id } }, card);
    if (movable(p)) {
      item.draggable = true;
      item.addEventListener('dragstart', ev => {
        dragging = p;
        ev.dataTransfer.effectAllowed = 'move';
        ev.dataTransfer.setData('text/plain', p.id);
        item.classList.add('is-dragging');
      });
      item.addEventListener('dragend', () => {
        dragging = null;
        item.classList.remove('is-dragging');
        for (const el of grid.querySelectorAll('.drop-ok')) el.classList.remove('drop-ok');
      });
      const mv = h('button', { type: 'button', class: 'pour-move', 'aria-label': `Move ${name}${p.start_time ? ' at ' + p.start_time : ''} to another day or crew`, title: 'Move to…' }, icon('move'));
      mv.addEventListener('click', () => moveDialog(p, mv));
      item.append(mv);
    }
    return item;
  }

  function dropTarget(el, to) {
    el.addEventListener('dragover', ev => {
      if (!dragging) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'move';
      el.classList.add('drop-ok');
    });
    el.addEventListener('dragleave', ev => { if (!el.contains(ev.relatedTarget)) el.classList.remove('drop-ok'); });
    el.addEventListener('drop', ev => {
      ev.preventDefault();
      el.classList.remove('drop-ok');
      const p = dragging;
      dragging = null;
      if (!p) return;
      const item = grid.querySelector(`.pour-item[data-id="${CSS.escape(p.id)}"]`);
      const dest = el.querySelector('.pours');
      if (item && dest && item.parentElement !== dest) dest.append(item);   // shown there while it saves
      move(p, to).catch(() => {});
    });
  }

  // Moves a pour to another day and/or crew under the API's rules. Refused, the card goes
  // back where it was and the screen says why (who is booked, and where).
  async function move(p, to) {
    const body = {};
    if (to.date && to.date !== p.scheduled_date) body.scheduled_date = to.date;
    if (to.crew !== undefined && to.crew !== (p.crew_id || '')) body.crew_id = to.crew || null;
    if (!Object.keys(body).length) { draw(); return; }
    clear(status);
    try {
      const saved = await api('PATCH', `/pours/${p.id}`, body);
      const crew = saved.crew_id && data.crews.get(saved.crew_id);
      const n = peopleOn(p.id).length;
      const where = [body.scheduled_date ? dateLong(saved.scheduled_date) : null, 'crew_id' in body ? (crew ? crew.name : 'no crew') : null].filter(Boolean).join(', ');
      toast(`${projectName(p)} moved to ${where}${body.scheduled_date && n ? `; ${n === 1 ? 'its 1 person' : `its ${n} people`} moved with it` : ''}.`);
      refocus = null;
      await load();
    } catch (e) {
      draw();
      const msg = await refusal(e, p, body.scheduled_date);
      clear(status, h('div', { class: 'error-box', role: 'alert', id: 'move-error' }, icon('alert'), h('div', null, h('p', { text: msg }))));
      throw new ApiError(e.status || 0, { code: e.code, detail: msg, errors: [{ field: 'scheduled_date', code: e.code || 'invalid', message: msg }] });
    }
  }

  async function refusal(e, p, day) {
    if (!(e instanceof ApiError)) return String(e && e.message || e);
    if (e.code === 'double_booked' && day) {
      let asg = data.assignments, pours = data.pours;
      if (mondayOf(day) !== data.monday) {
        try { [asg, pours] = await Promise.all([listAll('/assignments', { from: day, to: day }), listAll('/pours', { from: day, to: day })]); } catch { /* names without where */ }
      }
      const names = e.fieldErrors.filter(x => x.employee_id).map(x => {
        const emp = data.employees.get(x.employee_id);
        const a = asg.find(y => y.employee_id === x.employee_id && y.date === day);
        const po = a && a.pour_id && pours.find(y => y.id === a.pour_id);
        return `${emp ? emp.name : 'Someone'}${po ? ` (${projectName(po)}${po.start_time ? ' ' + po.start_time : ''})` : ''}`;
      });
      return `Not moved: ${names.join(', ') || 'someone on it'} ${names.length === 1 ? 'is' : 'are'} already assigned on ${dateLong(day)}. ` +
        'Take them off this pour or off the other one first; nothing was changed.';
    }
    return `Not moved: ${e.friendly}`;
  }

  // The keyboard and touch way to do what a drag does.
  function moveDialog(p, opener) {
    const crews = [...data.crews.values()].sort(byName);
    const d = dialog({ title: `Move ${projectName(p)}`, body: [] });
    const f = form({
      submit: 'Move pour',
      fields: [
        field({ name: 'date', label: 'Day', type: 'date', required: true, value: p.scheduled_date }),
        field({ name: 'crew', label: 'Crew', type: 'select', empty: 'No crew', options: crews.map(c => [c.id, c.name]), value: p.crew_id || '' }),
      ],
      secondary: [button('Close', { variant: 'ghost', onclick: () => d.requestClose() })],
      onSubmit: async v => {
        if (!isDate(v.date)) throw new ApiError(400, { errors: [{ field: 'date', code: 'invalid', message: 'Pick a day.' }] });
        try {
          await move(p, { date: v.date, crew: v.crew });
        } catch (e) {
          throw new ApiError(409, { code: 'move_refused', detail: e.message, errors: [] });
        }
        f.classList.remove('dirty');
        d.close();
        if (mondayOf(v.date) !== st.monday) change({ monday: mondayOf(v.date), day: st.day ? v.date : null });
      },
    });
    d.setBody(h('p', { class: 'muted', text: `Now ${dateLong(p.scheduled_date)}${p.start_time ? ' at ' + p.start_time : ''}. Its people move with it.` }), f);
    f.elements.date.focus();
    void opener;
  }

  // The pour dialog follows the address: ?pour=<id> or ?new=<date>.
  function dialogKey() { return st && (st.pour ? 'pour:' + st.pour : st.newOn ? 'new:' + st.newOn : null); }

  function closeDialog() {
    if (openDlg) { const d = openDlg.d; openDlg = null; if (d.open) d.close(); }
  }

  async function syncDialog() {
    const key = dialogKey();
    if (openDlg && openDlg.key === key) return;
    closeDialog();
    if (!key || !data || data.monday !== st.monday) return;
    let pour = null;
    if (st.pour) {
      pour = data.pours.find(p => p.id === st.pour);
      if (!pour) {
        try { pour = await api('GET', `/pours/${st.pour}`); } catch (e) {
          clear(status, h('div', { class: 'error-box', role: 'alert', id: 'week-url-error' }, icon('alert'),
            h('div', null, h('p', { text: e instanceof ApiError && e.status === 404 ? 'The pour this address names is not in this workspace (it may have been deleted).' : e.friendly || String(e) }))));
          return;
        }
        if (dialogKey() !== key) return;
      }
    }
    const entry = { key, d: null };
    openDlg = entry;
    const d = await openPourDialog({
      pour, date: st.newOn, canEdit,
      onChange: () => load(),
      onClosed: () => {
        if (openDlg === entry) openDlg = null;
        // the focus goes back to the pour's card (drawn again meanwhile, perhaps)
        if (pour && !document.querySelector('dialog[open]')) {
          const card = grid.querySelector(`.pour[data-id="${CSS.escape(pour.id)}"]`);
          if (card) card.focus({ preventScroll: true });
          refocus = pour.id;
        }
        // closed on screen (not by Back): leave the dialog's history entry
        if (dialogKey() === key) {
          st = { ...st, pour: null, newOn: null };
          if (history.state && history.state.dialog) history.back();
          else history.replaceState({ week: true }, '', urlOf(st));
        }
      },
    });
    entry.d = d;
    if (openDlg !== entry && d && d.open) d.close();
  }

  const first = parseUrl(ctx.params);
  if (first.bad.length) refuse(first.bad);
  else {
    st = first.st;
    canceledToggle.checked = st.showCanceled;
    tradeSel.value = st.trade;
    await load();
  }
  return () => {
    document.removeEventListener('keydown', onKey);
    phone.removeEventListener('change', onMedia);
    closeDialog();
  };
}
