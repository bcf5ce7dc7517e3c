-- Tenant isolation proved in the database itself (DESIGN.md "Tenant isolation"): whatever the
-- server does, planyard_app sees and changes only the rows of the workspace of the live session
-- whose secret it handed over.
--
-- A pgTAP script. tests/api/test_isolation_sql.py makes two workspaces through the HTTP API
-- (so real sessions exist) and runs this file with psql as the cluster's superuser, passing:
--   a_ids, b_ids      JSON: tenant, user, customer, region, project, employee, free_employee,
--                     crew, pour, assignment, reminder, trip, traveler, tag (of the names) of
--                     workspace A / B
--   a_counts, b_counts JSON: rows of each operating table of A / B
--   a_key, b_key      the session secrets (claim sk) of A's and B's owners
--   a_viewer_key, a_sched_key, a_sched_user    a viewer and a scheduler of A
--   a_revoked_key, a_revoked_session           a session of A's owner ended by POST /auth/logout
--   a_expired_key, a_idle_key                  sessions of A's owner past expires_at / idle 8 days
-- The superuser only installs pgTAP (and the helpers below, which run as their caller) and
-- then becomes planyard_app for good (SET SESSION AUTHORIZATION): every assertion runs as
-- planyard_app. Everything happens in one transaction that is rolled back at the end.
--
-- Each description starts with its section in brackets; the Python module reports per section.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only on
\pset pager off

begin;
create schema tap;
create extension pgtap schema tap;
grant usage on schema tap to planyard_app;
analyze;    -- so pg_stats has statistics of every table to keep to itself
set search_path = tap, pg_catalog;

-- 'rows:N' (rows the statement returned or changed) or 'error:SQLSTATE'; a failed statement
-- changes nothing (its own subtransaction).
create function tap.outcome(sql text) returns text language plpgsql as $$
declare
  n bigint;
begin
  execute sql;
  get diagnostics n = row_count;
  return 'rows:' || n;
exception when others then
  return 'error:' || sqlstate;
end $$;

-- The first column of the first row as text ('<null>', '<none>'), or 'error:SQLSTATE'.
create function tap.value(sql text) returns text language plpgsql as $$
declare
  v text;
begin
  execute 'select (' || sql || ')::text' into v;
  return coalesce(v, '<null>');
exception when others then
  return 'error:' || sqlstate;
end $$;

-- The operating-data tables of sql/004 and the API's collections (customers ... reminders).
create function tap.op_tables() returns setof text language sql immutable as $$
  select unnest(array['customers', 'regions', 'projects', 'employees', 'crews', 'crew_members', 'pours',
                      'assignments', 'reminders', 'trips', 'travelers'])
$$;
create function tap.collections() returns setof text language sql immutable as $$
  select unnest(array['customers', 'regions', 'projects', 'employees', 'crews', 'pours', 'assignments', 'reminders',
                      'trips', 'travelers'])
$$;

-- Every table of schema app, and those of them that belong to a workspace (tenant_id).
create function tap.app_tables() returns setof text language sql stable as $$
  select c.relname::text from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1
$$;
create function tap.tenant_tables() returns setof text language sql stable as $$
  select c.relname::text from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  where n.nspname = 'app' and c.relkind in ('r', 'p') order by 1
$$;

-- An INSERT of one valid row into an operating table, in the workspace of ids (a_ids / b_ids).
create function tap.insert_sql(t text, ids jsonb) returns text language sql immutable as $$
  select format(case t
    when 'customers' then 'insert into app.customers (tenant_id, name) values (%1$L, ''forged'')'
    when 'regions' then 'insert into app.regions (tenant_id, name) values (%1$L, ''forged'')'
    when 'projects' then 'insert into app.projects (tenant_id, customer_id, name) values (%1$L, %2$L, ''forged'')'
    when 'employees' then 'insert into app.employees (tenant_id, name) values (%1$L, ''forged'')'
    when 'crews' then 'insert into app.crews (tenant_id, name) values (%1$L, ''forged'')'
    when 'crew_members' then 'insert into app.crew_members (tenant_id, crew_id, employee_id) values (%1$L, %3$L, %4$L)'
    when 'pours' then 'insert into app.pours (tenant_id, project_id, scheduled_date, volume_cy, mix) '
                      'values (%1$L, %5$L, ''2031-07-29'', 1, ''forged'')'
    when 'assignments' then 'insert into app.assignments (tenant_id, employee_id, date) values (%1$L, %4$L, ''2031-07-30'')'
    when 'reminders' then 'insert into app.reminders (tenant_id, remind_at, channel, "to", message) '
                          'values (%1$L, now() + interval ''1 day'', ''email'', ''x@example.com'', ''forged'')'
    when 'trips' then 'insert into app.trips (tenant_id, customer_id, name, start_date, end_date) '
                      'values (%1$L, %2$L, ''forged'', ''2031-07-29'', ''2031-07-30'')'
    when 'travelers' then 'insert into app.travelers (tenant_id, trip_id, name) values (%1$L, %6$L, ''forged'')'
    end, ids->>'tenant', ids->>'customer', ids->>'crew', ids->>'free_employee', ids->>'project', ids->>'trip')
