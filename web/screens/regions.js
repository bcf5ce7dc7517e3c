// Regions: where projects, employees and crews are; the manpower line is counted per region.
import { field } from '../ui.js';
import { crudScreen, req } from './crud.js';

export default crudScreen({
  title: 'Regions', singular: 'region', path: '/regions',
  intro: 'The manpower line of the week counts people and needs per region.',
  invalidates: ['/regions'],
  sort: (a, b) => a.name.localeCompare(b.name),
  columns: [{ label: 'Name', cell: r => r.name }],
  fields: r => [field({ name: 'name', label: 'Name', required: true, value: r?.name, class: 'span-2' })],
  toBody: v => ({ name: req(v.name) }),
});
