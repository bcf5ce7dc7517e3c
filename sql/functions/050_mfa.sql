-- Two-factor authentication: TOTP, recovery codes and challenges.
-- Re-applied whenever a file of sql/functions changes (see src/migrate.c): every statement
-- here must be safe to run again.
set local check_function_bodies = off;

-- Activation with a code of the pending secret p_pending (the one the server checked,
-- matched to p_step) and the hashes of ten new recovery codes. False when the pending
-- secret is no longer that one.
CREATE OR REPLACE FUNCTION app.mfa_activate(p_pending bytea, p_step bigint, p_hashes text[]) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
  now_step bigint := pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()) / 30)::bigint;
begin
  perform app.definer_enter(false);
  if u is null or p_step is null or p_step < now_step - 2 or p_step > now_step + 2 then
    return false;
  end if;
  update app.users x set totp_secret = x.totp_pending_secret, totp_pending_secret = null,
                         totp_enabled_at = pg_catalog.now(), totp_last_step = p_step, updated_at = pg_catalog.now()
    where x.id = u and x.totp_enabled_at is null and x.totp_pending_secret = p_pending;
  if not found then
    return false;
  end if;
  perform app.mfa_recovery_replace(u, p_hashes);
  perform app.audit('auth.mfa_enabled', 'user', u::text, pg_catalog.jsonb_build_object('method', 'totp'));
  return true;
end $$;

