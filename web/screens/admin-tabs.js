// The tabs of the admin area.
import { h } from '../ui.js';
import { roleAtLeast } from '../store.js';

const TABS = [
  ['/admin/members', 'Members', 'admin'], ['/admin/settings', 'Settings', 'admin'], ['/admin/audit', 'Audit log', 'admin'],
  ['/admin/access', 'Staff access', 'admin'], ['/admin/exports', 'Exports', 'viewer'], ['/admin/billing', 'Billing', 'owner'],
];

export function adminHead(session, title, ...extra) {
  const here = location.pathname;
  return [
    h('div', { class: 'page-head' }, h('h1', { text: title }), extra),
    h('nav', { class: 'tabs', 'aria-label': 'Admin' }, TABS.filter(t => roleAtLeast(session.role, t[2])).map(([href, label]) =>
      h('a', { href, class: ['tab', here === href && 'active'], 'aria-current': here === href ? 'page' : null, text: label }))),
  ];
}
