-- Trust: platform staff impersonation, billing and data lifecycle.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- The manpower projection of GET /manpower, with region names.
CREATE OR REPLACE FUNCTION app.export_manpower(p_from date, p_to date) RETURNS TABLE(day date, region text, needed integer, assigned integer, available integer)
    LANGUAGE sql STABLE
    AS $$
  select (x.e->>'date')::date, r.name, (x.e->>'needed')::int, (x.e->>'assigned')::int, (x.e->>'available')::int
  from json_array_elements(app.manpower(p_from, p_to, null)) with ordinality as x(e, n)
  join app.regions r on r.tenant_id = (select app.current_tenant()) and r.id = (x.e->>'region_id')::uuid
  order by x.n
$$;

-- One row per pour of [p_from, p_to]: where, for whom, who.
-- p_region (the project's region, as on the week) may be null: every region.
CREATE OR REPLACE FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) RETURNS TABLE(scheduled_date date, start_time time without time zone, project text, address text, customer text, region text, crew text, people text, volume_cy numeric, mix text, pump boolean, crew_size_needed integer, status text, cancel_reason text, notes text)
    LANGUAGE sql STABLE
    AS $$
  select p.scheduled_date, p.start_time, pr.name, pr.address, c.name, rg.name, cr.name,
         (select string_agg(e.name, ', ' order by e.name)
          from app.assignments a join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
          where a.tenant_id = p.tenant_id and a.pour_id = p.id),
         p.volume_cy, p.mix, p.pump, p.crew_size_needed, p.status, p.cancel_reason, p.notes
  from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  join app.customers c on c.tenant_id = pr.tenant_id and c.id = pr.customer_id
  left join app.regions rg on rg.tenant_id = pr.tenant_id and rg.id = pr.region_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  where p.tenant_id = (select app.current_tenant()) and p.scheduled_date between p_from and p_to
    and (p_region is null or pr.region_id = p_region)
  order by p.scheduled_date, p.start_time nulls last, pr.name, p.id
$$;

CREATE OR REPLACE FUNCTION app.impersonation_json(i app.impersonations) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', i.id, 'staff', i.staff, 'reason', i.reason, 'created_at', app.ts(i.created_at),
    'expires_at', app.ts(coalesce(i.expires_at, i.link_expires_at)), 'redeemed_at', app.ts(i.redeemed_at),
    'revoked_at', app.ts(i.revoked_at),
    'active', i.revoked_at is null and case when i.redeemed_at is null then i.link_expires_at > now()
                                            else i.expires_at > now() end)
$$;

-- Redeems a link: once, within its 5 minutes, while its user is still a member. Creates the
-- session (sealed secret given by the server; no refresh token) and writes
-- platform.impersonate_tenant into the workspace's log. status 'ok' or 'invalid'.
CREATE OR REPLACE FUNCTION app.impersonation_redeem(p_token text, p_key_hash bytea, p_key_sealed bytea, p_ip text, p_ua text) RETURNS TABLE(status text, impersonation_id uuid, tenant_id uuid, user_id uuid, session_id uuid, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  i app.impersonations;
  s uuid;
  who text;
  ends timestamptz := now() + interval '30 minutes';
begin
  perform app.definer_enter(true);
  select * into i from app.impersonations x where x.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
    for update;
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

-- An admin ends a grant: the link stops working and its session ends at once. 'ok' (also
-- when it had already ended: nothing is written then) or 'not_found'.
CREATE OR REPLACE FUNCTION app.impersonation_revoke(p_id uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
  i app.impersonations;
begin
  perform app.definer_enter(false);
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

CREATE OR REPLACE FUNCTION app.impersonations_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.impersonation_json(i), i.created_at::text || '|' || i.id
  from app.impersonations i
  where i.tenant_id = (select app.current_tenant())
    and (after is null or (i.created_at, i.id) < (app.cursor_ts(after), app.cursor_id(after)))
  order by i.created_at desc, i.id desc
  limit lim + 1
$$;

-- The grant behind the live session, if it is a staff session (GET /me's banner, and the
-- staff name the gate hands to app.audit in app.impersonation_staff).
-- PL/pgSQL so that its plan is kept (GET /me calls it on every request).
CREATE OR REPLACE FUNCTION app.session_impersonation() RETURNS TABLE(id uuid, staff text, reason text, expires_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return query
    select i.id, i.staff, i.reason, i.expires_at from app.live_session() s
    join app.impersonations i on i.tenant_id = s.tenant_id and i.id = s.impersonation_id;
end $$;

-- ---------------------------------------------------------------------------------------
-- Deleting a workspace (the owner, with its slug; the password is checked by the server):
-- every row of it in this one transaction, then the users it leaves without any workspace.
-- Returns 'deleted', 'slug_mismatch' or 'forbidden'.
CREATE OR REPLACE FUNCTION app.workspace_delete(p_slug text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  t uuid := app.session_tenant();
  members uuid[];
  tbl text;
begin
  perform app.definer_enter(false);
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
end $_$;

-- Makes a grant for staff p_staff to act as member p_email of workspace p_slug; p_token_hash
-- is the SHA-256 of the link's token. Returns the grant's id; raises P0002 with one line
-- when there is no such workspace or the address is not one of its members.
CREATE OR REPLACE FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
