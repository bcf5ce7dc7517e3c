-- The audit log (hash-chained per workspace, append-only, written in the transaction of the
-- change by triggers and by the functions of flows that are not row changes), members,
-- invitations and workspace settings.

create table app.audit_log (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  seq bigint not null,
  at timestamptz not null default now(),
  actor_id uuid,
  actor_email text,
  actor_kind text not null check (actor_kind in ('user', 'platform', 'system')),
  action text not null,
  entity_type text,
  entity_id text,
  changes jsonb not null default '{}',
  ip text,
  prev_hash bytea,
  hash bytea not null,
  primary key (tenant_id, id),
  constraint audit_log_seq unique (tenant_id, seq)
);

alter table app.audit_log enable row level security;
alter table app.audit_log force row level security;
create policy audit_log_select on app.audit_log for select
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy audit_log_insert on app.audit_log for insert with check (app.is_definer());
create policy audit_log_update on app.audit_log for update using (false) with check (false);
create policy audit_log_delete on app.audit_log for delete using (app.is_definer());
grant select on app.audit_log to planyard_app;

-- Rows are never changed; they go only with their workspace (the tenant row is gone by then).
create function app.audit_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  raise exception 'the audit log is append-only' using errcode = '42501';
end $$;
create trigger audit_log_guard before update or delete on app.audit_log
  for each row execute function app.audit_guard();

