-- The demo workspace of `planyard dev`: a concrete contractor with a month of pours around
-- today. Run once, as the schema owner, with planyard.demo_email, planyard.demo_hash and
-- planyard.demo_history set. Does nothing when the workspace exists.
do $$
declare
  t uuid;
  u uuid;
  regs uuid[];
  custs uuid[];
  projs uuid[];
  emps uuid[];
  crews uuid[];
  d date;
  i int;
  k int := 0;
  pid uuid;
  trades text[] := array['foreman', 'placer', 'placer', 'finisher', 'finisher', 'pump_operator', 'driver', 'laborer'];
  first_names text[] := array['Ana', 'Ben', 'Carla', 'Dev', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kai', 'Lena',
                              'Marco', 'Nia', 'Omar', 'Pia', 'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Vic', 'Wes', 'Yara'];
  last_names text[] := array['Alvarez', 'Brooks', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes'];
  mixes text[] := array['3000 psi', '4000 psi', '4000 psi air-entrained', '5000 psi', 'flowable fill'];
begin
  if exists (select 1 from app.tenants where slug = 'demo') then
    return;
  end if;
  insert into app.tenants (slug, name, timezone, primary_color)
    values ('demo', 'Granite Ridge Concrete', 'America/Chicago', '#b45309') returning id into t;
  insert into app.users (email, name, password_hash, email_confirmed_at)
    values (current_setting('planyard.demo_email'), 'Dana Reyes', current_setting('planyard.demo_hash'), now())
    returning id into u;
  insert into app.memberships (tenant_id, user_id, role) values (t, u, 'owner');
  insert into app.password_history (user_id, hash) values (u, current_setting('planyard.demo_history'));
  perform set_config('app.definer_tenant', t::text, true);

  insert into app.regions (tenant_id, name) select t, n from unnest(array['North', 'Metro', 'South']) n;
  regs := array(select id from app.regions where tenant_id = t order by name);

  insert into app.customers (tenant_id, name, contact_name, email, phone)
  select t, n, c, lower(replace(c, ' ', '.')) || '@example.com', '+1555010' || lpad(g::text, 4, '0')
  from unnest(array['Lakeside Homes', 'Northgate Logistics', 'City of Millbrook', 'Summit Medical Center',
                    'Oak & Iron Builders', 'Riverbend School District', 'Prairie Storage Co.', 'Harbor Retail Group'],
              array['Maya Lin', 'Tom Becker', 'Rita Osei', 'Paul Grant', 'Iris Novak', 'Ken Ota', 'Lou Park', 'Zoe Ward'])
       with ordinality as x(n, c, g);
  custs := array(select id from app.customers where tenant_id = t order by name);

  for i in 1..12 loop
    insert into app.projects (tenant_id, customer_id, name, address, zip, region_id)
    values (t, custs[1 + (i % 8)],
            (array['Warehouse slab', 'Parking deck', 'Clinic foundation', 'School gym floor', 'Townhomes phase 2',
                   'Retail pad', 'Bridge approach', 'Loading dock', 'Footings and walls', 'Sidewalks',
                   'Storage units', 'Office podium'])[i],
            (100 + i * 37) || ' ' || (array['Main St', 'Oak Ave', 'River Rd', 'Industrial Pkwy'])[1 + i % 4],
            (array['60601', '60614', '60018', '60148'])[1 + i % 4], regs[1 + i % 3]);
  end loop;
  projs := array(select id from app.projects where tenant_id = t order by name);

  for i in 1..24 loop
    insert into app.employees (tenant_id, name, trade, phone, region_id, active)
    values (t, first_names[i] || ' ' || last_names[1 + i % 8], trades[1 + i % 8], '+1555020' || lpad(i::text, 4, '0'),
            regs[1 + i % 3], i <> 24);
  end loop;
  emps := array(select id from app.employees where tenant_id = t order by name);

  for i in 1..5 loop
    insert into app.crews (tenant_id, name, region_id, foreman_id)
    values (t, (array['Crew A', 'Crew B', 'Crew C', 'Crew D', 'Crew E'])[i], regs[1 + i % 3], emps[i]);
  end loop;
  crews := array(select id from app.crews where tenant_id = t order by name);
  insert into app.crew_members (tenant_id, crew_id, employee_id)
    select t, crews[1 + (g % 5)], emps[g] from generate_series(1, 23) g;

  for d in select generate_series(current_date - 14, current_date + 16, interval '1 day')::date loop
    continue when extract(isodow from d) = 7;
    for i in 1..(1 + (extract(doy from d)::int % 3)) loop
      k := k + 1;
      insert into app.pours (tenant_id, project_id, scheduled_date, start_time, volume_cy, mix, pump, crew_id,
                             crew_size_needed, status)
      values (t, projs[1 + k % 12], d, make_time(6 + (k % 4), (k % 2) * 30, 0), (20 + (k * 37) % 180)::numeric + 0.5,
              mixes[1 + k % 5], k % 3 = 0, crews[1 + k % 5], 3 + k % 4,
              case when d < current_date then 'completed' when d < current_date + 4 then 'confirmed' else 'tentative' end)
      returning id into pid;
      if d between current_date and current_date + 6 then
        insert into app.assignments (tenant_id, employee_id, date, pour_id, role)
          select t, m.employee_id, d, pid, 'crew'
          from app.crew_members m where m.tenant_id = t and m.crew_id = crews[1 + k % 5]
          on conflict do nothing;
      end if;
    end loop;
  end loop;
  update app.pours set status = 'canceled', cancel_reason = 'rain in the forecast'
    where tenant_id = t and id = (select id from app.pours where tenant_id = t and scheduled_date > current_date + 7
                                  order by scheduled_date, id limit 1);

  insert into app.reminders (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
  select t, now() + interval '2 days', 'email', 'maya.lin@example.com', 'Pump truck confirmed for tomorrow''s pour.',
         'customer', custs[1];
end $$;

-- The agency of the demo: a travel planner's clients (families) and their trips around today,
-- with travelers and the reminders of a template. The same demo user owns it. Made with the
-- contractor's workspace only (this file runs as one transaction, so that one was made at
-- now()): a database whose demo is older keeps exactly what it has.
do $$
declare
  t uuid;
  u uuid := (select id from app.users where lower(email) = lower(current_setting('planyard.demo_email')));
  clients uuid[];
  trip uuid;
  i int;
  start date;
begin
  if u is null or exists (select 1 from app.tenants where slug = 'demo-trips')
     or not exists (select 1 from app.tenants where slug = 'demo' and created_at = now()) then
    return;
  end if;
  insert into app.tenants (slug, name, timezone, primary_color, kind)
    values ('demo-trips', 'Wayfarer Family Travel', 'Europe/Lisbon', '#0f766e', 'trips') returning id into t;
  insert into app.memberships (tenant_id, user_id, role) values (t, u, 'owner');
  perform set_config('app.definer_tenant', t::text, true);

  insert into app.customers (tenant_id, name, contact_name, email, phone)
  select t, n, c, lower(replace(c, ' ', '.')) || '@example.com', '+35121000' || lpad(g::text, 4, '0')
  from unnest(array['The Okafor family', 'The Lindqvist family', 'The Moreau family', 'The Tanaka family',
                    'The Alvarez family', 'The Novak family'],
              array['Ada Okafor', 'Erik Lindqvist', 'Claire Moreau', 'Yui Tanaka', 'Lucia Alvarez', 'Petr Novak'])
       with ordinality as x(n, c, g);
  clients := array(select id from app.customers where tenant_id = t order by name);

  for i in 1..10 loop
    start := current_date - 20 + i * 6;
    insert into app.trips (tenant_id, customer_id, name, start_date, end_date, destination, status, notes)
    values (t, clients[1 + i % 6],
            (array['Lisbon and Sintra', 'Lapland in winter', 'Provence by car', 'Kyoto and Nara', 'Costa Rica',
                   'Dolomites hiking', 'Iceland ring road', 'Crete beaches', 'Scottish Highlands', 'Vienna at Christmas'])[i],
            start, start + 3 + i % 8,
            (array['Lisbon', 'Rovaniemi', 'Avignon', 'Kyoto', 'San José', 'Cortina', 'Reykjavík', 'Chania', 'Inverness', 'Vienna'])[i],
            case when start + 3 + i % 8 < current_date then 'done' when start <= current_date then 'traveling'
                 when i % 3 = 0 then 'inquiry' else 'booked' end,
            case when i % 4 = 0 then 'Prefers morning flights.' end)
    returning id into trip;
    insert into app.travelers (tenant_id, trip_id, name, birth_date)
    select t, trip, p, date '1980-01-01' + (i * 400 + g::int * 2900)
    from unnest((array['Parent one', 'Parent two', 'Child'])[1:1 + i % 3]) with ordinality as x(p, g);
    if start - 7 > current_date then
      insert into app.reminders (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
      values (t, ((start - 7) + time '09:00') at time zone 'Europe/Lisbon', 'email',
              'planner@example.com', 'Travel documents for the trip starting ' || start, 'trip', trip);
    end if;
  end loop;
end $$;