$$;

-- Nothing of any workspace is reachable: no row of any table of app, no insert into an
-- operating table, nothing through the functions the server calls.
create function tap.nothing_visible(label text, ids jsonb) returns setof text language plpgsql as $$
declare
  t text;
  o text;
begin
  return next tap.is(app.current_tenant(), null::uuid, label || ' app.current_tenant() is null');
  return next tap.is(app.current_rank(), 0, label || ' app.current_rank() is 0');
  return next tap.is(app.current_user_id(), null::uuid, label || ' app.current_user_id() is null');
  for t in select * from tap.app_tables() loop
    o := tap.outcome(format('select 1 from app.%I', t));
    return next tap.ok(o in ('rows:0', 'error:42501'), format('%s app.%s shows no row [%s]', label, t, o));
  end loop;
  for t in select * from tap.op_tables() loop
    o := tap.outcome(tap.insert_sql(t, ids));
    return next tap.is(o, 'error:42501', format('%s insert into app.%s is refused', label, t));
  end loop;
  for t in select * from tap.collections() loop
    return next tap.is(tap.value(format('select count(*) from app.%I_page(%L, 200, null)', t,
                                        '{"from": "2000-01-01", "to": "2100-01-01"}')), '0',
                       format('%s app.%s_page lists nothing', label, t));
    return next tap.is(tap.value(format('app.%I_get(%L)', t, ids->>rtrim(t, 's'))), '<null>',
                       format('%s app.%s_get of a known id is null', label, t));
    return next tap.is(tap.value(format('app.%I_update(%L, %L)', t, ids->>rtrim(t, 's'), '{"notes": "x"}')), '<null>',
                       format('%s app.%s_update changes nothing', label, t));
    return next tap.is(tap.value(format('app.%I_delete(%L)', t, ids->>rtrim(t, 's'))), 'false',
                       format('%s app.%s_delete deletes nothing', label, t));
  end loop;
  return next tap.is(tap.value(format('app.manpower(%L, %L, null)', '2031-05-01', '2031-07-31')), '[]',
                     label || ' app.manpower has no row');
end $$;

-- The live session's view: every visible row is its workspace's, all of its operating rows
-- are there, and the other workspace's ids are nowhere.
create function tap.only_own(label text, own jsonb, counts jsonb, other jsonb) returns setof text
language plpgsql as $$
declare
  t text;
  o text;
begin
  return next tap.is(app.current_tenant(), (own->>'tenant')::uuid, label || ' app.current_tenant() is the session''s');
  for t in select * from tap.tenant_tables() loop
    o := tap.outcome(format('select 1 from app.%I where tenant_id is distinct from %L', t, own->>'tenant'));
    return next tap.ok(o in ('rows:0', 'error:42501'),
                       format('%s app.%s shows no row of another workspace [%s]', label, t, o));
  end loop;
  for t in select * from tap.op_tables() loop
    return next tap.is(tap.value(format('select count(*) from app.%I', t)), counts->>t,
                       format('%s app.%s shows all %s rows of the workspace', label, t, counts->>t));
  end loop;
  for t in select * from tap.collections() loop
    return next tap.is(tap.outcome(format('select 1 from app.%I where id = %L', t, other->>rtrim(t, 's'))), 'rows:0',
                       format('%s app.%s: the other workspace''s id is not there', label, t));
    return next tap.is(tap.value(format('app.%I_get(%L)', t, other->>rtrim(t, 's'))), '<null>',
                       format('%s app.%s_get of the other workspace''s id is null', label, t));
  end loop;
  return next tap.is(tap.value('select count(*) from app.tenants'), '1', label || ' app.tenants shows one row');
  return next tap.is(tap.outcome(format('select 1 from app.tenants where id = %L', own->>'tenant')), 'rows:1',
                     label || ' app.tenants shows the session''s workspace');
  return next tap.is(tap.outcome(format('select 1 from app.users where id = %L', other->>'user')), 'rows:0',
                     label || ' app.users hides the other workspace''s owner');
  return next tap.is(tap.value(format(
                       'select count(*) from app.users u where not exists (select 1 from app.memberships m '
                       'where m.user_id = u.id and m.tenant_id = %L)', own->>'tenant')), '0',
                     label || ' app.users shows members of the workspace only');
  return next tap.is(tap.value(format('select count(*) from app.sessions where user_id is distinct from %L',
                                      own->>'session_user')), '0',
                     label || ' app.sessions shows the session user''s own sessions only');
