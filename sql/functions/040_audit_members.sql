-- The audit log (a hash chain per workspace) and member management.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- Runs as its caller (no SECURITY DEFINER), so app.is_definer() here tells whether the caller
-- is one of this schema's SECURITY DEFINER functions (or a trigger fired inside one).
CREATE OR REPLACE FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid;
begin
  if app.audit_session(p_action, p_entity_type, p_entity_id, p_changes) then
    return;
  end if;
  if not app.is_definer() then
    return;   -- no session and not a job: nobody to write for
  end if;
  u := nullif(current_setting('app.definer_actor', true), '')::uuid;
  perform app.audit_write(nullif(current_setting('app.definer_tenant', true), '')::uuid, u,
                          (select x.email from app.users x where x.id = u),
                          case when u is null then 'system' else 'user' end,
                          p_action, p_entity_type, p_entity_id, p_changes,
                          nullif(current_setting('app.client_ip', true), ''));
end $$;

-- For flows before a session (sign-in, failed sign-in): everything is given.
CREATE OR REPLACE FUNCTION app.audit_as(p_tenant uuid, p_actor uuid, p_actor_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.audit_write(p_tenant, p_actor, (select email from app.users where id = p_actor), p_actor_kind,
                          p_action, p_entity_type, p_entity_id, p_changes, p_ip);
end $$;

-- What a row's hash covers, besides the previous hash.
CREATE OR REPLACE FUNCTION app.audit_content(a app.audit_log) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select concat_ws(E'\x1f', a.tenant_id::text, a.seq::text, a.id::text,
                   to_char(a.at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   coalesce(a.actor_id::text, '\N'), coalesce(a.actor_email, '\N'), a.actor_kind, a.action,
                   coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'), a.changes::text, coalesce(a.ip, '\N'))
$$;

-- Version 2 (sql/007_privacy.sql): the personal fields through their digests d, which are the
-- stored ones for an erased field and recomputed from the value for the others.
CREATE OR REPLACE FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select concat_ws(E'\x1f', 'v2', a.tenant_id::text, a.seq::text, a.id::text,
                   to_char(a.at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   coalesce(a.actor_id::text, '\N'), a.actor_kind, a.action,
                   coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'),
                   encode(d[1], 'hex'), encode(d[2], 'hex'), encode(d[3], 'hex'))
$$;

-- The personal fields of a row as the text their digests cover, in pii_nonce order.
CREATE OR REPLACE FUNCTION app.audit_pii_values(a app.audit_log) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  select array['actor_email' || E'\x1f' || coalesce(a.actor_email, '\N'),
               'changes' || E'\x1f' || a.changes::text,
               'ip' || E'\x1f' || coalesce(a.ip, '\N')]
$$;

-- The digests a version-2 row's hash covers, or null when a field does not fit: a kept field
-- must match its digest, an erased one (nonce gone) must hold only the empty marker.
CREATE OR REPLACE FUNCTION app.audit_pii_check(a app.audit_log) RETURNS bytea[]
    LANGUAGE plpgsql IMMUTABLE
    AS $$
declare
  v text[] := app.audit_pii_values(a);
  i int;
begin
  if array_length(a.pii_nonce, 1) is distinct from 3 or array_length(a.pii_digest, 1) is distinct from 3 then
    return null;
  end if;
  for i in 1..3 loop
    if a.pii_digest[i] is null then
      return null;
    elsif a.pii_nonce[i] is null then
      if (i = 1 and a.actor_email is not null) or (i = 2 and a.changes <> '{}'::jsonb) or (i = 3 and a.ip is not null) then
        return null;
      end if;
    elsif sha256(a.pii_nonce[i] || convert_to(v[i], 'UTF8')) <> a.pii_digest[i] then
      return null;
    end if;
  end loop;
  return a.pii_digest;
end $$;

-- Rows are never changed; they go only with their workspace (the tenant row is gone by then).
CREATE OR REPLACE FUNCTION app.audit_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  -- erasing personal fields (app.audit_erase): each field either stays as it was or loses its
  -- nonce and its value together; nothing else of the row moves
  if tg_op = 'UPDATE' and old.hash_version = 2 and new.hash_version = 2
     and (new.tenant_id, new.id, new.seq, new.at, new.actor_id, new.actor_kind, new.action, new.entity_type,
          new.entity_id, new.prev_hash, new.hash, new.pii_digest)
         is not distinct from
         (old.tenant_id, old.id, old.seq, old.at, old.actor_id, old.actor_kind, old.action, old.entity_type,
          old.entity_id, old.prev_hash, old.hash, old.pii_digest)
     and array_length(new.pii_nonce, 1) = 3
     and ((new.pii_nonce[1] is not distinct from old.pii_nonce[1] and new.actor_email is not distinct from old.actor_email)
          or (new.pii_nonce[1] is null and new.actor_email is null))
     and ((new.pii_nonce[2] is not distinct from old.pii_nonce[2] and new.changes = old.changes)
          or (new.pii_nonce[2] is null and new.changes = '{}'::jsonb))
     and ((new.pii_nonce[3] is not distinct from old.pii_nonce[3] and new.ip is not distinct from old.ip)
          or (new.pii_nonce[3] is null and new.ip is null)) then
    return new;
  end if;
  raise exception 'the audit log is append-only' using errcode = '42501';
end $$;

CREATE OR REPLACE FUNCTION app.audit_json(a app.audit_log) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', a.id, 'at', app.ts(a.at),
    'actor', json_build_object('id', a.actor_id, 'email', a.actor_email, 'kind', a.actor_kind),
    'action', a.action, 'entity_type', a.entity_type, 'entity_id', a.entity_id, 'changes', a.changes, 'ip', a.ip)
$$;

CREATE OR REPLACE FUNCTION app.audit_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.audit_json(a), a.seq::text || '|' || a.id
  from app.audit_log a
  where a.tenant_id = (select app.current_tenant())
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

-- The generic row trigger: action "<noun>.<verb>", changes {field: [old, new]}.
CREATE OR REPLACE FUNCTION app.audit_row() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  noun text := tg_argv[0];
  o jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) end;
  n jsonb := case when tg_op <> 'DELETE' then to_jsonb(new) end;
  ch jsonb := '{}';
  k text;
  verb text := case tg_op when 'INSERT' then 'created' when 'UPDATE' then 'updated' else 'deleted' end;
  entity text;
  skip text[] := array['tenant_id', 'created_at', 'updated_at', 'id', 'token_hash', 'attempts', 'last_error', 'claimed_until'];
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
  elsif noun = 'assignment' and tg_op = 'UPDATE' and ch ? 'date' and o ->> 'pour_id' is not null
        and o -> 'pour_id' = n -> 'pour_id' then
    -- on the same pour, a new date: only its pour's move does that (the date cascades)
    verb := 'moved';
  elsif noun = 'assignment' and tg_op = 'DELETE' and pg_trigger_depth() > 1 then
    -- deleted by a trigger: app.pours_release, its pour being canceled
    verb := 'released';
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
                 when ch ? 'trial_stage' then 'trial_reminder_sent'
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

-- Recomputes the chain of the caller's workspace.
CREATE OR REPLACE FUNCTION app.audit_verify() RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
declare
  a app.audit_log;
  prev bytea := null;
  n bigint := 0;
  d bytea[];
begin
  for a in select * from app.audit_log where tenant_id = (select app.current_tenant()) order by seq loop
    n := n + 1;
    if a.hash_version = 2 then
      d := app.audit_pii_check(a);
    end if;
    if a.seq <> n or a.prev_hash is distinct from prev
       or (a.hash_version = 2 and (d is null or a.hash <> sha256(coalesce(prev, ''::bytea)
                                                              || convert_to(app.audit_content_v2(a, d), 'UTF8'))))
       or (a.hash_version = 1 and a.hash <> sha256(coalesce(prev, ''::bytea) || convert_to(app.audit_content(a), 'UTF8')))
       or a.hash_version not in (1, 2) then
      return json_build_object('ok', false, 'first_bad_id', a.id, 'rows', n - 1);
    end if;
    prev := a.hash;
  end loop;
  return json_build_object('ok', true, 'rows', n);
end $$;

-- Appends one row to the workspace's chain. Writers of one workspace queue on a lock, so the
-- chain never forks.
CREATE OR REPLACE FUNCTION app.audit_write(p_tenant uuid, p_actor uuid, p_email text, p_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
  a.hash_version := 2;
  a.pii_nonce := array[ext.gen_random_bytes(16), ext.gen_random_bytes(16), ext.gen_random_bytes(16)];
  a.pii_digest := array(select sha256(a.pii_nonce[i] || convert_to((app.audit_pii_values(a))[i], 'UTF8'))
                        from generate_series(1, 3) i order by i);
  a.hash := sha256(coalesce(last.hash, ''::bytea) || convert_to(app.audit_content_v2(a, a.pii_digest), 'UTF8'));
  insert into app.audit_log select a.*;
end $$;

CREATE OR REPLACE FUNCTION app.cursor_seq(after text) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return split_part(after, '|', 1)::bigint;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

-- Returns 'ok', 'invalid', 'already_member' or 'account_exists'. p_user: the signed-in
-- user of the invitation's address, or null to create the account from name and hash.
CREATE OR REPLACE FUNCTION app.invitation_accept(p_token text, p_user uuid, p_name text, p_hash text, p_history text, p_ip text) RETURNS TABLE(status text, tenant_id uuid, user_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  i app.invitations;
  u uuid := p_user;
begin
  perform app.definer_enter(true);
  select * into i from app.invitations x where x.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8'))
    and x.accepted_at is null
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

CREATE OR REPLACE FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  r json;
begin
  if b->>'role' = 'owner' and app.current_rank() < 4 then
    return json_build_object('error', 'owner_only');
  end if;
  -- a newer invitation of the same address replaces a pending one
  update app.invitations set revoked_at = now()
    where tenant_id = (select app.current_tenant()) and lower(email) = lower(b->>'email')
      and accepted_at is null and revoked_at is null;
  insert into app.invitations as i (tenant_id, email, role, token_hash, invited_by)
    values (app.current_tenant(), b->>'email', b->>'role', p_token_hash, app.current_user_id())
    returning app.invitation_json(i) into r;
  perform app.mail_enqueue(b->>'email', p_subject, p_body);
  return r;
end $$;

CREATE OR REPLACE FUNCTION app.invitation_json(i app.invitations) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', i.id, 'email', i.email, 'role', i.role, 'expires_at', app.ts(i.expires_at),
                           'created_at', app.ts(i.created_at))
$$;

-- Accepting: the invitation, whether its address already has an account.
CREATE OR REPLACE FUNCTION app.invitation_lookup(p_token text) RETURNS TABLE(tenant_id uuid, email text, role text, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select i.tenant_id, i.email, i.role, (select u.id from app.users u where lower(u.email) = lower(i.email))
  from app.invitations i
  where i.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
$$;

CREATE OR REPLACE FUNCTION app.invitation_revoke(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with u as (update app.invitations set revoked_at = now()
             where tenant_id = (select app.current_tenant()) and id = p_id and accepted_at is null and revoked_at is null
             returning 1)
  select count(*) > 0 from u
$$;

CREATE OR REPLACE FUNCTION app.invitations_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.invitation_json(i), i.created_at::text || '|' || i.id
  from app.invitations i
  where i.tenant_id = (select app.current_tenant()) and i.accepted_at is null and i.revoked_at is null
    and i.expires_at > now()
    and (after is null or (i.created_at, i.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by i.created_at, i.id
  limit lim + 1
$$;

-- Mail of a signed-in request (invitations, notifications), into the outbox.
CREATE OR REPLACE FUNCTION app.mail_enqueue(p_recipient text, p_subject text, p_body bytea) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app.outbox (tenant_id, recipient, subject, body)
  select app.session_tenant(), p_recipient, p_subject, p_body where app.session_tenant() is not null
$$;

-- Member changes queue on their workspace's row with FOR NO KEY UPDATE: it still serialises
-- them (two owners can't demote each other to none) but no longer conflicts with the KEY
-- SHARE lock that foreign key checks take on the same row while another transaction holds
-- the workspace's audit lock (an invitation written at the same time), which was a deadlock.
CREATE OR REPLACE FUNCTION app.member_change(p_user uuid, p_role text) RETURNS text
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  cur text;
begin
  perform 1 from app.tenants where id = t for no key update;
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

CREATE OR REPLACE FUNCTION app.member_json(p_user uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, 'role', m.role,
           'mfa_enabled', u.totp_enabled_at is not null, 'joined_at', app.ts(m.created_at))
  from app.memberships m join app.users u on u.id = m.user_id
  where m.tenant_id = (select app.current_tenant()) and m.user_id = p_user
$$;

CREATE OR REPLACE FUNCTION app.members_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, 'role', m.role,
           'mfa_enabled', u.totp_enabled_at is not null, 'joined_at', app.ts(m.created_at)),
         m.created_at::text || '|' || m.user_id
  from app.memberships m join app.users u on u.id = m.user_id
  where m.tenant_id = (select app.current_tenant())
    and (after is null or (m.created_at, m.user_id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by m.created_at, m.user_id
  limit lim + 1
$$;

CREATE OR REPLACE FUNCTION app.workspace_get() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.workspace_json(t) from app.tenants t where t.id = (select app.current_tenant())
$$;

CREATE OR REPLACE FUNCTION app.workspace_json(t app.tenants) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', t.id, 'slug', t.slug, 'name', t.name, 'timezone', t.timezone,
    'branding', json_build_object('primary_color', t.primary_color),
    'require_mfa_for_admins', t.require_mfa_for_admins, 'status', t.status,
    'sheets_send_at', app.hhmm(t.sheets_send_at), 'kind', t.kind)
$$;

CREATE OR REPLACE FUNCTION app.workspace_update(b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
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
    sheets_send_at = case when b ? 'sheets_send_at' then (b->>'sheets_send_at')::time else t.sheets_send_at end,
    kind = coalesce(b->>'kind', t.kind),
    updated_at = now()
  where t.id = (select app.current_tenant())
  returning app.workspace_json(t) into r;
  return r;
end $$;

-- The live session's part: its workspace and user, nothing trusted from settings but the
-- client address and the staff name of an impersonation (both only into the session's own
-- workspace). False when no session is live.
CREATE OR REPLACE FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  s app.sessions;
  who text;
begin
  select * into s from app.live_session();
  if s.id is null then
    return false;
  end if;
  select email into who from app.users where id = s.user_id;
  perform app.audit_write(s.tenant_id, s.user_id,
                          case when s.impersonation_id is null then who
                               else coalesce(nullif(current_setting('app.impersonation_staff', true), ''), 'staff')
                                    || ' as ' || who end,
                          case when s.impersonation_id is null then 'user' else 'platform' end,
                          p_action, p_entity_type, p_entity_id, p_changes,
                          nullif(current_setting('app.client_ip', true), ''));
  return true;
end $$;
