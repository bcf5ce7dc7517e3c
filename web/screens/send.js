// Sending the day sheets: the "Send tomorrow's sheets" dialog of the board (a preview of each
// person's sheet, by their channel, then the send and its outcome), and the crew-link panel
// of the employee form (make, rotate, revoke, copy).
import { api } from '../api.js';
import { h, clear, button, busy, loading, errorBox, pill, toast, confirmDialog, dialog } from '../ui.js';
import { today, addDays, dateLong } from '../dates.js';

const CHANNEL = { email: 'Email', sms: 'SMS', both: 'Email and SMS' };
const REASON = {
  no_email: 'no email address', no_phone: 'no mobile number (E.164, e.g. +15551234567)',
  no_contact: 'no email address or mobile number',
};

function recipients(row) {
  if (!row.recipients.length) return h('span', { class: 'muted', text: 'Unreachable: ' + (REASON[row.unreachable] || row.unreachable) });
  return row.recipients.map(r => h('span', { class: 'nowrap' }, pill(r.channel === 'sms' ? 'SMS' : 'Email', 'active'), ' ', r.to, ' '));
}

function sheetRow(row) {
  const mail = h('details', null, h('summary', { text: 'Email: ' + row.email.subject }), h('pre', { class: 'sheet-text', text: row.email.body }));
  const sms = h('details', null, h('summary', { text: `SMS (${row.sms.text.length} characters, ${row.sms.segments} segment${row.sms.segments > 1 ? 's' : ''})` }),
    h('p', { class: 'sheet-sms', text: row.sms.text }));
  return h('li', { class: 'sheet-row', dataset: { employee: row.employee_id } },
    h('div', null, h('strong', { text: row.name }), ' ', h('span', { class: 'muted', text: '· prefers ' + (CHANNEL[row.channel] || row.channel) })),
    h('div', null, recipients(row)),
    mail, sms);
}

function outcome(res) {
  const line = (label, list, f) => (list.length ? h('p', null, h('strong', { text: `${label} (${list.length}): ` }), list.map(f).join(', ')) : null);
  return h('div', { class: 'send-outcome', role: 'status' },
    line('Queued', res.queued, q => `${q.name} (${q.channels.map(c => (c.channel === 'sms' ? 'SMS' : 'email')).join(' + ')})`),
    line('Unchanged since last sent', res.unchanged, q => q.name),
    line('Unreachable', res.unreachable, q => `${q.name}: ${REASON[q.reason] || q.reason}`),
    !res.queued.length && !res.unchanged.length && !res.unreachable.length ? h('p', { text: 'Nobody is assigned that day.' }) : null);
}

// The dialog: the preview of date's sheets (tomorrow by default), then send.
export async function openSendDialog(date = addDays(today(), 1)) {
  const d = dialog({ title: `Send the sheets for ${dateLong(date)}`, body: loading('Preparing the sheets…'), wide: true });
  let preview;
  try {
    preview = await api('GET', '/schedule/sheets?date=' + encodeURIComponent(date));
  } catch (e) {
    d.setBody(errorBox(e));
    return d;
  }
  if (!preview.data.length) {
    d.setBody(h('p', { text: 'Nobody is assigned that day.' }), h('div', { class: 'form-actions' }, button('Close', { variant: 'ghost', onclick: () => d.close() })));
    return d;
  }
  const reachable = preview.data.filter(r => r.recipients.length).length;
  const send = button(`Send to ${reachable} ${reachable === 1 ? 'person' : 'people'}`, { variant: 'primary', disabled: !reachable });
  const result = h('div');
  send.addEventListener('click', () => busy(send, async () => {
    try {
      const res = await api('POST', '/schedule/send', { date });
      clear(result, outcome(res));
      send.hidden = true;
      toast(`Sheets queued: ${res.queued.length}; unchanged: ${res.unchanged.length}.`);
    } catch (e) {
      clear(result, errorBox(e));
    }
  }));
  d.setBody(
    h('p', { class: 'muted', text: 'Each person gets their sheet by their preferred channel. Someone whose sheet has not changed since it was last sent is not sent it again.' }),
    h('ul', { class: 'sheet-list' }, preview.data.map(sheetRow)),
    result,
    h('div', { class: 'form-actions' }, send, button('Close', { variant: 'ghost', onclick: () => d.close() })));
  return d;
}

// The crew-link panel of an employee (admins): the link is shown once, when made.
export function crewLinkPanel(employee) {
  const status = h('p', { class: 'muted', text: 'Loading the crew link…' });
  const out = h('div', { class: 'crew-link-out' });
  const make = button('Create link', { variant: 'secondary', class: 'btn-small' });
  const revoke = button('Revoke', { variant: 'ghost', class: 'btn-small', hidden: true });
  const path = `/employees/${employee.id}/crew-link`;

  function show(link) {
    const active = link && link.active;
    status.textContent = active
      ? `A read-only link is active (made ${link.created_at.slice(0, 10)}${link.last_used_at ? ', last opened ' + link.last_used_at.slice(0, 10) : ''}; it expires after 90 days unused).`
      : 'No active crew link. A link shows this person their next 14 days, on a phone, without signing in.';
    make.querySelector('span').textContent = active ? 'Rotate link' : 'Create link';
    revoke.hidden = !active;
  }

  make.addEventListener('click', () => busy(make, async () => {
    try {
      const link = await api('POST', path);
      show(link);
      const input = h('input', { type: 'text', readonly: true, value: link.url, 'aria-label': 'Crew link', class: 'crew-link-url' });
      const copy = button('Copy link', { variant: 'primary', class: 'btn-small' });
      copy.addEventListener('click', async () => {
        input.select();
        try { await navigator.clipboard.writeText(link.url); toast('Link copied.'); } catch { toast('Select the link and copy it.', 'error'); }
      });
      clear(out, h('p', { text: 'Send this link to ' + employee.name + '. It is shown only now; making a new one stops this one.' }), input, copy);
    } catch (e) {
      clear(out, errorBox(e));
    }
  }));
  revoke.addEventListener('click', async () => {
    if (!await confirmDialog({ title: 'Revoke the crew link?', message: `${employee.name}'s link stops working at once.`, confirm: 'Revoke', danger: true })) return;
    try {
      await api('DELETE', path);
      clear(out);
      show({ active: false });
      toast('Crew link revoked.');
    } catch (e) {
      clear(out, errorBox(e));
    }
  });
  api('GET', path).then(show, e => clear(out, errorBox(e)));
  return h('fieldset', { class: 'crew-link field-wide' }, h('legend', { text: 'Crew link' }), status, out, h('div', { class: 'form-actions' }, make, revoke));
}
