-- Trust operations (DESIGN.md "Platform staff access" and "Data lifecycle", API.md "Exports"):
-- staff access to a workspace by a single-use link, deleting a workspace with everything in
-- it, and what the exports read.

-- ---------------------------------------------------------------------------------------
-- Platform staff access. No standing access: `planyard platform impersonate` makes a grant
-- through the one function the role planyard_platform may run; the link it prints works
-- once, within 5 minutes; redeeming it starts a session of the grant's user that cannot be
-- refreshed and ends 30 minutes later at the latest. The workspace's admins see the grants
-- and can end them at once.

create table app.impersonations (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  staff text not null check (length(staff) between 1 and 100),
  reason text not null check (length(reason) between 1 and 500),
  token_hash bytea not null unique,   -- SHA-256 of the link's token
  created_at timestamptz not null default now(),
  link_expires_at timestamptz not null default now() + interval '5 minutes',
  redeemed_at timestamptz,
  expires_at timestamptz,             -- the session's hard end: redeemed_at + 30 minutes
  revoked_at timestamptz,
  session_id uuid,
  primary key (tenant_id, id),
  -- a grant goes with the membership, as the sessions do (the audit log keeps its history)
  foreign key (tenant_id, user_id) references app.memberships (tenant_id, user_id) on delete cascade
);
create index impersonations_page on app.impersonations (tenant_id, created_at, id);
create index impersonations_user on app.impersonations (tenant_id, user_id);

alter table app.impersonations enable row level security;
alter table app.impersonations force row level security;
create policy impersonations_select on app.impersonations for select
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy impersonations_insert on app.impersonations for insert with check (app.is_definer());
create policy impersonations_update on app.impersonations for update using (app.is_definer()) with check (app.is_definer());
create policy impersonations_delete on app.impersonations for delete using (app.is_definer());
grant select on app.impersonations to planyard_app;

-- The role of staff tooling: it can't log in (an operator gives a login role membership, or
-- the dev command switches to it with SET ROLE), and reaches only the function below.
do $$
begin
  if not exists (select from pg_roles where rolname = 'planyard_platform') then
    create role planyard_platform nologin nosuperuser nocreatedb nocreaterole nobypassrls noinherit;
  end if;
  if exists (select from pg_roles where rolname = 'planyard_platform'
             and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)) then
    raise exception 'planyard_platform must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB';
  end if;
end $$;

-- Its own schema: usage of schema app would also open every function that PUBLIC may run.
create schema platform;
revoke all on schema platform from public;
grant usage on schema platform to planyard_platform;

-- Makes a grant for staff p_staff to act as member p_email of workspace p_slug; p_token_hash
-- is the SHA-256 of the link's token. Returns the grant's id; raises P0002 with one line
-- when there is no such workspace or the address is not one of its members.
create function platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea)
returns uuid language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  t uuid;
  u uuid;
  g uuid;
begin
  select x.id into t from app.tenants x where x.slug = p_slug;
  if t is null then
    raise exception 'no workspace "%"', p_slug using errcode = 'P0002';
  end if;
  select x.id into u from app.users x where lower(x.email) = lower(p_email);
  if u is null or not exists (select 1 from app.memberships m where m.tenant_id = t and m.user_id = u) then
    raise exception '% is not a member of workspace "%"', p_email, p_slug using errcode = 'P0002';
  end if;
  if length(btrim(coalesce(p_staff, ''))) = 0 or length(btrim(coalesce(p_reason, ''))) = 0 then
    raise exception 'staff and reason are required' using errcode = '22023';
  end if;
  if length(p_token_hash) <> 32 then
    raise exception 'the token hash must be 32 bytes' using errcode = '22023';
  end if;
  insert into app.impersonations (tenant_id, user_id, staff, reason, token_hash)
    values (t, u, btrim(p_staff), btrim(p_reason), p_token_hash) returning id into g;
  return g;
