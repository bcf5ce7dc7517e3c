// Reminders: an email or SMS sent once at its time (in the workspace's time zone here).
import { h, field, pill, setOptions } from '../ui.js';
import { dateTime, zonedToUTC, utcToZoned, today, addDays, getZone } from '../dates.js';
import { crudScreen, req, nameOf, options } from './crud.js';

const unchanged = (iso, v) => { const z = utcToZoned(iso); return z.date === v.remind_at && z.time === v.remind_time; };
const SUBJECTS = [['customer', 'Customer'], ['project', 'Project'], ['trip', 'Trip']];

export default crudScreen({
  title: 'Reminders', singular: 'reminder', path: '/reminders',
  lookups: ['/customers', '/projects', '/trips'],
  sort: (a, b) => a.remind_at.localeCompare(b.remind_at),
  filters: () => [
    { name: 'status', label: 'Status', empty: 'Any status', options: [['pending', 'Pending'], ['sent', 'Sent'], ['failed', 'Failed']] },
    { name: 'from', label: 'From', type: 'date' },
    { name: 'to', label: 'To', type: 'date' },
  ],
  columns: [
    { label: 'When', cell: r => dateTime(r.remind_at) },
    { label: 'Channel', cell: r => (r.channel === 'sms' ? 'SMS' : 'Email') },
    { label: 'To', cell: r => r.to },
    { label: 'Message', cell: r => (r.message.length > 90 ? r.message.slice(0, 90) + '…' : r.message) },
    { label: 'About', cell: (r, lk) => (r.subject_type === 'customer' ? nameOf(lk['/customers'], r.subject_id, '') : r.subject_type === 'project' ? nameOf(lk['/projects'], r.subject_id, '') : r.subject_type === 'trip' ? nameOf(lk['/trips'], r.subject_id, '') : r.subject_type ? r.subject_type : null) },
    { label: 'Status', cell: r => h('span', null, pill(r.status, r.status), r.attempts > 1 ? h('span', { class: 'muted small', text: ` ${r.attempts} tries` }) : null) },
  ],
  fields: (r, lk) => {
    const at = r ? utcToZoned(r.remind_at) : { date: addDays(today(), 1), time: '07:00' };
    const typeField = field({ name: 'subject_type', label: 'About', type: 'select', empty: 'Nothing in particular', options: SUBJECTS, value: r?.subject_type ?? '' });
    const idField = field({ name: 'subject_id', label: 'Which one', type: 'select', empty: '—', options: [], value: '' });
    const typeSel = typeField.querySelector('select'), idSel = idField.querySelector('select');
    const fill = () => {
      const rows = typeSel.value === 'customer' ? lk['/customers'] : typeSel.value === 'project' ? lk['/projects'] : typeSel.value === 'trip' ? lk['/trips'] : [];
      setOptions(idSel, options(rows), typeSel.value ? 'Choose…' : '—');
      idSel.disabled = !typeSel.value;
    };
    typeSel.addEventListener('change', fill);
    fill();
    if (r?.subject_id) idSel.value = r.subject_id;
    const channel = field({ name: 'channel', label: 'Channel', type: 'select', required: true, options: [['email', 'Email'], ['sms', 'SMS']], value: r?.channel ?? 'email' });
    const to = field({ name: 'to', label: 'To', required: true, value: r?.to, hint: 'An email address, or for SMS a number like +15551234567.' });
    return [
      field({ name: 'remind_at', label: 'Date', type: 'date', required: true, value: at.date }),
      field({ name: 'remind_time', label: `Time (${getZone()})`, type: 'time', required: true, value: at.time }),
      channel, to,
      field({ name: 'message', label: 'Message', type: 'textarea', required: true, value: r?.message, class: 'span-2', maxlength: 2000 }),
      typeField, idField,
    ];
  },
  toBody: (v, r) => ({
    remind_at: r && unchanged(r.remind_at, v) ? r.remind_at
      : v.remind_at && v.remind_time ? zonedToUTC(v.remind_at, v.remind_time) : v.remind_at,
    channel: v.channel, to: req(v.to), message: req(v.message),
    subject_type: v.subject_type || null, subject_id: v.subject_type ? (v.subject_id || null) : null,
  }),
});