end $$;

-- Writes of the live session (own) aimed at the other workspace (other): refused or nothing.
create function tap.cannot_reach(label text, own jsonb, other jsonb) returns setof text language plpgsql as $$
declare
  t text;
  o text;
begin
  for t in select * from tap.op_tables() loop
    return next tap.is(tap.outcome(tap.insert_sql(t, other)), 'error:42501',
                       format('%s insert into app.%s with the other tenant_id is a policy violation', label, t));
  end loop;
  for t in select * from tap.tenant_tables() loop
    o := tap.outcome(format('update app.%I set tenant_id = %L where tenant_id = %L', t, other->>'tenant', own->>'tenant'));
    return next tap.ok(o = 'error:42501' or o = 'rows:0',
                       format('%s update app.%s set tenant_id to the other workspace is refused [%s]', label, t, o));
    o := tap.outcome(format('update app.%I set tenant_id = tenant_id where tenant_id = %L', t, other->>'tenant'));
    return next tap.ok(o in ('rows:0', 'error:42501'),
                       format('%s update of the other workspace''s app.%s rows changes none [%s]', label, t, o));
    o := tap.outcome(format('delete from app.%I where tenant_id = %L', t, other->>'tenant'));
    return next tap.ok(o in ('rows:0', 'error:42501'),
                       format('%s delete of the other workspace''s app.%s rows deletes none [%s]', label, t, o));
  end loop;
  for t in select * from tap.op_tables() loop
    -- strictly: granted, so the policies (not a missing grant) make these nothing
    return next tap.is(tap.outcome(format('update app.%I set tenant_id = tenant_id where tenant_id = %L', t,
                                          other->>'tenant')), 'rows:0',
                       format('%s update app.%s where tenant_id = the other: 0 rows', label, t));
    return next tap.is(tap.outcome(format('delete from app.%I where tenant_id = %L', t, other->>'tenant')), 'rows:0',
                       format('%s delete from app.%s where tenant_id = the other: 0 rows', label, t));
  end loop;
  for t in select * from tap.collections() loop
    return next tap.is(tap.value(format('app.%I_update(%L, %L)', t, other->>rtrim(t, 's'), '{"notes": "x"}')),
                       '<null>', format('%s app.%s_update of the other workspace''s id is null', label, t));
    return next tap.is(tap.value(format('app.%I_delete(%L)', t, other->>rtrim(t, 's'))), 'false',
                       format('%s app.%s_delete of the other workspace''s id is false', label, t));
  end loop;
  return next tap.is(tap.value(format('app.crews_set_members(%L, %L)', other->>'crew', '{"employee_ids": []}')),
                     '<null>', label || ' app.crews_set_members of the other workspace''s crew is null');
  return next tap.is(tap.value(format('app.pours_cancel(%L, %L)', other->>'pour', '{"reason": "x"}')), '<null>',
                     label || ' app.pours_cancel of the other workspace''s pour is null');
  -- references into the other workspace: foreign keys carry tenant_id
  return next tap.is(tap.outcome(format('update app.projects set customer_id = %L where tenant_id = %L',
                                        other->>'customer', own->>'tenant')), 'error:23503',
                     label || ' a project can''t point at the other workspace''s customer');
  return next tap.is(tap.outcome(format('update app.assignments set pour_id = %L where tenant_id = %L',
                                        other->>'pour', own->>'tenant')), 'error:23503',
                     label || ' an assignment can''t point at the other workspace''s pour');
  return next tap.is(tap.outcome(format('insert into app.crew_members (tenant_id, crew_id, employee_id) values (%L, %L, %L)',
                                        own->>'tenant', own->>'crew', other->>'employee')), 'error:23503',
                     label || ' a crew can''t take the other workspace''s employee');
  return next tap.is(tap.outcome(format('update app.reminders set subject_type = ''pour'', subject_id = %L '
                                        'where tenant_id = %L', other->>'pour', own->>'tenant')), 'error:PY400',
                     label || ' a reminder can''t be about the other workspace''s pour');
  -- trips: their client, their travellers' trip, a reminder about one, and what is below a trip
  return next tap.is(tap.outcome(format('update app.trips set customer_id = %L where tenant_id = %L',
                                        other->>'customer', own->>'tenant')), 'error:23503',
                     label || ' a trip can''t be for the other workspace''s client');
  return next tap.is(tap.outcome(format('update app.travelers set trip_id = %L where tenant_id = %L',
                                        other->>'trip', own->>'tenant')), 'error:23503',
                     label || ' a traveler can''t go on the other workspace''s trip');
  return next tap.is(tap.outcome(format('update app.reminders set subject_type = ''trip'', subject_id = %L '
                                        'where tenant_id = %L', other->>'trip', own->>'tenant')), 'error:PY400',
                     label || ' a reminder can''t be about the other workspace''s trip');
  return next tap.is(tap.value(format('app.trip_travelers(%L)', other->>'trip')), '<null>',
                     label || ' app.trip_travelers of the other workspace''s trip is null');
  return next tap.is(tap.value(format('app.trip_travelers_create(%L, %L)', other->>'trip', '{"name": "x"}')), '<null>',
                     label || ' app.trip_travelers_create on the other workspace''s trip is null');
  return next tap.is(tap.value(format('app.trip_reminders_create(%L, %L)', other->>'trip',
                                      '{"template": "documents", "channel": "email", "to": "x@example.com"}')), '<null>',
                     label || ' app.trip_reminders_create on the other workspace''s trip is null');
  return next tap.is(tap.value(format('(select count(*) from app.export_trips(%L, %L) where name like %L)',
                                      '2000-01-01', '2100-01-01', '%' || (other->>'tag') || '%')), '0',
                     label || ' app.export_trips has none of the other workspace''s trips');
  -- the accounts tables
  return next tap.is(tap.outcome(format('update app.tenants set name = ''forged'' where id = %L', other->>'tenant')),
                     'rows:0', label || ' the other workspace''s row in app.tenants is out of reach');
  return next tap.is(tap.outcome(format('update app.users set name = ''forged'' where id = %L', other->>'user')),
                     'rows:0', label || ' the other workspace''s owner in app.users is out of reach');
  o := tap.outcome(format('insert into app.memberships (tenant_id, user_id, role) values (%L, %L, ''owner'')',
                          other->>'tenant', own->>'session_user'));
  return next tap.is(o, 'error:42501', label || ' no membership of the other workspace can be made');
  o := tap.outcome(format('update app.sessions set revoked_at = now() where tenant_id = %L', other->>'tenant'));
  return next tap.ok(o in ('rows:0', 'error:42501'), format('%s the other workspace''s sessions can''t be revoked [%s]', label, o));
