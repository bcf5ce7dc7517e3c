// Two small stores:
// - prefs: harmless preferences in localStorage (last week viewed, toggles, last workspace
//   slug). Never a token, never personal data.
// - lookups: the workspace's customers, projects, crews ... fetched once and shared by the
//   screens (the week needs them all to show names), dropped when one of them changes.

import { listAll } from './api.js';

const PREFIX = 'planyard.';
const ALLOWED = new Set(['week', 'region', 'showCanceled', 'workspace', 'compact']);

export const prefs = {
  get(key, fallback = null) {
    try {
      const v = localStorage.getItem(PREFIX + key);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    if (!ALLOWED.has(key)) throw new Error('not a preference: ' + key);
    try { localStorage.setItem(PREFIX + key, JSON.stringify(value)); } catch { /* private mode */ }
  },
};

const cache = new Map(); // path → Promise<array>

export function lookup(path) {
  if (!cache.has(path)) {
    const p = listAll(path);
    cache.set(path, p);
    p.catch(() => cache.delete(path));
  }
  return cache.get(path);
}

export async function lookupMap(path) {
  const rows = await lookup(path);
  return new Map(rows.map(r => [r.id, r]));
}

export function invalidate(...paths) {
  if (!paths.length) cache.clear();
  for (const p of paths) cache.delete(p);
}

export function byName(a, b) {
  return String(a.name || '').localeCompare(String(b.name || ''), undefined, { sensitivity: 'base' });
}

export const TRADES = [
  ['placer', 'Placer'], ['finisher', 'Finisher'], ['pump_operator', 'Pump operator'],
  ['driver', 'Driver'], ['foreman', 'Foreman'], ['laborer', 'Laborer'],
];
export const tradeLabel = t => (TRADES.find(x => x[0] === t) || [t, t || '—'])[1];

export const STATUSES = [['tentative', 'Tentative'], ['confirmed', 'Confirmed'], ['completed', 'Completed'], ['canceled', 'Canceled']];
export const statusLabel = s => (STATUSES.find(x => x[0] === s) || [s, s])[1];

export const ROLES = [['viewer', 'Viewer'], ['scheduler', 'Scheduler'], ['admin', 'Admin'], ['owner', 'Owner']];
const RANK = { viewer: 0, scheduler: 1, admin: 2, owner: 3 };
export const roleAtLeast = (role, min) => (RANK[role] ?? -1) >= RANK[min];
