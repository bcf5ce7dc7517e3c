-- Sign-up, sign-in, sessions, tokens and passwords: the SECURITY DEFINER flows that run before a session exists or touch secrets.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- Signatures that took a token's hash or no proof (before the roles were split).
drop function if exists app.auth_confirm(bytea);
drop function if exists app.auth_refresh(bytea, bytea);
drop function if exists app.auth_reset_apply(bytea, text, text, text, bytea);
drop function if exists app.auth_reset_lookup(bytea);
drop function if exists app.auth_session_create(uuid, uuid, bytea, bytea, bytea, text, text, text, text);
drop function if exists app.mfa_challenge_create(uuid, uuid, bytea);
drop function if exists app.mfa_challenge_secret(bytea);
drop function if exists app.mfa_challenge_verify(bytea, bigint, bytea, text);
drop function if exists app.invitation_accept(bytea, uuid, text, text, text, text);
drop function if exists app.invitation_lookup(bytea);
drop function if exists app.impersonation_redeem(bytea, bytea, bytea, text, text);
drop function if exists app.auth_forgot(text, text, bytea, text, bytea);
drop function if exists app.auth_resend(text, bytea, text, bytea);
drop function if exists app.auth_signup(text, text, text, text, text, text, bytea, text, bytea, text, bytea, text);
drop function if exists app.outbox_claim(integer);
drop function if exists app.outbox_claim(integer, integer);