end $$;

select tap.no_plan();

-- ---------------------------------------------------------------------------------------------
-- From here on: planyard_app.
set session authorization planyard_app;
set search_path = app, tap;

-- [identity] who planyard_app is and what it may do at all
select is(current_user::text, 'planyard_app', '[identity] current_user is planyard_app');
select is(session_user::text, 'planyard_app', '[identity] session_user is planyard_app');
select ok(not r.rolsuper, '[identity] planyard_app is not a superuser') from pg_roles r where r.rolname = 'planyard_app';
select ok(not r.rolbypassrls, '[identity] planyard_app has no BYPASSRLS') from pg_roles r where r.rolname = 'planyard_app';
select ok(not r.rolcreaterole and not r.rolcreatedb, '[identity] planyard_app creates no role, no database')
  from pg_roles r where r.rolname = 'planyard_app';
select is((select count(*)::int from pg_auth_members where member = 'planyard_app'::regrole), 0,
          '[identity] planyard_app is a member of no role');
select is((select string_agg(c.relname, ', ') from pg_class c where c.relowner = 'planyard_app'::regrole), null::text,
          '[identity] planyard_app owns no table, view, sequence or index');
select is((select count(*)::int from pg_proc where proowner = 'planyard_app'::regrole), 0,
          '[identity] planyard_app owns no function');
