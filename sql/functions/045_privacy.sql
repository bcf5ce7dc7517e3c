-- Each person's rights over their data: erasure from the audit history (the chain still
-- verifies, see sql/007_privacy.sql), retention limits, the copy of one's own data, and the
-- change of a login address.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- Erases fields of the given rows of one workspace (1 actor_email, 2 changes, 3 ip): the value
-- becomes the empty marker and its nonce is forgotten, the digest stays (the trigger
-- app.audit_guard lets exactly this through). Rows of an earlier hash version are left.
-- Runs as its caller: only the SECURITY DEFINER flows below reach it.
CREATE OR REPLACE FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n integer;
begin
  update app.audit_log a set
    actor_email = case when 1 = any (p_fields) then null else a.actor_email end,
    changes = case when 2 = any (p_fields) then '{}'::jsonb else a.changes end,
    ip = case when 3 = any (p_fields) then null else a.ip end,
    pii_nonce = array[case when 1 = any (p_fields) then null else a.pii_nonce[1] end,
                      case when 2 = any (p_fields) then null else a.pii_nonce[2] end,
                      case when 3 = any (p_fields) then null else a.pii_nonce[3] end]
  where a.tenant_id = p_tenant and a.id = any (p_ids) and a.hash_version = 2
    and ((1 = any (p_fields) and a.pii_nonce[1] is not null) or (2 = any (p_fields) and a.pii_nonce[2] is not null)
         or (3 = any (p_fields) and a.pii_nonce[3] is not null));
  get diagnostics n = row_count;
  return n;
end $$;

-- A person's traces in the history: their address and client address on the rows they
-- wrote, and the changes that name them: their address in the workspaces they belonged to
-- (p_tenants), in failed sign-ins and invitations anywhere, and their name on rows about them.
-- Another workspace's own records that happen to hold the address (a customer's email) are
-- that workspace's, and stay. Each workspace touched gets an audit.personal_data_erased row.
-- Runs as its caller (app.me_delete_erase).
CREATE OR REPLACE FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n integer;
  e text := lower(p_email);
begin
  delete from app.invitations i where lower(i.email) = e;
  delete from app.outbox o where lower(o.recipient) = e or o.user_id = p_user;
  delete from app.rate_events r where r.key in ('login:acct:' || e, 'forgot:acct:' || e, 'resend:acct:' || e);
  for t in select distinct a.tenant_id from app.audit_log a
           where a.actor_id = p_user or a.entity_id = p_user::text
              or (strpos(lower(a.changes::text), e) > 0
                  and (a.tenant_id = any (p_tenants) or a.action = 'auth.login_failed' or a.entity_type = 'invitation')) loop
    n := app.audit_erase_fields(t, array(select a.id from app.audit_log a where a.tenant_id = t and a.actor_id = p_user),
                                array[1, 3]);
    n := n + app.audit_erase_fields(t, array(
           select a.id from app.audit_log a where a.tenant_id = t
             and ((strpos(lower(a.changes::text), e) > 0
                   and (t = any (p_tenants) or a.action = 'auth.login_failed' or a.entity_type = 'invitation'))
                  or (a.entity_id = p_user::text and strpos(a.changes::text, to_jsonb(p_name)::text) > 0))), array[2]);
    perform app.audit_write(t, null, null, 'system', 'audit.personal_data_erased', 'user', p_user::text,
                            jsonb_build_object('rows', jsonb_build_array(null, n)), null);
  end loop;
end $$;

-- DELETE /me with erase_history: app.me_delete, then the person's traces in the history.
CREATE OR REPLACE FUNCTION app.me_delete_erase() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
  who app.users;
  ts uuid[];
