// The frame of the signed-out pages: a card in the middle with the Planyard mark.
import { h, clear } from '../ui.js';

export function authLayout(main, { title, lead, body, foot }) {
  clear(main,
    h('div', { class: 'auth-wrap' },
      h('div', { class: 'auth-brand' },
        h('img', { src: '/favicon.svg', alt: '', width: 36, height: 36 }),
        h('span', { class: 'auth-brand-name', text: 'Planyard' })),
      h('section', { class: 'auth-card' },
        h('h1', { text: title }),
        lead ? h('p', { class: 'lead', text: lead }) : null,
        body),
      foot ? h('p', { class: 'auth-foot' }, foot) : null));
}

// Reads #token=... from the address, then removes it from the address bar and history.
export function takeFragmentToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return m ? decodeURIComponent(m[1]) : null;
}