end $$;
revoke execute on function platform.impersonate(text, text, text, text, bytea) from public;
grant execute on function platform.impersonate(text, text, text, text, bytea) to planyard_platform;

-- Redeems a link: once, within its 5 minutes, while its user is still a member. Creates the
-- session (sealed secret given by the server; no refresh token) and writes
-- platform.impersonate_tenant into the workspace's log. status 'ok' or 'invalid'.
create function app.impersonation_redeem(p_token_hash bytea, p_key_hash bytea, p_key_sealed bytea, p_ip text,
  p_ua text)
returns table (status text, impersonation_id uuid, tenant_id uuid, user_id uuid, session_id uuid, expires_at timestamptz)
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  i app.impersonations;
  s uuid;
  who text;
  ends timestamptz := now() + interval '30 minutes';
begin
  select * into i from app.impersonations x where x.token_hash = p_token_hash for update;
  if not found or i.redeemed_at is not null or i.revoked_at is not null or i.link_expires_at <= now()
     or not exists (select 1 from app.memberships m where m.tenant_id = i.tenant_id and m.user_id = i.user_id) then
    status := 'invalid';
    return next;
    return;
  end if;
  insert into app.sessions (tenant_id, user_id, key_hash, key_sealed, aal, ip, user_agent, impersonation_id, expires_at)
    values (i.tenant_id, i.user_id, p_key_hash, p_key_sealed, 'aal1', p_ip, left(p_ua, 512), i.id, ends)
    returning id into s;
  update app.impersonations x set redeemed_at = now(), expires_at = ends, session_id = s
    where x.tenant_id = i.tenant_id and x.id = i.id;
  select u.email into who from app.users u where u.id = i.user_id;
  perform app.audit_write(i.tenant_id, i.user_id, i.staff || ' as ' || who, 'platform', 'platform.impersonate_tenant',
    'impersonation', i.id::text,
    jsonb_build_object('staff', jsonb_build_array(null, i.staff), 'reason', jsonb_build_array(null, i.reason),
                       'user', jsonb_build_array(null, who)), p_ip);
  status := 'ok';
  impersonation_id := i.id;
  tenant_id := i.tenant_id;
  user_id := i.user_id;
  session_id := s;
  expires_at := ends;
  return next;
end $$;

-- The grant behind the live session, if it is a staff session (GET /me's banner, and the
-- staff name the gate hands to app.audit in app.impersonation_staff).
create function app.session_impersonation()
returns table (id uuid, staff text, reason text, expires_at timestamptz)
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select i.id, i.staff, i.reason, i.expires_at from app.live_session() s
  join app.impersonations i on i.tenant_id = s.tenant_id and i.id = s.impersonation_id
$$;
grant execute on function app.session_impersonation() to planyard_app;

create function app.impersonation_json(i app.impersonations) returns json language sql stable as $$
  select json_build_object('id', i.id, 'staff', i.staff, 'reason', i.reason, 'created_at', app.ts(i.created_at),
    'expires_at', app.ts(coalesce(i.expires_at, i.link_expires_at)), 'redeemed_at', app.ts(i.redeemed_at),
    'revoked_at', app.ts(i.revoked_at),
    'active', i.revoked_at is null and case when i.redeemed_at is null then i.link_expires_at > now()
                                            else i.expires_at > now() end)
$$;

create function app.impersonations_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.impersonation_json(i), i.created_at::text || '|' || i.id
  from app.impersonations i
  where i.tenant_id = app.current_tenant()
    and (after is null or (i.created_at, i.id) < (app.cursor_ts(after), app.cursor_id(after)))
  order by i.created_at desc, i.id desc
  limit lim + 1
$$;

-- An admin ends a grant: the link stops working and its session ends at once. 'ok' (also
-- when it had already ended: nothing is written then) or 'not_found'.
create function app.impersonation_revoke(p_id uuid) returns text
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  t uuid := app.session_tenant();
  i app.impersonations;