select is((select count(*)::int from pg_namespace where nspowner = 'planyard_app'::regrole), 0,
          '[identity] planyard_app owns no schema');
select is((select string_agg(nspname, ', ') from pg_namespace where has_schema_privilege(oid, 'CREATE')), null::text,
          '[identity] planyard_app may create in no schema');
select ok(not has_database_privilege(current_database(), 'CREATE'), '[identity] planyard_app may not create schemas');
select ok(not has_database_privilege(current_database(), 'TEMPORARY'), '[identity] planyard_app may not create temporary tables');
select is(tap.outcome('create temporary table t (i int)'), 'error:42501', '[identity] create temporary table is refused');
select is(tap.outcome('create table app.t (i int)'), 'error:42501', '[identity] create table in app is refused');
select is(tap.outcome('set role planyard_owner'), 'error:42501', '[identity] set role planyard_owner is refused');
select is(tap.outcome('set role postgres'), 'error:42501', '[identity] set role postgres is refused');
select ok((c.relrowsecurity and c.relforcerowsecurity)
          or not (has_table_privilege(c.oid, 'SELECT') or has_table_privilege(c.oid, 'INSERT')
                  or has_table_privilege(c.oid, 'UPDATE') or has_table_privilege(c.oid, 'DELETE')
                  or has_any_column_privilege(c.oid, 'SELECT') or has_any_column_privilege(c.oid, 'UPDATE')),
          format('[identity] app.%s: row-level security enabled and forced (or out of planyard_app''s reach)', c.relname))
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'app' and c.relkind in ('r', 'p') order by c.relname;
select ok(c.relrowsecurity and c.relforcerowsecurity, format('[identity] app.%s: row-level security enabled and forced', c.relname))
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'app' and c.relname::text = any (array(select tap.tenant_tables())) order by c.relname;
select is(tap.outcome(format('truncate app.%I', t)), 'error:42501', format('[identity] truncate app.%s is refused', t))
  from tap.app_tables() t;
select is(tap.outcome(format('alter table app.%I disable row level security', t)), 'error:42501',
          format('[identity] alter table app.%s disable row level security is refused', t))
  from tap.app_tables() t;
select is((select count(*)::int from pg_stats where schemaname = 'app'), 0,
          '[identity] pg_stats shows no statistics (values) of app''s tables');
select ok((select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'app' and c.reltuples > 0) > 0, '[identity] (the tables have been analyzed)');
select ok(not has_table_privilege('app.sessions', 'INSERT') and not has_table_privilege('app.sessions', 'DELETE')
          and not has_column_privilege('app.sessions', 'expires_at', 'UPDATE')
          and not has_column_privilege('app.sessions', 'last_used_at', 'UPDATE')
          and not has_column_privilege('app.sessions', 'key_hash', 'UPDATE'),
          '[identity] planyard_app can''t make, extend or re-key a session');

-- [no-context] nothing handed over: nothing at all
select * from nothing_visible('[no-context]', :'a_ids');
-- a predicate that fails on any row it is shown: never run on rows the policies hide
select is(tap.outcome(format('select 1 from app.%I where 1 / (length(tenant_id::text) - 36) = 1', t)), 'rows:0',
          format('[no-context] a failing predicate on app.%s never meets a hidden row', t))
  from tap.op_tables() t;
select is(tap.outcome('insert into app.tenants (slug, name) values (''forged'', ''forged'')'), 'error:42501',
          '[no-context] insert into app.tenants is refused');
select is(tap.outcome(format('insert into app.memberships (tenant_id, user_id, role) values (%L, %L, ''owner'')',
                             :'a_ids'::jsonb->>'tenant', :'b_ids'::jsonb->>'user')), 'error:42501',
          '[no-context] insert into app.memberships is refused');
