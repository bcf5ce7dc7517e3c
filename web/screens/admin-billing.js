// Billing (owner): the trial's days left, the plan, the card, subscribing and managing on the
// payment processor's own pages, and the receipts. Nothing of a card is typed here.
import { api, ApiError } from '../api.js';
import { h, clear, button, busy, loading, errorBox, empty, toast, pill, field } from '../ui.js';
import { dateTime } from '../dates.js';
import { adminHead } from './admin-tabs.js';
import { updateSession } from '../app.js';

const STATUS = {
  trialing: ['Free trial', 'ok'], active: ['Active', 'ok'], past_due: ['Payment failed', 'pending'],
  canceled: ['Canceled', 'canceled'], unpaid: ['Unpaid', 'canceled'], trial_ended: ['Trial ended', 'canceled'],
  incomplete: ['Incomplete', 'pending'], incomplete_expired: ['Expired', 'canceled'],
};

export function daysLeft(iso) {
  return Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 86400000));
}

function money(minor, currency) {
  if (minor == null || !currency) return '—';
  try {
    const f = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() });
    const digits = f.resolvedOptions().maximumFractionDigits;
    return f.format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency}`;
  }
}

// Sends the browser to a page of the payment processor (checkout or portal).
async function goTo(path, body) {
  const r = await api('POST', path, body);
  location.assign(r.url);
}

export default async function render(ctx) {
  const { main, session } = ctx;
  const summary = h('div', null, loading());
  const receipts = h('div', null, loading());
  clear(main, h('div', { class: 'page' }, adminHead(session, 'Billing'),
    h('section', { class: 'card', id: 'billing-card' }, h('h2', { text: 'Subscription' }), summary),
    h('section', { class: 'card' }, h('h2', { text: 'Receipts' }), receipts)));
  const q = new URLSearchParams(location.search);
  if (q.get('checkout') === 'done') toast('Thank you: the subscription starts as soon as the payment is confirmed.');

  let b;
  try {
    b = await api('GET', '/billing');
  } catch (e) {
    clear(summary, errorBox(e));
    clear(receipts);
    return;
  }
  updateSession({ billing: b });
  const [label, kind] = STATUS[b.status] || [b.status || 'None', 'pending'];
  const rows = [h('dt', { text: 'Status' }), h('dd', null, pill(label, kind))];
  if (b.status === 'trialing' && !b.plan) {
    const n = daysLeft(b.trial_ends_at);
    rows.push(h('dt', { text: 'Trial' }), h('dd', { id: 'trial-left', text: `${n} ${n === 1 ? 'day' : 'days'} left, ends ${dateTime(b.trial_ends_at)}` }));
  }
  rows.push(h('dt', { text: 'Plan' }), h('dd', { id: 'billing-plan', text: b.plan || '—' }),
    h('dt', { text: 'Card' }), h('dd', { id: 'billing-card-last4', text: b.card_brand ? `${b.card_brand} ending ${b.card_last4}` : '—' }),
    h('dt', { text: 'Renews' }), h('dd', { text: b.current_period_end ? dateTime(b.current_period_end) : '—' }));
  const parts = [h('dl', { class: 'kv' }, rows)];
  const live = ['active', 'trialing', 'past_due'].includes(b.status) && b.plan;
  if (!live && b.plans.length) {
    const plan = b.plans.length > 1 ? field({ name: 'plan', label: 'Plan', type: 'select', options: b.plans.map(p => [p, p]), value: b.plans[0] }) : null;
    const sub = button('Subscribe', { variant: 'primary', id: 'subscribe' });
    sub.addEventListener('click', () => busy(sub, async () => {
      try { await goTo('/billing/checkout', { plan: plan ? plan.querySelector('select').value : b.plans[0] }); } catch (e) { toast(e.friendly || String(e), 'error'); }
    }));
    parts.push(h('p', { class: 'muted', text: b.status === 'trialing' ? 'Add a card, Apple Pay, Google Pay or Link on the payment processor’s page; nothing is charged before the trial ends.' : 'You pay on the payment processor’s page: card, Apple Pay, Google Pay or Link.' }),
      h('div', { class: 'form-actions' }, plan, sub));
  } else if (!b.plans.length && !live) {
    parts.push(h('p', { class: 'muted', text: 'Subscribing is not available on this server.' }));
  }
  if (b.portal_available) {
    const manage = button('Manage subscription and card', { variant: 'secondary', id: 'manage-billing' });
    manage.addEventListener('click', () => busy(manage, async () => {
      try { await goTo('/billing/portal'); } catch (e) { toast(e.friendly || String(e), 'error'); }
    }));
    parts.push(h('div', { class: 'form-actions' }, manage));
  }
  clear(summary, parts);

  try {
    const list = await api('GET', '/billing/invoices?limit=24');
    if (!list.data.length) { clear(receipts, empty('No invoices yet.')); return; }
    clear(receipts, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'invoices-table' },
      h('thead', null, h('tr', null, ['Invoice', 'Date', 'Amount', 'Status', 'Receipt'].map(t => h('th', { text: t })))),
      h('tbody', null, list.data.map(i => h('tr', { dataset: { id: i.id } },
        h('td', { class: 'primary-cell', text: i.number || i.id }), h('td', { class: 'nowrap', text: i.created ? dateTime(i.created) : '' }),
        h('td', { class: 'nowrap', text: money(i.status === 'paid' ? i.amount_paid : i.amount_due, i.currency) }),
        h('td', null, pill(i.status || '', i.status === 'paid' ? 'ok' : 'pending')),
        h('td', null, i.hosted_invoice_url ? h('a', { href: i.hosted_invoice_url, target: '_blank', rel: 'noopener noreferrer', text: 'View' }) : null,
          i.invoice_pdf ? [' · ', h('a', { href: i.invoice_pdf, target: '_blank', rel: 'noopener noreferrer', text: 'PDF' })] : null)))))));
  } catch (e) {
    clear(receipts, e instanceof ApiError && e.status === 503 ? h('p', { class: 'muted', text: 'Receipts can’t be fetched right now.' }) : errorBox(e));
  }
}