begin
  if t is null or app.session_rank() < 3 then
    return 'not_found';
  end if;
  select * into i from app.impersonations x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return 'not_found';
  end if;
  if i.revoked_at is null and ((i.redeemed_at is null and i.link_expires_at > now())
                                or (i.redeemed_at is not null and i.expires_at > now())) then
    update app.impersonations x set revoked_at = now() where x.tenant_id = t and x.id = p_id;
    update app.sessions x set revoked_at = now()
      where x.tenant_id = t and x.impersonation_id = p_id and x.revoked_at is null;
    perform app.audit('platform.impersonation_revoked', 'impersonation', p_id::text,
      jsonb_build_object('revoked_at', jsonb_build_array(null, app.ts(now()))));
  end if;
  return 'ok';
end $$;

-- ---------------------------------------------------------------------------------------
-- Deleting a workspace (the owner, with its slug; the password is checked by the server):
-- every row of it in this one transaction, then the users it leaves without any workspace.
-- Returns 'deleted', 'slug_mismatch' or 'forbidden'.
create function app.workspace_delete(p_slug text) returns text
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  t uuid := app.session_tenant();
  members uuid[];
  tbl text;
begin
  if t is null or app.session_rank() < 4
     or exists (select 1 from app.live_session() s where s.impersonation_id is not null) then
    return 'forbidden';
  end if;
  perform 1 from app.tenants x where x.id = t and x.slug = p_slug for update;
  if not found then
    return 'slug_mismatch';
  end if;
  members := array(select m.user_id from app.memberships m where m.tenant_id = t);
  -- foreign keys ON DELETE CASCADE take every table that references the workspace
  delete from app.tenants x where x.id = t;
  -- and any table with a tenant_id but no such key, so that nothing is left behind
  perform set_config('app.definer_tenant', t::text, true);
  for tbl in select c.relname from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
             where n.nspname = 'app' and c.relkind = 'r' loop
    execute format('delete from app.%I where tenant_id = $1', tbl) using t;
  end loop;
  delete from app.users u where u.id = any (members)
    and not exists (select 1 from app.memberships m where m.user_id = u.id);
  return 'deleted';
end $$;

-- ---------------------------------------------------------------------------------------
-- Exports. They run as the caller, so the policies apply.

-- One row per pour of [p_from, p_to]: where, for whom, who.
create function app.export_schedule(p_from date, p_to date)
returns table (scheduled_date date, start_time time, project text, address text, customer text, region text,
               crew text, people text, volume_cy numeric, mix text, pump boolean, crew_size_needed int,
               status text, notes text)
language sql stable as $$
  select p.scheduled_date, p.start_time, pr.name, pr.address, c.name, rg.name, cr.name,
         (select string_agg(e.name, ', ' order by e.name)
          from app.assignments a join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
          where a.tenant_id = p.tenant_id and a.pour_id = p.id),
         p.volume_cy, p.mix, p.pump, p.crew_size_needed, p.status, p.notes
  from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  join app.customers c on c.tenant_id = pr.tenant_id and c.id = pr.customer_id
  left join app.regions rg on rg.tenant_id = pr.tenant_id and rg.id = pr.region_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  where p.tenant_id = app.current_tenant() and p.scheduled_date between p_from and p_to
  order by p.scheduled_date, p.start_time nulls last, pr.name, p.id
$$;

-- The manpower projection of GET /manpower, with region names.
create function app.export_manpower(p_from date, p_to date)
returns table (day date, region text, needed int, assigned int, available int)
language sql stable as $$
  select (x.e->>'date')::date, r.name, (x.e->>'needed')::int, (x.e->>'assigned')::int, (x.e->>'available')::int
  from json_array_elements(app.manpower(p_from, p_to, null)) with ordinality as x(e, n)
  join app.regions r on r.tenant_id = app.current_tenant() and r.id = (x.e->>'region_id')::uuid
  order by x.n
$$;