select is(tap.outcome(format('insert into app.sessions (tenant_id, user_id, key_hash, key_sealed) values (%L, %L, %L, %L)',
                             :'a_ids'::jsonb->>'tenant', :'a_ids'::jsonb->>'user', '\x00', '\x00')), 'error:42501',
          '[no-context] insert into app.sessions is refused');
select is(tap.outcome(format('update app.sessions set revoked_at = null where tenant_id = %L', :'a_ids'::jsonb->>'tenant')),
          'rows:0', '[no-context] update of app.sessions changes nothing');

-- [forged] settings a compromised server could write instead of a live session's secret
set local app.tenant_id = :'a_tenant';
select * from nothing_visible('[forged] app.tenant_id = A:', :'a_ids');
set local app.current_tenant = :'a_tenant';
select * from nothing_visible('[forged] + app.current_tenant = A:', :'a_ids');
set local app.definer_tenant = :'a_tenant';
set local app.definer_actor = :'a_user';
select * from nothing_visible('[forged] + app.definer_tenant = A:', :'a_ids');
set local app.session_key = 'a-made-up-session-key-of-forty-three-chars';
select * from nothing_visible('[forged] + app.session_key = made up:', :'a_ids');
set local app.session_key = :'a_key_hash_hex';
select * from nothing_visible('[forged] + app.session_key = the stored hash of A''s key:', :'a_ids');
set local app.session_key = :'a_session';
select * from nothing_visible('[forged] + app.session_key = A''s session id:', :'a_ids');
set local app.session_key = :'a_key_upper';
select * from nothing_visible('[forged] + app.session_key = A''s key upper-cased:', :'a_ids');
select is((select count(*)::int from app.request_begin('a-made-up-session-key-of-forty-three-chars')), 0,
          '[forged] app.request_begin of a made-up key returns no row');
