// The crew page: a person's next 14 days, opened from their read-only link
// (PUBLIC_URL/crew#token=...), without signing in. The token stays in the fragment, so it
// never reaches a server log or a Referer; it is posted to the API, which answers with that
// person's days only.
const root = document.getElementById('crew');

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

function dayTitle(iso, todayIso) {
  const d = new Date(iso + 'T12:00:00Z');
  const s = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
  return iso === todayIso ? 'Today · ' + s : s;
}

function item(i) {
  if (!i.pour_id) return el('div', { class: 'crew-item' }, el('div', { class: 'crew-time', text: 'Assigned' + (i.role ? ' as ' + i.role : '') }));
  const rows = [];
  const row = (k, v) => { if (v) rows.push(el('dt', { text: k }), el('dd', null, v)); };
  row('Where', i.address ? el('a', { href: 'https://maps.google.com/?q=' + encodeURIComponent(i.address), rel: 'noopener noreferrer', target: '_blank', text: i.address }) : null);
  row('Mix', `${i.mix}, ${i.volume_cy} cy${i.pump ? ', pump' : ''}`);
  row('Crew', i.crew);
  row('Foreman', i.foreman ? [i.foreman, i.foreman_phone ? [' · ', el('a', { href: 'tel:' + i.foreman_phone, text: i.foreman_phone })] : null] : null);
  row('Role', i.role);
  return el('div', { class: 'crew-item' },
    el('div', null, el('span', { class: 'crew-time', text: (i.start_time || 'Time to be set') + ' · ' + (i.project || '') }),
      i.status === 'tentative' ? el('span', { class: 'crew-tentative', text: 'tentative' }) : null),
    el('dl', null, rows));
}

function fail(text) {
  root.replaceChildren(el('div', { class: 'crew-error', role: 'alert' }, el('h1', { text: 'This link does not work' }), el('p', { text })));
}

async function load() {
  const m = /(?:^|[#&])token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (!m) return fail('The link is incomplete. Open it again from the message you received.');
  let r;
  try {
    r = await fetch('/api/v1/crew/schedule', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: m[1] }),
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
    });
  } catch {
    return fail('No connection. Check your signal and reload the page.');
  }
  if (r.status === 401 || r.status === 400) return fail('It was revoked, replaced or has expired. Ask your office for a new one.');
  if (!r.ok) return fail('The schedule could not be loaded. Try again in a moment.');
  const s = await r.json();
  document.title = `${s.employee.name} · schedule`;
  root.replaceChildren(
    el('h1', { text: s.employee.name }),
    el('p', { class: 'crew-sub', text: `Your next 14 days${s.workspace ? ' at ' + s.workspace.name : ''}` }),
    ...s.days.map(d => el('section', { class: 'crew-day' + (d.items.length ? '' : ' crew-empty') + (d.date === s.from ? ' crew-today' : ''), 'data-date': d.date },
      el('h2', { text: dayTitle(d.date, s.from) }),
      d.items.length ? d.items.map(item) : el('p', { class: 'crew-none', text: 'Nothing scheduled' }))));
}

load();