-- What a row's hash covers, besides the previous hash.
create function app.audit_content(a app.audit_log) returns text language sql immutable as $$
  select concat_ws(E'\x1f', a.tenant_id::text, a.seq::text, a.id::text,
                   to_char(a.at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   coalesce(a.actor_id::text, '\N'), coalesce(a.actor_email, '\N'), a.actor_kind, a.action,
                   coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'), a.changes::text, coalesce(a.ip, '\N'))
$$;

-- Appends one row to the workspace's chain. Writers of one workspace queue on a lock, so the
-- chain never forks.
create function app.audit_write(p_tenant uuid, p_actor uuid, p_email text, p_kind text, p_action text,
  p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text)
returns void language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  last app.audit_log;
  a app.audit_log;
begin
  if p_tenant is null or not exists (select 1 from app.tenants where id = p_tenant) then
    return;  -- nothing to audit into (a workspace being deleted)
  end if;
  perform pg_advisory_xact_lock(74202, hashtext(p_tenant::text));
  select * into last from app.audit_log where tenant_id = p_tenant order by seq desc limit 1;
  a.tenant_id := p_tenant;
  a.id := gen_random_uuid();
  a.seq := coalesce(last.seq, 0) + 1;
  a.at := now();
  a.actor_id := p_actor;
  a.actor_email := p_email;
  a.actor_kind := p_kind;
  a.action := p_action;
  a.entity_type := p_entity_type;
  a.entity_id := p_entity_id;
  a.changes := coalesce(p_changes, '{}');
  a.ip := p_ip;
  a.prev_hash := last.hash;
  a.hash := sha256(coalesce(last.hash, ''::bytea) || convert_to(app.audit_content(a), 'UTF8'));
  insert into app.audit_log select a.*;
end $$;
revoke execute on function app.audit_write(uuid, uuid, text, text, text, text, text, jsonb, text) from public;

-- For flows before a session (sign-in, failed sign-in): everything is given.
create function app.audit_as(p_tenant uuid, p_actor uuid, p_actor_kind text, p_action text, p_entity_type text,
  p_entity_id text, p_changes jsonb, p_ip text)
returns void language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
begin
  perform app.audit_write(p_tenant, p_actor, (select email from app.users where id = p_actor), p_actor_kind,
                          p_action, p_entity_type, p_entity_id, p_changes, p_ip);
end $$;
revoke execute on function app.audit_as(uuid, uuid, text, text, text, text, jsonb, text) from public;

-- The actor is the live session's user ('platform' while impersonated), else the system
-- (a job running in a SECURITY DEFINER function that named its workspace).
create function app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb)
returns void language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  s app.sessions;
  who text;
begin
  select * into s from app.sessions x
  where x.key_hash = app.session_key_hash() and x.revoked_at is null and x.expires_at > now();
  if s.id is null then
    -- a flow without a session (accepting an invitation) names its user in app.definer_actor
    s.user_id := nullif(current_setting('app.definer_actor', true), '')::uuid;
    perform app.audit_write(nullif(current_setting('app.definer_tenant', true), '')::uuid, s.user_id,
                            (select email from app.users where id = s.user_id),
                            case when s.user_id is null then 'system' else 'user' end,
                            p_action, p_entity_type, p_entity_id, p_changes,
                            nullif(current_setting('app.client_ip', true), ''));
    return;
  end if;
  select email into who from app.users where id = s.user_id;
  perform app.audit_write(s.tenant_id, s.user_id,
                          case when s.impersonation_id is null then who
                               else coalesce(nullif(current_setting('app.impersonation_staff', true), ''), 'staff')
                                    || ' as ' || who end,
                          case when s.impersonation_id is null then 'user' else 'platform' end,
                          p_action, p_entity_type, p_entity_id, p_changes,
                          nullif(current_setting('app.client_ip', true), ''));
end $$;
revoke execute on function app.audit(text, text, text, jsonb) from public;
grant execute on function app.audit(text, text, text, jsonb) to planyard_app;

-- The generic row trigger: action "<noun>.<verb>", changes {field: [old, new]}.
create function app.audit_row() returns trigger language plpgsql as $$
declare
  noun text := tg_argv[0];
  o jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
  n jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
  ch jsonb := '{}';
  k text;
  verb text := case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end;
  entity text;
  skip text[] := array['tenant_id', 'created_at', 'updated_at', 'id', 'token_hash', 'attempts', 'last_error'];
begin
  for k in select jsonb_object_keys(coalesce(n, o)) loop
    continue when k = any (skip);
    if (o -> k) is distinct from (n -> k) then
      ch := ch || jsonb_build_object(k, jsonb_build_array(o -> k, n -> k));
    end if;
  end loop;
  if tg_op = 'UPDATE' and ch = '{}' then
    return null;
  end if;
  entity := coalesce(n ->> 'id', o ->> 'id');
  if noun = 'pour' and tg_op = 'UPDATE' and n ->> 'status' = 'canceled' and o ->> 'status' <> 'canceled' then
    verb := 'canceled';
  elsif noun = 'employee' and tg_op = 'DELETE' then
    verb := 'removed';
  elsif noun = 'member' then
    entity := coalesce(n ->> 'user_id', o ->> 'user_id');
    verb := case tg_op when 'INSERT' then 'joined' when 'UPDATE' then 'role_changed' else 'removed' end;
  elsif noun = 'invitation' then
    noun := 'member';
    verb := case when tg_op = 'INSERT' then 'invited'
                 when tg_op = 'UPDATE' and n ->> 'revoked_at' is not null and o ->> 'revoked_at' is null then 'invitation_revoked'
                 when tg_op = 'UPDATE' and n ->> 'accepted_at' is not null and o ->> 'accepted_at' is null then 'invitation_accepted'
                 else 'invitation_' || verb end;
  elsif noun = 'workspace' then
    verb := case when ch ? 'status' then case n ->> 'status' when 'suspended' then 'suspended' else 'reactivated' end
                 when ch ? 'primary_color' then 'branding_updated' else 'settings_updated' end;
    if tg_op = 'DELETE' then
      return null;
    end if;
  end if;
  perform app.audit(noun || '.' || verb, case when noun = 'member' and tg_argv[0] = 'invitation' then 'invitation'
                                              else noun end, entity, ch);
  if noun = 'pour' and ((tg_op = 'INSERT' and n ->> 'crew_id' is not null)
                        or (tg_op = 'UPDATE' and ch ? 'crew_id')) then
    perform app.audit('crew.assigned', 'pour', entity,
                      jsonb_build_object('crew_id', jsonb_build_array(o -> 'crew_id', n -> 'crew_id')));
  end if;
  return null;
end $$;

do $$
declare
  t text[];
begin
  foreach t slice 1 in array array[
    array['customers', 'customer'], array['regions', 'region'], array['projects', 'project'],
    array['employees', 'employee'], array['crews', 'crew'], array['pours', 'pour'],
    array['assignments', 'assignment'], array['reminders', 'reminder'], array['memberships', 'member'],
    array['tenants', 'workspace']] loop
    execute format('create trigger audit after insert or update or delete on app.%I '
                   'for each row execute function app.audit_row(%L)', t[1], t[2]);
  end loop;
end $$;

-- A reminder's delivery bookkeeping (status, attempts) is not a change of the user's.
drop trigger audit on app.reminders;
create trigger audit after insert or delete or update of remind_at, channel, "to", message, subject_type, subject_id
  on app.reminders for each row execute function app.audit_row('reminder');

-- Setting a crew's members is one crew.assigned row with the lists before and after.
create or replace function app.crews_set_members(p_id uuid, b jsonb) returns json language plpgsql volatile as $$
declare
  t uuid := app.current_tenant();
  ids uuid[] := array(select distinct e::uuid from jsonb_array_elements_text(b->'employee_ids') e);
  before jsonb;
begin
  perform 1 from app.crews c where c.tenant_id = t and c.id = p_id for update;
  if not found then
    return null;
  end if;
  before := coalesce((select jsonb_agg(m.employee_id order by m.employee_id) from app.crew_members m
                      where m.tenant_id = t and m.crew_id = p_id), '[]');
  delete from app.crew_members m where m.tenant_id = t and m.crew_id = p_id and m.employee_id <> all (ids);
  insert into app.crew_members (tenant_id, crew_id, employee_id)
    select t, p_id, e from unnest(ids) e
    on conflict do nothing;
  perform app.audit('crew.assigned', 'crew', p_id::text, jsonb_build_object('member_ids', jsonb_build_array(before,
    coalesce((select jsonb_agg(e order by e) from unnest(ids) e), '[]'))));
  return (select app.crews_json(c) from app.crews c where c.tenant_id = t and c.id = p_id);
end $$;

-- Sign-in, failed sign-in, password changes: rows of flows that are not row changes.
create or replace function app.auth_session_create(p_tenant uuid, p_user uuid, p_key_hash bytea, p_key_sealed bytea,
  p_refresh_hash bytea, p_aal text, p_ip text, p_ua text, p_email text)
returns table (session_id uuid, expires_at timestamptz)
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  s uuid;
  e timestamptz;
begin
  insert into app.sessions (tenant_id, user_id, key_hash, key_sealed, aal, ip, user_agent)
    values (p_tenant, p_user, p_key_hash, p_key_sealed, p_aal, p_ip, left(p_ua, 512))
    returning id, sessions.expires_at into s, e;
  if p_refresh_hash is not null then
    insert into app.refresh_tokens (tenant_id, session_id, token_hash) values (p_tenant, s, p_refresh_hash);
  end if;
  if p_email is not null then
    delete from app.rate_events where key = 'login:acct:' || lower(p_email);
  end if;
  perform app.audit_as(p_tenant, p_user, 'user', 'auth.login', 'session', s::text,
                       jsonb_build_object('aal', jsonb_build_array(null, p_aal)), p_ip);
  session_id := s;
  expires_at := e;
  return next;
end $$;

create or replace function app.auth_login_failed(p_tenant uuid, p_user uuid, p_email text, p_ip text) returns void
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
begin
  perform app.rate_hit('login:acct:' || lower(p_email));
  perform app.rate_hit('login:ip:' || coalesce(p_ip, ''));
  -- into the workspace that was named, when there is one; the user only if a member
  perform app.audit_as(p_tenant,
    case when exists (select 1 from app.memberships m where m.tenant_id = p_tenant and m.user_id = p_user)
         then p_user end,
    'user', 'auth.login_failed', 'user', null, jsonb_build_object('email', jsonb_build_array(null, p_email)), p_ip);
end $$;

create or replace function app.password_set(p_user uuid, p_hash text, p_history text, p_subject text, p_body bytea)
returns void language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  t uuid;
begin
  update app.users set password_hash = p_hash, updated_at = now() where id = p_user;
  insert into app.password_history (user_id, hash) values (p_user, p_history);
  delete from app.password_history where user_id = p_user and id not in
    (select id from app.password_history where user_id = p_user order by id desc limit 5);
  insert into app.outbox (user_id, recipient, subject, body)
    select p_user, email, p_subject, p_body from app.users where id = p_user;
  for t in select m.tenant_id from app.memberships m where m.user_id = p_user loop
    perform app.audit_as(t, p_user, 'user', 'auth.password_changed', 'user', p_user::text, '{}',
                         nullif(current_setting('app.client_ip', true), ''));
  end loop;
end $$;

-- ---------------------------------------------------------------------------------------
-- The log as the API reads it.

create function app.audit_json(a app.audit_log) returns json language sql stable as $$
  select json_build_object('id', a.id, 'at', app.ts(a.at),
    'actor', json_build_object('id', a.actor_id, 'email', a.actor_email, 'kind', a.actor_kind),
    'action', a.action, 'entity_type', a.entity_type, 'entity_id', a.entity_id, 'changes', a.changes, 'ip', a.ip)
$$;

create function app.cursor_seq(after text) returns bigint language plpgsql immutable as $$
begin
  return split_part(after, '|', 1)::bigint;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

create function app.audit_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.audit_json(a), a.seq::text || '|' || a.id
  from app.audit_log a
  where a.tenant_id = app.current_tenant()
    and (f->>'action' is null or a.action = f->>'action')
    and (f->>'actor_id' is null or a.actor_id = (f->>'actor_id')::uuid)
    and (f->>'entity_id' is null or a.entity_id = f->>'entity_id')
    and (f->>'from' is null or a.at >= (f->>'from')::timestamptz)
    and (f->>'to' is null or a.at <= (f->>'to')::timestamptz
         or (length(f->>'to') = 10 and a.at < (f->>'to')::date + 1))
    and (after is null or a.seq < app.cursor_seq(after))
  order by a.seq desc
  limit lim + 1
$$;

-- Recomputes the chain of the caller's workspace.
create function app.audit_verify() returns json language plpgsql stable as $$
declare
  a app.audit_log;
  prev bytea := null;
  n bigint := 0;
begin
  for a in select * from app.audit_log where tenant_id = app.current_tenant() order by seq loop
    n := n + 1;
    if a.seq <> n or a.prev_hash is distinct from prev
       or a.hash <> sha256(coalesce(prev, ''::bytea) || convert_to(app.audit_content(a), 'UTF8')) then
      return json_build_object('ok', false, 'first_bad_id', a.id, 'rows', n - 1);
    end if;
    prev := a.hash;
  end loop;
  return json_build_object('ok', true, 'rows', n);
end $$;

-- ---------------------------------------------------------------------------------------
-- Workspace settings.

create function app.workspace_json(t app.tenants) returns json language sql stable as $$
  select json_build_object('id', t.id, 'slug', t.slug, 'name', t.name, 'timezone', t.timezone,
    'branding', json_build_object('primary_color', t.primary_color),
    'require_mfa_for_admins', t.require_mfa_for_admins, 'status', t.status)
$$;

create function app.workspace_get() returns json language sql stable as $$
  select app.workspace_json(t) from app.tenants t where t.id = app.current_tenant()
$$;

create function app.workspace_update(b jsonb) returns json language plpgsql volatile as $$
declare
  tz text := b->>'timezone';
  r json;
begin
  if b ? 'timezone' and (tz is null or not exists (select 1 from pg_timezone_names where name = tz)) then
    perform app.bad('timezone', 'invalid', 'timezone must be an IANA time zone such as America/Chicago');
  end if;
  update app.tenants t set
    name = case when b ? 'name' then b->>'name' else t.name end,
    timezone = coalesce(tz, t.timezone),
    primary_color = case when b->'branding' ? 'primary_color' then b->'branding'->>'primary_color'
                         else t.primary_color end,
    require_mfa_for_admins = case when b ? 'require_mfa_for_admins' then (b->>'require_mfa_for_admins')::boolean
                                  else t.require_mfa_for_admins end,
    updated_at = now()
  where t.id = app.current_tenant()
  returning app.workspace_json(t) into r;
  return r;
end $$;

-- ---------------------------------------------------------------------------------------
-- Members.

create function app.members_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, 'role', m.role,
           'mfa_enabled', u.totp_enabled_at is not null, 'joined_at', app.ts(m.created_at)),
         m.created_at::text || '|' || m.user_id
  from app.memberships m join app.users u on u.id = m.user_id
  where m.tenant_id = app.current_tenant()
    and (after is null or (m.created_at, m.user_id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by m.created_at, m.user_id
  limit lim + 1
$$;

create function app.member_json(p_user uuid) returns json language sql stable as $$
  select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, 'role', m.role,
           'mfa_enabled', u.totp_enabled_at is not null, 'joined_at', app.ts(m.created_at))
  from app.memberships m join app.users u on u.id = m.user_id
  where m.tenant_id = app.current_tenant() and m.user_id = p_user
$$;

-- Returns 'ok', 'not_found', 'owner_only' or 'last_owner'. Member changes of one workspace
-- queue on its row, so two owners can't demote each other to none.
create function app.member_change(p_user uuid, p_role text) returns text language plpgsql volatile as $$
declare
  t uuid := app.current_tenant();
  cur text;
begin
  perform 1 from app.tenants where id = t for update;
  select role into cur from app.memberships where tenant_id = t and user_id = p_user for update;
  if not found then
    return 'not_found';
  end if;
  if (cur = 'owner' or p_role = 'owner') and app.current_rank() < 4 then
    return 'owner_only';
  end if;
  if cur = 'owner' and (p_role is null or p_role <> 'owner')
     and (select count(*) from app.memberships where tenant_id = t and role = 'owner') = 1 then
    return 'last_owner';
  end if;
  if p_role is null then
    delete from app.memberships where tenant_id = t and user_id = p_user;
  elsif p_role <> cur then
    update app.memberships set role = p_role where tenant_id = t and user_id = p_user;
  end if;
  return 'ok';
end $$;

grant insert, update, delete on app.memberships to planyard_app;

-- ---------------------------------------------------------------------------------------
-- Invitations.

create table app.invitations (
  tenant_id uuid not null references app.tenants on delete cascade,
  id uuid not null default gen_random_uuid(),
  email text not null,
  role text not null check (role in ('viewer', 'scheduler', 'admin', 'owner')),
  token_hash bytea not null unique,
  invited_by uuid,
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
alter table app.invitations enable row level security;
alter table app.invitations force row level security;
create policy invitations_select on app.invitations for select
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy invitations_insert on app.invitations for insert
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy invitations_update on app.invitations for update
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3))
  with check (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
create policy invitations_delete on app.invitations for delete
  using (app.is_definer() or (tenant_id = (select app.current_tenant()) and (select app.current_rank()) >= 3));
grant select, insert, update on app.invitations to planyard_app;
create trigger audit after insert or update on app.invitations
  for each row execute function app.audit_row('invitation');

create function app.invitation_json(i app.invitations) returns json language sql stable as $$
  select json_build_object('id', i.id, 'email', i.email, 'role', i.role, 'expires_at', app.ts(i.expires_at),
                           'created_at', app.ts(i.created_at))
$$;

-- Mail of a signed-in request (invitations, notifications), into the outbox.
create function app.mail_enqueue(p_recipient text, p_subject text, p_body bytea) returns void
language sql volatile security definer set search_path = pg_catalog, pg_temp as $$
  insert into app.outbox (tenant_id, recipient, subject, body)
  select app.session_tenant(), p_recipient, p_subject, p_body where app.session_tenant() is not null
$$;

create function app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) returns json
language plpgsql volatile as $$
declare
  r json;
