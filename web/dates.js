// Dates in the workspace's time zone. Calendar dates are 'YYYY-MM-DD' strings and are
// computed on UTC midnights, so no local time zone of the browser ever shifts them.

let zone = 'UTC';
export function setZone(tz) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    zone = tz;
  } catch {
    zone = 'UTC';
  }
}
export function getZone() { return zone; }

const pad = n => String(n).padStart(2, '0');

export function toISODate(d) {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
export function parseDate(s) {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}
export function isDate(s) {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && toISODate(parseDate(s)) === s;
}
export function addDays(s, n) {
  const d = parseDate(s);
  d.setUTCDate(d.getUTCDate() + n);
  return toISODate(d);
}

// The parts of an instant as seen in the workspace's zone.
function zoneParts(ms, tz = zone) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return { y: +p.year, m: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second };
}

export function today() {
  const p = zoneParts(Date.now());
  return `${p.y}-${pad(p.m)}-${pad(p.d)}`;
}

// Monday of the week that holds date s.
export function mondayOf(s) {
  const dow = parseDate(s).getUTCDay(); // 0 = Sunday
  return addDays(s, -((dow + 6) % 7));
}

// A wall-clock date and time in the workspace's zone → RFC 3339 UTC.
export function zonedToUTC(dateStr, timeStr = '00:00') {
  const [y, m, d] = dateStr.split('-').map(Number);
  const [hh, mm] = timeStr.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const p = zoneParts(guess);
    const seen = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s);
    guess += wall - seen;
  }
  return new Date(guess).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// RFC 3339 → {date: 'YYYY-MM-DD', time: 'HH:MM'} in the workspace's zone.
export function utcToZoned(iso) {
  const p = zoneParts(Date.parse(iso));
  return { date: `${p.y}-${pad(p.m)}-${pad(p.d)}`, time: `${pad(p.h)}:${pad(p.mi)}` };
}

const fmtCache = new Map();
function fmt(opts, tz) {
  const key = JSON.stringify(opts) + tz;
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat(undefined, { ...opts, timeZone: tz }));
  return fmtCache.get(key);
}

// 'Mon 16' style labels of a calendar date (zone-free).
export function dayLabel(s, opts = { weekday: 'short', day: 'numeric' }) {
  return fmt(opts, 'UTC').format(parseDate(s));
}
export function dateLong(s) {
  return fmt({ weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }, 'UTC').format(parseDate(s));
}
export function weekLabel(monday) {
  const a = parseDate(monday), b = parseDate(addDays(monday, 6));
  const month = d => fmt({ month: 'short' }, 'UTC').format(d);
  const left = `${month(a)} ${a.getUTCDate()}`;
  const right = a.getUTCMonth() === b.getUTCMonth() ? `${b.getUTCDate()}` : `${month(b)} ${b.getUTCDate()}`;
  return a.getUTCFullYear() === b.getUTCFullYear()
    ? `${left} – ${right}, ${b.getUTCFullYear()}`
    : `${left}, ${a.getUTCFullYear()} – ${right}, ${b.getUTCFullYear()}`;
}

// An instant (RFC 3339) shown in the workspace's zone.
export function dateTime(iso) {
  if (!iso) return '—';
  return fmt({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }, zone).format(new Date(iso));
}
export function timeOnly(iso) {
  if (!iso) return '—';
  return fmt({ hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }, zone).format(new Date(iso));
}
export function relative(iso) {
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}