-- The raw token, hashed here: knowing or choosing a token's hash gives nothing.
CREATE OR REPLACE FUNCTION app.auth_confirm(p_token text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid;
begin
  perform app.definer_enter(true);
  update app.user_tokens set used_at = now()
    where token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and kind = 'confirm' and used_at is null
      and expires_at > now()
    returning user_id into u;
  if not found then
    return false;
  end if;
  update app.users set email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() where id = u;
  return true;
end $$;

-- The reset token is made here and goes only into the mail (app.outbox.token): the caller
-- never holds it, so asking for another user's reset gives it nothing to redeem.
CREATE OR REPLACE FUNCTION app.auth_forgot(p_slug text, p_email text, p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k text := 'forgot:acct:' || lower(p_email);
  wait int := app.rate_retry_after(k, 5, interval '1 hour');
  u uuid;
  t uuid;
  tok text;
begin
  perform app.definer_enter(true);
  if wait > 0 then
    return wait;
  end if;
  perform app.rate_hit(k);
  select id into u from app.users where lower(email) = lower(p_email);
  if not found then
    return 0;
  end if;
  if p_slug is not null then
    select m.tenant_id into t from app.memberships m join app.tenants x on x.id = m.tenant_id
      where x.slug = p_slug and m.user_id = u;
    if not found then
      return 0;
    end if;
  end if;
  tok := app.new_token();
  insert into app.user_tokens (token_hash, user_id, tenant_id, kind, expires_at)
    values (sha256(convert_to(tok, 'UTF8')), u, t, 'reset', now() + interval '30 minutes');
  insert into app.outbox (tenant_id, user_id, recipient, subject, body, token)
    select t, u, email, p_subject, p_body, tok from app.users where id = u;
  return 0;
end $$;

CREATE OR REPLACE FUNCTION app.auth_login_failed(p_tenant uuid, p_user uuid, p_email text, p_ip text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  perform app.rate_hit('login:acct:' || lower(p_email));
  perform app.rate_hit('login:ip:' || coalesce(p_ip, ''));
  -- into the workspace that was named, when there is one; the user only if a member
  perform app.audit_as(p_tenant,
    case when exists (select 1 from app.memberships m where m.tenant_id = p_tenant and m.user_id = p_user)
         then p_user end,
    'user', 'auth.login_failed', 'user', null, jsonb_build_object('email', jsonb_build_array(null, p_email)), p_ip);
end $$;

CREATE OR REPLACE FUNCTION app.auth_login_lookup(p_slug text, p_email text, p_ip text) RETURNS TABLE(retry_after integer, tenant_id uuid, user_id uuid, password_hash text, confirmed boolean, member boolean, mfa boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  u app.users;
begin
  retry_after := greatest(app.rate_retry_after('login:acct:' || lower(p_email), 10, interval '15 minutes'),
                          app.rate_retry_after('login:ip:' || coalesce(p_ip, ''), 30, interval '15 minutes'));
  select id into t from app.tenants where slug = p_slug;
  select * into u from app.users where lower(email) = lower(p_email);
  tenant_id := t;
  user_id := u.id;
  password_hash := u.password_hash;
  confirmed := u.email_confirmed_at is not null;
  member := t is not null and u.id is not null
            and exists (select 1 from app.memberships m where m.tenant_id = t and m.user_id = u.id);
  mfa := u.totp_enabled_at is not null;
  return next;
end $$;

-- Rotation with reuse detection. p_new_token is the successor; the server derives it from the
-- presented token, so a retry presents the same one. Both raw, hashed here.
CREATE OR REPLACE FUNCTION app.auth_refresh(p_old_token text, p_new_token text) RETURNS TABLE(status text, session_id uuid, tenant_id uuid, user_id uuid, key_sealed bytea, aal text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  r app.refresh_tokens;
  s app.sessions;
  p_old bytea := sha256(convert_to(coalesce(p_old_token, ''), 'UTF8'));
  p_new bytea := sha256(convert_to(coalesce(p_new_token, ''), 'UTF8'));
begin
  perform app.definer_enter(true);
  select * into r from app.refresh_tokens x where x.token_hash = p_old for update;
  if not found then
    status := 'invalid';
    return next;
    return;
  end if;
  select * into s from app.sessions x where x.tenant_id = r.tenant_id and x.id = r.session_id for update;
  if s.revoked_at is not null or s.expires_at <= now() or s.last_used_at <= now() - interval '7 days' then
    status := 'invalid';
    return next;
    return;
  end if;
  session_id := s.id;
  tenant_id := s.tenant_id;
  user_id := s.user_id;
  key_sealed := s.key_sealed;
  aal := s.aal;
  if r.used_at is null then
    update app.refresh_tokens x set used_at = now(), successor_hash = p_new
      where x.tenant_id = r.tenant_id and x.id = r.id;
    insert into app.refresh_tokens (tenant_id, session_id, token_hash) values (r.tenant_id, r.session_id, p_new);
    update app.sessions x set last_used_at = now() where x.tenant_id = s.tenant_id and x.id = s.id;
    status := 'ok';
    return next;
    return;
  end if;
  if r.used_at > now() - interval '10 seconds' and r.successor_hash = p_new
     and exists (select 1 from app.refresh_tokens x where x.token_hash = p_new and x.used_at is null) then
    status := 'ok';
    return next;
    return;
  end if;
  update app.sessions x set revoked_at = now() where x.tenant_id = s.tenant_id and x.id = s.id;
  status := 'reused';
  session_id := null;
  return next;
end $$;

-- Returns seconds to wait (429) or 0. Mails only an unconfirmed user; says nothing either way.
CREATE OR REPLACE FUNCTION app.auth_resend(p_email text, p_subject text, p_body bytea) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k text := 'resend:acct:' || lower(p_email);
  wait int := app.rate_retry_after(k, 5, interval '1 hour');
  u uuid;
  tok text := app.new_token();
begin
  perform app.definer_enter(true);
  if wait > 0 then
    return wait;
  end if;
  perform app.rate_hit(k);
  select id into u from app.users where lower(email) = lower(p_email) and email_confirmed_at is null;
  if found then
    insert into app.user_tokens (token_hash, user_id, kind, expires_at)
      values (sha256(convert_to(tok, 'UTF8')), u, 'confirm', now() + interval '24 hours');
    insert into app.outbox (user_id, recipient, subject, body, token) values (u, p_email, p_subject, p_body, tok);
  end if;
  return 0;
end $$;

CREATE OR REPLACE FUNCTION app.auth_reset_apply(p_token text, p_hash text, p_history text, p_subject text, p_body bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid;
begin
  perform app.definer_enter(true);
  update app.user_tokens set used_at = now()
    where token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and kind = 'reset' and used_at is null
      and expires_at > now()
    returning user_id into u;
  if not found then
    return false;
  end if;
  perform app.password_set(u, p_hash, p_history, p_subject, p_body);
  -- the link proved the address
  update app.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = u;
  update app.sessions set revoked_at = now() where user_id = u and revoked_at is null;
  return true;
end $$;

CREATE OR REPLACE FUNCTION app.auth_reset_lookup(p_token text) RETURNS TABLE(user_id uuid, history text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.user_id, array(select h.hash from app.password_history h where h.user_id = t.user_id
                          order by h.id desc limit 5)
  from app.user_tokens t
  where t.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and t.kind = 'reset' and t.used_at is null
    and t.expires_at > now()
$$;

-- A session, made only on a proof its caller can't forge (the caller chooses the secret's
-- and refresh token's hashes, not whose session it is):
--   'password'  the peppered password of a confirmed user without TOTP (aal1); checked
--               here against the bcrypt hash, so it needs the pepper the database never has
--   'mfa'       the raw token of this user's challenge verified within the minute, used up
--               here (aal2)
--   'session'   the raw secret of a live session of the same user (aal1: an invitation
--               accepted while signed in)
-- The member must belong to the workspace. p_email non-null: the account's failed sign-ins
-- are cleared (its own address, read here, whatever is passed).
CREATE OR REPLACE FUNCTION app.auth_session_create(p_tenant uuid, p_user uuid, p_proof_kind text, p_proof text, p_key_hash bytea, p_key_sealed bytea, p_refresh_hash bytea, p_ip text, p_ua text, p_email text) RETURNS TABLE(session_id uuid, expires_at timestamp with time zone, aal text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  s uuid;
  e timestamptz;
  a text;
  proof_hash bytea := sha256(convert_to(coalesce(p_proof, ''), 'UTF8'));
begin
  perform app.definer_enter(true);
  if exists (select 1 from app.memberships m where m.tenant_id = p_tenant and m.user_id = p_user) then
    if p_proof_kind = 'password' then
      if app.password_proof_ok(p_user, p_proof)
         and exists (select 1 from app.users u where u.id = p_user and u.email_confirmed_at is not null
                     and u.totp_enabled_at is null) then
        a := 'aal1';
      end if;
    elsif p_proof_kind = 'mfa' then
      delete from app.mfa_challenges c where c.token_hash = proof_hash and c.user_id = p_user and c.tenant_id = p_tenant
        and c.used_at is not null and c.used_at > now() - interval '1 minute';
      if found then
        a := 'aal2';
      end if;
    elsif p_proof_kind = 'session' then
      if exists (select 1 from app.sessions x where x.key_hash = proof_hash and x.user_id = p_user
                 and x.revoked_at is null and x.expires_at > now() and x.impersonation_id is null
                 and x.last_used_at > now() - interval '7 days') then
        a := 'aal1';
      end if;
    end if;
  end if;
  if a is null then
    raise exception 'no proof for a session of this member' using errcode = '28P01';
  end if;
  insert into app.sessions (tenant_id, user_id, key_hash, key_sealed, aal, ip, user_agent)
    values (p_tenant, p_user, p_key_hash, p_key_sealed, a, p_ip, left(p_ua, 512))
    returning id, sessions.expires_at into s, e;
  if p_refresh_hash is not null then
    insert into app.refresh_tokens (tenant_id, session_id, token_hash) values (p_tenant, s, p_refresh_hash);
  end if;
  if p_email is not null then
    delete from app.rate_events where key = 'login:acct:' || lower((select u.email from app.users u where u.id = p_user));
  end if;
  perform app.audit_as(p_tenant, p_user, 'user', 'auth.login', 'session', s::text,
                       jsonb_build_object('aal', jsonb_build_array(null, a)), p_ip);
  session_id := s;
  expires_at := e;
  aal := a;
  return next;
end $$;

-- Whether p_proof is the peppered password of user p_user: bcrypt here ($2b$ and $2a$ are the
-- same for these 44 ASCII bytes; pgcrypto names it $2a$). Runs as its caller: only the
-- SECURITY DEFINER flows above may read the hash.
CREATE OR REPLACE FUNCTION app.password_proof_ok(p_user uuid, p_proof text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((select x.h ~ '^\$2[aby]\$' and p_proof is not null
                          and ext.crypt(p_proof, '$2a$' || substr(x.h, 5)) = '$2a$' || substr(x.h, 5)
                   from (select u.password_hash h from app.users u where u.id = p_user) x), false)
$$;

-- The confirm token is made here and goes only into the mail (app.outbox.token).
CREATE OR REPLACE FUNCTION app.auth_signup(p_slug text, p_ws_name text, p_name text, p_email text, p_hash text, p_history text, p_subject_new text, p_body_new bytea, p_subject_existing text, p_body_existing bytea, p_ip text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  u uuid;
  c text;
  tok text := app.new_token();
begin
  perform app.definer_enter(true);
  perform app.rate_hit('signup:ip:' || coalesce(p_ip, ''));
  if exists (select 1 from app.tenants where slug = p_slug) then
    return 'slug_taken';
  end if;
  select id into u from app.users where lower(email) = lower(p_email);
  if found then
    insert into app.outbox (user_id, recipient, subject, body)
      values (u, p_email, p_subject_existing, p_body_existing);
    return 'exists';
  end if;
  begin
    insert into app.tenants (slug, name) values (p_slug, p_ws_name) returning id into t;
    insert into app.users (email, name, password_hash) values (p_email, p_name, p_hash) returning id into u;
  exception when unique_violation then
    -- a concurrent signup took the slug or the address first (it committed while we waited)
    get stacked diagnostics c = constraint_name;
    if c = 'users_email_key' then
      insert into app.outbox (user_id, recipient, subject, body)
        select x.id, p_email, p_subject_existing, p_body_existing from app.users x where lower(x.email) = lower(p_email);
      return 'exists';
    end if;
    return 'slug_taken';
  end;
  insert into app.memberships (tenant_id, user_id, role) values (t, u, 'owner');
  insert into app.password_history (user_id, hash) values (u, p_history);
  insert into app.user_tokens (token_hash, user_id, tenant_id, kind, expires_at)
    values (sha256(convert_to(tok, 'UTF8')), u, t, 'confirm', now() + interval '24 hours');
  insert into app.outbox (tenant_id, user_id, recipient, subject, body, token)
    values (t, u, p_email, p_subject_new, p_body_new, tok);
  return 'created';
end $$;

-- 'sole_owner' when the user is the only owner of a workspace; else deletes the user.
CREATE OR REPLACE FUNCTION app.me_delete() RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
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
  delete from app.users where id = u;
  return 'deleted';
end $$;

CREATE OR REPLACE FUNCTION app.me_password_material() RETURNS TABLE(password_hash text, history text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.password_hash, array(select h.hash from app.password_history h where h.user_id = u.id
                                order by h.id desc limit 5)
  from app.users u where u.id = app.current_user_id()
$$;

CREATE OR REPLACE FUNCTION app.me_password_set(p_hash text, p_history text, p_subject text, p_body bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
  s uuid := app.current_session_id();
begin
  perform app.definer_enter(false);
  if u is null then
    return false;
  end if;
  perform app.password_set(u, p_hash, p_history, p_subject, p_body);
  update app.sessions set revoked_at = now() where user_id = u and id <> s and revoked_at is null;
  return true;
end $$;

-- The mail sender claims due rows with a lease, in a statement of their own that commits at
-- once: each claimed row is due again only when the lease has run out (next_attempt_at), so a
-- sender that died holding it (kill -9, lost machine) hands it on by itself, and a live sender
-- marks it (outbox_done) well within the lease, each message in its own statement right after
-- its send. Attempts are counted here, when a send may start: a message that crashes its
-- sender every time stops at 50 like one that fails.
CREATE OR REPLACE FUNCTION app.outbox_claim(p_limit integer, p_lease_s integer) RETURNS TABLE(id bigint, channel text, recipient text, subject text, body bytea, attempts integer, token text, sealed_legacy boolean, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(false);
  -- the due rows are picked once (a CTE): as a subquery of the UPDATE, a plan may run the
  -- LIMIT ... SKIP LOCKED again per row and claim more than p_limit rows
  return query
  with due as materialized (
    select d.id from app.outbox d
    where d.sent_at is null and d.next_attempt_at <= now() and d.attempts < 50
    order by d.id limit least(greatest(p_limit, 0), 100)
    for update skip locked)
  update app.outbox o set attempts = o.attempts + 1,
         next_attempt_at = now() + make_interval(secs => greatest(p_lease_s, 1))
  from due where o.id = due.id
  returning o.id, o.channel, o.recipient, o.subject, o.body, o.attempts, o.token, o.sealed_legacy, o.created_at;
end $$;

-- The outcome of a claimed row's send: sent (the body and token are not kept), or due again
-- after a backoff that grows with the attempts counted by the claim.
CREATE OR REPLACE FUNCTION app.outbox_done(p_id bigint, p_ok boolean, p_error text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  update app.outbox set
    sent_at = case when p_ok then now() end,
    body = case when p_ok then ''::bytea else body end,   -- a sent body is not kept
    token = case when p_ok then null else token end,       -- nor its token
    last_error = case when p_ok then null else left(p_error, 500) end,
    next_attempt_at = now() + least(interval '1 hour', interval '2 seconds' * power(2, least(greatest(attempts - 1, 0), 11)))
  where id = p_id and sent_at is null
$$;

-- Shared by reset and change: sets the password, keeps 5 in history, mails a notice.
CREATE OR REPLACE FUNCTION app.password_set(p_user uuid, p_hash text, p_history text, p_subject text, p_body bytea) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

-- An attempt to accept an invitation from address p_ip: counted, and the seconds to wait
-- (10 per 15 minutes) or 0. The pre-session role's only way to count an attempt: it names an
-- address, never any other limit's key (an account's sign-in, reset, MFA).
CREATE OR REPLACE FUNCTION app.invite_attempt(p_ip text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k text := 'invite:ip:' || coalesce(p_ip, '');
  wait int := app.rate_retry_after(k, 10, interval '15 minutes');
begin
  perform app.rate_hit(k);
  return wait;
end $$;

-- The limit on re-entering the password of the live session's account (password change,
-- DELETE /me): 10 wrong tries per 15 minutes, keyed here on the session's own user, so the
-- request role can neither lock another account out nor clear it. 0 without a session.
CREATE OR REPLACE FUNCTION app.reauth_retry_after() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((select app.rate_retry_after('reauth:' || u::text, 10, interval '15 minutes')
                   from app.current_user_id() u where u is not null), 0)
$$;

-- A wrong password re-entered by the live session's account; nothing without a session.
CREATE OR REPLACE FUNCTION app.reauth_failed() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
begin
  perform app.definer_enter(false);
  if u is not null then
    perform app.rate_hit('reauth:' || u::text);
  end if;
end $$;

CREATE OR REPLACE FUNCTION app.rate_hit(p_key text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into app.rate_events (key) values (p_key);
  if random() < 0.01 then
    delete from app.rate_events where at < now() - interval '1 day';
  end if;
end $$;

CREATE OR REPLACE FUNCTION app.rate_retry_after(p_key text, p_max integer, p_window interval) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select case when count(*) >= p_max
              then greatest(1, ceil(extract(epoch from (min(e.at) + p_window - now())))::int)
              else 0 end
  from (select at from app.rate_events where key = p_key and at > now() - p_window
        order by at desc limit p_max) e
$$;

-- A single-use token: 32 random bytes, base64url (43 characters), like the server's own.
CREATE OR REPLACE FUNCTION app.new_token() RETURNS text
    LANGUAGE sql VOLATILE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select rtrim(translate(encode(ext.gen_random_bytes(32), 'base64'), '+/', '-_'), '=')
$$;

-- RFC 3339 in UTC, as the API writes times.
-- STABLE like to_char, so that it is inlined: an IMMUTABLE SQL function whose body is only
-- STABLE is run as a function, parsed and planned again in every statement that calls it.
CREATE OR REPLACE FUNCTION app.ts(timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $_$
  select to_char($1 at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$_$;
