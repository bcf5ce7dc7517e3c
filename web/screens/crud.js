// A list screen for one collection of operating data: search, filters, create, edit, delete,
// with the API's validation errors beside the fields. customers.js, projects.js ... describe
// their columns and fields and hand the rest to this module.
import { api, listAll, listPage, ApiError } from '../api.js';
import { h, clear, icon, button, busy, field, form, dialog, toast, confirmDialog, loading, errorBox, empty } from '../ui.js';
import { lookup, invalidate, roleAtLeast } from '../store.js';

export function crudScreen(cfg) {
  return async function render(ctx) {
    const { main, session } = ctx;
    const canEdit = roleAtLeast(session.role, 'scheduler');
    const lk = {};
    const state = { rows: [], cursor: null, q: ctx.params.get('q') || '', filters: {} };
    let loadSeq = 0;

    const search = h('input', { type: 'search', placeholder: cfg.searchPlaceholder || `Search ${cfg.title.toLowerCase()}`, 'aria-label': `Search ${cfg.title.toLowerCase()}`, value: state.q });
    const filterHost = h('div', { class: 'toolbar' });
    const count = h('span', { class: 'count', 'aria-live': 'polite' });
    const newBtn = canEdit ? button(`New ${cfg.singular}`, { variant: 'primary' }, 'plus') : null;
    const body = h('div', { class: 'list-body' }, loading());
    const more = button('Load more', { variant: 'secondary' });
    more.hidden = true;

    clear(main, h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', { text: cfg.title }), count, newBtn),
      cfg.intro ? h('p', { class: 'muted', text: cfg.intro }) : null,
      h('div', { class: 'toolbar' }, h('div', { class: 'search' }, icon('search'), search), filterHost),
      body,
      h('div', { class: 'list-foot' }, more)));

    if (newBtn) newBtn.disabled = true;
    try {
      await Promise.all((cfg.lookups || []).map(async p => { lk[p] = await lookup(p); }));
    } catch (e) {
      clear(body, errorBox(e, () => ctx.route()));
      return;
    }
    if (!ctx.isCurrent()) return;

    for (const f of (cfg.filters ? cfg.filters(lk, ctx) : [])) {
      const id = 'flt-' + f.name;
      let input;
      if (f.type === 'date') {
        input = h('input', { type: 'date', id, name: f.name });
      } else {
        input = h('select', { id, name: f.name }, h('option', { value: '', text: f.empty || 'All' }),
          f.options.map(([v, l]) => h('option', { value: v, text: l })));
      }
      input.value = ctx.params.get(f.name) ?? f.value ?? '';
      state.filters[f.name] = input.value;
      input.addEventListener('change', () => { state.filters[f.name] = input.value; load(); });
      filterHost.append(h('div', { class: 'field' }, h('label', { for: id, text: f.label }), input));
    }

    let timer = 0;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      state.q = search.value;
      if (cfg.serverSearch) timer = setTimeout(load, 250);
      else draw();
    });
    if (newBtn) {
      newBtn.disabled = false;
      newBtn.addEventListener('click', () => openEditor(null));
    }
    more.addEventListener('click', () => busy(more, () => load(true)));

    function params() {
      const p = { ...(cfg.params ? cfg.params(state.filters) : state.filters) };
      if (cfg.serverSearch && state.q.trim()) p[cfg.serverSearch] = state.q.trim();
      return p;
    }

    async function load(append = false) {
      const seq = ++loadSeq;
      if (!append && !state.rows.length) clear(body, loading());
      try {
        if (cfg.paged) {
          const page = await listPage(cfg.path, params(), append ? state.cursor : null, 100);
          if (seq !== loadSeq) return;
          state.rows = append ? state.rows.concat(page.data) : page.data;
          state.cursor = page.next_cursor;
        } else {
          const rows = await listAll(cfg.path, params());
          if (seq !== loadSeq) return;
          state.rows = rows;
          state.cursor = null;
        }
        if (cfg.enrich) await cfg.enrich(state.rows, params(), lk);
        if (seq !== loadSeq) return;
        draw();
      } catch (e) {
        if (seq === loadSeq) clear(body, errorBox(e, () => load()));
      }
    }

    function visibleRows() {
      let rows = state.rows;
      if (cfg.sort) rows = [...rows].sort(cfg.sort);
      const q = state.q.trim().toLowerCase();
      if (!q || cfg.serverSearch) return rows;
      return rows.filter(r => cfg.columns.some(c => textOf(c.cell(r, lk)).toLowerCase().includes(q)));
    }

    function draw() {
      const rows = visibleRows();
      count.textContent = `${rows.length}${state.cursor ? '+' : ''} ${rows.length === 1 ? cfg.singular : cfg.plural || cfg.title.toLowerCase()}`;
      more.hidden = !state.cursor;
      if (!rows.length) {
        const anyFilter = state.q.trim() || Object.values(state.filters).some(Boolean);
        clear(body, empty(anyFilter ? `No ${cfg.title.toLowerCase()} match.` : cfg.emptyText || `No ${cfg.title.toLowerCase()} yet.`,
          !anyFilter && canEdit ? button(`Add the first ${cfg.singular}`, { variant: 'primary', onclick: () => openEditor(null) }, 'plus') : null));
        return;
      }
      const table = h('table', { class: 'table', id: cfg.path.slice(1) + '-table' },
        h('thead', null, h('tr', null, cfg.columns.map(c => h('th', { scope: 'col', text: c.label })), h('th', { class: 'actions' }, h('span', { class: 'sr-only', text: 'Actions' })))),
        h('tbody', null, rows.map(row => {
          const cells = cfg.columns.map((c, i) => {
            const v = c.cell(row, lk);
            if (i === 0) {
              const b = h('button', { type: 'button', class: 'row-btn', text: textOf(v) || '—' });
              b.addEventListener('click', () => openEditor(row));
              return h('td', { class: 'primary-cell', 'data-label': c.label }, b);
            }
            const none = v === null || v === undefined || v === '';
            return h('td', { 'data-label': c.label, class: none ? 'empty-cell' : null }, none ? h('span', { class: 'muted', text: '—' }) : v);
          });
          let actions = null;
          if (canEdit) {
            const del = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-label': `Delete ${textOf(cfg.columns[0].cell(row, lk))}` }, icon('trash'));
            del.addEventListener('click', () => remove(row, del));
            actions = del;
          }
          return h('tr', { dataset: { id: row.id } }, cells, h('td', { class: 'actions' }, actions));
        })));
      clear(body, h('div', { class: 'table-wrap' }, table));
    }

    async function remove(row, btn) {
      const name = textOf(cfg.columns[0].cell(row, lk));
      // a person's record (an employee, a customer) may also leave the audit history
      const erase = cfg.erasable ? field({ name: 'erase_history', label: 'Also erase their personal data from the audit history', type: 'checkbox' }) : null;
      if (!await confirmDialog({ title: `Delete ${cfg.singular}?`, message: `“${name}” will be deleted. The audit log keeps a record of it. Backups keep deleted data until they expire, at most 30 days.`, confirm: 'Delete', danger: true, extra: erase })) return;
      const erasing = !!(erase && erase.querySelector('input').checked);
      await busy(btn, async () => {
        try {
          await api('DELETE', `${cfg.path}/${row.id}${erasing ? '?erase_history=true' : ''}`);
          invalidate(cfg.path, ...(cfg.invalidates || []));
          state.rows = state.rows.filter(r => r.id !== row.id);
          draw();
          toast(`${capital(cfg.singular)} deleted.`);
        } catch (e) {
          toast(e instanceof ApiError ? `Could not delete “${name}”: ${e.friendly}` : String(e), 'error');
        }
      });
    }

    function openEditor(row) {
      if (!canEdit && !row) return;
      const d = dialog({ title: row ? `${capital(cfg.singular)}: ${textOf(cfg.columns[0].cell(row, lk))}` : `New ${cfg.singular}`, body: [], wide: cfg.wide });
      const f = form({
        submit: row ? 'Save changes' : `Create ${cfg.singular}`,
        fields: h('div', { class: 'form-grid' }, cfg.fields(row, lk, ctx)),
        secondary: [button('Close', { variant: 'ghost', onclick: () => d.requestClose() })],
        onSubmit: async v => {
          const full = cfg.toBody(v, row, f);
          let saved;
          if (row) {
            const diff = {};
            for (const [k, val] of Object.entries(full)) if (!same(val, row[k])) diff[k] = val;
            saved = Object.keys(diff).length ? await api('PATCH', `${cfg.path}/${row.id}`, diff) : row;
          } else {
            const bodyOut = {};
            for (const [k, val] of Object.entries(full)) if (val !== null && val !== undefined) bodyOut[k] = val;
            saved = await api('POST', cfg.path, bodyOut);
          }
          if (cfg.afterSave) {
            try {
              saved = (await cfg.afterSave(saved, v, f, row)) || saved;
            } catch (e) {
              // the record itself is saved: edit it from now on, and say what is left
              row = saved;
              d.setTitle(`${capital(cfg.singular)}: ${textOf(cfg.columns[0].cell(saved, lk))}`);
              f.submitButton.querySelector('span').textContent = 'Save changes';
              upsert(saved);
              throw e;
            }
          }
          invalidate(cfg.path, ...(cfg.invalidates || []));
          upsert(saved);
          toast(row ? `${capital(cfg.singular)} saved.` : `${capital(cfg.singular)} created.`);
          d.close();
        },
      });
      if (!canEdit) {
        f.submitButton.hidden = true;
        for (const el of f.elements) if (el.name) el.disabled = true;
      }
      d.setBody(f);
      const first = f.querySelector('input:not([disabled]), select:not([disabled]), textarea:not([disabled])');
      if (first) first.focus();
    }

    function upsert(saved) {
      const i = state.rows.findIndex(r => r.id === saved.id);
      if (i >= 0) state.rows[i] = saved; else state.rows.unshift(saved);
      draw();
    }

    await load();
  };
}

const capital = s => s.charAt(0).toUpperCase() + s.slice(1);

function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return (a ?? null) === (b ?? null);
}

export function textOf(v) {
  if (v === null || v === undefined) return '';
  if (v instanceof Node) return v.textContent;
  return String(v);
}

// Helpers for screens' toBody: empty → null, trimmed.
export const opt = s => (s === undefined ? undefined : (String(s).trim() || null));
export const req = s => String(s ?? '').trim();
export const nameOf = (rows, id, fallback = '—') => {
  const r = rows && rows.find(x => x.id === id);
  return r ? r.name : (id ? 'Unknown' : fallback);
};
export const options = rows => [...rows].sort((a, b) => String(a.name).localeCompare(String(b.name))).map(r => [r.id, r.name]);
export { listAll };