select is((select count(*)::int from app.request_begin(null)), 0, '[forged] app.request_begin(null) returns no row');
select is((select count(*)::int from app.request_begin('')), 0, '[forged] app.request_begin('''') returns no row');
-- B's audit log is not writable by naming B (app.audit without a session); checked from B's side below
set local app.definer_tenant = :'b_tenant';
set local app.definer_actor = :'b_user';
set local app.session_key = '';
select ok(tap.outcome('select app.audit(''customer.deleted'', ''customer'', ''forged-by-a'', ''{}''::jsonb)') ~ '^(rows:1|error:)',
          '[forged] app.audit without a session returns (or is refused)');
set local app.definer_tenant = '';
set local app.definer_actor = '';
set local app.tenant_id = '';
set local app.current_tenant = '';

-- [session] A's owner, as the server does it
select is((select tenant_id from app.request_begin(:'a_key')), (:'a_ids'::jsonb->>'tenant')::uuid,
          '[session] app.request_begin(A''s key) names A');
select is((select role from app.request_begin(:'a_key')), 'owner', '[session] A''s key is A''s owner');
select * from only_own('[session] A:', :'a_ids'::jsonb || jsonb_build_object('session_user', :'a_ids'::jsonb->>'user'),
                       :'a_counts', :'b_ids');
select * from cannot_reach('[cross-write] A -> B:', :'a_ids'::jsonb || jsonb_build_object('session_user', :'a_ids'::jsonb->>'user'),
                           :'b_ids');
-- an account's secrets are not the server's to read
select is(tap.outcome('select password_hash from app.users'), 'error:42501',
          '[session] app.users.password_hash is not readable by planyard_app');
select is(tap.outcome('select totp_secret from app.users'), 'error:42501',
          '[session] app.users.totp_secret is not readable by planyard_app');
select is(tap.outcome(format('insert into app.memberships (tenant_id, user_id, role) values (%L, %L, ''viewer'')',
                             :'a_ids'::jsonb->>'tenant', :'b_ids'::jsonb->>'user')), 'error:42501',
          '[session] A''s owner can''t pull B''s owner into A (and see that account)');
select is(tap.outcome(format('update app.memberships set user_id = %L where tenant_id = %L and user_id = %L',
                             :'b_ids'::jsonb->>'user', :'a_ids'::jsonb->>'tenant', :'a_sched_user')), 'error:42501',
          '[session] A''s owner can''t turn a membership of A into one of B''s owner');
select is(tap.outcome(format('select 1 from app.users where id = %L', :'b_ids'::jsonb->>'user')), 'rows:0',
          '[session] B''s owner stays out of A''s view');

-- [session] B's owner sees B only
select is((select tenant_id from app.request_begin(:'b_key')), (:'b_ids'::jsonb->>'tenant')::uuid,
          '[session] app.request_begin(B''s key) names B');
select * from only_own('[session] B:', :'b_ids'::jsonb || jsonb_build_object('session_user', :'b_ids'::jsonb->>'user'),
                       :'b_counts', :'a_ids');
select is(tap.value(format('select count(*) from app.audit_log where entity_id = %L', 'forged-by-a')), '0',
          '[forged] B''s audit log holds nothing written by naming B in app.definer_tenant');
select is(tap.value(format('select count(*) from app.audit_log where tenant_id <> %L', :'b_ids'::jsonb->>'tenant')), '0',
          '[session] B''s owner reads B''s audit log only');

-- [revoked] [expired] [idle] sessions that ended: nothing, even with the real secret
select is((select count(*)::int from app.request_begin(:'a_revoked_key')), 0,
          '[revoked] app.request_begin of a signed-out session returns no row');
select * from nothing_visible('[revoked]', :'a_ids');
select is((select count(*)::int from app.request_begin(:'a_expired_key')), 0,
          '[expired] app.request_begin of an expired session returns no row');
select * from nothing_visible('[expired]', :'a_ids');
select is((select count(*)::int from app.request_begin(:'a_idle_key')), 0,
          '[expired] app.request_begin of a session idle for 8 days returns no row');
select * from nothing_visible('[expired] idle:', :'a_ids');

-- [viewer] reads A, writes nothing
select is((select role from app.request_begin(:'a_viewer_key')), 'viewer', '[viewer] the key is a viewer''s of A');
select is(app.current_rank(), 1, '[viewer] app.current_rank() is 1');
select is(tap.value(format('select count(*) from app.%I', t)), :'a_counts'::jsonb->>t,
          format('[viewer] app.%s shows A''s rows', t))
  from tap.op_tables() t;
select is(tap.outcome(tap.insert_sql(t, :'a_ids')), 'error:42501', format('[viewer] insert into app.%s is refused', t))
  from tap.op_tables() t;
select is(tap.outcome(format('update app.%I set tenant_id = tenant_id where tenant_id = %L', t, :'a_ids'::jsonb->>'tenant')),
          'rows:0', format('[viewer] update of app.%s changes no row', t))
  from tap.op_tables() t;
select is(tap.outcome(format('delete from app.%I where tenant_id = %L', t, :'a_ids'::jsonb->>'tenant')), 'rows:0',
          format('[viewer] delete from app.%s deletes no row', t))
  from tap.op_tables() t;
select is(tap.value(format('app.%I_create(%L)', t, '{"name": "x"}')), 'error:42501',
          format('[viewer] app.%s_create is refused', t))
  from tap.collections() t where t in ('customers', 'regions', 'employees', 'crews');
select is(tap.value(format('app.%I_update(%L, %L)', t, :'a_ids'::jsonb->>rtrim(t, 's'), '{"notes": "x"}')), '<null>',
          format('[viewer] app.%s_update changes nothing', t))
  from tap.collections() t;
select is(tap.value(format('app.%I_delete(%L)', t, :'a_ids'::jsonb->>rtrim(t, 's'))), 'false',
          format('[viewer] app.%s_delete deletes nothing', t))
  from tap.collections() t;
select is(tap.value(format('app.crews_set_members(%L, %L)', :'a_ids'::jsonb->>'crew', '{"employee_ids": []}')), '<null>',
          '[viewer] app.crews_set_members changes nothing');
select is(tap.value(format('app.pours_cancel(%L, %L)', :'a_ids'::jsonb->>'pour', '{"reason": "x"}')), '<null>',
          '[viewer] app.pours_cancel changes nothing');
select ok(tap.outcome(format('update app.tenants set name = ''forged'' where id = %L', :'a_ids'::jsonb->>'tenant'))
          in ('rows:0', 'error:42501'), '[viewer] A''s settings are not the viewer''s to change');
select ok(tap.outcome(format('update app.memberships set role = ''owner'' where tenant_id = %L', :'a_ids'::jsonb->>'tenant'))
          in ('rows:0', 'error:42501'), '[viewer] the viewer can''t raise a role');

-- [sessions-table] what planyard_app may do to sessions: revoke its own user's, nothing else
select is((select count(*)::int from app.request_begin(:'a_key')), 1, '[sessions-table] A''s owner again');
select ok(tap.outcome(format('update app.sessions set revoked_at = null where id = %L', :'a_revoked_session'))
          in ('rows:0', 'error:42501'), '[sessions-table] a signed-out session of the same user can''t be revived');
select is((select count(*)::int from app.request_begin(:'a_revoked_key')), 0,
          '[sessions-table] ... and it stays signed out');
select is((select count(*)::int from app.request_begin(:'a_key')), 1, '[sessions-table] A''s owner again');
select is(tap.outcome(format('update app.sessions set revoked_at = now() where user_id = %L', :'a_sched_user')), 'rows:0',
          '[sessions-table] A''s owner can''t revoke the sessions of another user of A');
select is(tap.outcome(format('update app.sessions set expires_at = now() + interval ''10 years'' where user_id = %L',
                             :'a_ids'::jsonb->>'user')), 'error:42501', '[sessions-table] a session can''t be extended');
select is(tap.outcome(format('update app.sessions set last_used_at = now() where user_id = %L', :'a_ids'::jsonb->>'user')),
          'error:42501', '[sessions-table] a session''s idle time can''t be reset by hand');
select is(tap.outcome(format('update app.sessions set key_hash = sha256(''x'') where user_id = %L', :'a_ids'::jsonb->>'user')),
          'error:42501', '[sessions-table] a session can''t be re-keyed');
select is(tap.outcome(format('delete from app.sessions where user_id = %L', :'a_sched_user')), 'error:42501',
          '[sessions-table] sessions can''t be deleted');
select is((select count(*)::int from app.request_begin(:'a_sched_key')), 1,
          '[sessions-table] the other user''s session is alive');

-- [definer] SECURITY DEFINER functions run as the schema owner, for whom app.current_tenant()
-- is whatever app.definer_tenant says, and any caller can set that: such a function must name
-- its workspace itself (set_config('app.definer_tenant', ...)) before it reads it, directly or
-- through a table whose policies trust it.
select ok(p.prosrc ~ 'set_config\(''app\.definer_tenant''',
          format('[definer] SECURITY DEFINER app.%s names its workspace before it relies on app.definer_tenant', p.proname))
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'app' and p.prosecdef
    and (p.prosrc ~ 'current_tenant\(|current_rank\(|app\.definer_tenant'
         -- or it reaches a table whose only way in is the workspace (no policy for definers)
         or exists (select 1 from pg_class c join pg_namespace cn on cn.oid = c.relnamespace
                    where cn.nspname = 'app' and c.relrowsecurity
                      and p.prosrc ~ ('app\.' || c.relname || '\M')
                      and exists (select 1 from pg_policy pol where pol.polrelid = c.oid
                                  and concat(pg_get_expr(pol.polqual, pol.polrelid), ' ',
                                             pg_get_expr(pol.polwithcheck, pol.polrelid)) ~ 'current_tenant')
                      and not exists (select 1 from pg_policy pol where pol.polrelid = c.oid
                                      and concat(pg_get_expr(pol.polqual, pol.polrelid), ' ',
                                                 pg_get_expr(pol.polwithcheck, pol.polrelid)) ~ 'is_definer')))
  order by p.proname;
select ok(true, '[definer] (every SECURITY DEFINER function of app was looked at)');

-- [session] last: A's owner writes its own (the refusals above were not a broken session)
select is((select count(*)::int from app.request_begin(:'a_key')), 1, '[session] A''s owner again');
select is(tap.outcome(tap.insert_sql('customers', :'a_ids')), 'rows:1', '[session] A inserts its own customer');
select is(tap.outcome(format('update app.regions set name = name where tenant_id = %L', :'a_ids'::jsonb->>'tenant')),
          'rows:' || (:'a_counts'::jsonb->>'regions'), '[session] A updates its own regions');
select is(tap.outcome(tap.insert_sql('crew_members', :'a_ids')), 'rows:1', '[session] A adds its own employee to its own crew');
select is(tap.outcome(format('update app.sessions set revoked_at = now() where id = %L', :'a_session')), 'rows:1',
          '[session] A''s owner ends its own session');
select is((select count(*)::int from app.request_begin(:'a_key')), 0, '[session] ... which is then over');

select * from finish();
rollback;
