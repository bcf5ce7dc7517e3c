-- Bench data for workspaces :first .. :last, loaded directly as the schema owner
-- (psql -v first=N -v last=M; bench/run.sh runs two of these at a time, with the tables'
-- user triggers, i.e. the audit log, switched off around the load; FK and RLS checks stay).
-- Per workspace: an owner, one live session whose secret is 'benchkey-<n>', 3 regions,
-- 5 customers, 20 projects, 30 employees, 6 crews of a foreman and 4 members, 500 pours
-- spread evenly over the 52 weeks from 2025-01-06 (9 or 10 a week), and an assignment for
-- every other pour (250).
--
-- Accounts are set-based over the whole range (the owner passes the accounts policies). The
-- operating-data policies have no owner exception: they admit a row only for the workspace
-- named in app.definer_tenant, so those rows go in per workspace, each collection one
-- set-based INSERT.
\set ON_ERROR_STOP on
set bench.first = :'first';
set bench.last = :'last';
set synchronous_commit = off;

begin;

insert into app.tenants (slug, name)
  select 'bench-' || n, 'Bench ' || n from generate_series(:first, :last) n;

insert into app.users (email, name, password_hash, email_confirmed_at)
  select 'bench-' || n || '@example.com', 'Bench owner ' || n, '*', now() from generate_series(:first, :last) n;

insert into app.memberships (tenant_id, user_id, role)
  select t.id, u.id, 'owner'
  from generate_series(:first, :last) n
  join app.tenants t on t.slug = 'bench-' || n
  join app.users u on lower(u.email) = 'bench-' || n || '@example.com';

insert into app.sessions (tenant_id, user_id, key_hash, key_sealed, expires_at, last_used_at, ip, user_agent)
  select t.id, u.id, sha256(convert_to('benchkey-' || n, 'UTF8')), '\x01'::bytea,
         now() + interval '30 days', now(), '127.0.0.1', 'bench'
  from generate_series(:first, :last) n
  join app.tenants t on t.slug = 'bench-' || n
  join app.users u on lower(u.email) = 'bench-' || n || '@example.com';

do $$
declare
  n int;
  t uuid;
  reg uuid[];
  cust uuid[];
  proj uuid[];
  emp uuid[];
  crw uuid[];
  base constant date := date '2025-01-06';
begin
  for n in current_setting('bench.first')::int .. current_setting('bench.last')::int loop
    select id into t from app.tenants where slug = 'bench-' || n;
    perform set_config('app.definer_tenant', t::text, true);

    with i as (insert into app.regions (tenant_id, name)
               select t, 'Region ' || g from generate_series(1, 3) g returning id)
    select array_agg(id) into reg from i;

    with i as (insert into app.customers (tenant_id, name, contact_name, email, phone)
               select t, 'Customer ' || g, 'Contact ' || g, 'c' || g || '@example.com', '+1555000' || lpad(g::text, 4, '0')
               from generate_series(1, 5) g returning id)
    select array_agg(id) into cust from i;

    with i as (insert into app.projects (tenant_id, customer_id, name, address, zip, region_id)
               select t, cust[1 + g % 5], 'Project ' || g, g || ' Main St', lpad((10000 + g)::text, 5, '0'), reg[1 + g % 3]
               from generate_series(1, 20) g returning id)
    select array_agg(id) into proj from i;

    with i as (insert into app.employees (tenant_id, name, trade, phone, region_id)
               select t, 'Employee ' || g,
                      (array['foreman', 'placer', 'finisher', 'pump_operator', 'driver', 'laborer'])[1 + g % 6],
                      '+1555100' || lpad(g::text, 4, '0'), reg[1 + g % 3]
               from generate_series(1, 30) g returning id)
    select array_agg(id) into emp from i;

    with i as (insert into app.crews (tenant_id, name, region_id, foreman_id)
               select t, 'Crew ' || g, reg[1 + g % 3], emp[g] from generate_series(1, 6) g returning id)
    select array_agg(id) into crw from i;

    insert into app.crew_members (tenant_id, crew_id, employee_id)
      select t, crw[c], emp[6 + (c - 1) * 4 + k] from generate_series(1, 6) c, generate_series(1, 4) k;

    insert into app.pours (tenant_id, project_id, scheduled_date, start_time, volume_cy, mix, pump, crew_id,
                           crew_size_needed, status, notes)
      select t, proj[1 + g % 20], base + floor((g - 1 + random()) * 364.0 / 500)::int, time '06:00' + (g % 8) * interval '30 minutes',
             10 + g % 90, '4000 psi', g % 3 = 0, crw[1 + g % 6], 3 + g % 4,
             (array['tentative', 'confirmed', 'confirmed', 'completed'])[1 + g % 4],
             case when g % 5 = 0 then 'pump at the north gate' end
      from generate_series(1, 500) g;

    insert into app.assignments (tenant_id, employee_id, date, pour_id, role)
      select t, emp[1 + p.rn % 30], p.scheduled_date, p.id, 'crew'
      from (select id, scheduled_date, row_number() over (order by id) rn from app.pours where tenant_id = t) p
      where p.rn % 2 = 0
      on conflict do nothing;
  end loop;
end $$;

commit;
