// DOM building blocks. Everything is made with createElement and textContent: no API string
// ever goes through an HTML parser, and no element gets a style attribute (the CSP forbids both
// inline script and inline style).

import { ApiError } from './api.js';

// h('button', {class: 'btn', type: 'button', onclick: fn}, 'Save', child...)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'style') throw new Error('no inline styles');
      else if (k in el && typeof v !== 'string' && k !== 'list') el[k] = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---- icons (paths drawn for this app, 24×24, stroked) ----
const ICONS = {
  pump: 'M3 17h11v-5H8l-3 3H3zM14 14h3l3-8M20 6l1.5 1.5M6 20a1.5 1.5 0 1 0 0-.01M12 20a1.5 1.5 0 1 0 0-.01',
  plus: 'M12 5v14M5 12h14',
  left: 'M15 5l-7 7 7 7',
  right: 'M9 5l7 7-7 7',
  crew: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 20c0-3.3 2.7-6 6-6s6 2.7 6 6M16 11a2.5 2.5 0 1 0 0-5M17 14c2.4.4 4 2.5 4 5',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2',
  truck: 'M3 6h11v9H3zM14 9h4l3 3v3h-7M7 18a1.5 1.5 0 1 0 0-.01M17 18a1.5 1.5 0 1 0 0-.01',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4',
  menu: 'M4 7h16M4 12h16M4 17h16',
  close: 'M6 6l12 12M18 6L6 18',
  check: 'M5 12l5 5 9-10',
  shield: 'M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z',
  alert: 'M12 3l10 18H2zM12 10v5M12 18v.01',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v4M16 3v4',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4.4 3.6-7 8-7s8 2.6 8 7',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  print: 'M7 9V3h10v6M7 17H4v-7h16v7h-3M7 14h10v7H7z',
  move: 'M12 3v18M3 12h18M12 3l-3 3M12 3l3 3M12 21l-3-3M12 21l3-3M3 12l3-3M3 12l3 3M21 12l-3-3M21 12l-3 3',
  refresh: 'M20 11a8 8 0 0 0-14.5-4.5L4 8M4 4v4h4M4 13a8 8 0 0 0 14.5 4.5L20 16M20 20v-4h-4',
};

export function icon(name, label) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon icon-' + name);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    const t = document.createElementNS(NS, 'title');
    t.textContent = label;
    svg.append(t);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', ICONS[name] || '');
  svg.append(p);
  return svg;
}

// ---- toasts (aria-live) ----
export function toast(message, kind = 'ok') {
  const host = document.getElementById('toasts');
  // an open modal dialog sits in the top layer, above any z-index: the toasts go inside the
  // topmost one (fixed to the viewport all the same), and back to the page when it closes
  const top = [...document.querySelectorAll('dialog[open]')].pop();
  if ((top || document.body) !== host.parentElement) (top || document.body).append(host);
  const t = h('div', { class: ['toast', 'toast-' + kind], role: kind === 'error' ? 'alert' : 'status' },
    kind === 'error' ? icon('alert') : icon('check'), h('span', { text: message }));
  host.append(t);
  while (host.children.length > 3) host.firstElementChild.remove();
  setTimeout(() => t.classList.add('toast-out'), kind === 'error' ? 7000 : 3500);
  setTimeout(() => t.remove(), kind === 'error' ? 7600 : 4100);
}

// ---- buttons ----
export function button(label, props = {}, iconName = null) {
  const { variant = 'secondary', class: cls, ...rest } = props;
  return h('button', { type: 'button', ...rest, class: ['btn', 'btn-' + variant, cls] },
    iconName ? icon(iconName) : null, label ? h('span', { text: label }) : null);
}

// Runs fn while the button shows it is busy; the button can't be pressed twice.
export async function busy(btn, fn) {
  if (btn.disabled) return undefined;
  btn.disabled = true;
  btn.classList.add('is-busy');
  btn.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    btn.disabled = false;
    btn.classList.remove('is-busy');
    btn.removeAttribute('aria-busy');
  }
}

// ---- forms ----
let fieldSeq = 0;