begin
  perform app.definer_enter(false);
  if u is null then
    return 'no_session';
  end if;
  if exists (select 1 from app.memberships m where m.user_id = u and m.role = 'owner'
             and not exists (select 1 from app.memberships o where o.tenant_id = m.tenant_id
                             and o.role = 'owner' and o.user_id <> u)) then
    return 'sole_owner';
  end if;
  select * into who from app.users where id = u;
  ts := array(select m.tenant_id from app.memberships m where m.user_id = u);
  delete from app.users where id = u;
  perform app.audit_erase_person(u, who.email, who.name, ts);
  return 'deleted';
end $$;

-- DELETE /employees/{id} or /customers/{id} with erase_history, after the record is gone: the
-- changes of every row about it, and of rows elsewhere that carry its address or phone number,
-- and the mail sent to it, in the session's workspace. False when the record still exists.
CREATE OR REPLACE FUNCTION app.audit_erase_record(p_type text, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
  marks text[];
  n integer;
begin
  perform app.definer_enter(false);
  -- the records' policies read the workspace from app.definer_tenant here: the session's
  perform set_config('app.definer_tenant', coalesce(t::text, ''), true);
  if t is null or p_type not in ('employee', 'customer') or p_id is null
     or (p_type = 'employee' and exists (select 1 from app.employees x where x.tenant_id = t and x.id = p_id))
     or (p_type = 'customer' and exists (select 1 from app.customers x where x.tenant_id = t and x.id = p_id)) then
    return false;
  end if;
  select array_agg(distinct lower(v)) into marks
  from app.audit_log a,
       lateral (values (a.changes->'email'->>0), (a.changes->'email'->>1),
                       (a.changes->'phone'->>0), (a.changes->'phone'->>1)) x(v)
  where a.tenant_id = t and a.entity_type = p_type and a.entity_id = p_id::text and length(v) >= 5;
  n := app.audit_erase_fields(t, array(
         select a.id from app.audit_log a where a.tenant_id = t
           and (a.entity_type = p_type and a.entity_id = p_id::text
                or exists (select 1 from unnest(coalesce(marks, '{}')) m where strpos(lower(a.changes::text), m) > 0))),
         array[2]);
  delete from app.outbox o where o.tenant_id = t and lower(o.recipient) = any (coalesce(marks, '{}'));
  perform app.audit_session('audit.personal_data_erased', p_type, p_id::text,
                            jsonb_build_object('rows', jsonb_build_array(null, n)));
  return true;
end $$;

-- The retention periods (days; DESIGN.md settings, docs/PRIVACY.md): client address and
-- browser of sessions that ended, invitations never accepted, sent mail, the addresses typed
-- in failed sign-ins, client addresses in the audit log. Returns what each step removed.
CREATE OR REPLACE FUNCTION app.privacy_retention(p_session_days integer, p_invitation_days integer, p_mail_days integer, p_failed_login_days integer, p_audit_ip_days integer) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  ids uuid[];
  n_sessions integer;
  n_invitations integer := 0;
  n_mail integer;
  n_failed integer := 0;
  n_ips integer := 0;
begin
  perform app.definer_enter(true);
  update app.sessions s set ip = null, user_agent = null
  where (s.ip is not null or s.user_agent is not null)
    and least(coalesce(s.revoked_at, 'infinity'), s.expires_at,
              case when s.impersonation_id is null then s.last_used_at + interval '7 days' else 'infinity' end)
        < now() - make_interval(days => p_session_days);
  get diagnostics n_sessions = row_count;
  for t in select distinct i.tenant_id from app.invitations i
           where i.accepted_at is null and i.created_at < now() - make_interval(days => p_invitation_days) loop
    perform set_config('app.definer_tenant', t::text, true);
    with d as (delete from app.invitations i where i.tenant_id = t and i.accepted_at is null
                 and i.created_at < now() - make_interval(days => p_invitation_days) returning i.id)
    select array_agg(id) into ids from d;
    n_invitations := n_invitations + coalesce(array_length(ids, 1), 0);
    perform app.audit_erase_fields(t, array(select a.id from app.audit_log a where a.tenant_id = t
                                             and a.entity_type = 'invitation' and a.entity_id = any (ids::text[])),
                                   array[2]);
  end loop;
  perform set_config('app.definer_tenant', '', true);
  delete from app.outbox o where o.sent_at < now() - make_interval(days => p_mail_days);
  get diagnostics n_mail = row_count;
  for t in select distinct a.tenant_id from app.audit_log a
           where a.at < now() - least(make_interval(days => p_failed_login_days), make_interval(days => p_audit_ip_days))
             and a.hash_version = 2 and (a.pii_nonce[2] is not null or a.pii_nonce[3] is not null) loop
    n_failed := n_failed + app.audit_erase_fields(t, array(
                  select a.id from app.audit_log a where a.tenant_id = t and a.action = 'auth.login_failed'
                    and a.at < now() - make_interval(days => p_failed_login_days)), array[2]);
    n_ips := n_ips + app.audit_erase_fields(t, array(
               select a.id from app.audit_log a where a.tenant_id = t and a.ip is not null
                 and a.at < now() - make_interval(days => p_audit_ip_days)), array[3]);
  end loop;
  return json_build_object('sessions', n_sessions, 'invitations', n_invitations, 'mail', n_mail,
                           'failed_logins', n_failed, 'audit_ips', n_ips);
end $$;

-- GET /me/export: what the service holds about the signed-in person, in every workspace they
-- belong to (profile, memberships, sessions, the audit rows they wrote or that are about
-- them), read in one snapshot and written down as user.data_exported.
CREATE OR REPLACE FUNCTION app.me_export() RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
  r json;
begin
  perform app.definer_enter(false);
  if u is null then
    return null;
  end if;
  perform app.audit_session('user.data_exported', 'user', u::text, '{}');
  select json_build_object(
    'exported_at', app.ts(now()),
    'user', json_build_object('id', x.id, 'email', x.email, 'name', x.name,
                              'email_confirmed_at', app.ts(x.email_confirmed_at),
                              'mfa_enabled', x.totp_enabled_at is not null, 'mfa_enabled_at', app.ts(x.totp_enabled_at),
                              'created_at', app.ts(x.created_at), 'updated_at', app.ts(x.updated_at)),
    'memberships', coalesce((select json_agg(json_build_object(
                       'workspace', json_build_object('id', t.id, 'slug', t.slug, 'name', t.name),
                       'role', m.role, 'joined_at', app.ts(m.created_at)) order by m.created_at, t.id)
                     from app.memberships m join app.tenants t on t.id = m.tenant_id where m.user_id = u), '[]'),
    'sessions', coalesce((select json_agg(json_build_object(
                    'id', s.id, 'workspace_id', s.tenant_id, 'created_at', app.ts(s.created_at),
                    'last_used_at', app.ts(s.last_used_at), 'expires_at', app.ts(s.expires_at),
                    'revoked_at', app.ts(s.revoked_at), 'ip', s.ip, 'user_agent', s.user_agent, 'aal', s.aal,
                    'staff_access', s.impersonation_id is not null) order by s.created_at, s.id)
                  from app.sessions s where s.user_id = u), '[]'),
    'audit', coalesce((select json_agg((app.audit_json(a)::jsonb || jsonb_build_object('workspace_id', a.tenant_id))
                                       order by a.tenant_id, a.seq)
                       from app.audit_log a
                       where a.tenant_id in (select m.tenant_id from app.memberships m where m.user_id = u)
                         and (a.actor_id = u or (a.entity_type in ('user', 'member') and a.entity_id = u::text))), '[]'))
  into r
  from app.users x where x.id = u;
  return r;
end $$;

-- POST /me/email, after the password: a single-use link (24 hours) to the new address, or,
-- when that address has an account already, a mail saying so (the answer is the same).
-- Returns 'sent', 'same' or 'no_session'. An earlier pending change is void.
CREATE OR REPLACE FUNCTION app.me_email_change(p_new text, p_subject text, p_body bytea, p_subject_taken text, p_body_taken bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
  t uuid := app.session_tenant();
  tok text;
begin
  perform app.definer_enter(false);
  if u is null then
    return 'no_session';
  end if;
  if exists (select 1 from app.users x where x.id = u and lower(x.email) = lower(p_new)) then
    return 'same';
  end if;
  update app.user_tokens k set used_at = now()
    where k.user_id = u and k.kind = 'email_change' and k.used_at is null;
  if exists (select 1 from app.users x where lower(x.email) = lower(p_new)) then
    insert into app.outbox (tenant_id, recipient, subject, body) values (t, p_new, p_subject_taken, p_body_taken);
  else
    tok := app.new_token();
    insert into app.user_tokens (token_hash, user_id, tenant_id, kind, expires_at, new_email)
      values (sha256(convert_to(tok, 'UTF8')), u, t, 'email_change', now() + interval '24 hours', p_new);
    insert into app.outbox (tenant_id, user_id, recipient, subject, body, token)
      values (t, u, p_new, p_subject, p_body, tok);
  end if;
  perform app.audit_session('user.email_change_requested', 'user', u::text, '{}');
  return 'sent';
end $$;

-- POST /auth/email/confirm: the link of app.me_email_change makes its address the login
-- address; the old address gets a notice; each workspace of the person logs user.email_changed.
-- Returns 'changed', 'invalid' (unknown, used or expired) or 'taken'.
CREATE OR REPLACE FUNCTION app.auth_email_confirm(p_token text, p_subject text, p_body bytea, p_ip text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k app.user_tokens;
  old text;
  m record;
begin
  perform app.definer_enter(true);
  select * into k from app.user_tokens x
    where x.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and x.kind = 'email_change'
      and x.used_at is null and x.expires_at > now()
    for update;
  if not found then
    return 'invalid';
  end if;
  update app.user_tokens x set used_at = now() where x.token_hash = k.token_hash;
  if exists (select 1 from app.users x where lower(x.email) = lower(k.new_email) and x.id <> k.user_id) then
    return 'taken';
  end if;
  select x.email into old from app.users x where x.id = k.user_id;
  if old is null then
    return 'invalid';
  end if;
  update app.users x set email = k.new_email, email_confirmed_at = now(), updated_at = now() where x.id = k.user_id;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body) values (k.tenant_id, null, old, p_subject, p_body);
  for m in select x.tenant_id from app.memberships x where x.user_id = k.user_id loop
    perform app.audit_write(m.tenant_id, k.user_id, k.new_email, 'user', 'user.email_changed', 'user', k.user_id::text,
                            jsonb_build_object('email', jsonb_build_array(old, k.new_email)), p_ip);
  end loop;
  return 'changed';
end $$;

-- Deleting the account or the workspace: the second factor of a user who has one
-- (app.mfa_check).
CREATE OR REPLACE FUNCTION app.mfa_confirm(p_step bigint, p_recovery bytea) RETURNS TABLE(status text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(false);
  return query select c.status, c.retry_after from app.mfa_check(app.current_user_id(), p_step, p_recovery) c;
end $$;

-- ---- security notices (mail; the bodies are composed and sealed by the server) ----

-- To the owners and admins of the session's workspace (a role granted, MFA turned off).
CREATE OR REPLACE FUNCTION app.notice_admins(p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
  n integer;
begin
  perform app.definer_enter(false);
  if t is null then
    return 0;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select t, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = t and m.role in ('owner', 'admin');
  get diagnostics n = row_count;
  return n;
end $$;

-- An invitation with role admin or owner accepted in this transaction (its token, so only
-- the accepting request can ask): a notice to the owners and admins of its workspace. The
-- number of messages queued; 0 for any other invitation.
CREATE OR REPLACE FUNCTION app.invitation_notice(p_token text, p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n integer;
begin
  select i.tenant_id into t from app.invitations i
    where i.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and i.accepted_at = now()
      and i.role in ('owner', 'admin');
  if t is null then
    return 0;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select t, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = t and m.role in ('owner', 'admin');
  get diagnostics n = row_count;
  return n;
end $$;

-- The failed sign-in that locks an account (the 10th within 15 minutes): a notice to it.
CREATE OR REPLACE FUNCTION app.auth_lockout_notice(p_email text, p_subject text, p_body bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  if (select count(*) from app.rate_events e where e.key = 'login:acct:' || lower(p_email)
      and e.at > now() - interval '15 minutes') <> 10 then
    return false;
  end if;
  insert into app.outbox (user_id, recipient, subject, body)
    select u.id, u.email, p_subject, p_body from app.users u where lower(u.email) = lower(p_email);
  return found;
end $$;

-- A session just made from a browser none of the user's other sessions used (not on a
-- first sign-in, not for staff): a notice to the user.
CREATE OR REPLACE FUNCTION app.auth_device_notice(p_session uuid, p_subject text, p_body bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  s app.sessions;
begin
  perform app.definer_enter(true);
  select * into s from app.sessions x where x.id = p_session and x.created_at > now() - interval '1 minute';
  if not found or s.impersonation_id is not null
     or not exists (select 1 from app.sessions x where x.user_id = s.user_id and x.id <> s.id and x.impersonation_id is null)
     or exists (select 1 from app.sessions x where x.user_id = s.user_id and x.id <> s.id
                and x.user_agent is not distinct from s.user_agent) then
    return false;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select s.tenant_id, u.id, u.email, p_subject, p_body from app.users u where u.id = s.user_id;
  return true;
end $$;

-- Staff access just redeemed: a notice to the workspace's owners and admins.
CREATE OR REPLACE FUNCTION app.impersonation_notice(p_impersonation uuid, p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n integer;
begin
  perform app.definer_enter(true);
  select i.tenant_id into t from app.impersonations i
    where i.id = p_impersonation and i.redeemed_at > now() - interval '1 minute';
  if t is null then
    return 0;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select t, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = t and m.role in ('owner', 'admin');
  get diagnostics n = row_count;
  return n;
end $$;

-- ---- the operator's notices ----

-- Staff access granted (`planyard platform impersonate`): the workspace's owners and admins
-- are told in the same transaction as the grant.
CREATE OR REPLACE FUNCTION platform.impersonation_granted_notice(p_impersonation uuid, p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n integer;
begin
  perform app.definer_enter(true);
  select i.tenant_id into t from app.impersonations i
    where i.id = p_impersonation and i.redeemed_at is null and i.created_at > now() - interval '1 minute';
  if t is null then
    return 0;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select t, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = t and m.role in ('owner', 'admin');
  get diagnostics n = row_count;
  return n;
end $$;

-- `planyard platform notify`: one message to every owner of a workspace (an owner of several
-- gets it once), and a platform.owners_notified row in each workspace's audit log.
CREATE OR REPLACE FUNCTION platform.notify_owners(p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n integer;
begin
  perform app.definer_enter(true);
  if length(btrim(coalesce(p_subject, ''))) = 0 then
    raise exception 'the subject is required' using errcode = '22023';
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select distinct on (u.id) m.tenant_id, u.id, u.email, p_subject, p_body
    from app.memberships m join app.users u on u.id = m.user_id
    where m.role = 'owner' order by u.id, m.created_at;
  get diagnostics n = row_count;
  for t in select x.id from app.tenants x loop
    perform app.audit_write(t, null, null, 'platform', 'platform.owners_notified', 'workspace', t::text,
                            jsonb_build_object('subject', jsonb_build_array(null, p_subject)), null);
  end loop;
  return n;
end $$;
