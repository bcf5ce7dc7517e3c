-- Operating data: customers, regions, projects, employees, crews and their members, pours,
-- assignments, reminders. Every table: tenant_id first in the primary key and in every
-- foreign key (a row can't point into another workspace), RLS enabled and forced, four
-- policies keyed to the live session's workspace; writes need scheduler or above.
--
-- Each collection has SQL functions the server calls, one statement per request:
--   X_json(row) -> json, X_page(filters jsonb, limit, after) -> (json, key),
--   X_get(id), X_create(body jsonb), X_update(id, body jsonb), X_delete(id).
-- They run as the caller (planyard_app), so the policies apply to every one of them.
-- Bad input the server could not see alone raises SQLSTATE PY400 with "field|code|message".

create table app.customers (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  contact_name text,
  email text,
  phone text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index customers_page on app.customers (tenant_id, created_at, id);

create table app.regions (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index regions_page on app.regions (tenant_id, created_at, id);

create table app.projects (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  customer_id uuid not null,
  name text not null,
  address text,
  zip text,
  region_id uuid,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint projects_customer_fk foreign key (tenant_id, customer_id) references app.customers (tenant_id, id),
  constraint projects_region_fk foreign key (tenant_id, region_id) references app.regions (tenant_id, id)
);
create index projects_page on app.projects (tenant_id, created_at, id);
create index projects_customer on app.projects (tenant_id, customer_id);
create index projects_region on app.projects (tenant_id, region_id);

create table app.employees (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  trade text check (trade in ('placer', 'finisher', 'pump_operator', 'driver', 'foreman', 'laborer')),
  phone text,
  email text,
  region_id uuid,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint employees_region_fk foreign key (tenant_id, region_id) references app.regions (tenant_id, id)
);
create index employees_page on app.employees (tenant_id, created_at, id);
create index employees_region on app.employees (tenant_id, region_id);

create table app.crews (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  name text not null,
  region_id uuid,
  foreman_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint crews_region_fk foreign key (tenant_id, region_id) references app.regions (tenant_id, id),
  constraint crews_foreman_fk foreign key (tenant_id, foreman_id) references app.employees (tenant_id, id)
);
create index crews_page on app.crews (tenant_id, created_at, id);

create table app.crew_members (
  tenant_id uuid not null references app.tenants on delete cascade,
  crew_id uuid not null,
  employee_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, crew_id, employee_id),
  constraint crew_members_crew_fk foreign key (tenant_id, crew_id) references app.crews (tenant_id, id) on delete cascade,
  constraint crew_members_employee_fk foreign key (tenant_id, employee_id) references app.employees (tenant_id, id) on delete cascade
);
create index crew_members_employee on app.crew_members (tenant_id, employee_id);

create table app.pours (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  project_id uuid not null,
  scheduled_date date not null,
  start_time time,
  volume_cy numeric(7, 2) not null check (volume_cy > 0),
  mix text not null,
  pump boolean not null default false,
  crew_id uuid,
  crew_size_needed int not null default 0 check (crew_size_needed >= 0),
  status text not null default 'tentative' check (status in ('tentative', 'confirmed', 'completed', 'canceled')),
  notes text,
  cancel_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint pours_project_fk foreign key (tenant_id, project_id) references app.projects (tenant_id, id),
  constraint pours_crew_fk foreign key (tenant_id, crew_id) references app.crews (tenant_id, id)
);
create index pours_date on app.pours (tenant_id, scheduled_date, id);
create index pours_project on app.pours (tenant_id, project_id);
create index pours_crew on app.pours (tenant_id, crew_id);

create table app.assignments (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  employee_id uuid not null,
  date date not null,
  pour_id uuid,
  role text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint assignments_one_per_day unique (tenant_id, employee_id, date),
  constraint assignments_employee_fk foreign key (tenant_id, employee_id) references app.employees (tenant_id, id),
  constraint assignments_pour_fk foreign key (tenant_id, pour_id) references app.pours (tenant_id, id)
);
create index assignments_date on app.assignments (tenant_id, date, id);
create index assignments_pour on app.assignments (tenant_id, pour_id);

create table app.reminders (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  remind_at timestamptz not null,
  channel text not null check (channel in ('email', 'sms')),
  "to" text not null,
  message text not null,
  subject_type text check (subject_type in ('customer', 'project', 'pour')),
  subject_id uuid,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  sent_at timestamptz,
  attempts int not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index reminders_page on app.reminders (tenant_id, created_at, id);
create index reminders_due on app.reminders (remind_at) where status = 'pending';

-- ---------------------------------------------------------------------------------------
-- Isolation: the same four policies on every table.

do $$
declare t text;
begin
  foreach t in array array['customers', 'regions', 'projects', 'employees', 'crews', 'crew_members', 'pours',
                           'assignments', 'reminders'] loop
    execute format('alter table app.%I enable row level security', t);
    execute format('alter table app.%I force row level security', t);
    execute format('create policy %I on app.%I for select using (tenant_id = (select app.current_tenant()))',
                   t || '_select', t);
    execute format('create policy %I on app.%I for insert with check '
                   '(tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2)', t || '_insert', t);
    execute format('create policy %I on app.%I for update '
                   'using (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2) '
                   'with check (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2)',
                   t || '_update', t);
    execute format('create policy %I on app.%I for delete '
                   'using (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 2)',
                   t || '_delete', t);
    execute format('grant select, insert, update, delete on app.%I to planyard_app', t);
  end loop;
end $$;

-- ---------------------------------------------------------------------------------------
-- Helpers.

create function app.bad(field text, code text, message text) returns void language plpgsql as $$
begin
  raise exception using errcode = 'PY400', message = field || '|' || code || '|' || message;
end $$;

-- Keyset cursors are "key|uuid"; a cursor that does not parse is the client's mistake.
create function app.cursor_id(after text) returns uuid language plpgsql immutable as $$
begin
  return split_part(after, '|', 2)::uuid;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

create function app.cursor_ts(after text) returns timestamptz language plpgsql stable as $$
begin
  return split_part(after, '|', 1)::timestamptz;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

create function app.cursor_date(after text) returns date language plpgsql stable as $$
begin
  return split_part(after, '|', 1)::date;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

create function app.hhmm(t time) returns text language sql immutable as $$ select to_char(t, 'HH24:MI') $$;

-- ---------------------------------------------------------------------------------------
-- customers

create function app.customers_json(c app.customers) returns json language sql stable as $$
  select json_build_object('id', c.id, 'name', c.name, 'contact_name', c.contact_name, 'email', c.email,
    'phone', c.phone, 'notes', c.notes, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

create function app.customers_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.customers_json(c), c.created_at::text || '|' || c.id
  from app.customers c
  where c.tenant_id = app.current_tenant()
    and (f->>'q' is null or strpos(lower(c.name), lower(f->>'q')) > 0)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.customers_get(p_id uuid) returns json language sql stable as $$
  select app.customers_json(c) from app.customers c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.customers_create(b jsonb) returns json language sql volatile as $$
  insert into app.customers as c (tenant_id, name, contact_name, email, phone, notes)
  values (app.current_tenant(), b->>'name', b->>'contact_name', b->>'email', b->>'phone', b->>'notes')
  returning app.customers_json(c)
$$;

create function app.customers_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.customers c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    contact_name = case when b ? 'contact_name' then b->>'contact_name' else c.contact_name end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.customers_json(c)
$$;

create function app.customers_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.customers c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- regions

create function app.regions_json(c app.regions) returns json language sql stable as $$
  select json_build_object('id', c.id, 'name', c.name, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

create function app.regions_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.regions_json(c), c.created_at::text || '|' || c.id
  from app.regions c
  where c.tenant_id = app.current_tenant()
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.regions_get(p_id uuid) returns json language sql stable as $$
  select app.regions_json(c) from app.regions c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.regions_create(b jsonb) returns json language sql volatile as $$
  insert into app.regions as c (tenant_id, name) values (app.current_tenant(), b->>'name')
  returning app.regions_json(c)
$$;

create function app.regions_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.regions c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.regions_json(c)
$$;

create function app.regions_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.regions c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- projects

create function app.projects_json(c app.projects) returns json language sql stable as $$
  select json_build_object('id', c.id, 'customer_id', c.customer_id, 'name', c.name, 'address', c.address,
    'zip', c.zip, 'region_id', c.region_id, 'notes', c.notes, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

create function app.projects_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.projects_json(c), c.created_at::text || '|' || c.id
  from app.projects c
  where c.tenant_id = app.current_tenant()
    and (f->>'customer_id' is null or c.customer_id = (f->>'customer_id')::uuid)
    and (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.projects_get(p_id uuid) returns json language sql stable as $$
  select app.projects_json(c) from app.projects c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.projects_create(b jsonb) returns json language sql volatile as $$
  insert into app.projects as c (tenant_id, customer_id, name, address, zip, region_id, notes)
  values (app.current_tenant(), (b->>'customer_id')::uuid, b->>'name', b->>'address', b->>'zip',
          (b->>'region_id')::uuid, b->>'notes')
  returning app.projects_json(c)
$$;

create function app.projects_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.projects c set
    customer_id = case when b ? 'customer_id' then (b->>'customer_id')::uuid else c.customer_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    address = case when b ? 'address' then b->>'address' else c.address end,
    zip = case when b ? 'zip' then b->>'zip' else c.zip end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.projects_json(c)
$$;

create function app.projects_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.projects c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- employees

create function app.employees_json(c app.employees) returns json language sql stable as $$
  select json_build_object('id', c.id, 'name', c.name, 'trade', c.trade, 'phone', c.phone, 'email', c.email,
    'region_id', c.region_id, 'active', c.active, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

create function app.employees_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.employees_json(c), c.created_at::text || '|' || c.id
  from app.employees c
  where c.tenant_id = app.current_tenant()
    and (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (f->>'active' is null or c.active = (f->>'active')::boolean)
    and (f->>'trade' is null or c.trade = f->>'trade')
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.employees_get(p_id uuid) returns json language sql stable as $$
  select app.employees_json(c) from app.employees c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.employees_create(b jsonb) returns json language sql volatile as $$
  insert into app.employees as c (tenant_id, name, trade, phone, email, region_id, active)
  values (app.current_tenant(), b->>'name', b->>'trade', b->>'phone', b->>'email', (b->>'region_id')::uuid,
          coalesce((b->>'active')::boolean, true))
  returning app.employees_json(c)
$$;

create function app.employees_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.employees c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    trade = case when b ? 'trade' then b->>'trade' else c.trade end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    active = case when b ? 'active' then coalesce((b->>'active')::boolean, true) else c.active end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.employees_json(c)
$$;

create function app.employees_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.employees c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- crews

create function app.crews_json(c app.crews) returns json language sql stable as $$
  select json_build_object('id', c.id, 'name', c.name, 'region_id', c.region_id, 'foreman_id', c.foreman_id,
    'member_ids', coalesce((select json_agg(m.employee_id order by m.created_at, m.employee_id)
                            from app.crew_members m where m.tenant_id = c.tenant_id and m.crew_id = c.id), '[]'::json),
    'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

create function app.crews_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.crews_json(c), c.created_at::text || '|' || c.id
  from app.crews c
  where c.tenant_id = app.current_tenant()
    and (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.crews_get(p_id uuid) returns json language sql stable as $$
  select app.crews_json(c) from app.crews c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.crews_create(b jsonb) returns json language sql volatile as $$
  insert into app.crews as c (tenant_id, name, region_id, foreman_id)
  values (app.current_tenant(), b->>'name', (b->>'region_id')::uuid, (b->>'foreman_id')::uuid)
  returning app.crews_json(c)
$$;

create function app.crews_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.crews c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    foreman_id = case when b ? 'foreman_id' then (b->>'foreman_id')::uuid else c.foreman_id end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.crews_json(c)
$$;

create function app.crews_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.crews c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- PUT /crews/{id}/members: the crew's members become exactly these employees.
create function app.crews_set_members(p_id uuid, b jsonb) returns json language plpgsql volatile as $$
declare
  t uuid := app.current_tenant();
  ids uuid[] := array(select distinct e::uuid from jsonb_array_elements_text(b->'employee_ids') e);
begin
  perform 1 from app.crews c where c.tenant_id = t and c.id = p_id for update;
  if not found then
    return null;
  end if;
  delete from app.crew_members m where m.tenant_id = t and m.crew_id = p_id and m.employee_id <> all (ids);
  insert into app.crew_members (tenant_id, crew_id, employee_id)
    select t, p_id, e from unnest(ids) e
    on conflict do nothing;
  update app.crews c set updated_at = now() where c.tenant_id = t and c.id = p_id;
  return (select app.crews_json(c) from app.crews c where c.tenant_id = t and c.id = p_id);
end $$;

-- ---------------------------------------------------------------------------------------
-- pours

create function app.pours_json(c app.pours) returns json language sql stable as $$
  select json_build_object('id', c.id, 'project_id', c.project_id, 'scheduled_date', c.scheduled_date::text,
    'start_time', app.hhmm(c.start_time), 'volume_cy', c.volume_cy::text, 'mix', c.mix, 'pump', c.pump,
    'crew_id', c.crew_id, 'crew_size_needed', c.crew_size_needed, 'status', c.status, 'notes', c.notes,
    'cancel_reason', c.cancel_reason, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

create function app.pours_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.pours_json(c), c.scheduled_date::text || '|' || c.id
  from app.pours c
  where c.tenant_id = app.current_tenant()
    and c.scheduled_date between (f->>'from')::date and (f->>'to')::date
    and (f->>'status' is null or c.status = f->>'status')
    and (f->>'project_id' is null or c.project_id = (f->>'project_id')::uuid)
    and (f->>'crew_id' is null or c.crew_id = (f->>'crew_id')::uuid)
    and (f->>'region_id' is null or exists (select 1 from app.projects p where p.tenant_id = c.tenant_id
                                             and p.id = c.project_id and p.region_id = (f->>'region_id')::uuid))
    and (after is null or (c.scheduled_date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.scheduled_date, c.id
  limit lim + 1
$$;

create function app.pours_get(p_id uuid) returns json language sql stable as $$
  select app.pours_json(c) from app.pours c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.pours_create(b jsonb) returns json language sql volatile as $$
  insert into app.pours as c (tenant_id, project_id, scheduled_date, start_time, volume_cy, mix, pump, crew_id,
                              crew_size_needed, status, notes)
  values (app.current_tenant(), (b->>'project_id')::uuid, (b->>'scheduled_date')::date, (b->>'start_time')::time,
          (b->>'volume_cy')::numeric, b->>'mix', coalesce((b->>'pump')::boolean, false), (b->>'crew_id')::uuid,
          coalesce((b->>'crew_size_needed')::int, 0), coalesce(b->>'status', 'tentative'), b->>'notes')
  returning app.pours_json(c)
$$;

create function app.pours_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.pours c set
    project_id = case when b ? 'project_id' then (b->>'project_id')::uuid else c.project_id end,
    scheduled_date = case when b ? 'scheduled_date' then (b->>'scheduled_date')::date else c.scheduled_date end,
    start_time = case when b ? 'start_time' then (b->>'start_time')::time else c.start_time end,
    volume_cy = case when b ? 'volume_cy' then (b->>'volume_cy')::numeric else c.volume_cy end,
    mix = case when b ? 'mix' then b->>'mix' else c.mix end,
    pump = case when b ? 'pump' then coalesce((b->>'pump')::boolean, false) else c.pump end,
    crew_id = case when b ? 'crew_id' then (b->>'crew_id')::uuid else c.crew_id end,
    crew_size_needed = case when b ? 'crew_size_needed' then coalesce((b->>'crew_size_needed')::int, 0)
                            else c.crew_size_needed end,
    status = case when b ? 'status' then coalesce(b->>'status', c.status) else c.status end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.pours_json(c)
$$;

create function app.pours_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.pours c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

create function app.pours_cancel(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.pours c set status = 'canceled', cancel_reason = b->>'reason', updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.pours_json(c)
$$;

-- ---------------------------------------------------------------------------------------
-- assignments

create function app.assignments_json(c app.assignments) returns json language sql stable as $$
  select json_build_object('id', c.id, 'employee_id', c.employee_id, 'date', c.date::text, 'pour_id', c.pour_id,
    'role', c.role, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

create function app.assignments_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.assignments_json(c), c.date::text || '|' || c.id
  from app.assignments c
  where c.tenant_id = app.current_tenant()
    and (f->>'from' is null or c.date >= (f->>'from')::date)
    and (f->>'to' is null or c.date <= (f->>'to')::date)
    and (f->>'employee_id' is null or c.employee_id = (f->>'employee_id')::uuid)
    and (f->>'pour_id' is null or c.pour_id = (f->>'pour_id')::uuid)
    and (after is null or (c.date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.date, c.id
  limit lim + 1
$$;

create function app.assignments_get(p_id uuid) returns json language sql stable as $$
  select app.assignments_json(c) from app.assignments c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.assignments_create(b jsonb) returns json language sql volatile as $$
  insert into app.assignments as c (tenant_id, employee_id, date, pour_id, role)
  values (app.current_tenant(), (b->>'employee_id')::uuid, (b->>'date')::date, (b->>'pour_id')::uuid, b->>'role')
  returning app.assignments_json(c)
$$;

create function app.assignments_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.assignments c set
    employee_id = case when b ? 'employee_id' then (b->>'employee_id')::uuid else c.employee_id end,
    date = case when b ? 'date' then (b->>'date')::date else c.date end,
    pour_id = case when b ? 'pour_id' then (b->>'pour_id')::uuid else c.pour_id end,
    role = case when b ? 'role' then b->>'role' else c.role end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.assignments_json(c)
$$;

create function app.assignments_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.assignments c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- reminders

create function app.reminders_json(c app.reminders) returns json language sql stable as $$
  select json_build_object('id', c.id, 'remind_at', app.ts(c.remind_at), 'channel', c.channel, 'to', c."to",
    'message', c.message, 'subject_type', c.subject_type, 'subject_id', c.subject_id, 'status', c.status,
    'sent_at', app.ts(c.sent_at), 'attempts', c.attempts, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

-- The rules that span fields: "to" fits the channel, remind_at is in the future when set,
-- the subject exists in this workspace.
create function app.reminders_check() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.remind_at is distinct from old.remind_at then
    if new.remind_at <= now() then
      perform app.bad('remind_at', 'invalid', 'remind_at must be in the future');
    end if;
  end if;
  if new.channel = 'email' and new."to" !~ '^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$' then
    perform app.bad('to', 'invalid', 'to must be an email address for the email channel');
  end if;
  if new.channel = 'sms' and new."to" !~ '^\+[1-9][0-9]{6,14}$' then
    perform app.bad('to', 'invalid', 'to must be an E.164 number (+15551234567) for the sms channel');
  end if;
  if (new.subject_type is null) <> (new.subject_id is null) then
    perform app.bad('subject_id', 'invalid', 'subject_type and subject_id go together');
  end if;
  if new.subject_id is not null and not (
       (new.subject_type = 'customer' and exists (select 1 from app.customers x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'project' and exists (select 1 from app.projects x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'pour' and exists (select 1 from app.pours x where x.tenant_id = new.tenant_id and x.id = new.subject_id))) then
    perform app.bad('subject_id', 'not_found', 'no such ' || new.subject_type || ' in this workspace');
  end if;
  return new;
end $$;

create trigger reminders_check before insert or update of remind_at, channel, "to", subject_type, subject_id
  on app.reminders for each row execute function app.reminders_check();

create function app.reminders_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.reminders_json(c), c.created_at::text || '|' || c.id
  from app.reminders c
  where c.tenant_id = app.current_tenant()
    and (f->>'status' is null or c.status = f->>'status')
    and (f->>'from' is null or c.remind_at >= (f->>'from')::date)
    and (f->>'to' is null or c.remind_at < (f->>'to')::date + 1)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

create function app.reminders_get(p_id uuid) returns json language sql stable as $$
  select app.reminders_json(c) from app.reminders c where c.tenant_id = app.current_tenant() and c.id = p_id
$$;

create function app.reminders_create(b jsonb) returns json language sql volatile as $$
  insert into app.reminders as c (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
  values (app.current_tenant(), (b->>'remind_at')::timestamptz, b->>'channel', b->>'to', b->>'message',
          b->>'subject_type', (b->>'subject_id')::uuid)
  returning app.reminders_json(c)
$$;

create function app.reminders_update(p_id uuid, b jsonb) returns json language sql volatile as $$
  update app.reminders c set
    remind_at = case when b ? 'remind_at' then (b->>'remind_at')::timestamptz else c.remind_at end,
    channel = case when b ? 'channel' then b->>'channel' else c.channel end,
    "to" = case when b ? 'to' then b->>'to' else c."to" end,
    message = case when b ? 'message' then b->>'message' else c.message end,
    subject_type = case when b ? 'subject_type' then b->>'subject_type' else c.subject_type end,
    subject_id = case when b ? 'subject_id' then (b->>'subject_id')::uuid else c.subject_id end,
    updated_at = now()
  where c.tenant_id = app.current_tenant() and c.id = p_id
  returning app.reminders_json(c)
$$;

create function app.reminders_delete(p_id uuid) returns boolean language sql volatile as $$
  with d as (delete from app.reminders c where c.tenant_id = app.current_tenant() and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

-- ---------------------------------------------------------------------------------------
-- The manpower projection: one row per date of the range and region of the workspace.

create function app.manpower(p_from date, p_to date, p_region uuid) returns json language sql stable as $$
  with days as (select d::date as day from generate_series(p_from, p_to, interval '1 day') d),
  regs as (select r.tenant_id, r.id, r.name from app.regions r
           where r.tenant_id = app.current_tenant() and (p_region is null or r.id = p_region)),
  needed as (select pr.region_id, p.scheduled_date as day, sum(p.crew_size_needed) as n
             from app.pours p join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
             where p.tenant_id = app.current_tenant() and p.scheduled_date between p_from and p_to
               and p.status <> 'canceled'
             group by 1, 2),
  assigned as (select e.region_id, a.date as day, count(distinct a.employee_id) as n
               from app.assignments a join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
               where a.tenant_id = app.current_tenant() and a.date between p_from and p_to
               group by 1, 2),
  active as (select e.region_id, count(*) as n from app.employees e
             where e.tenant_id = app.current_tenant() and e.active group by 1),
  busy as (select e.region_id, a.date as day, count(distinct a.employee_id) as n
           from app.assignments a join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
           where a.tenant_id = app.current_tenant() and a.date between p_from and p_to and e.active
           group by 1, 2)
  select coalesce(json_agg(json_build_object('date', d.day::text, 'region_id', r.id,
           'needed', coalesce(n.n, 0), 'assigned', coalesce(a.n, 0),
           'available', coalesce(ac.n, 0) - coalesce(b.n, 0)) order by d.day, r.name, r.id), '[]'::json)
  from days d cross join regs r
  left join needed n on n.region_id = r.id and n.day = d.day
  left join assigned a on a.region_id = r.id and a.day = d.day
  left join active ac on ac.region_id = r.id
  left join busy b on b.region_id = r.id and b.day = d.day
$$;