// field({name, label, type, value, required, options: [[value, label]], hint, ...inputProps})
export function field(spec) {
  const id = 'f' + (++fieldSeq) + '-' + spec.name;
  const errId = id + '-err';
  const hintId = spec.hint ? id + '-hint' : null;
  let input;
  const common = {
    id, name: spec.name, required: spec.required || false,
    'aria-describedby': [hintId, errId].filter(Boolean).join(' '),
    autocomplete: spec.autocomplete, placeholder: spec.placeholder, disabled: spec.disabled,
    readonly: spec.readonly,
  };
  if (spec.type === 'select') {
    input = h('select', common,
      spec.empty !== undefined ? h('option', { value: '', text: spec.empty }) : null,
      (spec.options || []).map(o => optionEl(o)));
    if (spec.value !== undefined && spec.value !== null) input.value = spec.value;
  } else if (spec.type === 'textarea') {
    input = h('textarea', { ...common, rows: spec.rows || 3, maxlength: spec.maxlength });
    input.value = spec.value ?? '';
  } else if (spec.type === 'checkbox') {
    input = h('input', { ...common, type: 'checkbox' });
    input.checked = !!spec.value;
    const wrap = h('div', { class: ['field', 'field-check', spec.class] },
      h('label', { for: id }, input, h('span', { text: spec.label })),
      spec.hint ? h('p', { class: 'hint', id: hintId, text: spec.hint }) : null,
      h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }));
    return wrap;
  } else {
    input = h('input', {
      ...common, type: spec.type || 'text', min: spec.min, max: spec.max, step: spec.step,
      inputmode: spec.inputmode, pattern: spec.pattern, minlength: spec.minlength, maxlength: spec.maxlength,
      list: spec.list, spellcheck: spec.spellcheck,
    });
    input.value = spec.value ?? '';
  }
  return h('div', { class: ['field', spec.class] },
    h('label', { for: id }, spec.label, spec.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
    input,
    spec.hint ? h('p', { class: 'hint', id: hintId, text: spec.hint }) : null,
    h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }));
}

function optionEl(o) {
  if (Array.isArray(o)) return h('option', { value: o[0], text: o[1] });
  if (o && o.group) return h('optgroup', { label: o.group }, o.options.map(optionEl));
  return h('option', { value: o, text: o });
}

export function setOptions(select, options, empty) {
  const keep = select.value;
  clear(select, empty !== undefined ? h('option', { value: '', text: empty }) : null, options.map(optionEl));
  select.value = keep;
}

// A <form> whose submit runs onSubmit(values, form); errors land next to their fields.
export function form({ fields = [], submit = 'Save', onSubmit, extra = [], cls, secondary = [], autocomplete }) {
  const alertBox = h('div', { class: 'form-alert', role: 'alert', hidden: true });
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, h('span', { text: submit }));
  const f = h('form', { class: ['form', cls], novalidate: true, autocomplete },
    alertBox, fields, extra,
    h('div', { class: 'form-actions' }, submitBtn, secondary));
  f.submitButton = submitBtn;
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors(f);
    if (!checkRequired(f)) return;
    await busy(submitBtn, async () => {
      try {
        await onSubmit(values(f), f);
        f.classList.remove('dirty');   // saved: nothing left to lose
      } catch (err) {
        showError(f, err);
      }
    });
  });
  return f;
}

// Browser-side check of required fields only (the API is the judge of everything else).
function checkRequired(f) {
  let first = null;
  for (const el of f.querySelectorAll('[required]')) {
    if (el.disabled) continue;
    const empty = el.type === 'checkbox' ? !el.checked : !String(el.value).trim();
    if (empty) {
      setFieldError(f, el.name, 'Required.');
      first = first || el;
    }
  }
  if (first) first.focus();
  return !first;
}

export function values(f) {
  const out = {};
  for (const el of f.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.tagName === 'SELECT' && el.multiple) out[el.name] = [...el.selectedOptions].map(o => o.value);
    else out[el.name] = el.value;
  }
  return out;
}