-- After a right password of an account with TOTP: the challenge of the given raw token. The
-- password is proven here (p_proof: the peppered password, see app.auth_session_create), so
-- no caller can start a challenge for an account whose password it does not have.
CREATE OR REPLACE FUNCTION app.mfa_challenge_create(p_tenant uuid, p_user uuid, p_proof text, p_token text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  if not app.password_proof_ok(p_user, p_proof)
     or not exists (select 1 from app.memberships m where m.tenant_id = p_tenant and m.user_id = p_user)
     or not exists (select 1 from app.users u where u.id = p_user and u.totp_enabled_at is not null) then
    raise exception 'no proof for a challenge of this member' using errcode = '28P01';
  end if;
  insert into app.mfa_challenges (token_hash, user_id, tenant_id)
    values (sha256(convert_to(coalesce(p_token, ''), 'UTF8')), p_user, p_tenant);
  if pg_catalog.random() < 0.01 then
    delete from app.mfa_challenges c where c.expires_at < pg_catalog.now() - interval '1 day';
  end if;
end $$;

-- The sealed secret to check a code against, and whose it is (the secret is sealed bound to
-- its user); no row when the token is not a live challenge (unknown, used, expired, or
-- killed by 5 wrong codes).
CREATE OR REPLACE FUNCTION app.mfa_challenge_secret(p_token text) RETURNS TABLE(secret bytea, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.totp_secret, u.id from app.mfa_challenges c join app.users u on u.id = c.user_id
  where c.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and c.used_at is null and c.expires_at > pg_catalog.now() and c.attempts < 5
    and u.totp_enabled_at is not null
$$;

-- The second step: status 'ok' (tenant_id, user_id, email for the session), 'invalid_code'
-- (a wrong or replayed code, counted: 5 on one token kill it, 10 on one account in 15
-- minutes hold it), or 'rate_limited' (retry_after seconds). p_step: the step the code
-- matched, or null; p_recovery: the hash of a recovery code, or null.
CREATE OR REPLACE FUNCTION app.mfa_challenge_verify(p_token text, p_step bigint, p_recovery bytea, p_ip text) RETURNS TABLE(status text, tenant_id uuid, user_id uuid, email text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  c app.mfa_challenges;
  p_token_hash bytea := sha256(convert_to(coalesce(p_token, ''), 'UTF8'));
  ipk text := 'mfa:ip:' || coalesce(p_ip, '');
  k text;
  ok boolean;
begin
  perform app.definer_enter(true);
  retry_after := app.rate_retry_after(ipk, 30, interval '15 minutes');
  if retry_after > 0 then
    status := 'rate_limited';
    return next;
    return;
  end if;
  select * into c from app.mfa_challenges x where x.token_hash = p_token_hash for update;
  if not found or c.used_at is not null or c.expires_at <= pg_catalog.now() or c.attempts >= 5 then
    perform app.rate_hit(ipk);
    status := 'invalid_code';
    return next;
    return;
  end if;
  k := 'mfa:acct:' || c.user_id::text;
  retry_after := app.mfa_retry_after(c.user_id);
  if retry_after > 0 then
    status := 'rate_limited';
    return next;
    return;
  end if;
  ok := app.mfa_factor_use(c.user_id, p_step, p_recovery)
        and exists (select 1 from app.memberships m where m.tenant_id = c.tenant_id and m.user_id = c.user_id);
  if not ok then
    update app.mfa_challenges x set attempts = x.attempts + 1 where x.token_hash = p_token_hash;
    perform app.rate_hit(k);
    perform app.rate_hit(ipk);
    perform app.audit_as(c.tenant_id, c.user_id, 'user', 'auth.mfa_failed', 'user', c.user_id::text,
                         pg_catalog.jsonb_build_object('attempts', c.attempts + 1,
                           'method', case when p_recovery is not null then 'recovery_code' else 'totp' end),
                         p_ip);
    status := 'invalid_code';
    return next;
    return;
  end if;
  update app.mfa_challenges x set used_at = pg_catalog.now() where x.token_hash = p_token_hash;
  delete from app.rate_events e where e.key = k;
  status := 'ok';
  tenant_id := c.tenant_id;
  user_id := c.user_id;
  email := (select u.email from app.users u where u.id = c.user_id);
  return next;
end $$;

-- The second factor of the user u of a flow that asks for it again (turning TOTP off,
-- replacing the recovery codes, deleting the account or the workspace): a TOTP step the
-- server matched, or a recovery code's hash, used up like at sign-in. status 'ok',
-- 'not_enabled', 'invalid_code' (counted towards the account's limit) or 'rate_limited'
-- (retry_after seconds). Called by the definers below only.
CREATE OR REPLACE FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  retry_after := 0;
  if u is null or not exists (select 1 from app.users x where x.id = u and x.totp_enabled_at is not null) then
    status := 'not_enabled';
    return;
  end if;
  retry_after := app.mfa_retry_after(u);
  if retry_after > 0 then
    status := 'rate_limited';
    return;
  end if;
  if not app.mfa_factor_use(u, p_step, p_recovery) then
    perform app.rate_hit('mfa:acct:' || u::text);
    status := 'invalid_code';
    return;
  end if;
  status := 'ok';
end $$;

-- Turning TOTP off, or replacing the recovery codes, with a code (app.mfa_check).
CREATE OR REPLACE FUNCTION app.mfa_disable(p_step bigint, p_recovery bytea) RETURNS TABLE(status text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
begin
  perform app.definer_enter(false);
  select c.status, c.retry_after into status, retry_after from app.mfa_check(u, p_step, p_recovery) c;
  if status <> 'ok' then
    return next;
    return;
  end if;
  update app.users x set totp_secret = null, totp_pending_secret = null, totp_enabled_at = null,
                         totp_last_step = null, updated_at = pg_catalog.now()
    where x.id = u;
  delete from app.recovery_codes c where c.user_id = u;
  perform app.audit('auth.mfa_disabled', 'user', u::text, pg_catalog.jsonb_build_object('method', 'totp'));
  status := 'ok';
  return next;
end $$;

-- Enrolment: keeps a new sealed secret as pending. 'started', or 'enabled' (nothing done:
-- TOTP must be turned off first, with a code).
CREATE OR REPLACE FUNCTION app.mfa_enrol_start(p_sealed bytea) RETURNS text
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
  update app.users x set totp_pending_secret = p_sealed, updated_at = pg_catalog.now()
    where x.id = u and x.totp_enabled_at is null;
  return case when found then 'started' else 'enabled' end;
end $$;

-- ---------------------------------------------------------------------------------------
-- The second factor of user u, used once: a TOTP code the server matched to p_step (the
-- server accepts one step either way; here the step need only be near now, with room for a
-- step boundary passed between its check and this one, and after the last step accepted:
-- the UPDATE is the single use), or the SHA-256 of a recovery code not used yet. Callers
-- hold the right to act for u.
CREATE OR REPLACE FUNCTION app.mfa_factor_use(p_user uuid, p_step bigint, p_recovery bytea) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  now_step bigint := pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()) / 30)::bigint;
begin
  if p_step is not null then
    if p_step < now_step - 2 or p_step > now_step + 2 then
      return false;
    end if;
    update app.users u set totp_last_step = p_step
      where u.id = p_user and u.totp_enabled_at is not null
        and (u.totp_last_step is null or u.totp_last_step < p_step);
    return found;
  end if;
  if p_recovery is not null then
    update app.recovery_codes c set used_at = pg_catalog.now()
      where c.user_id = p_user and c.code_hash = p_recovery and c.used_at is null;
    return found;
  end if;
  return false;
end $$;

-- What the server needs to check the password and a code: the bcrypt hash, the pending
-- and the active secret (sealed), whether TOTP is on.
CREATE OR REPLACE FUNCTION app.mfa_material() RETURNS TABLE(password_hash text, pending_secret bytea, secret bytea, enabled boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.password_hash, u.totp_pending_secret, u.totp_secret, u.totp_enabled_at is not null
  from app.users u where u.id = app.current_user_id()
$$;

CREATE OR REPLACE FUNCTION app.mfa_recovery_regenerate(p_step bigint, p_recovery bytea, p_hashes text[]) RETURNS TABLE(status text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u uuid := app.current_user_id();
begin
  perform app.definer_enter(false);
  retry_after := 0;
  if u is null or not exists (select 1 from app.users x where x.id = u and x.totp_enabled_at is not null) then
    status := 'not_enabled';
    return next;
    return;
  end if;
  retry_after := app.mfa_retry_after(u);
  if retry_after > 0 then
    status := 'rate_limited';
    return next;
    return;
  end if;
  if not app.mfa_factor_use(u, p_step, p_recovery) then
    perform app.rate_hit('mfa:acct:' || u::text);
    status := 'invalid_code';
    return next;
    return;
  end if;
  perform app.mfa_recovery_replace(u, p_hashes);
  perform app.audit('auth.recovery_codes_regenerated', 'user', u::text, '{}'::jsonb);
  status := 'ok';
  return next;
end $$;

-- Replaces the user's recovery codes by those whose SHA-256 hashes are given (hex).
CREATE OR REPLACE FUNCTION app.mfa_recovery_replace(p_user uuid, p_hashes text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  if pg_catalog.cardinality(p_hashes) <> 10 then
    raise exception 'ten recovery codes are expected' using errcode = '22023';
  end if;
  delete from app.recovery_codes c where c.user_id = p_user;
  insert into app.recovery_codes (user_id, code_hash)
    select p_user, pg_catalog.decode(h, 'hex') from pg_catalog.unnest(p_hashes) h;
end $$;

-- The account limit on wrong codes, shared with sign-in's second step.
CREATE OR REPLACE FUNCTION app.mfa_retry_after(p_user uuid) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select app.rate_retry_after('mfa:acct:' || p_user::text, 10, interval '15 minutes')
$$;