begin
  if b->>'role' = 'owner' and app.current_rank() < 4 then
    return json_build_object('error', 'owner_only');
  end if;
  -- a newer invitation of the same address replaces a pending one
  update app.invitations set revoked_at = now()
    where tenant_id = app.current_tenant() and lower(email) = lower(b->>'email')
      and accepted_at is null and revoked_at is null;
  insert into app.invitations as i (tenant_id, email, role, token_hash, invited_by)
    values (app.current_tenant(), b->>'email', b->>'role', p_token_hash, app.current_user_id())
    returning app.invitation_json(i) into r;
  perform app.mail_enqueue(b->>'email', p_subject, p_body);
  return r;
end $$;

create function app.invitations_page(f jsonb, lim int, after text) returns table (j json, k text)
language sql stable as $$
  select app.invitation_json(i), i.created_at::text || '|' || i.id
  from app.invitations i
  where i.tenant_id = app.current_tenant() and i.accepted_at is null and i.revoked_at is null
    and i.expires_at > now()
    and (after is null or (i.created_at, i.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by i.created_at, i.id
  limit lim + 1
$$;

create function app.invitation_revoke(p_id uuid) returns boolean language sql volatile as $$
  with u as (update app.invitations set revoked_at = now()
             where tenant_id = app.current_tenant() and id = p_id and accepted_at is null and revoked_at is null
             returning 1)
  select count(*) > 0 from u
$$;

-- Accepting: the invitation, whether its address already has an account.
create function app.invitation_lookup(p_token_hash bytea)
returns table (tenant_id uuid, email text, role text, user_id uuid)
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select i.tenant_id, i.email, i.role, (select u.id from app.users u where lower(u.email) = lower(i.email))
  from app.invitations i
  where i.token_hash = p_token_hash and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
$$;

-- Returns 'ok', 'invalid', 'already_member' or 'account_exists'. p_user: the signed-in
-- user of the invitation's address, or null to create the account from name and hash.
create function app.invitation_accept(p_token_hash bytea, p_user uuid, p_name text, p_hash text, p_history text,
  p_ip text) returns table (status text, tenant_id uuid, user_id uuid)
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  i app.invitations;
  u uuid := p_user;
begin
  select * into i from app.invitations x where x.token_hash = p_token_hash and x.accepted_at is null
    and x.revoked_at is null and x.expires_at > now() for update;
  if not found then
    status := 'invalid';
    return next;
    return;
  end if;
  if u is null then
    if exists (select 1 from app.users x where lower(x.email) = lower(i.email)) then
      status := 'account_exists';
      return next;
      return;
    end if;
    insert into app.users (email, name, password_hash, email_confirmed_at)
      values (i.email, p_name, p_hash, now()) returning id into u;
    insert into app.password_history (user_id, hash) values (u, p_history);
  elsif exists (select 1 from app.memberships m where m.tenant_id = i.tenant_id and m.user_id = u) then
    status := 'already_member';
    return next;
    return;
  end if;
  perform set_config('app.definer_tenant', i.tenant_id::text, true);
  perform set_config('app.definer_actor', u::text, true);
  perform set_config('app.client_ip', coalesce(p_ip, ''), true);
  update app.invitations x set accepted_at = now() where x.tenant_id = i.tenant_id and x.id = i.id;
  insert into app.memberships (tenant_id, user_id, role) values (i.tenant_id, u, i.role);
  status := 'ok';
  tenant_id := i.tenant_id;
  user_id := u;
  return next;
end $$;