export function clearErrors(f) {
  for (const e of f.querySelectorAll('.field-error')) e.textContent = '';
  for (const e of f.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  const a = f.querySelector('.form-alert');
  if (a) { a.hidden = true; a.textContent = ''; }
}

export function setFieldError(f, name, message) {
  const el = f.elements.namedItem(name);
  const input = el && (el instanceof RadioNodeList ? el[0] : el);
  if (!input || !input.id) return false;
  input.setAttribute('aria-invalid', 'true');
  const err = f.querySelector('#' + CSS.escape(input.id + '-err'));
  if (err) err.textContent = message;
  return true;
}

export function setFormAlert(f, message, kind = 'error') {
  const a = f.querySelector('.form-alert');
  if (!a) return;
  a.hidden = false;
  a.className = 'form-alert form-alert-' + kind;
  clear(a, icon(kind === 'error' ? 'alert' : 'check'), h('span', { text: message }));
}

// Shows an ApiError: field errors beside their fields (first one focused), the rest on top.
// The form keeps every value the user typed.
export function showError(f, err, fieldMap = {}) {
  if (!(err instanceof ApiError)) {
    console.warn(err);
    setFormAlert(f, 'Something went wrong in the page: ' + (err && err.message));
    return;
  }
  let firstInput = null;
  const leftover = [];
  for (const fe of err.fieldErrors) {
    const name = fieldMap[fe.field] || fe.field;
    const msg = humanFieldMessage(fe);
    if (setFieldError(f, name, msg)) firstInput = firstInput || f.elements.namedItem(name);
    else leftover.push(msg);
  }
  const top = err.fieldErrors.length && !leftover.length ? null : err.friendly;
  if (top) setFormAlert(f, leftover.length ? `${top} ${leftover.join(' ')}` : top);
  if (firstInput && firstInput.focus) firstInput.focus();
  else f.querySelector('.form-alert')?.scrollIntoView?.({ block: 'nearest' });
}

const FIELD_CODES = {
  required: 'Required.',
  password_weak: 'Too common or too easy to guess.',
  password_too_short: 'Use at least 12 characters.',
  password_too_long: 'Use at most 256 characters.',
  password_reused: 'You used this password recently: pick another.',
  slug_taken: 'Taken: pick another.',
  double_booked: 'Already assigned on that date.',
};

function humanFieldMessage(fe) {
  if (FIELD_CODES[fe.code] && fe.code !== 'required') return FIELD_CODES[fe.code];
  const m = fe.message || FIELD_CODES[fe.code] || fe.code;
  // "volume_cy must be a decimal > 0" → "Must be a decimal > 0"
  const prefix = fe.field + ' ';
  const s = m.startsWith(prefix) ? m.slice(prefix.length) : m;
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

// ---- dialogs (native <dialog>: focus trap and Esc for free) ----
// Closing by Esc, the close button or the backdrop asks first when a form in the dialog holds
// edits that were not saved (d.requestClose() does the same for a dialog's own Close button);
// d.close() closes at once. Focus goes back to the control that opened the dialog.
export function dialog({ title, body, wide = false, onClose }) {
  const titleId = 'dlg-' + (++fieldSeq);
  const opener = document.activeElement;
  const closeBtn = h('button', { type: 'button', class: 'icon-btn dialog-close', 'aria-label': 'Close' }, icon('close'));
  const content = h('div', { class: 'dialog-body' }, body);
  const d = h('dialog', { class: ['dialog', wide && 'dialog-wide'], 'aria-labelledby': titleId },
    h('header', { class: 'dialog-head' }, h('h2', { id: titleId, text: title }), closeBtn),
    content);
  let asking = false;
  d.isDirty = () => !!d.querySelector('form.dirty');
  d.requestClose = async () => {
    if (asking) return false;
    if (d.isDirty()) {
      asking = true;
      const discard = await confirmDialog({
        title: 'Discard your changes?', message: 'What you typed in this dialog is not saved yet.',
        confirm: 'Discard changes', keep: 'Keep editing', danger: true,
      });
      asking = false;
      if (!discard) return false;
    }
    if (d.open) d.close();
    return true;
  };
  closeBtn.addEventListener('click', () => d.requestClose());
  d.addEventListener('cancel', ev => {
    if (!d.isDirty()) return;
    ev.preventDefault();
    d.requestClose();
  });
  d.addEventListener('close', () => {
    const host = document.getElementById('toasts');
    if (host && d.contains(host)) document.body.append(host);
    d.remove();
    const top = [...document.querySelectorAll('dialog[open]')].pop();
    if (opener && opener.isConnected && opener !== document.body && (!top || top.contains(opener))) opener.focus();
    onClose && onClose();
  });
  d.addEventListener('mousedown', ev => { if (ev.target === d) d.requestClose(); });
  d.addEventListener('input', ev => ev.target.closest('form')?.classList.add('dirty'));
  d.addEventListener('reset', ev => ev.target.classList?.remove('dirty'));
  document.body.append(d);
  d.showModal();
  const first = d.querySelector('input:not([type=hidden]):not([disabled]), select, textarea');
  if (first) first.focus();
  d.setBody = (...nodes) => clear(content, ...nodes);
  d.setTitle = t => { d.querySelector('#' + titleId).textContent = t; };
  return d;
}

// A yes/no question; resolves true when confirmed.
export function confirmDialog({ title, message, confirm = 'Confirm', keep = 'Keep it', danger = false, extra = null }) {
  return new Promise(resolve => {
    let answered = false;
    const yes = button(confirm, { variant: danger ? 'danger' : 'primary' });
    const no = button(keep, { variant: 'ghost' });
    const d = dialog({
      title,
      body: [h('p', { text: message }), extra, h('div', { class: 'form-actions' }, yes, no)],
      onClose: () => { if (!answered) resolve(false); },
    });
    yes.addEventListener('click', () => { answered = true; resolve(true); d.close(); });
    // answered at once, not when the dialog's close event comes (a task later): a key pressed
    // in between would still find the question open (requestClose's "asking")
    no.addEventListener('click', () => { answered = true; resolve(false); d.close(); });
    no.focus();
  });
}

// ---- loading and empty states ----
export function loading(label = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text: label }));
}

export function errorBox(err, retry) {
  const msg = err instanceof ApiError ? err.friendly : String(err && err.message || err);
  return h('div', { class: 'error-box', role: 'alert' },
    icon('alert'), h('div', null, h('p', { text: msg }),
      retry ? button('Try again', { variant: 'secondary', onclick: retry }, 'refresh') : null));
}

export function empty(text, action) {
  return h('div', { class: 'empty' }, h('p', { text }), action || null);
}

export function pill(text, kind) {
  return h('span', { class: ['pill', 'pill-' + kind], text });
}
