// The pour dialog of the week: create or edit a pour, confirm, complete, cancel (with a
// reason) or delete it, and assign people to it.
import { api, listAll, ApiError } from '../api.js';
import { h, clear, icon, button, busy, field, form, values, dialog, toast, confirmDialog, loading, errorBox, setFormAlert } from '../ui.js';
import { dateLong } from '../dates.js';
import { lookup, byName, STATUSES, statusLabel, tradeLabel } from '../store.js';

const MIXES = ['3000 psi', '3500 psi', '4000 psi', '4500 psi', '5000 psi', 'flowable fill', 'pump mix 4000 psi', 'fiber 4000 psi'];

// Resolves to the <dialog> once it is built; onClosed runs when it closes, however that is.
export async function openPourDialog({ pour, date, canEdit, onChange, onClosed }) {
  const d = dialog({ title: pour ? 'Pour' : 'New pour', body: loading(), wide: true, onClose: () => { if (changed) onChange(); if (onClosed) onClosed(); } });
  let formEl = null;        // the pour's own form: status buttons save what it holds
  let changed = false;
  let current = pour;
  let released = null;      // how many people the cancel just released
  // something was saved: the week reloads when the dialog closes (or now, if it already has)
  const markChanged = () => { changed = true; if (!d.isConnected) onChange(); };
  let lk;
  try {
    const [projects, customers, crews, employees] = await Promise.all([
      lookup('/projects'), lookup('/customers'), lookup('/crews'), lookup('/employees')]);
    lk = { projects, customers: new Map(customers.map(c => [c.id, c])), crews: [...crews].sort(byName), employees: [...employees].sort(byName) };
  } catch (e) {
    d.setBody(errorBox(e));
    return d;
  }
  build();
  return d;

  function projectOptions() {
    const groups = new Map();
    for (const p of [...lk.projects].sort(byName)) {
      const c = lk.customers.get(p.customer_id);
      const key = c ? c.name : 'Other';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push([p.id, p.name]);
    }
    return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([group, options]) => ({ group, options }));
  }

  function build() {
    const p = current || {};
    const ro = !canEdit;
    d.setTitle(current ? titleOf(current) : `New pour · ${dateLong(date)}`);
    const f = form({
      submit: current ? 'Save changes' : 'Create pour',
      cls: 'pour-form',
      fields: h('div', { class: 'form-grid' },
        field({ name: 'project_id', label: 'Project', type: 'select', required: true, empty: lk.projects.length ? 'Choose a project…' : 'No projects yet: add one under Projects', options: projectOptions(), value: p.project_id, class: 'span-2', disabled: ro }),
        field({ name: 'scheduled_date', label: 'Date', type: 'date', required: true, value: p.scheduled_date || date, disabled: ro }),
        field({ name: 'start_time', label: 'Start time', type: 'time', value: p.start_time || '', disabled: ro }),
        field({ name: 'volume_cy', label: 'Volume (cubic yards)', required: true, value: p.volume_cy || '', inputmode: 'decimal', placeholder: 'e.g. 42.5', disabled: ro }),
        field({ name: 'mix', label: 'Mix', required: true, value: p.mix || '', list: 'mixes', placeholder: 'e.g. 4000 psi', disabled: ro }),
        field({ name: 'crew_id', label: 'Crew', type: 'select', empty: 'No crew yet', options: lk.crews.map(c => [c.id, c.name]), value: p.crew_id || '', disabled: ro }),
        field({ name: 'crew_size_needed', label: 'People needed', type: 'number', min: 0, step: 1, value: p.crew_size_needed ?? '', inputmode: 'numeric', disabled: ro }),
        field({ name: 'status', label: 'Status', type: 'select', options: current ? STATUSES.filter(s => s[0] !== 'canceled' || p.status === 'canceled') : STATUSES.slice(0, 2), value: p.status || 'tentative', disabled: ro || p.status === 'canceled' }),
        field({ name: 'pump', label: 'Pump truck needed', type: 'checkbox', value: !!p.pump, disabled: ro, class: 'field-pump' }),
        field({ name: 'notes', label: 'Notes', type: 'textarea', value: p.notes || '', class: 'span-2', rows: 2, disabled: ro }),
        h('datalist', { id: 'mixes' }, MIXES.map(m => h('option', { value: m })))),
      secondary: [button('Close', { variant: 'ghost', onclick: () => d.requestClose() })],
      onSubmit: async v => {
        const body = bodyOf(v, current);
        if (current && !Object.keys(body).length) { d.close(); return; }
        let saved;
        try {
          saved = current
            ? await api('PATCH', `/pours/${current.id}`, body)
            : await api('POST', '/pours', body);
        } catch (e) {
          throw e instanceof ApiError && e.code === 'double_booked' ? await bookedElsewhere(e, body.scheduled_date) : e;
        }
        markChanged();
        if (current && saved.scheduled_date !== current.scheduled_date) {
          // moved: its people moved with it; stay open on the new day to show them
          current = saved;
          released = saved.released ?? null;
          build();
          toast(`Pour moved to ${dateLong(saved.scheduled_date)}; its people moved with it.`);
          return;
        }
        if (current && saved.status === 'canceled' && current.status !== 'canceled') {
          current = saved;
          released = saved.released ?? 0;
          build();
          toast(releasedText(released));
          return;
        }
        toast(current ? 'Pour saved.' : `Pour created for ${dateLong(saved.scheduled_date)}.`);
        d.close();
      },
    });
    if (!canEdit) f.submitButton.hidden = true;
    formEl = f;
    // the crew chosen fills in how many people are needed, when that was still empty
    f.elements.crew_id.addEventListener('change', () => {
      const crew = lk.crews.find(c => c.id === f.elements.crew_id.value);
      if (crew && !f.elements.crew_size_needed.value) f.elements.crew_size_needed.value = String((crew.member_ids || []).length || '');
    });

    const parts = [];
    if (current && (current.conflicts || []).length && current.status !== 'canceled') parts.push(conflictWarning(current));
    parts.push(f);
    if (current) parts.push(statusSection(), peopleSection());
    d.setBody(...parts);
    if (!current) f.elements.project_id.focus();
  }

  // The move was refused: the same error, its message naming who is booked where.
  async function bookedElsewhere(e, day) {
    const where = await whereOn(day).catch(() => new Map());
    const names = e.fieldErrors.filter(x => x.employee_id).map(x => {
      const name = (lk.employees.find(m => m.id === x.employee_id) || { name: 'Someone' }).name;
      const at = where.get(x.employee_id);
      return at ? `${name} (${at})` : name;
    });
    const msg = `Not moved: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} already assigned on ${dateLong(day)}. ` +
      'Take them off this pour or off the other one first; nothing was changed.';
    return new ApiError(409, { code: 'double_booked', detail: msg, errors: [{ field: 'scheduled_date', code: 'double_booked', message: msg }] });
  }

  // Where each person is on a day: employee id -> "Project name 7:00" or "assigned, no pour".
  async function whereOn(day) {
    const [asg, pours] = await Promise.all([listAll('/assignments', { from: day, to: day }), listAll('/pours', { from: day, to: day })]);
    const byId = new Map(pours.map(x => [x.id, x]));
    const out = new Map();
    for (const a of asg) {
      const po = a.pour_id && byId.get(a.pour_id);
      const proj = po && lk.projects.find(x => x.id === po.project_id);
      out.set(a.employee_id, po ? `${proj ? proj.name : 'another pour'}${po.start_time ? ' ' + po.start_time : ''}` : 'assigned, no pour');
      if (po && po.id === (current && current.id)) out.set(a.employee_id, 'this pour');
    }
    return out;
  }

  function conflictWarning(p) {
    const crew = lk.crews.find(c => c.id === p.crew_id);
    const n = p.conflicts.length;
    const box = h('div', { class: 'conflict-warn', role: 'status', id: 'pour-conflicts' }, icon('alert'),
      h('span', { text: `${crew ? crew.name : 'This crew'} has ${n} other pour${n === 1 ? '' : 's'} on ${dateLong(p.scheduled_date)}.` }));
    listAll('/pours', { from: p.scheduled_date, to: p.scheduled_date }).then(list => {
      const others = list.filter(x => p.conflicts.includes(x.id)).map(x => {
        const proj = lk.projects.find(y => y.id === x.project_id);
        return `${proj ? proj.name : 'a pour'}${x.start_time ? ' at ' + x.start_time : ''}`;
      });
      if (others.length) box.append(h('span', { text: ' Also: ' + others.join(', ') + '.' }));
    }).catch(() => {});
    return box;
  }

  function titleOf(p) {
    const proj = lk.projects.find(x => x.id === p.project_id);
    return `${proj ? proj.name : 'Pour'} · ${dateLong(p.scheduled_date)}`;
  }

  // Status changes and the rest of a pour's life.
  function statusSection() {
    const p = current;
    const box = h('section', { class: 'dialog-section', 'aria-label': 'Status' });
    const alertHost = h('div', { class: 'form-alert', role: 'alert', hidden: true });
    const wrap = h('div', { class: 'form' }, alertHost);
    const row = h('div', { class: 'status-actions' });
    const fail = e => { wrap.querySelector('.form-alert').hidden = false; setFormAlert(wrap, e instanceof ApiError ? e.friendly : String(e)); };
    const setStatus = (status, label, variant) => {
      const b = button(label, { variant, class: 'btn-small' }, status === 'confirmed' ? 'check' : null);
      b.addEventListener('click', () => busy(b, async () => {
        // edits typed in the form above and not saved yet go with the new status, not lost
        const pending = formEl && formEl.classList.contains('dirty') ? bodyOf(values(formEl), current) : {};
        delete pending.status;
        const body = { ...pending, status };
        try {
          try {
            current = await api('PATCH', `/pours/${p.id}`, body);
          } catch (e) {
            throw e instanceof ApiError && e.code === 'double_booked' && body.scheduled_date ? await bookedElsewhere(e, body.scheduled_date) : e;
          }
          markChanged();
          const more = Object.keys(pending).length;
          toast(`Pour ${statusLabel(status).toLowerCase()}${more ? '; your changes were saved with it' : ''}.`);
          build();
        } catch (e) { fail(e); }
      }));
      return b;
    };
    if (canEdit && p.status === 'tentative') row.append(setStatus('confirmed', 'Confirm pour', 'ok'));
    if (canEdit && p.status === 'confirmed') row.append(setStatus('completed', 'Mark completed', 'secondary'), setStatus('tentative', 'Back to tentative', 'ghost'));
    if (canEdit && p.status !== 'canceled') {
      const notify = button('Notify crew', { variant: 'secondary', class: 'btn-small', title: 'Email the crew members the pour details' });
      notify.addEventListener('click', () => busy(notify, async () => {
        try {
          const r = await api('POST', `/pours/${p.id}/notify`);
          const n = r && Number.isInteger(r.recipients) ? r.recipients : 0;
          const crew = lk.crews.find(c => c.id === p.crew_id);
          const members = crew ? (crew.member_ids || []).map(id => lk.employees.find(e => e.id === id)).filter(Boolean) : [];
          const noAddress = members.filter(e => !e.email).map(e => e.name);
          const missing = noAddress.length ? ` No email address: ${noAddress.join(', ')}.` : '';
          if (n === 0) {
            const why = !crew ? 'the pour has no crew.' : !members.length ? `${crew.name} has no members.` : `nobody in ${crew.name} has an email address.`;
            toast(`Nobody was emailed: ${why}${noAddress.length && members.length ? ' No email address: ' + noAddress.join(', ') + '.' : ''}`, 'error');
          } else toast(`Emailed ${n === 1 ? '1 crew member' : `${n} crew members`} the details.${missing}`);
        } catch (e) { fail(e); }
      }));
      row.append(notify);
    }
    const weather = button('Forecast', { variant: 'ghost', class: 'btn-small' });
    const weatherOut = h('p', { class: 'muted small', 'aria-live': 'polite' });
    weather.addEventListener('click', () => busy(weather, async () => {
      try {
        const w = await api('GET', `/pours/${p.id}/weather`);
        weatherOut.textContent = describeWeather(w);
      } catch (e) {
        weatherOut.textContent = e instanceof ApiError && e.code === 'weather_unavailable' ? 'The forecast service cannot be reached right now.' : (e.friendly || String(e));
      }
    }));
    row.append(weather);
    if (canEdit && p.status !== 'canceled') {
      const cancel = button('Cancel pour…', { variant: 'danger-quiet', class: 'btn-small' });
      row.append(cancel);
      cancel.addEventListener('click', () => {
        cancel.hidden = true;
        const f = form({
          submit: 'Cancel this pour',
          cls: 'cancel-box',
          fields: [field({ name: 'reason', label: 'Reason (shown in the audit log)', placeholder: 'e.g. rain forecast, customer postponed', maxlength: 500 })],
          secondary: [button('Keep it', { variant: 'ghost', onclick: () => { f.remove(); cancel.hidden = false; cancel.focus(); } })],
          onSubmit: async v => {
            current = await api('POST', `/pours/${p.id}/cancel`, v.reason.trim() ? { reason: v.reason.trim() } : {});
            released = current.released ?? 0;
            markChanged();
            toast(releasedText(released));
            build();
          },
        });
        f.submitButton.className = 'btn btn-danger';
        box.append(f);
        f.elements.reason.focus();
      });
    }
    if (canEdit) {
      const del = button('Delete', { variant: 'ghost', class: 'btn-small' }, 'trash');
      del.addEventListener('click', async () => {
        if (!await confirmDialog({ title: 'Delete this pour?', message: 'It disappears from the schedule. Canceling keeps a record; deleting does not.', confirm: 'Delete pour', danger: true })) return;
        try {
          await api('DELETE', `/pours/${p.id}`);
          markChanged();
          toast('Pour deleted.');
          d.close();
        } catch (e) { fail(e); }
      });
      row.append(del);
    }
    box.append(h('h3', { text: 'Status' }));
    if (p.status === 'canceled') box.append(h('p', { class: 'muted', id: 'pour-canceled' }, 'Canceled', p.cancel_reason ? `: ${p.cancel_reason}.` : '.',
      released !== null ? ` ${released === 1 ? '1 person was' : `${released} people were`} released.` : ''));
    box.append(wrap, row, weatherOut);
    return box;
  }

  // Who is on this pour: assignments for its date.
  function peopleSection() {
    const p = current;
    const box = h('section', { class: 'dialog-section', 'aria-labelledby': 'people-h' });
    const list = h('ul', { class: 'people', id: 'pour-people' });
    const head = h('h3', { id: 'people-h', text: 'People' });
    const alertHost = h('div', { class: 'form-alert', role: 'alert', hidden: true });
    const holder = h('div', { class: 'form' }, alertHost);
    box.append(head, holder, list);
    const empName = id => (lk.employees.find(e => e.id === id) || { name: 'Unknown' });
    const crew = p.crew_id && lk.crews.find(c => c.id === p.crew_id);
    let assignments = [];

    const empSel = field({ name: 'employee_id', label: 'Person', type: 'select', empty: 'Choose someone…', options: [] });
    const roleIn = field({ name: 'role', label: 'Role on the pour', placeholder: 'e.g. finisher', maxlength: 100 });
    const addForm = form({
      submit: 'Assign', cls: 'inline-form', fields: [empSel, roleIn],
      onSubmit: async v => {
        if (!v.employee_id) throw new ApiError(400, { errors: [{ field: 'employee_id', code: 'required', message: 'Choose someone.' }] });
        const body = { employee_id: v.employee_id, pour_id: p.id };
        if (v.role.trim()) body.role = v.role.trim();
        await api('POST', '/assignments', body);
        markChanged();
        addForm.reset();
        await refresh();
        toast(`${empName(v.employee_id).name} assigned.`);
      },
    });
    const crewBtn = crew ? button(`Assign all of ${crew.name}`, { variant: 'secondary', class: 'btn-small' }, 'crew') : null;
    if (crewBtn) crewBtn.addEventListener('click', () => busy(crewBtn, async () => {
      alertHost.hidden = true;
      const have = new Set(assignments.map(a => a.employee_id));
      let where;
      try { where = await whereOn(p.scheduled_date); } catch (e) { where = new Map(); }
      const todo = (crew.member_ids || []).filter(id => !have.has(id));
      const free = todo.filter(id => !where.has(id));
      const busyOnes = todo.filter(id => where.has(id)).map(id => `${empName(id).name} (${where.get(id)})`);
      const problems = [];
      let done = 0;
      for (const id of free) {
        try {
          await api('POST', '/assignments', { employee_id: id, pour_id: p.id, role: 'crew' });
          markChanged();
          done++;
        } catch (e) {
          if (e instanceof ApiError && e.code === 'double_booked') busyOnes.push(`${empName(id).name} (assigned meanwhile)`);
          else problems.push(`${empName(id).name}: ${e instanceof ApiError ? e.friendly : e}`);
        }
      }
      await refresh();
      const lines = [];
      if (done) lines.push(`${done} from ${crew.name} assigned.`);
      if (busyOnes.length) lines.push(`Busy elsewhere that day: ${busyOnes.join(', ')}.`);
      if (problems.length) lines.push(problems.join(' '));
      if (busyOnes.length || problems.length) {
        alertHost.hidden = false;
        setFormAlert(holder, lines.join(' '));
        holder.querySelector('.form-alert').id = 'crew-busy';
      } else toast(todo.length ? `${done} from ${crew.name} assigned.` : `Everyone in ${crew.name} is already on this pour.`);
    }));
    if (canEdit && p.status !== 'canceled') box.append(h('div', { class: 'toolbar' }, crewBtn), addForm);

    async function refresh() {
      try {
        assignments = await listAll('/assignments', { pour_id: p.id });
      } catch (e) {
        clear(list, h('li', null, errorBox(e, refresh)));
        return;
      }
      const need = p.crew_size_needed || 0;
      head.textContent = `People · ${assignments.length} assigned${need ? ` of ${need} needed` : ''}`;
      clear(list, assignments.length ? assignments.map(a => {
        const e = empName(a.employee_id);
        const rm = canEdit ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Remove ${e.name}` }, icon('close'), h('span', { text: 'Remove' })) : null;
        if (rm) rm.addEventListener('click', () => busy(rm, async () => {
          try {
            await api('DELETE', `/assignments/${a.id}`);
            markChanged();
            await refresh();
          } catch (err) { alertHost.hidden = false; setFormAlert(holder, err.friendly || String(err)); }
        }));
        return h('li', null, icon('user'), h('span', { class: 'grow' }, h('strong', { text: e.name }), ' ',
          h('span', { class: 'muted', text: [tradeLabel(e.trade), a.role].filter(x => x && x !== '—').join(' · ') })), rm);
      }) : h('li', { class: 'muted' }, 'Nobody is assigned yet.'));
      // everyone not on this pour, each saying whether they are free that day, and where they
      // are if not (those can't be picked: one assignment a day)
      let where = new Map();
      try { where = await whereOn(p.scheduled_date); } catch (e) { /* the picker still works, the API still refuses */ }
      const active = lk.employees.filter(e => e.active !== false && !assignments.some(a => a.employee_id === e.id));
      const inCrew = crew ? active.filter(e => (crew.member_ids || []).includes(e.id)) : [];
      const others = active.filter(e => !inCrew.includes(e));
      const opt = e => {
        const at = where.get(e.id);
        const text = `${e.name}${e.trade ? ' — ' + tradeLabel(e.trade) : ''} · ${at ? 'busy: ' + at : 'free'}`;
        return h('option', { value: e.id, text, disabled: !!at, dataset: { free: at ? 'false' : 'true' } });
      };
      const sel = empSel.querySelector('select');
      const keep = sel.value;
      clear(sel, h('option', { value: '', text: 'Choose someone…' }),
        inCrew.length ? h('optgroup', { label: crew.name }, inCrew.map(opt)) : null,
        h('optgroup', { label: inCrew.length ? 'Everyone else' : 'Everyone' }, others.map(opt)));
      sel.value = keep;
    }
    refresh();
    return box;
  }
}

function releasedText(n) {
  return n ? `Pour canceled. ${n === 1 ? '1 person was' : `${n} people were`} released.` : 'Pour canceled. Nobody was assigned to it.';
}

// Only what changed on an edit; every required field on a create. Empty optional fields are
// null (cleared) on an edit and left out on a create.
function bodyOf(v, current) {
  const num = s => (/^\s*-?\d+\s*$/.test(s) ? parseInt(s, 10) : s);
  const out = {
    project_id: v.project_id,
    scheduled_date: v.scheduled_date,
    start_time: v.start_time || null,
    volume_cy: v.volume_cy.trim().replace(',', '.'),
    mix: v.mix.trim(),
    pump: !!v.pump,
    crew_id: v.crew_id || null,
    crew_size_needed: v.crew_size_needed === '' ? null : num(v.crew_size_needed),
    status: v.status,
    notes: v.notes.trim() || null,
  };
  if (v.status === undefined) delete out.status;
  if (!current) {
    for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
    return out;
  }
  const diff = {};
  for (const [k, val] of Object.entries(out)) {
    const was = current[k] ?? null;
    if (k === 'crew_size_needed' && val === null) continue;
    if (k === 'volume_cy' && parseFloat(val) === parseFloat(was) && /^\d/.test(val)) continue;
    if (val !== was) diff[k] = val;
  }
  return diff;
}

function describeWeather(w) {
  if (!w || typeof w !== 'object') return 'No forecast.';
  const parts = [];
  const get = (...keys) => keys.map(k => w[k]).find(x => x !== undefined && x !== null);
  const summary = get('summary', 'description', 'conditions');
  const hi = get('temperature_max', 'temp_max', 'high');
  const lo = get('temperature_min', 'temp_min', 'low');
  const rain = get('precipitation_probability', 'precipitation_chance', 'rain_chance');
  if (summary) parts.push(summary);
  if (hi !== undefined) parts.push(`high ${hi}°`);
  if (lo !== undefined) parts.push(`low ${lo}°`);
  if (rain !== undefined) parts.push(`${rain}% chance of rain`);
  return parts.length ? 'Forecast: ' + parts.join(', ') + '.' : 'Forecast: ' + JSON.stringify(w);
}
