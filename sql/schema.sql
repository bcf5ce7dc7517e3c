CREATE SCHEMA app;

CREATE SCHEMA ext;

CREATE SCHEMA platform;

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA ext;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE FUNCTION app.assignments_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  insert into app.assignments as c (tenant_id, employee_id, date, pour_id, role)
  values (app.current_tenant(), (b->>'employee_id')::uuid, (b->>'date')::date, (b->>'pour_id')::uuid, b->>'role')
  returning app.assignments_json(c)
$$;

CREATE FUNCTION app.assignments_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  with d as (delete from app.assignments c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.assignments_follow_pour() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  p record;
begin
  if new.pour_id is null then
    return new;
  end if;
  select x.scheduled_date, x.status into p from app.pours x
    where x.tenant_id = new.tenant_id and x.id = new.pour_id for share;
  if not found then
    raise exception using errcode = 'foreign_key_violation', constraint = 'assignments_pour_fk',
      message = 'pour_id does not name a pour of this workspace';
  end if;
  if p.status = 'canceled' then
    raise exception using errcode = 'PY409', message = 'pour_canceled|this pour is canceled: it takes no assignments';
  end if;
  if new.date is null then
    new.date := p.scheduled_date;
  elsif new.date <> p.scheduled_date then
    perform app.bad('date', 'invalid', 'an assignment on a pour is on the pour''s date (' || p.scheduled_date::text || ')');
  end if;
  return new;
end $$;

CREATE FUNCTION app.assignments_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.assignments_json(c) from app.assignments c where c.id = p_id);
end $$;

CREATE TABLE app.assignments (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    employee_id uuid NOT NULL,
    date date NOT NULL,
    pour_id uuid,
    role text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.assignments FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.assignments_json(c app.assignments) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"employee_id":' || app.juuid(c.employee_id)
    || ',"date":' || coalesce('"' || c.date || '"', 'null') || ',"pour_id":' || app.juuid(c.pour_id)
    || ',"role":' || app.jtext(c.role) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE FUNCTION app.assignments_notice() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  prev text := current_setting('app.definer_tenant', true);
begin
  if old.pour_id is null
     or (tg_op = 'UPDATE' and new.pour_id is not distinct from old.pour_id and new.employee_id = old.employee_id) then
    return null;
  end if;
  perform set_config('app.definer_tenant', old.tenant_id::text, true);
  perform app.sheet_notice_owe(old.tenant_id, old.employee_id, old.pour_id, 'removed', old.date,
                               app.hhmm(p.start_time), null, null)
  from app.pours p where p.tenant_id = old.tenant_id and p.id = old.pour_id;
  perform set_config('app.definer_tenant', coalesce(prev, ''), true);
  return null;
end $$;

CREATE FUNCTION app.assignments_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.assignments_json(c), c.date::text || '|' || c.id
  from app.assignments c
  where c.date between case when f->>'from' is null then '-infinity'::date else (f->>'from')::date end
                   and case when f->>'to' is null then 'infinity'::date else (f->>'to')::date end
    and (f->>'employee_id' is null or c.employee_id = (f->>'employee_id')::uuid)
    and (f->>'pour_id' is null or c.pour_id = (f->>'pour_id')::uuid)
    and (after is null or (c.date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.date, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.assignments_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.schedule_lock();
  update app.assignments c set
    employee_id = case when b ? 'employee_id' then (b->>'employee_id')::uuid else c.employee_id end,
    date = case when b ? 'date' then (b->>'date')::date
                when b->>'pour_id' is not null then null
                else c.date end,
    pour_id = case when b ? 'pour_id' then (b->>'pour_id')::uuid else c.pour_id end,
    role = case when b ? 'role' then b->>'role' else c.role end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.assignments_json(c)
$$;

CREATE FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) RETURNS void
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

CREATE FUNCTION app.audit_as(p_tenant uuid, p_actor uuid, p_actor_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.audit_write(p_tenant, p_actor, (select email from app.users where id = p_actor), p_actor_kind,
                          p_action, p_entity_type, p_entity_id, p_changes, p_ip);
end $$;

CREATE TABLE app.audit_log (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor_id uuid,
    actor_email text,
    actor_kind text NOT NULL,
    action text NOT NULL,
    entity_type text,
    entity_id text,
    changes jsonb DEFAULT '{}'::jsonb NOT NULL,
    ip text,
    prev_hash bytea,
    hash bytea NOT NULL,
    hash_version smallint DEFAULT 2 NOT NULL,
    pii_nonce bytea[],
    pii_digest bytea[],
    CONSTRAINT audit_log_actor_kind_check CHECK ((actor_kind = ANY (ARRAY['user'::text, 'platform'::text, 'system'::text]))),
    CONSTRAINT audit_log_pii CHECK (((hash_version = 1) OR ((array_length(pii_nonce, 1) = 3) AND (array_length(pii_digest, 1) = 3))))
);

ALTER TABLE ONLY app.audit_log FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.audit_content(a app.audit_log) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select concat_ws(E'\x1f', a.tenant_id::text, a.seq::text, a.id::text,
                   to_char(a.at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   coalesce(a.actor_id::text, '\N'), coalesce(a.actor_email, '\N'), a.actor_kind, a.action,
                   coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'), a.changes::text, coalesce(a.ip, '\N'))
$$;

CREATE FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
  select concat_ws(E'\x1f', 'v2', a.tenant_id::text, a.seq::text, a.id::text,
                   to_char(a.at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
                   coalesce(a.actor_id::text, '\N'), a.actor_kind, a.action,
                   coalesce(a.entity_type, '\N'), coalesce(a.entity_id, '\N'),
                   encode(d[1], 'hex'), encode(d[2], 'hex'), encode(d[3], 'hex'))
$$;

CREATE FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) RETURNS integer
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

CREATE FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) RETURNS void
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

CREATE FUNCTION app.audit_erase_record(p_type text, p_id uuid) RETURNS boolean
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

CREATE FUNCTION app.audit_erase_trip_record(p_type text, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
  trips text[];
  people text[];
  marks text[];
  n integer;
begin
  perform app.definer_enter(false);
  perform set_config('app.definer_tenant', coalesce(t::text, ''), true);
  if t is null or p_type not in ('traveler', 'trip', 'customer') or p_id is null
     or (p_type = 'traveler' and exists (select 1 from app.travelers x where x.tenant_id = t and x.id = p_id))
     or (p_type = 'trip' and exists (select 1 from app.trips x where x.tenant_id = t and x.id = p_id))
     or (p_type = 'customer' and exists (select 1 from app.customers x where x.tenant_id = t and x.id = p_id)) then
    return false;
  end if;
  trips := case p_type when 'trip' then array[p_id::text]
                       when 'customer' then array(select distinct a.entity_id from app.audit_log a
                                                  where a.tenant_id = t and a.entity_type = 'trip'
                                                    and p_id::text in (a.changes->'customer_id'->>0, a.changes->'customer_id'->>1))
                       else '{}' end;
  people := case when p_type = 'traveler' then array[p_id::text]
                 else array(select distinct a.entity_id from app.audit_log a
                            where a.tenant_id = t and a.entity_type = 'traveler'
                              and (a.changes->'trip_id'->>0 = any (trips) or a.changes->'trip_id'->>1 = any (trips))) end;
  select array_agg(distinct lower(v)) into marks
  from app.audit_log a, lateral (values (a.changes->'contact'->>0), (a.changes->'contact'->>1)) x(v)
  where a.tenant_id = t and a.entity_type = 'traveler' and a.entity_id = any (people) and length(v) >= 5;
  n := app.audit_erase_fields(t, array(
         select a.id from app.audit_log a where a.tenant_id = t
           and ((a.entity_type = 'trip' and a.entity_id = any (trips))
                or (a.entity_type = 'traveler' and a.entity_id = any (people))
                or (a.entity_type = 'reminder' and (a.changes->'subject_id'->>0 = any (trips)
                                                    or a.changes->'subject_id'->>1 = any (trips)))
                or exists (select 1 from unnest(coalesce(marks, '{}')) m where strpos(lower(a.changes::text), m) > 0))),
         array[2]);
  delete from app.outbox o where o.tenant_id = t and lower(o.recipient) = any (coalesce(marks, '{}'));
  if p_type <> 'customer' then
    perform app.audit_session('audit.personal_data_erased', p_type, p_id::text,
                              jsonb_build_object('rows', jsonb_build_array(null, n)));
  end if;
  return true;
end $$;

CREATE FUNCTION app.audit_guard() RETURNS trigger
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

CREATE FUNCTION app.audit_json(a app.audit_log) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', a.id, 'at', app.ts(a.at),
    'actor', json_build_object('id', a.actor_id, 'email', a.actor_email, 'kind', a.actor_kind),
    'action', a.action, 'entity_type', a.entity_type, 'entity_id', a.entity_id, 'changes', a.changes, 'ip', a.ip)
$$;

CREATE FUNCTION app.audit_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
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

CREATE FUNCTION app.audit_pii_check(a app.audit_log) RETURNS bytea[]
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

CREATE FUNCTION app.audit_pii_values(a app.audit_log) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
  select array['actor_email' || E'\x1f' || coalesce(a.actor_email, '\N'),
               'changes' || E'\x1f' || a.changes::text,
               'ip' || E'\x1f' || coalesce(a.ip, '\N')]
$$;

CREATE FUNCTION app.audit_row() RETURNS trigger
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

CREATE FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) RETURNS boolean
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

CREATE FUNCTION app.audit_verify() RETURNS json
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

CREATE FUNCTION app.audit_write(p_tenant uuid, p_actor uuid, p_email text, p_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) RETURNS void
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

CREATE FUNCTION app.auth_confirm(p_token text) RETURNS boolean
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

CREATE FUNCTION app.auth_device_notice(p_session uuid, p_subject text, p_body bytea) RETURNS boolean
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

CREATE FUNCTION app.auth_email_confirm(p_token text, p_subject text, p_body bytea, p_ip text) RETURNS text
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

CREATE FUNCTION app.auth_forgot(p_slug text, p_email text, p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION app.auth_lockout_notice(p_email text, p_subject text, p_body bytea) RETURNS boolean
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

CREATE FUNCTION app.auth_login_failed(p_tenant uuid, p_user uuid, p_email text, p_ip text) RETURNS void
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

CREATE FUNCTION app.auth_login_lookup(p_slug text, p_email text, p_ip text) RETURNS TABLE(retry_after integer, tenant_id uuid, user_id uuid, password_hash text, confirmed boolean, member boolean, mfa boolean)
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

CREATE FUNCTION app.auth_refresh(p_old_token text, p_new_token text) RETURNS TABLE(status text, session_id uuid, tenant_id uuid, user_id uuid, key_sealed bytea, aal text)
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

CREATE FUNCTION app.auth_resend(p_email text, p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION app.auth_reset_apply(p_token text, p_hash text, p_history text, p_subject text, p_body bytea) RETURNS boolean
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

CREATE FUNCTION app.auth_reset_lookup(p_token text) RETURNS TABLE(user_id uuid, history text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.user_id, array(select h.hash from app.password_history h where h.user_id = t.user_id
                          order by h.id desc limit 5)
  from app.user_tokens t
  where t.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and t.kind = 'reset' and t.used_at is null
    and t.expires_at > now()
$$;

CREATE FUNCTION app.auth_session_create(p_tenant uuid, p_user uuid, p_proof_kind text, p_proof text, p_key_hash bytea, p_key_sealed bytea, p_refresh_hash bytea, p_ip text, p_ua text, p_email text) RETURNS TABLE(session_id uuid, expires_at timestamp with time zone, aal text)
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

CREATE FUNCTION app.auth_signup(p_slug text, p_ws_name text, p_name text, p_email text, p_hash text, p_history text, p_subject_new text, p_body_new bytea, p_subject_existing text, p_body_existing bytea, p_ip text) RETURNS text
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

CREATE FUNCTION app.bad(field text, code text, message text) RETURNS void
    LANGUAGE plpgsql
    AS $$
begin
  raise exception using errcode = 'PY400', message = field || '|' || code || '|' || message;
end $$;

CREATE FUNCTION app.billing_account() RETURNS TABLE(tenant_id uuid, customer_id text, subscribed boolean, trial_end bigint, email text)
    LANGUAGE sql STABLE
    AS $$
  select t.id, b.customer_id, app.billing_live(b.status),
         case when t.trial_ends_at > now() then extract(epoch from t.trial_ends_at)::bigint end, u.email
  from app.tenants t
  left join app.billing b on b.tenant_id = t.id
  left join app.users u on u.id = (select app.current_user_id())
  where t.id = (select app.current_tenant())
$$;

CREATE FUNCTION app.billing_apply(e jsonb) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  o jsonb := e->'data'->'object';
  typ text := e->>'type';
  ws text := coalesce(o->>'client_reference_id', o->'metadata'->>'workspace_id',
                      o->'subscription_details'->'metadata'->>'workspace_id');
  t uuid;
  sub_status text;
  lapsed boolean;
  card jsonb := coalesce(o->'default_payment_method'->'card', o->'payment_method_details'->'card',
                        case when o->>'object' = 'payment_method' then o->'card' end);
  card_only boolean := typ in ('payment_method.attached', 'charge.succeeded');
  cur app.tenants;
  before app.billing;
  after app.billing;
  ch jsonb := '{}';
begin
  perform app.definer_enter(true);
  if e->>'id' is null then
    return 'ignored';
  end if;
  if exists (select 1 from app.billing_events where event_id = e->>'id') then
    return 'duplicate';
  end if;
  if card_only then
    select b.tenant_id into t from app.billing b where b.customer_id = o->>'customer' and o->>'customer' is not null
      order by b.updated_at desc limit 1;
  elsif ws ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select id into t from app.tenants where id = ws::uuid;
  end if;
  insert into app.billing_events (event_id, type, tenant_id) values (e->>'id', coalesce(typ, ''), t);
  if t is null or typ not in ('checkout.session.completed', 'customer.subscription.created',
      'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', 'invoice.payment_failed',
      'payment_method.attached', 'charge.succeeded') then
    return 'ignored';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  insert into app.billing (tenant_id) values (t) on conflict do nothing;
  select * into before from app.billing where tenant_id = t for update;
  sub_status := case
    when typ = 'customer.subscription.deleted' then 'canceled'
    when typ like 'customer.subscription.%' then o->>'status'
    -- the subscription's own event may have come first (its order is not guaranteed): a
    -- checkout of the subscription already known keeps the status that event gave
    when typ = 'checkout.session.completed' then
      case when before.status is not null and before.subscription_id = o->>'subscription' then before.status
           else 'active' end
    when typ = 'invoice.paid' then 'active'
    when typ = 'invoice.payment_failed' then 'past_due' end;
  if card_only then
    update app.billing b set card_brand = coalesce(card->>'brand', b.card_brand),
      card_last4 = coalesce(card->>'last4', b.card_last4), updated_at = now()
    where b.tenant_id = t
    returning * into after;
    if before.card_last4 is distinct from after.card_last4 or before.card_brand is distinct from after.card_brand then
      perform app.audit('billing.updated', 'workspace', t::text, jsonb_build_object('card',
        jsonb_build_array(before.card_brand || ' ' || before.card_last4, after.card_brand || ' ' || after.card_last4)));
    end if;
    return (select status from app.tenants where id = t);
  end if;
  update app.billing b set
    customer_id = coalesce(o->>'customer', b.customer_id),
    subscription_id = coalesce(case when typ like 'customer.subscription.%' then o->>'id' else o->>'subscription' end,
                               b.subscription_id),
    plan = coalesce(o->'metadata'->>'plan', o->'plan'->>'nickname', o->'plan'->>'id',
                    o->'items'->'data'->0->'price'->>'lookup_key', o->'items'->'data'->0->'price'->>'id', b.plan),
    status = coalesce(sub_status, b.status),
    card_brand = coalesce(card->>'brand', b.card_brand),
    card_last4 = coalesce(card->>'last4', b.card_last4),
    current_period_end = coalesce(to_timestamp((o->>'current_period_end')::double precision), b.current_period_end),
    updated_at = now()
  where b.tenant_id = t
  returning * into after;
  if before.status is distinct from after.status then
    ch := ch || jsonb_build_object('status', jsonb_build_array(before.status, after.status));
  end if;
  if before.plan is distinct from after.plan then
    ch := ch || jsonb_build_object('plan', jsonb_build_array(before.plan, after.plan));
  end if;
  if ch <> '{}' then
    perform app.audit('billing.updated', 'workspace', t::text, ch);
  end if;
  select * into cur from app.tenants where id = t for update;
  lapsed := sub_status in ('canceled', 'unpaid', 'incomplete_expired');
  if lapsed and cur.status = 'active' and cur.trial_ends_at <= now() then
    update app.tenants set status = 'suspended', suspended_at = now(), updated_at = now() where id = t;
  elsif app.billing_live(sub_status) and cur.status = 'suspended' then
    update app.tenants set status = 'active', suspended_at = null, updated_at = now() where id = t;
  end if;
  return (select status from app.tenants where id = t);
end $_$;

CREATE FUNCTION app.billing_json() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object(
    'status', coalesce(b.status, case when t.trial_ends_at > now() then 'trialing' else 'trial_ended' end),
    'plan', b.plan, 'card_brand', b.card_brand, 'card_last4', b.card_last4,
    'current_period_end', app.ts(b.current_period_end), 'trial_ends_at', app.ts(t.trial_ends_at),
    'portal_available', b.customer_id is not null)
  from app.tenants t left join app.billing b on b.tenant_id = t.id
  where t.id = (select app.current_tenant())
$$;

CREATE FUNCTION app.billing_live(p_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(p_status in ('active', 'trialing', 'past_due'), false)
$$;

CREATE FUNCTION app.crew_begin(p_token text) RETURNS TABLE(tenant_id uuid, employee_id uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
declare
  c record;
begin
  perform pg_catalog.set_config('app.session_key', '', true);
  perform pg_catalog.set_config('app.crew_key', coalesce(p_token, ''), true);
  c := app.crew_context();
  if c.link_id is null then
    return;
  end if;
  perform app.crew_touch();
  return query select c.tenant_id, c.employee_id;
end $$;

CREATE FUNCTION app.crew_context(OUT link_id uuid, OUT tenant_id uuid, OUT employee_id uuid, OUT today date) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  k text := nullif(current_setting('app.crew_key', true), '');
  h bytea;
begin
  if k is null then
    return;
  end if;
  h := sha256(convert_to(k, 'UTF8'));
  select c.id, c.tenant_id, c.employee_id, (now() at time zone t.timezone)::date
    into link_id, tenant_id, employee_id, today
  from app.crew_links c join app.tenants t on t.id = c.tenant_id
  where c.token_hash = h and app.crew_link_alive(c);
end $$;

CREATE FUNCTION app.crew_employee() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).employee_id
$$;

CREATE FUNCTION app.crew_keyless() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce(pg_catalog.current_setting('app.crew_key', true), '') = ''
$$;

CREATE FUNCTION app.crew_link_admin(p_employee uuid) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  if t is null or app.session_rank() < 3 then
    raise exception 'no live session of an admin' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  if not exists (select 1 from app.employees e where e.tenant_id = t and e.id = p_employee) then
    return null;
  end if;
  return t;
end $$;

CREATE TABLE app.crew_links (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    employee_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    opened_audit_at timestamp with time zone,
    revoked_at timestamp with time zone
);

ALTER TABLE ONLY app.crew_links FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.crew_link_alive(l app.crew_links) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select l.revoked_at is null and coalesce(l.last_used_at, l.created_at) > pg_catalog.now() - interval '90 days'
$$;

CREATE FUNCTION app.crew_link_create(p_employee uuid) RETURNS TABLE(token text, link json)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  tok text := app.new_token();
  l app.crew_links;
  rotated int;
begin
  perform app.definer_enter(false);
  t := app.crew_link_admin(p_employee);
  if t is null then
    return;
  end if;
  if not exists (select 1 from app.tenants x where x.id = t and x.status = 'active') then
    raise exception 'the workspace is suspended' using errcode = '42501';
  end if;
  update app.crew_links c set revoked_at = now()
    where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null;
  get diagnostics rotated = row_count;
  insert into app.crew_links (tenant_id, employee_id, token_hash)
    values (t, p_employee, sha256(convert_to(tok, 'UTF8'))) returning * into l;
  perform app.audit(case when rotated > 0 then 'crew_link.rotated' else 'crew_link.created' end,
                    'employee', p_employee::text, '{}');
  return query select tok, app.crew_link_json(l);
end $$;

CREATE FUNCTION app.crew_link_get(p_employee uuid) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.crew_link_admin(p_employee);
begin
  if t is null then
    return null;
  end if;
  return coalesce((select app.crew_link_json(c) from app.crew_links c
                   where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null),
                  json_build_object('employee_id', p_employee, 'active', false));
end $$;

CREATE FUNCTION app.crew_link_json(l app.crew_links) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('employee_id', l.employee_id, 'active', app.crew_link_alive(l),
    'created_at', app.ts(l.created_at), 'last_used_at', app.ts(l.last_used_at),
    'expires_at', app.ts(coalesce(l.last_used_at, l.created_at) + interval '90 days'),
    'revoked_at', app.ts(l.revoked_at))
$$;

CREATE FUNCTION app.crew_link_revoke(p_employee uuid) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
  n int;
begin
  perform app.definer_enter(false);
  t := app.crew_link_admin(p_employee);
  if t is null then
    return null;
  end if;
  update app.crew_links c set revoked_at = now()
    where c.tenant_id = t and c.employee_id = p_employee and c.revoked_at is null;
  get diagnostics n = row_count;
  if n = 0 then
    return 'none';
  end if;
  perform app.audit('crew_link.revoked', 'employee', p_employee::text, '{}');
  return 'revoked';
end $$;

CREATE FUNCTION app.crew_schedule() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  with ctx as (select app.crew_tenant() as t, app.crew_employee() as e, app.crew_today() as d),
  rows as (
    select a.date, jsonb_build_object(
             'pour_id', p.id, 'start_time', app.hhmm(p.start_time), 'project', pr.name, 'address', pr.address,
             'mix', p.mix, 'volume_cy', p.volume_cy::text, 'pump', p.pump, 'status', p.status, 'crew', cr.name,
             'foreman', f.name, 'foreman_phone', f.phone, 'role', a.role) as item,
           p.start_time, a.id
    from app.assignments a
    left join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
    left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
    left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
    left join app.employees f on f.tenant_id = cr.tenant_id and f.id = cr.foreman_id
    where a.tenant_id = (select t from ctx) and a.employee_id = (select e from ctx))
  select json_build_object(
    'employee', (select json_build_object('id', e.id, 'name', e.name) from app.employees e
                 where e.tenant_id = (select t from ctx) and e.id = (select e from ctx)),
    'workspace', (select json_build_object('name', w.name, 'timezone', w.timezone) from app.tenants w
                  where w.id = (select t from ctx)),
    'from', (select d from ctx)::text, 'to', ((select d from ctx) + 13)::text,
    'days', coalesce((select json_agg(json_build_object('date', g.day::date::text,
               'items', coalesce((select jsonb_agg(r.item order by r.start_time nulls last, r.id) from rows r
                                  where r.date = g.day::date), '[]'::jsonb)) order by g.day)
             from generate_series((select d from ctx), (select d from ctx) + 13, interval '1 day') g(day)), '[]'))
  where (select t from ctx) is not null
$$;

CREATE FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
declare
  c record := app.crew_context();
begin
  return coalesce(p_employee = c.employee_id and p_date between c.today and c.today + 13, false);
end $$;

CREATE FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.pours p where p.tenant_id = p_tenant and p.crew_id = p_id);
end $$;

CREATE FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return coalesce(p_id = app.crew_employee(), false)
         or exists (select 1 from app.crews c where c.tenant_id = p_tenant and c.foreman_id = p_id);
end $$;

CREATE FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.assignments a where a.tenant_id = p_tenant and a.pour_id = p_id);
end $$;

CREATE FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return exists (select 1 from app.pours p where p.tenant_id = p_tenant and p.project_id = p_id);
end $$;

CREATE FUNCTION app.crew_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).tenant_id
$$;

CREATE FUNCTION app.crew_today() RETURNS date
    LANGUAGE sql STABLE
    AS $$
  select (app.crew_context()).today
$$;

CREATE FUNCTION app.crew_touch() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  c record := app.crew_context();
  audit boolean;
begin
  perform app.definer_enter(false);
  if c.link_id is null or current_setting('transaction_read_only') = 'on' then
    return;
  end if;
  perform set_config('app.definer_tenant', c.tenant_id::text, true);
  update app.crew_links l set last_used_at = now(),
         opened_audit_at = case when l.opened_audit_at is null or l.opened_audit_at <= now() - interval '1 hour'
                                then now() else l.opened_audit_at end
    where l.tenant_id = c.tenant_id and l.id = c.link_id
    returning l.opened_audit_at = now() into audit;
  if audit then
    perform app.audit('crew_link.opened', 'employee', c.employee_id::text, '{}');
  end if;
end $$;

CREATE FUNCTION app.crews_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.crews as c (tenant_id, name, region_id, foreman_id)
  values (app.current_tenant(), b->>'name', (b->>'region_id')::uuid, (b->>'foreman_id')::uuid)
  returning app.crews_json(c)
$$;

CREATE FUNCTION app.crews_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.crews c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.crews_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.crews_json(c) from app.crews c where c.id = p_id);
end $$;

CREATE TABLE app.crews (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    region_id uuid,
    foreman_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.crews FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.crews_json(c app.crews) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"region_id":' || app.juuid(c.region_id)
      || ',"foreman_id":' || app.juuid(c.foreman_id) || ',"member_ids":['
      || coalesce((select string_agg('"' || m.employee_id || '"', ',' order by m.created_at, m.employee_id)
                   from app.crew_members m where m.tenant_id = c.tenant_id and m.crew_id = c.id), '')
      || '],"created_at":' || app.jts(c.created_at) || ',"updated_at":' || app.jts(c.updated_at) || '}')::json;
end $$;

CREATE FUNCTION app.crews_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.crews_json(c), c.created_at::text || '|' || c.id
  from app.crews c
  where (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.crews_set_members(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
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

CREATE FUNCTION app.crews_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.crews c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    foreman_id = case when b ? 'foreman_id' then (b->>'foreman_id')::uuid else c.foreman_id end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.crews_json(c)
$$;

CREATE FUNCTION app.current_rank() RETURNS integer
    LANGUAGE sql STABLE
    AS $$
  select case when app.is_definer() then 4 else app.session_rank() end
$$;

CREATE FUNCTION app.current_session_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).id
$$;

CREATE FUNCTION app.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select case when app.is_definer()
              then nullif(pg_catalog.current_setting('app.definer_tenant', true), '')::uuid
              else app.session_tenant() end
$$;

CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).user_id
$$;

CREATE FUNCTION app.cursor_date(after text) RETURNS date
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return split_part(after, '|', 1)::date;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE FUNCTION app.cursor_id(after text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return split_part(after, '|', 2)::uuid;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE FUNCTION app.cursor_seq(after text) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    AS $$
begin
  return split_part(after, '|', 1)::bigint;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE FUNCTION app.cursor_ts(after text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return split_part(after, '|', 1)::timestamptz;
exception when others then
  perform app.bad('cursor', 'invalid', 'the cursor is not one this server gave');
  return null;
end $$;

CREATE FUNCTION app.customers_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.customers as c (tenant_id, name, contact_name, email, phone, notes)
  values (app.current_tenant(), b->>'name', b->>'contact_name', b->>'email', b->>'phone', b->>'notes')
  returning app.customers_json(c)
$$;

CREATE FUNCTION app.customers_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.customers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.customers_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.customers_json(c) from app.customers c where c.id = p_id);
end $$;

CREATE TABLE app.customers (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    contact_name text,
    email text,
    phone text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.customers FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.customers_json(c app.customers) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"contact_name":' || app.jtext(c.contact_name)
    || ',"email":' || app.jtext(c.email) || ',"phone":' || app.jtext(c.phone) || ',"notes":' || app.jtext(c.notes)
    || ',"created_at":' || app.jts(c.created_at) || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE FUNCTION app.customers_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.customers_json(c), c.created_at::text || '|' || c.id
  from app.customers c
  where (f->>'q' is null or strpos(lower(c.name), lower(f->>'q')) > 0)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.customers_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.customers c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    contact_name = case when b ? 'contact_name' then b->>'contact_name' else c.contact_name end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.customers_json(c)
$$;

CREATE FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE sql STABLE
    AS $$
  select e.id, e.name, e.email, e.phone, e.channel,
         jsonb_agg(jsonb_build_object(
           'pour_id', p.id, 'start_time', app.hhmm(p.start_time), 'project', pr.name, 'address', pr.address,
           'mix', p.mix, 'volume_cy', p.volume_cy::text, 'pump', p.pump, 'status', p.status, 'crew', cr.name,
           'foreman', f.name, 'foreman_phone', f.phone, 'role', a.role)
           order by p.start_time nulls last, pr.name, a.id)
  from app.assignments a
  join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
  left join app.pours p on p.tenant_id = a.tenant_id and p.id = a.pour_id
  left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  left join app.employees f on f.tenant_id = cr.tenant_id and f.id = cr.foreman_id
  where a.tenant_id = p_tenant and a.date = p_date
    and (p_employees is null or a.employee_id = any (p_employees))
  group by e.id, e.name, e.email, e.phone, e.channel
  order by e.name, e.id
$$;

CREATE FUNCTION app.day_sheets(p_date date, p_employees uuid[]) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE sql STABLE
    AS $$
  select * from app.day_sheet_rows((select app.current_tenant()), p_date, p_employees)
$$;

CREATE FUNCTION app.definer_enter(p_presession boolean) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select pg_catalog.set_config('app.definer_tenant', '', true), pg_catalog.set_config('app.definer_actor', '', true),
         case when p_presession then pg_catalog.set_config('app.client_ip', '', true) end
$$;

CREATE FUNCTION app.employees_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.employees as c (tenant_id, name, trade, phone, email, region_id, active, channel)
  values (app.current_tenant(), b->>'name', b->>'trade', b->>'phone', b->>'email', (b->>'region_id')::uuid,
          coalesce((b->>'active')::boolean, true), coalesce(b->>'channel', 'both'))
  returning app.employees_json(c)
$$;

CREATE FUNCTION app.employees_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.employees c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.employees_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.employees_json(c) from app.employees c where c.id = p_id);
end $$;

CREATE TABLE app.employees (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    trade text,
    phone text,
    email text,
    region_id uuid,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    channel text DEFAULT 'both'::text NOT NULL,
    CONSTRAINT employees_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text, 'both'::text]))),
    CONSTRAINT employees_trade_check CHECK ((trade = ANY (ARRAY['placer'::text, 'finisher'::text, 'pump_operator'::text, 'driver'::text, 'foreman'::text, 'laborer'::text])))
);

ALTER TABLE ONLY app.employees FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.employees_json(c app.employees) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"name":' || app.jtext(c.name) || ',"trade":' || app.jtext(c.trade)
    || ',"phone":' || app.jtext(c.phone) || ',"email":' || app.jtext(c.email) || ',"region_id":' || app.juuid(c.region_id)
    || ',"active":' || coalesce(c.active::text, 'null') || ',"channel":' || app.jtext(c.channel) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE FUNCTION app.employees_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.employees_json(c), c.created_at::text || '|' || c.id
  from app.employees c
  where (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (f->>'active' is null or c.active = (f->>'active')::boolean)
    and (f->>'trade' is null or c.trade = f->>'trade')
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.employees_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.employees c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    trade = case when b ? 'trade' then b->>'trade' else c.trade end,
    phone = case when b ? 'phone' then b->>'phone' else c.phone end,
    email = case when b ? 'email' then b->>'email' else c.email end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    active = case when b ? 'active' then coalesce((b->>'active')::boolean, true) else c.active end,
    channel = coalesce(b->>'channel', c.channel),
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.employees_json(c)
$$;

CREATE FUNCTION app.export_manpower(p_from date, p_to date) RETURNS TABLE(day date, region text, needed integer, assigned integer, available integer)
    LANGUAGE sql STABLE
    AS $$
  select (x.e->>'date')::date, r.name, (x.e->>'needed')::int, (x.e->>'assigned')::int, (x.e->>'available')::int
  from json_array_elements(app.manpower(p_from, p_to, null)) with ordinality as x(e, n)
  join app.regions r on r.tenant_id = (select app.current_tenant()) and r.id = (x.e->>'region_id')::uuid
  order by x.n
$$;

CREATE FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) RETURNS TABLE(scheduled_date date, start_time time without time zone, project text, address text, customer text, region text, crew text, people text, volume_cy numeric, mix text, pump boolean, crew_size_needed integer, status text, cancel_reason text, notes text)
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

CREATE FUNCTION app.export_travelers(p_from date, p_to date) RETURNS TABLE(trip text, start_date date, end_date date, name text, birth_date date, contact text, notes text)
    LANGUAGE sql STABLE
    AS $$
  select x.name, x.start_date, x.end_date, v.name, v.birth_date, v.contact, v.notes
  from app.travelers v join app.trips x on x.tenant_id = v.tenant_id and x.id = v.trip_id
  where v.tenant_id = (select app.current_tenant()) and x.end_date >= p_from and x.start_date <= p_to
  order by x.start_date, x.name, x.id, v.created_at, v.id
$$;

CREATE FUNCTION app.export_trips(p_from date, p_to date) RETURNS TABLE(start_date date, end_date date, name text, customer text, destination text, status text, travelers bigint, notes text)
    LANGUAGE sql STABLE
    AS $$
  select x.start_date, x.end_date, x.name, c.name, x.destination, x.status,
         (select count(*) from app.travelers v where v.tenant_id = x.tenant_id and v.trip_id = x.id), x.notes
  from app.trips x join app.customers c on c.tenant_id = x.tenant_id and c.id = x.customer_id
  where x.tenant_id = (select app.current_tenant()) and x.end_date >= p_from and x.start_date <= p_to
  order by x.start_date, x.name, x.id
$$;

CREATE FUNCTION app.hhmm(t time without time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select to_char(t, 'HH24:MI') $$;

CREATE TABLE app.impersonations (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    staff text NOT NULL,
    reason text NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    link_expires_at timestamp with time zone DEFAULT (now() + '00:05:00'::interval) NOT NULL,
    redeemed_at timestamp with time zone,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    session_id uuid,
    CONSTRAINT impersonations_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT impersonations_staff_check CHECK (((length(staff) >= 1) AND (length(staff) <= 100)))
);

ALTER TABLE ONLY app.impersonations FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.impersonation_json(i app.impersonations) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', i.id, 'staff', i.staff, 'reason', i.reason, 'created_at', app.ts(i.created_at),
    'expires_at', app.ts(coalesce(i.expires_at, i.link_expires_at)), 'redeemed_at', app.ts(i.redeemed_at),
    'revoked_at', app.ts(i.revoked_at),
    'active', i.revoked_at is null and case when i.redeemed_at is null then i.link_expires_at > now()
                                            else i.expires_at > now() end)
$$;

CREATE FUNCTION app.impersonation_notice(p_impersonation uuid, p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION app.impersonation_redeem(p_token text, p_key_hash bytea, p_key_sealed bytea, p_ip text, p_ua text) RETURNS TABLE(status text, impersonation_id uuid, tenant_id uuid, user_id uuid, session_id uuid, expires_at timestamp with time zone)
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

CREATE FUNCTION app.impersonation_revoke(p_id uuid) RETURNS text
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

CREATE FUNCTION app.impersonations_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.impersonation_json(i), i.created_at::text || '|' || i.id
  from app.impersonations i
  where i.tenant_id = (select app.current_tenant())
    and (after is null or (i.created_at, i.id) < (app.cursor_ts(after), app.cursor_id(after)))
  order by i.created_at desc, i.id desc
  limit lim + 1
$$;

CREATE FUNCTION app.invitation_accept(p_token text, p_user uuid, p_name text, p_hash text, p_history text, p_ip text) RETURNS TABLE(status text, tenant_id uuid, user_id uuid)
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

CREATE FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) RETURNS json
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

CREATE TABLE app.invitations (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    token_hash bytea NOT NULL,
    invited_by uuid,
    expires_at timestamp with time zone DEFAULT (now() + '7 days'::interval) NOT NULL,
    accepted_at timestamp with time zone,
    revoked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT invitations_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'scheduler'::text, 'admin'::text, 'owner'::text])))
);

ALTER TABLE ONLY app.invitations FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.invitation_json(i app.invitations) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', i.id, 'email', i.email, 'role', i.role, 'expires_at', app.ts(i.expires_at),
                           'created_at', app.ts(i.created_at))
$$;

CREATE FUNCTION app.invitation_lookup(p_token text) RETURNS TABLE(tenant_id uuid, email text, role text, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select i.tenant_id, i.email, i.role, (select u.id from app.users u where lower(u.email) = lower(i.email))
  from app.invitations i
  where i.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
$$;

CREATE FUNCTION app.invitation_notice(p_token text, p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION app.invitation_revoke(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with u as (update app.invitations set revoked_at = now()
             where tenant_id = (select app.current_tenant()) and id = p_id and accepted_at is null and revoked_at is null
             returning 1)
  select count(*) > 0 from u
$$;

CREATE FUNCTION app.invitations_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
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

CREATE FUNCTION app.invite_attempt(p_ip text) RETURNS integer
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

CREATE FUNCTION app.is_definer() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$select current_user = 'planyard_owner'::name$$;

CREATE FUNCTION app.jtext(v text) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce(to_json(v)::text, 'null') $$;

CREATE FUNCTION app.jts(v timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce('"' || app.ts(v) || '"', 'null') $$;

CREATE FUNCTION app.juuid(v uuid) RETURNS text
    LANGUAGE sql STABLE
    AS $$ select coalesce('"' || v || '"', 'null') $$;

CREATE TABLE app.sessions (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    key_hash bytea NOT NULL,
    key_sealed bytea NOT NULL,
    aal text DEFAULT 'aal1'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '30 days'::interval) NOT NULL,
    revoked_at timestamp with time zone,
    ip text,
    user_agent text,
    impersonation_id uuid,
    CONSTRAINT sessions_aal_check CHECK ((aal = ANY (ARRAY['aal1'::text, 'aal2'::text])))
);

ALTER TABLE ONLY app.sessions FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.live_session() RETURNS SETOF app.sessions
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  return query select s.* from app.sessions s where s.key_hash = h and app.session_alive(s);
end $$;

CREATE FUNCTION app.mail_enqueue(p_recipient text, p_subject text, p_body bytea) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app.outbox (tenant_id, recipient, subject, body)
  select app.session_tenant(), p_recipient, p_subject, p_body where app.session_tenant() is not null
$$;

CREATE FUNCTION app.manpower(p_from date, p_to date, p_region uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (with ps as materialized (
           select p.id, p.scheduled_date as day, p.crew_size_needed, pr.region_id
           from app.pours p join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
           where p.scheduled_date between p_from and p_to and p.status <> 'canceled'),
         asg as materialized (select a.employee_id, a.date as day, a.pour_id from app.assignments a
                              where a.date between p_from and p_to),
         emp as materialized (select e.id, e.region_id from app.employees e where e.active),
         x as (select ps.region_id, ps.day, ps.crew_size_needed as needed, null::uuid as site, null::uuid as home from ps
               union all
               select ps.region_id, a.day, 0, a.employee_id, null from asg a join ps on ps.id = a.pour_id
               union all
               select e.region_id, a.day, 0, null, a.employee_id from asg a join emp e on e.id = a.employee_id),
         g as (select x.region_id, x.day, sum(x.needed) as n, count(distinct x.site) as s, count(distinct x.home) as h
               from x group by 1, 2),
         ac as (select emp.region_id, count(*) as n from emp group by 1)
  select coalesce(json_agg(json_build_object('date', d.day::text, 'region_id', r.id,
           'needed', coalesce(g.n, 0), 'assigned', coalesce(g.s, 0),
           'available', coalesce(ac.n, 0) - coalesce(g.h, 0)) order by d.day, r.name, r.id), '[]'::json)
  from (select d::date as day from generate_series(p_from, p_to, interval '1 day') d) d
  cross join app.regions r
  left join g on g.region_id = r.id and g.day = d.day
  left join ac on ac.region_id = r.id
  where p_region is null or r.id = p_region);
end $$;

CREATE FUNCTION app.me_delete() RETURNS text
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

CREATE FUNCTION app.me_delete_erase() RETURNS text
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

CREATE FUNCTION app.me_email_change(p_new text, p_subject text, p_body bytea, p_subject_taken text, p_body_taken bytea) RETURNS text
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

CREATE FUNCTION app.me_export() RETURNS json
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

CREATE FUNCTION app.me_password_material() RETURNS TABLE(password_hash text, history text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.password_hash, array(select h.hash from app.password_history h where h.user_id = u.id
                                order by h.id desc limit 5)
  from app.users u where u.id = app.current_user_id()
$$;

CREATE FUNCTION app.me_password_set(p_hash text, p_history text, p_subject text, p_body bytea) RETURNS boolean
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

CREATE FUNCTION app.member_change(p_user uuid, p_role text) RETURNS text
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

CREATE FUNCTION app.member_json(p_user uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('user_id', m.user_id, 'email', u.email, 'name', u.name, 'role', m.role,
           'mfa_enabled', u.totp_enabled_at is not null, 'joined_at', app.ts(m.created_at))
  from app.memberships m join app.users u on u.id = m.user_id
  where m.tenant_id = (select app.current_tenant()) and m.user_id = p_user
$$;

CREATE FUNCTION app.members_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
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

CREATE FUNCTION app.mfa_activate(p_pending bytea, p_step bigint, p_hashes text[]) RETURNS boolean
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

CREATE FUNCTION app.mfa_challenge_create(p_tenant uuid, p_user uuid, p_proof text, p_token text) RETURNS void
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

CREATE FUNCTION app.mfa_challenge_secret(p_token text) RETURNS TABLE(secret bytea, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.totp_secret, u.id from app.mfa_challenges c join app.users u on u.id = c.user_id
  where c.token_hash = sha256(convert_to(coalesce(p_token, ''), 'UTF8')) and c.used_at is null and c.expires_at > pg_catalog.now() and c.attempts < 5
    and u.totp_enabled_at is not null
$$;

CREATE FUNCTION app.mfa_challenge_verify(p_token text, p_step bigint, p_recovery bytea, p_ip text) RETURNS TABLE(status text, tenant_id uuid, user_id uuid, email text, retry_after integer)
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

CREATE FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer) RETURNS record
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

CREATE FUNCTION app.mfa_confirm(p_step bigint, p_recovery bytea) RETURNS TABLE(status text, retry_after integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(false);
  return query select c.status, c.retry_after from app.mfa_check(app.current_user_id(), p_step, p_recovery) c;
end $$;

CREATE FUNCTION app.mfa_disable(p_step bigint, p_recovery bytea) RETURNS TABLE(status text, retry_after integer)
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

CREATE FUNCTION app.mfa_enrol_start(p_sealed bytea) RETURNS text
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

CREATE FUNCTION app.mfa_factor_use(p_user uuid, p_step bigint, p_recovery bytea) RETURNS boolean
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

CREATE FUNCTION app.mfa_material() RETURNS TABLE(password_hash text, pending_secret bytea, secret bytea, enabled boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select u.password_hash, u.totp_pending_secret, u.totp_secret, u.totp_enabled_at is not null
  from app.users u where u.id = app.current_user_id()
$$;

CREATE FUNCTION app.mfa_recovery_regenerate(p_step bigint, p_recovery bytea, p_hashes text[]) RETURNS TABLE(status text, retry_after integer)
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

CREATE FUNCTION app.mfa_recovery_replace(p_user uuid, p_hashes text[]) RETURNS void
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

CREATE FUNCTION app.mfa_retry_after(p_user uuid) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select app.rate_retry_after('mfa:acct:' || p_user::text, 10, interval '15 minutes')
$$;

CREATE FUNCTION app.new_token() RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select rtrim(translate(encode(ext.gen_random_bytes(32), 'base64'), '+/', '-_'), '=')
$$;

CREATE FUNCTION app.notice_admins(p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION app.outbox_claim(p_limit integer, p_lease_s integer) RETURNS TABLE(id bigint, channel text, recipient text, subject text, body bytea, attempts integer, token text, sealed_legacy boolean, created_at timestamp with time zone)
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

CREATE FUNCTION app.outbox_done(p_id bigint, p_ok boolean, p_error text) RETURNS void
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

CREATE FUNCTION app.password_proof_ok(p_user uuid, p_proof text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  select coalesce((select x.h ~ '^\$2[aby]\$' and p_proof is not null
                          and ext.crypt(p_proof, '$2a$' || substr(x.h, 5)) = '$2a$' || substr(x.h, 5)
                   from (select u.password_hash h from app.users u where u.id = p_user) x), false)
$_$;

CREATE FUNCTION app.password_set(p_user uuid, p_hash text, p_history text, p_subject text, p_body bytea) RETURNS void
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

CREATE FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) RETURNS void
    LANGUAGE plpgsql
    AS $$
declare
  busy jsonb;
begin
  busy := (select jsonb_agg(jsonb_build_object('field', 'employee_id', 'code', 'double_booked',
                              'employee_id', a.employee_id, 'pour_id', b.pour_id, 'assignment_id', b.id,
                              'message', e.name || ' is already assigned on ' || day::text
                                         || case when b.pour_id is null then '' else ' (another pour)' end)
                            order by e.name, e.id)
           from app.assignments a
           join app.assignments b on b.tenant_id = a.tenant_id and b.employee_id = a.employee_id and b.date = day
                                 and b.id <> a.id
           join app.employees e on e.tenant_id = a.tenant_id and e.id = a.employee_id
           where a.tenant_id = t and a.pour_id = p_id and (b.pour_id is distinct from p_id));
  if busy is not null then
    raise exception using errcode = 'PY409',
      message = 'double_booked|' || jsonb_array_length(busy) || ' of this pour''s people are already assigned on '
                || day::text || '; nothing was changed',
      detail = busy::text;
  end if;
end $$;

CREATE FUNCTION app.pour_notify_query(p_id uuid) RETURNS TABLE(email text, name text, scheduled_date date, start_time text, volume_cy text, mix text, pump boolean, project text, address text, customer text, crew text)
    LANGUAGE sql STABLE
    AS $$
  select e.email, e.name, p.scheduled_date, app.hhmm(p.start_time), p.volume_cy::text, p.mix, p.pump,
         pr.name, pr.address, c.name, cr.name
  from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  join app.customers c on c.tenant_id = pr.tenant_id and c.id = pr.customer_id
  left join app.crews cr on cr.tenant_id = p.tenant_id and cr.id = p.crew_id
  left join app.crew_members m on m.tenant_id = p.tenant_id and m.crew_id = p.crew_id
  left join app.employees e on e.tenant_id = m.tenant_id and e.id = m.employee_id and e.email is not null
  where p.tenant_id = (select app.current_tenant()) and p.id = p_id
  order by e.name
$$;

CREATE FUNCTION app.pour_weather_query(p_id uuid) RETURNS TABLE(day date, zip text)
    LANGUAGE sql STABLE
    AS $$
  select p.scheduled_date, pr.zip from app.pours p
  join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
  where p.tenant_id = (select app.current_tenant()) and p.id = p_id
$$;

CREATE FUNCTION app.pours_cancel(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  c app.pours;
  n int;
begin
  perform app.schedule_lock();
  perform 1 from app.pours x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  -- the pour is locked: nobody can be put on it until this commits
  n := (select count(*) from app.assignments a where a.tenant_id = t and a.pour_id = p_id);
  update app.pours x set status = 'canceled', cancel_reason = b->>'reason', updated_at = now()
  where x.tenant_id = t and x.id = p_id
  returning x.* into c;
  return (app.pours_json(c)::jsonb || jsonb_build_object('released', n))::json;
end $$;

CREATE FUNCTION app.pours_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.pours as c (tenant_id, project_id, scheduled_date, start_time, volume_cy, mix, pump, crew_id,
                              crew_size_needed, status, notes)
  values (app.current_tenant(), (b->>'project_id')::uuid, (b->>'scheduled_date')::date, (b->>'start_time')::time,
          (b->>'volume_cy')::numeric, b->>'mix', coalesce((b->>'pump')::boolean, false), (b->>'crew_id')::uuid,
          coalesce((b->>'crew_size_needed')::int, 0), coalesce(b->>'status', 'tentative'), b->>'notes')
  returning app.pours_json(c)
$$;

CREATE FUNCTION app.pours_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.pours c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.pours_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.pours_json(c) from app.pours c where c.id = p_id);
end $$;

CREATE TABLE app.pours (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    project_id uuid NOT NULL,
    scheduled_date date NOT NULL,
    start_time time without time zone,
    volume_cy numeric(7,2) NOT NULL,
    mix text NOT NULL,
    pump boolean DEFAULT false NOT NULL,
    crew_id uuid,
    crew_size_needed integer DEFAULT 0 NOT NULL,
    status text DEFAULT 'tentative'::text NOT NULL,
    notes text,
    cancel_reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pours_crew_size_needed_check CHECK ((crew_size_needed >= 0)),
    CONSTRAINT pours_status_check CHECK ((status = ANY (ARRAY['tentative'::text, 'confirmed'::text, 'completed'::text, 'canceled'::text]))),
    CONSTRAINT pours_volume_cy_check CHECK ((volume_cy > (0)::numeric))
);

ALTER TABLE ONLY app.pours FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.pours_json(c app.pours) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return app.pours_json_with(c, (select ('[' || string_agg('"' || o.id || '"', ',' order by o.start_time nulls last, o.id)
                                          || ']')::json
                                 from app.pours o
                                 where o.tenant_id = c.tenant_id and o.crew_id = c.crew_id
                                   and o.scheduled_date = c.scheduled_date and o.id <> c.id
                                   and o.status <> 'canceled' and c.status <> 'canceled'));
end $$;

CREATE FUNCTION app.pours_json_with(c app.pours, conflicts json) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":"' || c.id || '","project_id":"' || c.project_id || '","scheduled_date":"' || c.scheduled_date
    || '","start_time":' || coalesce('"' || app.hhmm(c.start_time) || '"', 'null')
    || ',"volume_cy":' || coalesce('"' || c.volume_cy || '"', 'null')
    || ',"mix":' || app.jtext(c.mix) || ',"pump":' || coalesce(c.pump::text, 'null')
    || ',"crew_id":' || coalesce('"' || c.crew_id || '"', 'null')
    || ',"crew_size_needed":' || coalesce(c.crew_size_needed::text, 'null')
    || ',"status":' || app.jtext(c.status) || ',"notes":' || app.jtext(c.notes)
    || ',"cancel_reason":' || app.jtext(c.cancel_reason) || ',"conflicts":' || coalesce(conflicts::text, '[]')
    || ',"created_at":' || coalesce('"' || app.ts(c.created_at) || '"', 'null')
    || ',"updated_at":' || coalesce('"' || app.ts(c.updated_at) || '"', 'null') || '}')::json
$$;

CREATE FUNCTION app.pours_notice() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  -- the change's workspace for the reads below; whatever the caller had is put back
  prev text := current_setting('app.definer_tenant', true);
begin
  perform set_config('app.definer_tenant', new.tenant_id::text, true);
  if new.status = 'canceled' and old.status <> 'canceled' then
    update app.sheet_notices n set kind = 'canceled'
      where n.tenant_id = new.tenant_id and n.pour_id = new.id and n.xact = pg_current_xact_id();
  elsif new.scheduled_date <> old.scheduled_date or new.start_time is distinct from old.start_time then
    perform app.sheet_notice_owe(new.tenant_id, a.employee_id, new.id, 'moved', old.scheduled_date,
                                 app.hhmm(old.start_time), new.scheduled_date, app.hhmm(new.start_time))
    from app.assignments a where a.tenant_id = new.tenant_id and a.pour_id = new.id;
  end if;
  perform set_config('app.definer_tenant', coalesce(prev, ''), true);
  return null;
end $$;

CREATE FUNCTION app.pours_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.pours_json_with(w.p, case when w.crew_id is not null and w.status <> 'canceled'
                                            and cardinality(array_remove(w.same, w.id)) > 0
                                       then ('["' || array_to_string(array_remove(w.same, w.id), '","') || '"]')::json end),
         w.d::text || '|' || w.id
  from (select c as p, c.scheduled_date as d, c.id, c.status, c.project_id, c.crew_id, c.tenant_id,
               array_agg(c.id) filter (where c.status <> 'canceled')
                 over (partition by c.crew_id, c.scheduled_date order by c.start_time nulls last, c.id
                       rows between unbounded preceding and unbounded following) as same
        from app.pours c
        where c.scheduled_date between greatest((f->>'from')::date, app.cursor_date(after)) and (f->>'to')::date) w
  where (f->>'status' is null or w.status = f->>'status')
    and (f->>'project_id' is null or w.project_id = (f->>'project_id')::uuid)
    and (f->>'crew_id' is null or w.crew_id = (f->>'crew_id')::uuid)
    and (f->>'region_id' is null or exists (select 1 from app.projects p where p.tenant_id = w.tenant_id
                                             and p.id = w.project_id and p.region_id = (f->>'region_id')::uuid))
    and (after is null or (w.d, w.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by w.d, w.id
  limit lim + 1
$$;

CREATE FUNCTION app.pours_release() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  delete from app.assignments a where a.tenant_id = new.tenant_id and a.pour_id = new.id;
  return new;
end $$;

CREATE FUNCTION app.pours_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  o app.pours;
  c app.pours;
  day date;
  canceling boolean;
  n int;
begin
  perform app.schedule_lock();
  select * into o from app.pours x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  day := case when b ? 'scheduled_date' then (b->>'scheduled_date')::date else o.scheduled_date end;
  canceling := coalesce(b->>'status' = 'canceled', false) and o.status <> 'canceled';
  if canceling then
    n := (select count(*) from app.assignments a where a.tenant_id = t and a.pour_id = p_id);
  elsif day is distinct from o.scheduled_date then
    perform app.pour_move_check(t, p_id, day);
  end if;
  begin
    update app.pours x set
      project_id = case when b ? 'project_id' then (b->>'project_id')::uuid else x.project_id end,
      scheduled_date = day,
      start_time = case when b ? 'start_time' then (b->>'start_time')::time else x.start_time end,
      volume_cy = case when b ? 'volume_cy' then (b->>'volume_cy')::numeric else x.volume_cy end,
      mix = case when b ? 'mix' then b->>'mix' else x.mix end,
      pump = case when b ? 'pump' then coalesce((b->>'pump')::boolean, false) else x.pump end,
      crew_id = case when b ? 'crew_id' then (b->>'crew_id')::uuid else x.crew_id end,
      crew_size_needed = case when b ? 'crew_size_needed' then coalesce((b->>'crew_size_needed')::int, 0)
                              else x.crew_size_needed end,
      status = case when b ? 'status' then coalesce(b->>'status', x.status) else x.status end,
      notes = case when b ? 'notes' then b->>'notes' else x.notes end,
      updated_at = now()
    where x.tenant_id = t and x.id = p_id
    returning x.* into c;
  exception when unique_violation then
    -- someone got booked on the new date after the check, by a path that does not queue on
    -- app.schedule_lock: name them as the check would have
    perform app.pour_move_check(t, p_id, day);
    raise;
  end;
  if canceling then
    return (app.pours_json(c)::jsonb || jsonb_build_object('released', n))::json;
  end if;
  return app.pours_json(c);
end $$;

CREATE FUNCTION app.privacy_retention(p_session_days integer, p_invitation_days integer, p_mail_days integer, p_failed_login_days integer, p_audit_ip_days integer) RETURNS json
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

CREATE FUNCTION app.projects_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.projects as c (tenant_id, customer_id, name, address, zip, region_id, notes)
  values (app.current_tenant(), (b->>'customer_id')::uuid, b->>'name', b->>'address', b->>'zip',
          (b->>'region_id')::uuid, b->>'notes')
  returning app.projects_json(c)
$$;

CREATE FUNCTION app.projects_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.projects c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.projects_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.projects_json(c) from app.projects c where c.id = p_id);
end $$;

CREATE TABLE app.projects (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    name text NOT NULL,
    address text,
    zip text,
    region_id uuid,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.projects FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.projects_json(c app.projects) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select ('{"id":' || app.juuid(c.id) || ',"customer_id":' || app.juuid(c.customer_id) || ',"name":' || app.jtext(c.name)
    || ',"address":' || app.jtext(c.address) || ',"zip":' || app.jtext(c.zip) || ',"region_id":' || app.juuid(c.region_id)
    || ',"notes":' || app.jtext(c.notes) || ',"created_at":' || app.jts(c.created_at)
    || ',"updated_at":' || app.jts(c.updated_at) || '}')::json
$$;

CREATE FUNCTION app.projects_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.projects_json(c), c.created_at::text || '|' || c.id
  from app.projects c
  where (f->>'customer_id' is null or c.customer_id = (f->>'customer_id')::uuid)
    and (f->>'region_id' is null or c.region_id = (f->>'region_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.projects_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.projects c set
    customer_id = case when b ? 'customer_id' then (b->>'customer_id')::uuid else c.customer_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    address = case when b ? 'address' then b->>'address' else c.address end,
    zip = case when b ? 'zip' then b->>'zip' else c.zip end,
    region_id = case when b ? 'region_id' then (b->>'region_id')::uuid else c.region_id end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.projects_json(c)
$$;

CREATE FUNCTION app.rate_hit(p_key text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into app.rate_events (key) values (p_key);
  if random() < 0.01 then
    delete from app.rate_events where at < now() - interval '1 day';
  end if;
end $$;

CREATE FUNCTION app.rate_retry_after(p_key text, p_max integer, p_window interval) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select case when count(*) >= p_max
              then greatest(1, ceil(extract(epoch from (min(e.at) + p_window - now())))::int)
              else 0 end
  from (select at from app.rate_events where key = p_key and at > now() - p_window
        order by at desc limit p_max) e
$$;

CREATE FUNCTION app.reauth_failed() RETURNS void
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

CREATE FUNCTION app.reauth_retry_after() RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((select app.rate_retry_after('reauth:' || u::text, 10, interval '15 minutes')
                   from app.current_user_id() u where u is not null), 0)
$$;

CREATE FUNCTION app.regions_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.regions as c (tenant_id, name) values (app.current_tenant(), b->>'name')
  returning app.regions_json(c)
$$;

CREATE FUNCTION app.regions_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.regions c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.regions_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.regions_json(c) from app.regions c where c.id = p_id);
end $$;

CREATE TABLE app.regions (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.regions FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.regions_json(c app.regions) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'name', c.name, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

CREATE FUNCTION app.regions_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.regions_json(c), c.created_at::text || '|' || c.id
  from app.regions c
  where (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.regions_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.regions c set
    name = case when b ? 'name' then b->>'name' else c.name end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.regions_json(c)
$$;

CREATE FUNCTION app.reminder_done(p_tenant uuid, p_id uuid, p_ok boolean, p_error text, p_max integer, p_outbox_subject text, p_outbox_body bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  r app.reminders;
  result text;
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  select * into r from app.reminders where tenant_id = p_tenant and id = p_id for update;
  if not found then
    return 'gone';
  end if;
  if r.status <> 'pending' then
    return 'done';
  end if;
  if p_ok and p_outbox_body is not null then
    insert into app.outbox (tenant_id, channel, recipient, subject, body, reminder_id)
      values (p_tenant, r.channel, r."to", p_outbox_subject, p_outbox_body, r.id);
  end if;
  result := case when p_ok then 'sent' when r.attempts + 1 >= p_max then 'failed' else 'pending' end;
  update app.reminders set status = result, attempts = attempts + 1, claimed_until = null,
         sent_at = case when p_ok then now() end, last_error = case when p_ok then null else left(p_error, 500) end
    where tenant_id = p_tenant and id = p_id;
  if result <> 'pending' then
    perform app.audit('reminder.' || result, 'reminder', p_id::text, '{}');
  end if;
  return result;
end $$;

CREATE FUNCTION app.reminder_subject_in_use() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if pg_trigger_depth() = 1 and exists (
       select 1 from app.reminders r
       where r.tenant_id = old.tenant_id and r.subject_type = tg_argv[0] and r.subject_id = old.id) then
    raise exception using errcode = 'foreign_key_violation',
      message = 'a reminder is about this ' || tg_argv[0];
  end if;
  return old;
end $$;

CREATE FUNCTION app.reminders_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
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
    or (new.subject_type = 'pour' and exists (select 1 from app.pours x where x.tenant_id = new.tenant_id and x.id = new.subject_id))
    or (new.subject_type = 'trip' and exists (select 1 from app.trips x where x.tenant_id = new.tenant_id and x.id = new.subject_id))) then
    perform app.bad('subject_id', 'not_found', 'no such ' || new.subject_type || ' in this workspace');
  end if;
  return new;
end $_$;

CREATE FUNCTION app.reminders_claim(p_limit integer, p_lease_s integer, p_skip uuid[]) RETURNS TABLE(tenant_id uuid, id uuid, channel text, recipient text, message text, attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  -- picked once (a CTE), so no plan claims more than p_limit (see app.outbox_claim)
  return query
  with due as materialized (
    select d.tenant_id, d.id from app.reminders d
    where d.status = 'pending' and d.remind_at <= now() and (d.claimed_until is null or d.claimed_until <= now())
      and d.id <> all(coalesce(p_skip, '{}'))
    order by d.remind_at, d.id
    limit least(greatest(p_limit, 0), 200)
    for update skip locked)
  update app.reminders r set claimed_until = now() + make_interval(secs => greatest(p_lease_s, 1))
  from due
  where r.tenant_id = due.tenant_id and r.id = due.id
  returning r.tenant_id, r.id, r.channel, r."to", r.message, r.attempts;
end $$;

CREATE FUNCTION app.reminders_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.reminders as c (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
  values (app.current_tenant(), (b->>'remind_at')::timestamptz, b->>'channel', b->>'to', b->>'message',
          b->>'subject_type', (b->>'subject_id')::uuid)
  returning app.reminders_json(c)
$$;

CREATE FUNCTION app.reminders_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.reminders c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.reminders_get(p_id uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    AS $$
begin
  return (select app.reminders_json(c) from app.reminders c where c.tenant_id = (select app.current_tenant()) and c.id = p_id);
end $$;

CREATE TABLE app.reminders (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    remind_at timestamp with time zone NOT NULL,
    channel text NOT NULL,
    "to" text NOT NULL,
    message text NOT NULL,
    subject_type text,
    subject_id uuid,
    status text DEFAULT 'pending'::text NOT NULL,
    sent_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_until timestamp with time zone,
    CONSTRAINT reminders_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text]))),
    CONSTRAINT reminders_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text]))),
    CONSTRAINT reminders_subject_type_check CHECK ((subject_type = ANY (ARRAY['customer'::text, 'project'::text, 'pour'::text, 'trip'::text])))
);

ALTER TABLE ONLY app.reminders FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.reminders_json(c app.reminders) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'remind_at', app.ts(c.remind_at), 'channel', c.channel, 'to', c."to",
    'message', c.message, 'subject_type', c.subject_type, 'subject_id', c.subject_id, 'status', c.status,
    'sent_at', app.ts(c.sent_at), 'attempts', c.attempts, 'created_at', app.ts(c.created_at),
    'updated_at', app.ts(c.updated_at))
$$;

CREATE FUNCTION app.reminders_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.reminders_json(c), c.created_at::text || '|' || c.id
  from app.reminders c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'status' is null or c.status = f->>'status')
    and (f->>'from' is null or c.remind_at >= (f->>'from')::date)
    and (f->>'to' is null or c.remind_at < (f->>'to')::date + 1)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.reminders_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.reminders c set
    remind_at = case when b ? 'remind_at' then (b->>'remind_at')::timestamptz else c.remind_at end,
    channel = case when b ? 'channel' then b->>'channel' else c.channel end,
    "to" = case when b ? 'to' then b->>'to' else c."to" end,
    message = case when b ? 'message' then b->>'message' else c.message end,
    subject_type = case when b ? 'subject_type' then b->>'subject_type' else c.subject_type end,
    subject_id = case when b ? 'subject_id' then (b->>'subject_id')::uuid else c.subject_id end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.reminders_json(c)
$$;

CREATE FUNCTION app.request_begin(p_key text) RETURNS TABLE(session_id uuid, user_id uuid, tenant_id uuid, role text, aal text, email text, impersonation_id uuid, tenant_status text, require_mfa boolean, mfa_enabled boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
declare
  s app.sessions;
  h bytea := pg_catalog.sha256(pg_catalog.convert_to(coalesce(p_key, ''), 'UTF8'));  -- a plain parameter: indexable
begin
  perform pg_catalog.set_config('app.session_key', coalesce(p_key, ''), true);
  select * into s from app.sessions x where x.key_hash = h and app.session_alive(x);
  if not found then
    return;
  end if;
  -- (not on a read-only server: reads go on while writes can't)
  if s.last_used_at < pg_catalog.now() - interval '1 minute'
     and pg_catalog.current_setting('transaction_read_only') = 'off' then
    update app.sessions x set last_used_at = pg_catalog.now() where x.tenant_id = s.tenant_id and x.id = s.id;
  end if;
  return query
    select s.id, s.user_id, s.tenant_id, m.role, s.aal, u.email, s.impersonation_id, t.status,
           t.require_mfa_for_admins, u.totp_enabled_at is not null
    from app.memberships m
    join app.users u on u.id = m.user_id
    join app.tenants t on t.id = m.tenant_id
    where m.tenant_id = s.tenant_id and m.user_id = s.user_id;
end $$;

CREATE FUNCTION app.retention_run() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n int;
begin
  perform app.definer_enter(true);
  delete from app.tenants where status = 'suspended' and suspended_at < now() - interval '30 days';
  get diagnostics n = row_count;
  delete from app.users u where not exists (select 1 from app.memberships m where m.user_id = u.id);
  return n;
end $$;

CREATE FUNCTION app.schedule_lock() RETURNS void
    LANGUAGE sql
    AS $$
  select pg_advisory_xact_lock(74202, hashtext(app.current_tenant()::text))
$$;

CREATE FUNCTION app.session_alive(s app.sessions) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select s.revoked_at is null and s.expires_at > pg_catalog.now()
     and (s.impersonation_id is not null or s.last_used_at > pg_catalog.now() - interval '7 days')
$$;

CREATE FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  select s.id, s.tenant_id, s.user_id into id, tenant_id, user_id
  from app.sessions s where s.key_hash = h and app.session_alive(s);
end $$;

CREATE FUNCTION app.session_impersonation() RETURNS TABLE(id uuid, staff text, reason text, expires_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  return query
    select i.id, i.staff, i.reason, i.expires_at from app.live_session() s
    join app.impersonations i on i.tenant_id = s.tenant_id and i.id = s.impersonation_id;
end $$;

CREATE FUNCTION app.session_key_hash() RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
  select pg_catalog.sha256(pg_catalog.convert_to(
           coalesce(nullif(pg_catalog.current_setting('app.session_key', true), ''), '-'), 'UTF8'))
$$;

CREATE FUNCTION app.session_profile() RETURNS TABLE(user_id uuid, email text, name text, email_confirmed_at text, mfa_enabled boolean, tenant_id uuid, slug text, tenant_name text, timezone text, primary_color text, require_mfa_for_admins boolean, tenant_status text, role text, session_id uuid, expires_at text, aal text, impersonation_id uuid, staff text, reason text, impersonation_expires_at text, kind text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  h bytea := app.session_key_hash();
begin
  return query
    select u.id, u.email, u.name, app.ts(u.email_confirmed_at), u.totp_enabled_at is not null,
           t.id, t.slug, t.name, t.timezone, t.primary_color, t.require_mfa_for_admins, t.status,
           m.role, s.id, app.ts(s.expires_at), s.aal, s.impersonation_id, i.staff, i.reason,
           app.ts(i.expires_at), t.kind
    from (select x.* from app.sessions x where x.key_hash = h and app.session_alive(x) offset 0) s  -- first, by its key
    join app.users u on u.id = s.user_id
    join app.tenants t on t.id = s.tenant_id
    join app.memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id
    left join app.impersonations i on i.tenant_id = s.tenant_id and i.id = s.impersonation_id;
end $$;

CREATE FUNCTION app.session_rank() RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  c record := app.session_context();
  r text;
begin
  select m.role into r from app.memberships m where m.tenant_id = c.tenant_id and m.user_id = c.user_id;
  return case r when 'viewer' then 1 when 'scheduler' then 2 when 'admin' then 3 when 'owner' then 4 else 0 end;
end $$;

CREATE FUNCTION app.session_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$
  select (app.session_context()).tenant_id
$$;

CREATE FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  -- (a workspace being deleted takes its sheets and people with it: nobody is owed anything)
  if not exists (select 1 from app.sheet_sends s where s.tenant_id = p_tenant and s.employee_id = p_employee
                 and s.date = p_old_date)
     or not exists (select 1 from app.tenants t where t.id = p_tenant) then
    return;
  end if;
  insert into app.sheet_notices as n (tenant_id, employee_id, pour_id, kind, project, old_date, old_time, new_date, new_time)
    select p_tenant, p_employee, p_pour, p_kind, coalesce(pr.name, ''), p_old_date, p_old_time, p_new_date, p_new_time
    from app.pours p left join app.projects pr on pr.tenant_id = p.tenant_id and pr.id = p.project_id
    where p.tenant_id = p_tenant and p.id = p_pour
  on conflict (tenant_id, employee_id, pour_id, xact) do update set
    kind = case when 'canceled' in (n.kind, excluded.kind) then 'canceled'
                when 'removed' in (n.kind, excluded.kind) then 'removed' else 'moved' end,
    new_date = coalesce(excluded.new_date, n.new_date),
    new_time = case when excluded.new_date is null then n.new_time else excluded.new_time end;
end $$;

CREATE FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n int;
begin
  perform set_config('app.definer_tenant', p_tenant::text, true);
  insert into app.outbox (tenant_id, channel, recipient, subject, body)
    select p_tenant, c, r, s, b from unnest(p_channels, p_recipients, p_subjects, p_bodies) as m(c, r, s, b);
  get diagnostics n = row_count;
  perform app.audit('pour.change_notice', 'pour', p_pour::text,
                    jsonb_build_object('kind', jsonb_build_array(null, p_kind), 'messages', jsonb_build_array(null, n)));
  return n;
end $$;

CREATE FUNCTION app.sheet_notice_send(p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null then
    raise exception 'no live session' using errcode = '42501';
  end if;
  return app.sheet_notice_queue(t, p_pour, p_kind, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

CREATE FUNCTION app.sheet_notice_send_job(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform app.definer_enter(true);
  if not exists (select 1 from app.tenants x where x.id = p_tenant) then
    raise exception 'no such workspace' using errcode = '42501';
  end if;
  return app.sheet_notice_queue(p_tenant, p_pour, p_kind, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

CREATE FUNCTION app.sheet_notices_of(p_tenant uuid) RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select set_config('app.definer_tenant', p_tenant::text, true);
  with taken as (
    delete from app.sheet_notices n
    where (n.tenant_id, n.id) in (select x.tenant_id, x.id from app.sheet_notices x where x.tenant_id = p_tenant
                                  order by x.id limit 1000 for update skip locked)
    returning n.*)
  select t.tenant_id, t.pour_id, t.kind, t.employee_id, e.name, e.email, e.phone, e.channel, t.project, t.old_date,
         t.old_time, t.new_date, t.new_time
  from taken t join app.employees e on e.tenant_id = t.tenant_id and e.id = t.employee_id
  -- a move there and back within one transaction changed nothing
  where not (t.kind = 'moved' and t.new_date = t.old_date and t.new_time is not distinct from t.old_time)
  order by t.tenant_id, t.pour_id, t.kind, e.name, t.employee_id
$$;

CREATE FUNCTION app.sheet_notices_take() RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null then
    return;
  end if;
  -- the workspace's writer lock (a change of the schedule holds it already): a job taking
  -- this workspace's notices finishes first
  perform pg_advisory_xact_lock(74202, hashtext(t::text));
  return query select * from app.sheet_notices_of(t);
end $$;

CREATE FUNCTION app.sheet_notices_take_job() RETURNS TABLE(tenant_id uuid, pour_id uuid, kind text, employee_id uuid, name text, email text, phone text, channel text, project text, old_date date, old_time text, new_date date, new_time text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid;
begin
  perform app.definer_enter(true);
  for t in select x.tenant_id from app.sheet_notices x group by x.tenant_id order by min(x.id) limit 100 loop
    if pg_try_advisory_xact_lock(74202, hashtext(t::text)) then
      return query select * from app.sheet_notices_of(t);
      -- (none left: another job took them as this one looked, or they undid themselves)
      if found then
        return;
      end if;
    end if;
  end loop;
end $$;

CREATE FUNCTION app.sheet_send(p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t uuid := app.session_tenant();
begin
  perform app.definer_enter(false);
  if t is null or app.session_rank() < 2
     or not exists (select 1 from app.tenants x where x.id = t and x.status = 'active') then
    raise exception 'no live session of a scheduler' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', t::text, true);
  return app.sheet_store(t, p_date, p_employee, p_hash, p_channels, p_recipients, p_subjects, p_bodies);
end $$;

CREATE FUNCTION app.sheet_send_job(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  result text;
begin
  perform app.definer_enter(true);
  if not exists (select 1 from app.sheet_auto s where s.tenant_id = p_tenant and s.employee_id = p_employee
                 and s.date = p_date) then
    raise exception 'the sheet was not claimed' using errcode = '42501';
  end if;
  perform set_config('app.definer_tenant', p_tenant::text, true);
  result := app.sheet_store(p_tenant, p_date, p_employee, p_hash, p_channels, p_recipients, p_subjects, p_bodies);
  perform app.audit('schedule.sent', 'employee', p_employee::text,
                    jsonb_build_object('date', jsonb_build_array(null, p_date), 'result', jsonb_build_array(null, result),
                                       'automatic', jsonb_build_array(null, true)));
  return result;
end $$;

CREATE FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  insert into app.sheet_sends as s (tenant_id, employee_id, date, hash)
    values (p_tenant, p_employee, p_date, p_hash)
  on conflict (tenant_id, employee_id, date) do update set hash = excluded.hash, sent_at = now()
    where s.hash <> excluded.hash;
  if not found then
    return 'unchanged';
  end if;
  insert into app.outbox (tenant_id, channel, recipient, subject, body)
    select p_tenant, c, r, s, b from unnest(p_channels, p_recipients, p_subjects, p_bodies) as m(c, r, s, b);
  return 'queued';
end $$;

CREATE FUNCTION app.sheets_claim(p_tenant uuid, p_date date) RETURNS TABLE(employee_id uuid, name text, email text, phone text, channel text, items jsonb)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  ids uuid[];
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  with claimed as (
    insert into app.sheet_auto (tenant_id, employee_id, date)
      select distinct a.tenant_id, a.employee_id, a.date from app.assignments a
      where a.tenant_id = p_tenant and a.date = p_date
    on conflict do nothing
    returning sheet_auto.employee_id)
  select array_agg(c.employee_id) into ids from claimed c;
  if ids is null then
    return;
  end if;
  return query select * from app.day_sheet_rows(p_tenant, p_date, ids);
end $$;

CREATE FUNCTION app.sheets_due() RETURNS TABLE(tenant_id uuid, date date, name text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.id, (now() at time zone t.timezone)::date + 1, t.name from app.tenants t
  where t.sheets_send_at is not null and t.status = 'active'
    and (now() at time zone t.timezone)::time >= t.sheets_send_at
$$;

CREATE FUNCTION app.tenant_writable() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
  select coalesce((select t.status = 'active' from app.tenants t where t.id = (select app.current_tenant())), false)
$$;

CREATE FUNCTION app.tenants_signup_kind() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  k text := current_setting('planyard.signup_kind', true);
begin
  if k in ('field', 'trips') then
    new.kind := k;
  end if;
  return new;
end $$;

CREATE FUNCTION app.travelers_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.travelers as c (tenant_id, trip_id, name, birth_date, contact, notes)
  values (app.current_tenant(), (b->>'trip_id')::uuid, b->>'name', (b->>'birth_date')::date, b->>'contact', b->>'notes')
  returning app.travelers_json(c)
$$;

CREATE FUNCTION app.travelers_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.travelers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.travelers_get(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.travelers_json(c) from app.travelers c where c.tenant_id = (select app.current_tenant()) and c.id = p_id
$$;

CREATE TABLE app.travelers (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    trip_id uuid NOT NULL,
    name text NOT NULL,
    birth_date date,
    contact text,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.travelers FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.travelers_json(c app.travelers) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'trip_id', c.trip_id, 'name', c.name, 'birth_date', c.birth_date,
    'contact', c.contact, 'notes', c.notes, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

CREATE FUNCTION app.travelers_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.travelers_json(c), c.created_at::text || '|' || c.id
  from app.travelers c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'trip_id' is null or c.trip_id = (f->>'trip_id')::uuid)
    and (after is null or (c.created_at, c.id) > (app.cursor_ts(after), app.cursor_id(after)))
  order by c.created_at, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.travelers_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.travelers c set
    trip_id = case when b ? 'trip_id' then (b->>'trip_id')::uuid else c.trip_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    birth_date = case when b ? 'birth_date' then (b->>'birth_date')::date else c.birth_date end,
    contact = case when b ? 'contact' then b->>'contact' else c.contact end,
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.travelers_json(c)
$$;

CREATE FUNCTION app.trial_advance(p_tenant uuid, p_stage text, p_subject text, p_body bytea) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  t app.tenants;
begin
  perform app.definer_enter(true);
  perform set_config('app.definer_tenant', p_tenant::text, true);
  select * into t from app.tenants where id = p_tenant for update;
  if not found or t.status <> 'active' or app.trial_rank(p_stage) <= app.trial_rank(t.trial_stage)
     or app.trial_rank(p_stage) > app.trial_rank(app.trial_stage_at(t.trial_ends_at))
     or exists (select 1 from app.billing b where b.tenant_id = p_tenant and app.billing_live(b.status)) then
    return 'done';
  end if;
  if p_stage = 'ended' then
    update app.tenants set trial_stage = p_stage, status = 'suspended', suspended_at = now(), updated_at = now()
      where id = p_tenant;
  else
    update app.tenants set trial_stage = p_stage, updated_at = now() where id = p_tenant;
  end if;
  insert into app.outbox (tenant_id, user_id, recipient, subject, body)
    select p_tenant, u.id, u.email, p_subject, p_body from app.memberships m join app.users u on u.id = m.user_id
    where m.tenant_id = p_tenant and m.role = 'owner';
  return p_stage;
end $$;

CREATE FUNCTION app.trial_due() RETURNS TABLE(tenant_id uuid, stage text, name text, trial_ends_at text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select t.id, app.trial_stage_at(t.trial_ends_at), t.name, app.ts(t.trial_ends_at)
  from app.tenants t
  where t.status = 'active' and t.trial_stage <> 'ended' and t.trial_ends_at <= now() + interval '3 days'
    and app.trial_rank(app.trial_stage_at(t.trial_ends_at)) > app.trial_rank(t.trial_stage)
    and not exists (select 1 from app.billing b where b.tenant_id = t.id and app.billing_live(b.status))
  order by t.trial_ends_at
  limit 500
$$;

CREATE FUNCTION app.trial_rank(p_stage text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
  select coalesce(array_position(array['running', 'reminded_3d', 'reminded_1d', 'ended'], p_stage), 0)
$$;

CREATE FUNCTION app.trial_stage_at(p_end timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $$
  select case when p_end <= now() then 'ended'
              when p_end <= now() + interval '1 day' then 'reminded_1d'
              when p_end <= now() + interval '3 days' then 'reminded_3d'
              else 'running' end
$$;

CREATE FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) RETURNS json
    LANGUAGE plpgsql
    AS $$
declare
  t uuid := (select app.current_tenant());
  tr app.trips;
  tz text;
  at time := coalesce((b->>'at')::time, time '09:00');
  tpl text;
  due timestamptz;
  made jsonb := '[]';
  skipped jsonb := '[]';
  rem app.reminders;
begin
  select * into tr from app.trips x where x.tenant_id = t and x.id = p_id for update;
  if not found then
    return null;
  end if;
  tz := coalesce((select x.timezone from app.tenants x where x.id = t), 'UTC');
  for tpl in select e from unnest(case b->>'template' when 'standard' then array['final_payment', 'documents']
                                    else array[b->>'template'] end) e loop
    due := ((case tpl when 'final_payment' then tr.start_date - 30
                      when 'documents' then tr.start_date - 7 end) + at) at time zone tz;
    if due is null then
      perform app.bad('template', 'invalid', 'template is standard, final_payment or documents');
    end if;
    if due <= now() then
      skipped := skipped || to_jsonb(tpl);
      continue;
    end if;
    insert into app.reminders as c (tenant_id, remind_at, channel, "to", message, subject_type, subject_id)
    values (t, due, b->>'channel', b->>'to',
            -- no date in the words: the reminder moves with the trip, its message stays true
            case tpl when 'final_payment' then 'Final payment for ' || tr.name || ' is due: the trip starts in 30 days'
                     else 'Travel documents for ' || tr.name || ': the trip starts in a week' end,
            'trip', p_id)
    returning c.* into rem;
    made := made || app.reminders_json(rem)::jsonb;
  end loop;
  return json_build_object('data', made, 'skipped', skipped);
end $$;

CREATE FUNCTION app.trip_travelers(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('data', coalesce((select json_agg(app.travelers_json(c) order by c.created_at, c.id)
                                             from app.travelers c where c.tenant_id = x.tenant_id and c.trip_id = x.id),
                                            '[]'::json), 'next_cursor', null)
  from app.trips x where x.tenant_id = (select app.current_tenant()) and x.id = p_id
$$;

CREATE FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  select app.travelers_create(b || jsonb_build_object('trip_id', x.id))
  from app.trips x where x.tenant_id = (select app.current_tenant()) and x.id = p_id
$$;

CREATE FUNCTION app.trips_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  if new.end_date < new.start_date then
    perform app.bad('end_date', 'invalid', 'end_date must be on or after start_date');
  end if;
  return new;
end $$;

CREATE FUNCTION app.trips_create(b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  insert into app.trips as c (tenant_id, customer_id, name, start_date, end_date, destination, status, notes)
  values (app.current_tenant(), (b->>'customer_id')::uuid, b->>'name', (b->>'start_date')::date,
          (b->>'end_date')::date, b->>'destination', coalesce(b->>'status', 'inquiry'), b->>'notes')
  returning app.trips_json(c)
$$;

CREATE FUNCTION app.trips_delete(p_id uuid) RETURNS boolean
    LANGUAGE sql
    AS $$
  with d as (delete from app.trips c where c.tenant_id = (select app.current_tenant()) and c.id = p_id returning 1)
  select count(*) > 0 from d
$$;

CREATE FUNCTION app.trips_drop_reminders() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  delete from app.reminders r where r.tenant_id = old.tenant_id and r.subject_type = 'trip' and r.subject_id = old.id;
  return old;
end $$;

CREATE FUNCTION app.trips_get(p_id uuid) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.trips_json(c) from app.trips c where c.tenant_id = (select app.current_tenant()) and c.id = p_id
$$;

CREATE TABLE app.trips (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    name text NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    destination text,
    status text DEFAULT 'inquiry'::text NOT NULL,
    notes text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT trips_dates_check CHECK ((end_date >= start_date)),
    CONSTRAINT trips_status_check CHECK ((status = ANY (ARRAY['inquiry'::text, 'booked'::text, 'traveling'::text, 'done'::text, 'canceled'::text])))
);

ALTER TABLE ONLY app.trips FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.trips_json(c app.trips) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', c.id, 'customer_id', c.customer_id, 'name', c.name,
    'start_date', c.start_date, 'end_date', c.end_date, 'destination', c.destination, 'status', c.status,
    'notes', c.notes, 'created_at', app.ts(c.created_at), 'updated_at', app.ts(c.updated_at))
$$;

CREATE FUNCTION app.trips_move_reminders() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
declare
  tz text := coalesce((select t.timezone from app.tenants t where t.id = new.tenant_id), 'UTC');
  shift integer := new.start_date - old.start_date;
begin
  update app.reminders r set
    remind_at = greatest(((r.remind_at at time zone tz) + make_interval(days => shift)) at time zone tz,
                         now() + interval '1 minute'),
    updated_at = now()
  where r.tenant_id = new.tenant_id and r.subject_type = 'trip' and r.subject_id = new.id and r.status = 'pending';
  return null;
end $$;

CREATE FUNCTION app.trips_page(f jsonb, lim integer, after text) RETURNS TABLE(j json, k text)
    LANGUAGE sql STABLE
    AS $$
  select app.trips_json(c), c.start_date::text || '|' || c.id
  from app.trips c
  where c.tenant_id = (select app.current_tenant())
    and (f->>'from' is null or c.end_date >= (f->>'from')::date)
    and (f->>'to' is null or c.start_date <= (f->>'to')::date)
    and (f->>'customer_id' is null or c.customer_id = (f->>'customer_id')::uuid)
    and (f->>'status' is null or c.status = f->>'status')
    and (after is null or (c.start_date, c.id) > (app.cursor_date(after), app.cursor_id(after)))
  order by c.start_date, c.id
  limit lim + 1
$$;

CREATE FUNCTION app.trips_update(p_id uuid, b jsonb) RETURNS json
    LANGUAGE sql
    AS $$
  update app.trips c set
    customer_id = case when b ? 'customer_id' then (b->>'customer_id')::uuid else c.customer_id end,
    name = case when b ? 'name' then b->>'name' else c.name end,
    start_date = case when b ? 'start_date' then (b->>'start_date')::date else c.start_date end,
    end_date = case when b ? 'end_date' then (b->>'end_date')::date else c.end_date end,
    destination = case when b ? 'destination' then b->>'destination' else c.destination end,
    status = coalesce(b->>'status', c.status),
    notes = case when b ? 'notes' then b->>'notes' else c.notes end,
    updated_at = now()
  where c.tenant_id = (select app.current_tenant()) and c.id = p_id
  returning app.trips_json(c)
$$;

CREATE FUNCTION app.ts(timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    AS $_$
  select to_char($1 at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$_$;

CREATE FUNCTION app.weather_cached(p_zip text, p_day date) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select payload from app.weather_cache where zip = p_zip and day = p_day and fetched_at > now() - interval '3 hours'
    and app.current_user_id() is not null
$$;

CREATE FUNCTION app.weather_store(p_zip text, p_day date, p_payload jsonb) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into app.weather_cache (zip, day, payload) select p_zip, p_day, p_payload
  where app.current_user_id() is not null
  on conflict (zip, day) do update set payload = excluded.payload, fetched_at = now()
$$;

CREATE FUNCTION app.workspace_delete(p_slug text) RETURNS text
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

CREATE FUNCTION app.workspace_get() RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select app.workspace_json(t) from app.tenants t where t.id = (select app.current_tenant())
$$;

CREATE TABLE app.tenants (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    timezone text DEFAULT 'UTC'::text NOT NULL,
    primary_color text,
    require_mfa_for_admins boolean DEFAULT false NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    suspended_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sheets_send_at time without time zone,
    trial_ends_at timestamp with time zone DEFAULT (now() + '14 days'::interval) NOT NULL,
    trial_stage text DEFAULT 'running'::text NOT NULL,
    kind text DEFAULT 'field'::text NOT NULL,
    CONSTRAINT tenants_kind_check CHECK ((kind = ANY (ARRAY['field'::text, 'trips'::text]))),
    CONSTRAINT tenants_status_check CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text]))),
    CONSTRAINT tenants_trial_stage_check CHECK ((trial_stage = ANY (ARRAY['running'::text, 'reminded_3d'::text, 'reminded_1d'::text, 'ended'::text])))
);

ALTER TABLE ONLY app.tenants FORCE ROW LEVEL SECURITY;

CREATE FUNCTION app.workspace_json(t app.tenants) RETURNS json
    LANGUAGE sql STABLE
    AS $$
  select json_build_object('id', t.id, 'slug', t.slug, 'name', t.name, 'timezone', t.timezone,
    'branding', json_build_object('primary_color', t.primary_color),
    'require_mfa_for_admins', t.require_mfa_for_admins, 'status', t.status,
    'sheets_send_at', app.hhmm(t.sheets_send_at), 'kind', t.kind)
$$;

CREATE FUNCTION app.workspace_update(b jsonb) RETURNS json
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

CREATE FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) RETURNS uuid
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

CREATE FUNCTION platform.impersonation_granted_notice(p_impersonation uuid, p_subject text, p_body bytea) RETURNS integer
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

CREATE FUNCTION platform.notify_owners(p_subject text, p_body bytea) RETURNS integer
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

CREATE TABLE app.billing (
    tenant_id uuid NOT NULL,
    customer_id text,
    subscription_id text,
    plan text,
    status text,
    card_brand text,
    card_last4 text,
    current_period_end timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.billing FORCE ROW LEVEL SECURITY;

CREATE TABLE app.billing_events (
    event_id text NOT NULL,
    type text NOT NULL,
    tenant_id uuid,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.billing_events FORCE ROW LEVEL SECURITY;

CREATE TABLE app.crew_members (
    tenant_id uuid NOT NULL,
    crew_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.crew_members FORCE ROW LEVEL SECURITY;

CREATE TABLE app.memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memberships_role_check CHECK ((role = ANY (ARRAY['viewer'::text, 'scheduler'::text, 'admin'::text, 'owner'::text])))
);

ALTER TABLE ONLY app.memberships FORCE ROW LEVEL SECURITY;

CREATE TABLE app.mfa_challenges (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '00:05:00'::interval) NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.mfa_challenges FORCE ROW LEVEL SECURITY;

CREATE TABLE app.outbox (
    id bigint NOT NULL,
    tenant_id uuid,
    user_id uuid,
    channel text DEFAULT 'email'::text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    last_error text,
    reminder_id uuid,
    token text,
    sealed_legacy boolean DEFAULT false NOT NULL,
    CONSTRAINT outbox_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text])))
);

ALTER TABLE ONLY app.outbox FORCE ROW LEVEL SECURITY;

CREATE SEQUENCE app.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE app.outbox_id_seq OWNED BY app.outbox.id;

CREATE TABLE app.password_history (
    user_id uuid NOT NULL,
    id bigint NOT NULL,
    hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.password_history FORCE ROW LEVEL SECURITY;

CREATE SEQUENCE app.password_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE app.password_history_id_seq OWNED BY app.password_history.id;

CREATE TABLE app.rate_events (
    key text NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.rate_events FORCE ROW LEVEL SECURITY;

CREATE TABLE app.recovery_codes (
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.recovery_codes FORCE ROW LEVEL SECURITY;

CREATE TABLE app.refresh_tokens (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    session_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    successor_hash bytea,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);

ALTER TABLE ONLY app.refresh_tokens FORCE ROW LEVEL SECURITY;

CREATE TABLE app.schema_functions (
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE app.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    sha256 text NOT NULL
);

CREATE TABLE app.sheet_auto (
    tenant_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    date date NOT NULL,
    claimed_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.sheet_auto FORCE ROW LEVEL SECURITY;

CREATE TABLE app.sheet_notices (
    tenant_id uuid NOT NULL,
    id bigint NOT NULL,
    employee_id uuid NOT NULL,
    pour_id uuid NOT NULL,
    kind text NOT NULL,
    project text NOT NULL,
    old_date date NOT NULL,
    old_time text,
    new_date date,
    new_time text,
    xact xid8 DEFAULT pg_current_xact_id() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sheet_notices_kind_check CHECK ((kind = ANY (ARRAY['moved'::text, 'canceled'::text, 'removed'::text])))
);

ALTER TABLE ONLY app.sheet_notices FORCE ROW LEVEL SECURITY;

ALTER TABLE app.sheet_notices ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.sheet_notices_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE app.sheet_sends (
    tenant_id uuid NOT NULL,
    employee_id uuid NOT NULL,
    date date NOT NULL,
    hash text NOT NULL,
    sent_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.sheet_sends FORCE ROW LEVEL SECURITY;

CREATE TABLE app.user_tokens (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    tenant_id uuid,
    kind text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    new_email text,
    CONSTRAINT user_tokens_kind_check CHECK ((kind = ANY (ARRAY['confirm'::text, 'reset'::text, 'email_change'::text])))
);

ALTER TABLE ONLY app.user_tokens FORCE ROW LEVEL SECURITY;

CREATE TABLE app.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    email_confirmed_at timestamp with time zone,
    totp_secret bytea,
    totp_enabled_at timestamp with time zone,
    totp_last_step bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    totp_pending_secret bytea
);

ALTER TABLE ONLY app.users FORCE ROW LEVEL SECURITY;

CREATE TABLE app.weather_cache (
    zip text NOT NULL,
    day date NOT NULL,
    payload jsonb NOT NULL,
    fetched_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app.weather_cache FORCE ROW LEVEL SECURITY;

ALTER TABLE ONLY app.outbox ALTER COLUMN id SET DEFAULT nextval('app.outbox_id_seq'::regclass);

ALTER TABLE ONLY app.password_history ALTER COLUMN id SET DEFAULT nextval('app.password_history_id_seq'::regclass);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_one_per_day UNIQUE (tenant_id, employee_id, date);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_seq UNIQUE (tenant_id, seq);

ALTER TABLE ONLY app.billing_events
    ADD CONSTRAINT billing_events_pkey PRIMARY KEY (event_id);

ALTER TABLE ONLY app.billing
    ADD CONSTRAINT billing_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY app.crew_links
    ADD CONSTRAINT crew_links_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_pkey PRIMARY KEY (tenant_id, crew_id, employee_id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, user_id);

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_pkey PRIMARY KEY (token_hash);

ALTER TABLE app.outbox
    ADD CONSTRAINT outbox_headers_single_line CHECK (((subject !~ '[\r\n]'::text) AND (recipient !~ '[\r\n]'::text))) NOT VALID;

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.password_history
    ADD CONSTRAINT password_history_pkey PRIMARY KEY (user_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_id_date UNIQUE (tenant_id, id, scheduled_date);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.recovery_codes
    ADD CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash);

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE ONLY app.regions
    ADD CONSTRAINT regions_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.reminders
    ADD CONSTRAINT reminders_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.schema_functions
    ADD CONSTRAINT schema_functions_pkey PRIMARY KEY (name);

ALTER TABLE ONLY app.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_key_hash_key UNIQUE (key_hash);

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.sheet_auto
    ADD CONSTRAINT sheet_auto_pkey PRIMARY KEY (tenant_id, employee_id, date);

ALTER TABLE ONLY app.sheet_notices
    ADD CONSTRAINT sheet_notices_once UNIQUE (tenant_id, employee_id, pour_id, xact);

ALTER TABLE ONLY app.sheet_notices
    ADD CONSTRAINT sheet_notices_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.sheet_sends
    ADD CONSTRAINT sheet_sends_pkey PRIMARY KEY (tenant_id, employee_id, date);

ALTER TABLE ONLY app.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.tenants
    ADD CONSTRAINT tenants_slug_key UNIQUE (slug);

ALTER TABLE ONLY app.travelers
    ADD CONSTRAINT travelers_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.trips
    ADD CONSTRAINT trips_pkey PRIMARY KEY (tenant_id, id);

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY app.weather_cache
    ADD CONSTRAINT weather_cache_pkey PRIMARY KEY (zip, day);

CREATE INDEX assignments_date ON app.assignments USING btree (tenant_id, date, id);

CREATE INDEX assignments_pour ON app.assignments USING btree (tenant_id, pour_id);

CREATE INDEX billing_customer_id ON app.billing USING btree (customer_id);

CREATE UNIQUE INDEX crew_links_live ON app.crew_links USING btree (tenant_id, employee_id) WHERE (revoked_at IS NULL);

CREATE UNIQUE INDEX crew_links_token ON app.crew_links USING btree (token_hash);

CREATE INDEX crew_members_employee ON app.crew_members USING btree (tenant_id, employee_id);

CREATE INDEX crews_page ON app.crews USING btree (tenant_id, created_at, id);

CREATE INDEX customers_page ON app.customers USING btree (tenant_id, created_at, id);

CREATE INDEX employees_page ON app.employees USING btree (tenant_id, created_at, id);

CREATE INDEX employees_region ON app.employees USING btree (tenant_id, region_id);

CREATE INDEX impersonations_page ON app.impersonations USING btree (tenant_id, created_at, id);

CREATE INDEX impersonations_user ON app.impersonations USING btree (tenant_id, user_id);

CREATE INDEX memberships_user ON app.memberships USING btree (user_id);

CREATE INDEX mfa_challenges_expires ON app.mfa_challenges USING btree (expires_at);

CREATE INDEX mfa_challenges_user ON app.mfa_challenges USING btree (user_id);

CREATE INDEX outbox_pending ON app.outbox USING btree (next_attempt_at) WHERE (sent_at IS NULL);

CREATE INDEX pours_crew ON app.pours USING btree (tenant_id, crew_id, scheduled_date);

CREATE INDEX pours_date ON app.pours USING btree (tenant_id, scheduled_date, id);

CREATE INDEX pours_project ON app.pours USING btree (tenant_id, project_id);

CREATE INDEX projects_customer ON app.projects USING btree (tenant_id, customer_id);

CREATE INDEX projects_page ON app.projects USING btree (tenant_id, created_at, id);

CREATE INDEX projects_region ON app.projects USING btree (tenant_id, region_id);

CREATE INDEX rate_events_key ON app.rate_events USING btree (key, at);

CREATE INDEX regions_page ON app.regions USING btree (tenant_id, created_at, id);

CREATE INDEX reminders_due ON app.reminders USING btree (remind_at) WHERE (status = 'pending'::text);

CREATE INDEX reminders_page ON app.reminders USING btree (tenant_id, created_at, id);

CREATE INDEX reminders_subject ON app.reminders USING btree (tenant_id, subject_id) WHERE (subject_id IS NOT NULL);

CREATE INDEX sessions_user ON app.sessions USING btree (tenant_id, user_id);

CREATE INDEX travelers_page ON app.travelers USING btree (tenant_id, created_at, id);

CREATE INDEX travelers_trip ON app.travelers USING btree (tenant_id, trip_id);

CREATE INDEX trips_customer ON app.trips USING btree (tenant_id, customer_id);

CREATE INDEX trips_dates ON app.trips USING btree (tenant_id, start_date, id);

CREATE INDEX user_tokens_user ON app.user_tokens USING btree (user_id);

CREATE UNIQUE INDEX users_email_key ON app.users USING btree (lower(email));

CREATE TRIGGER assignments_follow_pour BEFORE INSERT OR UPDATE OF pour_id, date ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.assignments_follow_pour();

CREATE TRIGGER assignments_notice AFTER DELETE OR UPDATE OF employee_id, pour_id ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.assignments_notice();

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.assignments FOR EACH ROW EXECUTE FUNCTION app.audit_row('assignment');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.crews FOR EACH ROW EXECUTE FUNCTION app.audit_row('crew');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.audit_row('customer');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.employees FOR EACH ROW EXECUTE FUNCTION app.audit_row('employee');

CREATE TRIGGER audit AFTER INSERT OR UPDATE ON app.invitations FOR EACH ROW EXECUTE FUNCTION app.audit_row('invitation');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.memberships FOR EACH ROW EXECUTE FUNCTION app.audit_row('member');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.pours FOR EACH ROW EXECUTE FUNCTION app.audit_row('pour');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.projects FOR EACH ROW EXECUTE FUNCTION app.audit_row('project');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.regions FOR EACH ROW EXECUTE FUNCTION app.audit_row('region');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE OF remind_at, channel, "to", message, subject_type, subject_id ON app.reminders FOR EACH ROW EXECUTE FUNCTION app.audit_row('reminder');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.tenants FOR EACH ROW EXECUTE FUNCTION app.audit_row('workspace');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.travelers FOR EACH ROW EXECUTE FUNCTION app.audit_row('traveler');

CREATE TRIGGER audit AFTER INSERT OR DELETE OR UPDATE ON app.trips FOR EACH ROW EXECUTE FUNCTION app.audit_row('trip');

CREATE TRIGGER audit_log_guard BEFORE DELETE OR UPDATE ON app.audit_log FOR EACH ROW EXECUTE FUNCTION app.audit_guard();

CREATE TRIGGER customers_reminder_subject BEFORE DELETE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('customer');

CREATE TRIGGER pours_notice AFTER UPDATE OF scheduled_date, start_time, status ON app.pours FOR EACH ROW EXECUTE FUNCTION app.pours_notice();

CREATE TRIGGER pours_release BEFORE UPDATE OF status ON app.pours FOR EACH ROW WHEN (((new.status = 'canceled'::text) AND (old.status <> 'canceled'::text))) EXECUTE FUNCTION app.pours_release();

CREATE TRIGGER pours_reminder_subject BEFORE DELETE ON app.pours FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('pour');

CREATE TRIGGER projects_reminder_subject BEFORE DELETE ON app.projects FOR EACH ROW EXECUTE FUNCTION app.reminder_subject_in_use('project');

CREATE TRIGGER reminders_check BEFORE INSERT OR UPDATE OF remind_at, channel, "to", subject_type, subject_id ON app.reminders FOR EACH ROW EXECUTE FUNCTION app.reminders_check();

CREATE TRIGGER tenants_signup_kind BEFORE INSERT ON app.tenants FOR EACH ROW EXECUTE FUNCTION app.tenants_signup_kind();

CREATE TRIGGER trips_check BEFORE INSERT OR UPDATE OF start_date, end_date ON app.trips FOR EACH ROW EXECUTE FUNCTION app.trips_check();

CREATE TRIGGER trips_drop_reminders BEFORE DELETE ON app.trips FOR EACH ROW EXECUTE FUNCTION app.trips_drop_reminders();

CREATE TRIGGER trips_move_reminders AFTER UPDATE OF start_date ON app.trips FOR EACH ROW WHEN ((new.start_date <> old.start_date)) EXECUTE FUNCTION app.trips_move_reminders();

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pour_date_fk FOREIGN KEY (tenant_id, pour_id, date) REFERENCES app.pours(tenant_id, id, scheduled_date) ON UPDATE CASCADE;

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_pour_fk FOREIGN KEY (tenant_id, pour_id) REFERENCES app.pours(tenant_id, id);

ALTER TABLE ONLY app.assignments
    ADD CONSTRAINT assignments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.audit_log
    ADD CONSTRAINT audit_log_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.billing
    ADD CONSTRAINT billing_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_links
    ADD CONSTRAINT crew_links_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_links
    ADD CONSTRAINT crew_links_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_crew_fk FOREIGN KEY (tenant_id, crew_id) REFERENCES app.crews(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crew_members
    ADD CONSTRAINT crew_members_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_foreman_fk FOREIGN KEY (tenant_id, foreman_id) REFERENCES app.employees(tenant_id, id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.crews
    ADD CONSTRAINT crews_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.customers
    ADD CONSTRAINT customers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.employees
    ADD CONSTRAINT employees_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.impersonations
    ADD CONSTRAINT impersonations_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES app.memberships(tenant_id, user_id) ON DELETE CASCADE;

ALTER TABLE ONLY app.invitations
    ADD CONSTRAINT invitations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.memberships
    ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.mfa_challenges
    ADD CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.outbox
    ADD CONSTRAINT outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.password_history
    ADD CONSTRAINT password_history_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_crew_fk FOREIGN KEY (tenant_id, crew_id) REFERENCES app.crews(tenant_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES app.projects(tenant_id, id);

ALTER TABLE ONLY app.pours
    ADD CONSTRAINT pours_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES app.customers(tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES app.regions(tenant_id, id);

ALTER TABLE ONLY app.projects
    ADD CONSTRAINT projects_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.refresh_tokens
    ADD CONSTRAINT refresh_tokens_tenant_id_session_id_fkey FOREIGN KEY (tenant_id, session_id) REFERENCES app.sessions(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.regions
    ADD CONSTRAINT regions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.reminders
    ADD CONSTRAINT reminders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sessions
    ADD CONSTRAINT sessions_tenant_id_user_id_fkey FOREIGN KEY (tenant_id, user_id) REFERENCES app.memberships(tenant_id, user_id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_auto
    ADD CONSTRAINT sheet_auto_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_auto
    ADD CONSTRAINT sheet_auto_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_notices
    ADD CONSTRAINT sheet_notices_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_notices
    ADD CONSTRAINT sheet_notices_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_sends
    ADD CONSTRAINT sheet_sends_employee_fk FOREIGN KEY (tenant_id, employee_id) REFERENCES app.employees(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.sheet_sends
    ADD CONSTRAINT sheet_sends_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.travelers
    ADD CONSTRAINT travelers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.travelers
    ADD CONSTRAINT travelers_trip_fk FOREIGN KEY (tenant_id, trip_id) REFERENCES app.trips(tenant_id, id) ON DELETE CASCADE;

ALTER TABLE ONLY app.trips
    ADD CONSTRAINT trips_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES app.customers(tenant_id, id);

ALTER TABLE ONLY app.trips
    ADD CONSTRAINT trips_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app.tenants(id) ON DELETE CASCADE;

ALTER TABLE ONLY app.user_tokens
    ADD CONSTRAINT user_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE;

ALTER TABLE app.assignments ENABLE ROW LEVEL SECURITY;

CREATE POLICY assignments_crew_select ON app.assignments AS RESTRICTIVE FOR SELECT USING ((( SELECT app.crew_keyless() AS crew_keyless) OR (( SELECT app.current_tenant() AS current_tenant) IS NOT NULL) OR app.crew_sees_assignment(employee_id, date)));

CREATE POLICY assignments_delete ON app.assignments FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY assignments_insert ON app.assignments FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY assignments_select ON app.assignments FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

CREATE POLICY assignments_update ON app.assignments FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.audit_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY audit_log_delete ON app.audit_log FOR DELETE USING (app.is_definer());

CREATE POLICY audit_log_insert ON app.audit_log FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY audit_log_select ON app.audit_log FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY audit_log_update ON app.audit_log FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.billing ENABLE ROW LEVEL SECURITY;

CREATE POLICY billing_delete ON app.billing FOR DELETE USING (app.is_definer());

ALTER TABLE app.billing_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY billing_events_definer ON app.billing_events USING (app.is_definer()) WITH CHECK (app.is_definer());

CREATE POLICY billing_insert ON app.billing FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY billing_select ON app.billing FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 4))));

CREATE POLICY billing_update ON app.billing FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.crew_links ENABLE ROW LEVEL SECURITY;

CREATE POLICY crew_links_definer ON app.crew_links USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.crew_members ENABLE ROW LEVEL SECURITY;

CREATE POLICY crew_members_delete ON app.crew_members FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY crew_members_insert ON app.crew_members FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY crew_members_select ON app.crew_members FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY crew_members_update ON app.crew_members FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.crews ENABLE ROW LEVEL SECURITY;

CREATE POLICY crews_crew_select ON app.crews AS RESTRICTIVE FOR SELECT USING ((( SELECT app.crew_keyless() AS crew_keyless) OR (( SELECT app.current_tenant() AS current_tenant) IS NOT NULL) OR app.crew_sees_crew(tenant_id, id)));

CREATE POLICY crews_delete ON app.crews FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY crews_insert ON app.crews FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY crews_select ON app.crews FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

CREATE POLICY crews_update ON app.crews FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.customers ENABLE ROW LEVEL SECURITY;

CREATE POLICY customers_delete ON app.customers FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY customers_insert ON app.customers FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY customers_select ON app.customers FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY customers_update ON app.customers FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.employees ENABLE ROW LEVEL SECURITY;

CREATE POLICY employees_crew_select ON app.employees AS RESTRICTIVE FOR SELECT USING ((( SELECT app.crew_keyless() AS crew_keyless) OR (( SELECT app.current_tenant() AS current_tenant) IS NOT NULL) OR app.crew_sees_employee(tenant_id, id)));

CREATE POLICY employees_delete ON app.employees FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY employees_insert ON app.employees FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY employees_select ON app.employees FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

CREATE POLICY employees_update ON app.employees FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.impersonations ENABLE ROW LEVEL SECURITY;

CREATE POLICY impersonations_delete ON app.impersonations FOR DELETE USING (app.is_definer());

CREATE POLICY impersonations_insert ON app.impersonations FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY impersonations_select ON app.impersonations FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY impersonations_update ON app.impersonations FOR UPDATE USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.invitations ENABLE ROW LEVEL SECURITY;

CREATE POLICY invitations_delete ON app.invitations FOR DELETE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY invitations_insert ON app.invitations FOR INSERT WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY invitations_select ON app.invitations FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY invitations_update ON app.invitations FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

ALTER TABLE app.memberships ENABLE ROW LEVEL SECURITY;

CREATE POLICY memberships_delete ON app.memberships FOR DELETE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY memberships_insert ON app.memberships FOR INSERT WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

CREATE POLICY memberships_select ON app.memberships FOR SELECT USING ((app.is_definer() OR (tenant_id = ( SELECT app.current_tenant() AS current_tenant))));

CREATE POLICY memberships_update ON app.memberships FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

ALTER TABLE app.mfa_challenges ENABLE ROW LEVEL SECURITY;

CREATE POLICY mfa_challenges_definer ON app.mfa_challenges USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.outbox ENABLE ROW LEVEL SECURITY;

CREATE POLICY outbox_definer ON app.outbox USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.password_history ENABLE ROW LEVEL SECURITY;

CREATE POLICY password_history_definer ON app.password_history USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.pours ENABLE ROW LEVEL SECURITY;

CREATE POLICY pours_crew_select ON app.pours AS RESTRICTIVE FOR SELECT USING ((( SELECT app.crew_keyless() AS crew_keyless) OR (( SELECT app.current_tenant() AS current_tenant) IS NOT NULL) OR app.crew_sees_pour(tenant_id, id)));

CREATE POLICY pours_delete ON app.pours FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY pours_insert ON app.pours FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY pours_select ON app.pours FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

CREATE POLICY pours_update ON app.pours FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;

CREATE POLICY projects_crew_select ON app.projects AS RESTRICTIVE FOR SELECT USING ((( SELECT app.crew_keyless() AS crew_keyless) OR (( SELECT app.current_tenant() AS current_tenant) IS NOT NULL) OR app.crew_sees_project(tenant_id, id)));

CREATE POLICY projects_delete ON app.projects FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY projects_insert ON app.projects FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY projects_select ON app.projects FOR SELECT USING ((tenant_id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce")));

CREATE POLICY projects_update ON app.projects FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.rate_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY rate_events_definer ON app.rate_events USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.recovery_codes ENABLE ROW LEVEL SECURITY;

CREATE POLICY recovery_codes_definer ON app.recovery_codes USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.refresh_tokens ENABLE ROW LEVEL SECURITY;

CREATE POLICY refresh_tokens_definer ON app.refresh_tokens USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.regions ENABLE ROW LEVEL SECURITY;

CREATE POLICY regions_delete ON app.regions FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY regions_insert ON app.regions FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY regions_select ON app.regions FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY regions_update ON app.regions FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.reminders ENABLE ROW LEVEL SECURITY;

CREATE POLICY reminders_delete ON app.reminders FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY reminders_insert ON app.reminders FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY reminders_jobs ON app.reminders USING (app.is_definer()) WITH CHECK (app.is_definer());

CREATE POLICY reminders_select ON app.reminders FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY reminders_update ON app.reminders FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.sessions ENABLE ROW LEVEL SECURITY;

CREATE POLICY sessions_delete ON app.sessions FOR DELETE USING (app.is_definer());

CREATE POLICY sessions_insert ON app.sessions FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY sessions_select ON app.sessions FOR SELECT USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id)))));

CREATE POLICY sessions_update ON app.sessions FOR UPDATE USING ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id))))) WITH CHECK ((app.is_definer() OR ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (user_id = ( SELECT app.current_user_id() AS current_user_id)) AND (revoked_at IS NOT NULL))));

ALTER TABLE app.sheet_auto ENABLE ROW LEVEL SECURITY;

CREATE POLICY sheet_auto_definer ON app.sheet_auto USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.sheet_notices ENABLE ROW LEVEL SECURITY;

CREATE POLICY sheet_notices_definer ON app.sheet_notices USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.sheet_sends ENABLE ROW LEVEL SECURITY;

CREATE POLICY sheet_sends_definer ON app.sheet_sends USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.tenants ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenants_delete ON app.tenants FOR DELETE USING ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 4))));

CREATE POLICY tenants_insert ON app.tenants FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY tenants_select ON app.tenants FOR SELECT USING ((app.is_definer() OR (id = ( SELECT COALESCE(app.current_tenant(), app.crew_tenant()) AS "coalesce"))));

CREATE POLICY tenants_update ON app.tenants FOR UPDATE USING ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3)))) WITH CHECK ((app.is_definer() OR ((id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 3))));

ALTER TABLE app.travelers ENABLE ROW LEVEL SECURITY;

CREATE POLICY travelers_delete ON app.travelers FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY travelers_insert ON app.travelers FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY travelers_select ON app.travelers FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY travelers_update ON app.travelers FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.trips ENABLE ROW LEVEL SECURITY;

CREATE POLICY trips_delete ON app.trips FOR DELETE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY trips_insert ON app.trips FOR INSERT WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

CREATE POLICY trips_select ON app.trips FOR SELECT USING ((tenant_id = ( SELECT app.current_tenant() AS current_tenant)));

CREATE POLICY trips_update ON app.trips FOR UPDATE USING (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable))) WITH CHECK (((tenant_id = ( SELECT app.current_tenant() AS current_tenant)) AND (( SELECT app.current_rank() AS current_rank) >= 2) AND ( SELECT app.tenant_writable() AS tenant_writable)));

ALTER TABLE app.user_tokens ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_tokens_definer ON app.user_tokens USING (app.is_definer()) WITH CHECK (app.is_definer());

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;

CREATE POLICY users_delete ON app.users FOR DELETE USING (app.is_definer());

CREATE POLICY users_insert ON app.users FOR INSERT WITH CHECK (app.is_definer());

CREATE POLICY users_select ON app.users FOR SELECT USING ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id)) OR (EXISTS ( SELECT 1
   FROM app.memberships m
  WHERE ((m.user_id = users.id) AND (m.tenant_id = ( SELECT app.current_tenant() AS current_tenant)))))));

CREATE POLICY users_update ON app.users FOR UPDATE USING ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id)))) WITH CHECK ((app.is_definer() OR (id = ( SELECT app.current_user_id() AS current_user_id))));

ALTER TABLE app.weather_cache ENABLE ROW LEVEL SECURITY;

CREATE POLICY weather_cache_definer ON app.weather_cache USING (app.is_definer()) WITH CHECK (app.is_definer());

GRANT USAGE ON SCHEMA app TO planyard_app;
GRANT USAGE ON SCHEMA app TO planyard_auth;
GRANT USAGE ON SCHEMA app TO planyard_jobs;

GRANT USAGE ON SCHEMA platform TO planyard_platform;

REVOKE USAGE ON SCHEMA public FROM PUBLIC;

REVOKE ALL ON FUNCTION app.assignments_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.assignments_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.assignments_follow_pour() FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_follow_pour() TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_follow_pour() TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_follow_pour() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.assignments_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.assignments TO planyard_app;

REVOKE ALL ON FUNCTION app.assignments_json(c app.assignments) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_json(c app.assignments) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_json(c app.assignments) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_json(c app.assignments) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.assignments_notice() FROM PUBLIC;

REVOKE ALL ON FUNCTION app.assignments_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.assignments_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.assignments_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.assignments_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.assignments_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_as(p_tenant uuid, p_actor uuid, p_actor_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) FROM PUBLIC;

GRANT SELECT ON TABLE app.audit_log TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_content(a app.audit_log) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_content(a app.audit_log) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_content(a app.audit_log) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_content(a app.audit_log) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_content_v2(a app.audit_log, d bytea[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_erase_fields(p_tenant uuid, p_ids uuid[], p_fields integer[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_erase_person(p_user uuid, p_email text, p_name text, p_tenants uuid[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_erase_record(p_type text, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_erase_record(p_type text, p_id uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_erase_trip_record(p_type text, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_erase_trip_record(p_type text, p_id uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.audit_guard() FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_guard() TO planyard_app;
GRANT ALL ON FUNCTION app.audit_guard() TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_guard() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_json(a app.audit_log) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_json(a app.audit_log) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_json(a app.audit_log) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_json(a app.audit_log) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_pii_check(a app.audit_log) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_pii_check(a app.audit_log) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_pii_check(a app.audit_log) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_pii_check(a app.audit_log) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_pii_values(a app.audit_log) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_pii_values(a app.audit_log) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_pii_values(a app.audit_log) TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_pii_values(a app.audit_log) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_row() FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_row() TO planyard_app;
GRANT ALL ON FUNCTION app.audit_row() TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_row() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.audit_session(p_action text, p_entity_type text, p_entity_id text, p_changes jsonb) TO planyard_auth;

REVOKE ALL ON FUNCTION app.audit_verify() FROM PUBLIC;
GRANT ALL ON FUNCTION app.audit_verify() TO planyard_app;
GRANT ALL ON FUNCTION app.audit_verify() TO planyard_auth;
GRANT ALL ON FUNCTION app.audit_verify() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.audit_write(p_tenant uuid, p_actor uuid, p_email text, p_kind text, p_action text, p_entity_type text, p_entity_id text, p_changes jsonb, p_ip text) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.auth_confirm(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_confirm(p_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_device_notice(p_session uuid, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_device_notice(p_session uuid, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_email_confirm(p_token text, p_subject text, p_body bytea, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_email_confirm(p_token text, p_subject text, p_body bytea, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_forgot(p_slug text, p_email text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_forgot(p_slug text, p_email text, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_lockout_notice(p_email text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_lockout_notice(p_email text, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_login_failed(p_tenant uuid, p_user uuid, p_email text, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_login_failed(p_tenant uuid, p_user uuid, p_email text, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_login_lookup(p_slug text, p_email text, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_login_lookup(p_slug text, p_email text, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_refresh(p_old_token text, p_new_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_refresh(p_old_token text, p_new_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_resend(p_email text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_resend(p_email text, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_reset_apply(p_token text, p_hash text, p_history text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_reset_apply(p_token text, p_hash text, p_history text, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_reset_lookup(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_reset_lookup(p_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_session_create(p_tenant uuid, p_user uuid, p_proof_kind text, p_proof text, p_key_hash bytea, p_key_sealed bytea, p_refresh_hash bytea, p_ip text, p_ua text, p_email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_session_create(p_tenant uuid, p_user uuid, p_proof_kind text, p_proof text, p_key_hash bytea, p_key_sealed bytea, p_refresh_hash bytea, p_ip text, p_ua text, p_email text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.auth_signup(p_slug text, p_ws_name text, p_name text, p_email text, p_hash text, p_history text, p_subject_new text, p_body_new bytea, p_subject_existing text, p_body_existing bytea, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.auth_signup(p_slug text, p_ws_name text, p_name text, p_email text, p_hash text, p_history text, p_subject_new text, p_body_new bytea, p_subject_existing text, p_body_existing bytea, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.bad(field text, code text, message text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.bad(field text, code text, message text) TO planyard_app;
GRANT ALL ON FUNCTION app.bad(field text, code text, message text) TO planyard_auth;
GRANT ALL ON FUNCTION app.bad(field text, code text, message text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.billing_account() FROM PUBLIC;
GRANT ALL ON FUNCTION app.billing_account() TO planyard_app;
GRANT ALL ON FUNCTION app.billing_account() TO planyard_auth;
GRANT ALL ON FUNCTION app.billing_account() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.billing_apply(e jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.billing_apply(e jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.billing_json() FROM PUBLIC;
GRANT ALL ON FUNCTION app.billing_json() TO planyard_app;
GRANT ALL ON FUNCTION app.billing_json() TO planyard_auth;
GRANT ALL ON FUNCTION app.billing_json() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.billing_live(p_status text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.billing_live(p_status text) TO planyard_app;
GRANT ALL ON FUNCTION app.billing_live(p_status text) TO planyard_auth;
GRANT ALL ON FUNCTION app.billing_live(p_status text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_begin(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_begin(p_token text) TO planyard_app;

REVOKE ALL ON FUNCTION app.crew_context(OUT link_id uuid, OUT tenant_id uuid, OUT employee_id uuid, OUT today date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_context(OUT link_id uuid, OUT tenant_id uuid, OUT employee_id uuid, OUT today date) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_context(OUT link_id uuid, OUT tenant_id uuid, OUT employee_id uuid, OUT today date) TO planyard_auth;

REVOKE ALL ON FUNCTION app.crew_employee() FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_employee() TO planyard_app;
GRANT ALL ON FUNCTION app.crew_employee() TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_employee() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_keyless() FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_keyless() TO planyard_app;
GRANT ALL ON FUNCTION app.crew_keyless() TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_keyless() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_link_admin(p_employee uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.crew_link_alive(l app.crew_links) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_link_alive(l app.crew_links) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_link_alive(l app.crew_links) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_link_alive(l app.crew_links) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_link_create(p_employee uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_link_create(p_employee uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.crew_link_get(p_employee uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_link_get(p_employee uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.crew_link_json(l app.crew_links) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_link_json(l app.crew_links) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_link_json(l app.crew_links) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_link_json(l app.crew_links) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_link_revoke(p_employee uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_link_revoke(p_employee uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.crew_schedule() FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_schedule() TO planyard_app;
GRANT ALL ON FUNCTION app.crew_schedule() TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_schedule() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_sees_assignment(p_employee uuid, p_date date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_sees_crew(p_tenant uuid, p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_sees_employee(p_tenant uuid, p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_sees_pour(p_tenant uuid, p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_sees_project(p_tenant uuid, p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_tenant() FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_tenant() TO planyard_app;
GRANT ALL ON FUNCTION app.crew_tenant() TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_tenant() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_today() FROM PUBLIC;
GRANT ALL ON FUNCTION app.crew_today() TO planyard_app;
GRANT ALL ON FUNCTION app.crew_today() TO planyard_auth;
GRANT ALL ON FUNCTION app.crew_today() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crew_touch() FROM PUBLIC;

REVOKE ALL ON FUNCTION app.crews_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crews_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crews_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.crews TO planyard_app;

REVOKE ALL ON FUNCTION app.crews_json(c app.crews) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_json(c app.crews) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_json(c app.crews) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_json(c app.crews) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crews_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crews_set_members(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_set_members(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_set_members(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_set_members(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.crews_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.crews_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.crews_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.crews_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.current_rank() FROM PUBLIC;
GRANT ALL ON FUNCTION app.current_rank() TO planyard_app;
GRANT ALL ON FUNCTION app.current_rank() TO planyard_auth;
GRANT ALL ON FUNCTION app.current_rank() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.current_session_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app.current_session_id() TO planyard_app;
GRANT ALL ON FUNCTION app.current_session_id() TO planyard_auth;
GRANT ALL ON FUNCTION app.current_session_id() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.current_tenant() FROM PUBLIC;
GRANT ALL ON FUNCTION app.current_tenant() TO planyard_app;
GRANT ALL ON FUNCTION app.current_tenant() TO planyard_auth;
GRANT ALL ON FUNCTION app.current_tenant() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app.current_user_id() TO planyard_app;
GRANT ALL ON FUNCTION app.current_user_id() TO planyard_auth;
GRANT ALL ON FUNCTION app.current_user_id() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.cursor_date(after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.cursor_date(after text) TO planyard_app;
GRANT ALL ON FUNCTION app.cursor_date(after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.cursor_date(after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.cursor_id(after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.cursor_id(after text) TO planyard_app;
GRANT ALL ON FUNCTION app.cursor_id(after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.cursor_id(after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.cursor_seq(after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.cursor_seq(after text) TO planyard_app;
GRANT ALL ON FUNCTION app.cursor_seq(after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.cursor_seq(after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.cursor_ts(after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.cursor_ts(after text) TO planyard_app;
GRANT ALL ON FUNCTION app.cursor_ts(after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.cursor_ts(after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.customers_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.customers_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.customers_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.customers TO planyard_app;

REVOKE ALL ON FUNCTION app.customers_json(c app.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_json(c app.customers) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_json(c app.customers) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_json(c app.customers) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.customers_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.customers_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.customers_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.customers_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.customers_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) TO planyard_app;
GRANT ALL ON FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.day_sheet_rows(p_tenant uuid, p_date date, p_employees uuid[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.day_sheets(p_date date, p_employees uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.day_sheets(p_date date, p_employees uuid[]) TO planyard_app;
GRANT ALL ON FUNCTION app.day_sheets(p_date date, p_employees uuid[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.day_sheets(p_date date, p_employees uuid[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.definer_enter(p_presession boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app.definer_enter(p_presession boolean) TO planyard_app;
GRANT ALL ON FUNCTION app.definer_enter(p_presession boolean) TO planyard_auth;
GRANT ALL ON FUNCTION app.definer_enter(p_presession boolean) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.employees_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.employees_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.employees_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.employees TO planyard_app;

REVOKE ALL ON FUNCTION app.employees_json(c app.employees) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_json(c app.employees) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_json(c app.employees) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_json(c app.employees) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.employees_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.employees_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.employees_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.employees_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.employees_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.export_manpower(p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.export_manpower(p_from date, p_to date) TO planyard_app;
GRANT ALL ON FUNCTION app.export_manpower(p_from date, p_to date) TO planyard_auth;
GRANT ALL ON FUNCTION app.export_manpower(p_from date, p_to date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.export_schedule(p_from date, p_to date, p_region uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.export_travelers(p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.export_travelers(p_from date, p_to date) TO planyard_app;
GRANT ALL ON FUNCTION app.export_travelers(p_from date, p_to date) TO planyard_auth;
GRANT ALL ON FUNCTION app.export_travelers(p_from date, p_to date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.export_trips(p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.export_trips(p_from date, p_to date) TO planyard_app;
GRANT ALL ON FUNCTION app.export_trips(p_from date, p_to date) TO planyard_auth;
GRANT ALL ON FUNCTION app.export_trips(p_from date, p_to date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.hhmm(t time without time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app.hhmm(t time without time zone) TO planyard_app;
GRANT ALL ON FUNCTION app.hhmm(t time without time zone) TO planyard_auth;
GRANT ALL ON FUNCTION app.hhmm(t time without time zone) TO planyard_jobs;

GRANT SELECT ON TABLE app.impersonations TO planyard_app;

REVOKE ALL ON FUNCTION app.impersonation_json(i app.impersonations) FROM PUBLIC;
GRANT ALL ON FUNCTION app.impersonation_json(i app.impersonations) TO planyard_app;
GRANT ALL ON FUNCTION app.impersonation_json(i app.impersonations) TO planyard_auth;
GRANT ALL ON FUNCTION app.impersonation_json(i app.impersonations) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.impersonation_notice(p_impersonation uuid, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.impersonation_notice(p_impersonation uuid, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.impersonation_redeem(p_token text, p_key_hash bytea, p_key_sealed bytea, p_ip text, p_ua text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.impersonation_redeem(p_token text, p_key_hash bytea, p_key_sealed bytea, p_ip text, p_ua text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.impersonation_revoke(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.impersonation_revoke(p_id uuid) TO planyard_app;

REVOKE ALL ON FUNCTION app.impersonations_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.impersonations_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.impersonations_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.impersonations_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.invitation_accept(p_token text, p_user uuid, p_name text, p_hash text, p_history text, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_accept(p_token text, p_user uuid, p_name text, p_hash text, p_history text, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) TO planyard_app;
GRANT ALL ON FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) TO planyard_auth;
GRANT ALL ON FUNCTION app.invitation_create(b jsonb, p_token_hash bytea, p_subject text, p_body bytea) TO planyard_jobs;

GRANT SELECT,INSERT,UPDATE ON TABLE app.invitations TO planyard_app;

REVOKE ALL ON FUNCTION app.invitation_json(i app.invitations) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_json(i app.invitations) TO planyard_app;
GRANT ALL ON FUNCTION app.invitation_json(i app.invitations) TO planyard_auth;
GRANT ALL ON FUNCTION app.invitation_json(i app.invitations) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.invitation_lookup(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_lookup(p_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.invitation_notice(p_token text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_notice(p_token text, p_subject text, p_body bytea) TO planyard_auth;

REVOKE ALL ON FUNCTION app.invitation_revoke(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitation_revoke(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.invitation_revoke(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.invitation_revoke(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.invitations_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invitations_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.invitations_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.invitations_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.invite_attempt(p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.invite_attempt(p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.is_definer() FROM PUBLIC;
GRANT ALL ON FUNCTION app.is_definer() TO planyard_app;
GRANT ALL ON FUNCTION app.is_definer() TO planyard_auth;
GRANT ALL ON FUNCTION app.is_definer() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.jtext(v text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.jtext(v text) TO planyard_app;
GRANT ALL ON FUNCTION app.jtext(v text) TO planyard_auth;
GRANT ALL ON FUNCTION app.jtext(v text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.jts(v timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app.jts(v timestamp with time zone) TO planyard_app;
GRANT ALL ON FUNCTION app.jts(v timestamp with time zone) TO planyard_auth;
GRANT ALL ON FUNCTION app.jts(v timestamp with time zone) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.juuid(v uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.juuid(v uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.juuid(v uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.juuid(v uuid) TO planyard_jobs;

GRANT SELECT(tenant_id) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(tenant_id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(id) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(user_id) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(user_id) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(aal) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(aal) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(created_at) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(created_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(last_used_at) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(last_used_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(expires_at) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(expires_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(revoked_at) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(revoked_at),UPDATE(revoked_at) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(ip) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(ip) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(user_agent) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(user_agent) ON TABLE app.sessions TO planyard_app;

GRANT SELECT(impersonation_id) ON TABLE app.sessions TO planyard_auth;
GRANT SELECT(impersonation_id) ON TABLE app.sessions TO planyard_app;

REVOKE ALL ON FUNCTION app.live_session() FROM PUBLIC;

REVOKE ALL ON FUNCTION app.mail_enqueue(p_recipient text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mail_enqueue(p_recipient text, p_subject text, p_body bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.manpower(p_from date, p_to date, p_region uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.manpower(p_from date, p_to date, p_region uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.manpower(p_from date, p_to date, p_region uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.manpower(p_from date, p_to date, p_region uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.me_delete() FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_delete() TO planyard_app;

REVOKE ALL ON FUNCTION app.me_delete_erase() FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_delete_erase() TO planyard_app;

REVOKE ALL ON FUNCTION app.me_email_change(p_new text, p_subject text, p_body bytea, p_subject_taken text, p_body_taken bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_email_change(p_new text, p_subject text, p_body bytea, p_subject_taken text, p_body_taken bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.me_export() FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_export() TO planyard_app;

REVOKE ALL ON FUNCTION app.me_password_material() FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_password_material() TO planyard_app;

REVOKE ALL ON FUNCTION app.me_password_set(p_hash text, p_history text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.me_password_set(p_hash text, p_history text, p_subject text, p_body bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.member_change(p_user uuid, p_role text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.member_change(p_user uuid, p_role text) TO planyard_app;
GRANT ALL ON FUNCTION app.member_change(p_user uuid, p_role text) TO planyard_auth;
GRANT ALL ON FUNCTION app.member_change(p_user uuid, p_role text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.member_json(p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.member_json(p_user uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.member_json(p_user uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.member_json(p_user uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.members_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.members_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.members_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.members_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.mfa_activate(p_pending bytea, p_step bigint, p_hashes text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_activate(p_pending bytea, p_step bigint, p_hashes text[]) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_challenge_create(p_tenant uuid, p_user uuid, p_proof text, p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_challenge_create(p_tenant uuid, p_user uuid, p_proof text, p_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.mfa_challenge_secret(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_challenge_secret(p_token text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.mfa_challenge_verify(p_token text, p_step bigint, p_recovery bytea, p_ip text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_challenge_verify(p_token text, p_step bigint, p_recovery bytea, p_ip text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer) TO planyard_app;
GRANT ALL ON FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer) TO planyard_auth;
GRANT ALL ON FUNCTION app.mfa_check(u uuid, p_step bigint, p_recovery bytea, OUT status text, OUT retry_after integer) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.mfa_confirm(p_step bigint, p_recovery bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_confirm(p_step bigint, p_recovery bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_disable(p_step bigint, p_recovery bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_disable(p_step bigint, p_recovery bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_enrol_start(p_sealed bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_enrol_start(p_sealed bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_factor_use(p_user uuid, p_step bigint, p_recovery bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.mfa_material() FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_material() TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_recovery_regenerate(p_step bigint, p_recovery bytea, p_hashes text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.mfa_recovery_regenerate(p_step bigint, p_recovery bytea, p_hashes text[]) TO planyard_app;

REVOKE ALL ON FUNCTION app.mfa_recovery_replace(p_user uuid, p_hashes text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.mfa_retry_after(p_user uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.new_token() FROM PUBLIC;
GRANT ALL ON FUNCTION app.new_token() TO planyard_app;
GRANT ALL ON FUNCTION app.new_token() TO planyard_auth;
GRANT ALL ON FUNCTION app.new_token() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.notice_admins(p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.notice_admins(p_subject text, p_body bytea) TO planyard_app;

REVOKE ALL ON FUNCTION app.outbox_claim(p_limit integer, p_lease_s integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app.outbox_claim(p_limit integer, p_lease_s integer) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.outbox_done(p_id bigint, p_ok boolean, p_error text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.outbox_done(p_id bigint, p_ok boolean, p_error text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.password_proof_ok(p_user uuid, p_proof text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.password_proof_ok(p_user uuid, p_proof text) TO planyard_app;
GRANT ALL ON FUNCTION app.password_proof_ok(p_user uuid, p_proof text) TO planyard_auth;
GRANT ALL ON FUNCTION app.password_proof_ok(p_user uuid, p_proof text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.password_set(p_user uuid, p_hash text, p_history text, p_subject text, p_body bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) TO planyard_app;
GRANT ALL ON FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) TO planyard_auth;
GRANT ALL ON FUNCTION app.pour_move_check(t uuid, p_id uuid, day date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pour_notify_query(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pour_notify_query(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.pour_notify_query(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.pour_notify_query(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pour_weather_query(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pour_weather_query(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.pour_weather_query(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.pour_weather_query(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_cancel(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_cancel(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_cancel(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_cancel(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.pours TO planyard_app;

REVOKE ALL ON FUNCTION app.pours_json(c app.pours) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_json(c app.pours) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_json(c app.pours) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_json(c app.pours) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_json_with(c app.pours, conflicts json) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_json_with(c app.pours, conflicts json) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_json_with(c app.pours, conflicts json) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_json_with(c app.pours, conflicts json) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_notice() FROM PUBLIC;

REVOKE ALL ON FUNCTION app.pours_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_release() FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_release() TO planyard_app;
GRANT ALL ON FUNCTION app.pours_release() TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_release() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.pours_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.pours_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.pours_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.pours_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.privacy_retention(p_session_days integer, p_invitation_days integer, p_mail_days integer, p_failed_login_days integer, p_audit_ip_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app.privacy_retention(p_session_days integer, p_invitation_days integer, p_mail_days integer, p_failed_login_days integer, p_audit_ip_days integer) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.projects_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.projects_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.projects_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.projects TO planyard_app;

REVOKE ALL ON FUNCTION app.projects_json(c app.projects) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_json(c app.projects) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_json(c app.projects) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_json(c app.projects) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.projects_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.projects_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.projects_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.projects_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.projects_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.rate_hit(p_key text) FROM PUBLIC;

REVOKE ALL ON FUNCTION app.rate_retry_after(p_key text, p_max integer, p_window interval) FROM PUBLIC;
GRANT ALL ON FUNCTION app.rate_retry_after(p_key text, p_max integer, p_window interval) TO planyard_auth;

REVOKE ALL ON FUNCTION app.reauth_failed() FROM PUBLIC;
GRANT ALL ON FUNCTION app.reauth_failed() TO planyard_app;

REVOKE ALL ON FUNCTION app.reauth_retry_after() FROM PUBLIC;
GRANT ALL ON FUNCTION app.reauth_retry_after() TO planyard_app;

REVOKE ALL ON FUNCTION app.regions_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.regions_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.regions_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.regions TO planyard_app;

REVOKE ALL ON FUNCTION app.regions_json(c app.regions) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_json(c app.regions) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_json(c app.regions) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_json(c app.regions) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.regions_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.regions_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.regions_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.regions_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.regions_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminder_done(p_tenant uuid, p_id uuid, p_ok boolean, p_error text, p_max integer, p_outbox_subject text, p_outbox_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminder_done(p_tenant uuid, p_id uuid, p_ok boolean, p_error text, p_max integer, p_outbox_subject text, p_outbox_body bytea) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminder_subject_in_use() FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminder_subject_in_use() TO planyard_app;
GRANT ALL ON FUNCTION app.reminder_subject_in_use() TO planyard_auth;
GRANT ALL ON FUNCTION app.reminder_subject_in_use() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_check() FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_check() TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_check() TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_check() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_claim(p_limit integer, p_lease_s integer, p_skip uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_claim(p_limit integer, p_lease_s integer, p_skip uuid[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.reminders TO planyard_app;

REVOKE ALL ON FUNCTION app.reminders_json(c app.reminders) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_json(c app.reminders) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_json(c app.reminders) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_json(c app.reminders) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.reminders_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.reminders_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.reminders_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.reminders_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.request_begin(p_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.request_begin(p_key text) TO planyard_app;
GRANT ALL ON FUNCTION app.request_begin(p_key text) TO planyard_auth;

REVOKE ALL ON FUNCTION app.retention_run() FROM PUBLIC;
GRANT ALL ON FUNCTION app.retention_run() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.schedule_lock() FROM PUBLIC;
GRANT ALL ON FUNCTION app.schedule_lock() TO planyard_app;
GRANT ALL ON FUNCTION app.schedule_lock() TO planyard_auth;
GRANT ALL ON FUNCTION app.schedule_lock() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.session_alive(s app.sessions) FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_alive(s app.sessions) TO planyard_app;
GRANT ALL ON FUNCTION app.session_alive(s app.sessions) TO planyard_auth;
GRANT ALL ON FUNCTION app.session_alive(s app.sessions) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.session_context(OUT id uuid, OUT tenant_id uuid, OUT user_id uuid) TO planyard_auth;

REVOKE ALL ON FUNCTION app.session_impersonation() FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_impersonation() TO planyard_app;
GRANT ALL ON FUNCTION app.session_impersonation() TO planyard_auth;

REVOKE ALL ON FUNCTION app.session_key_hash() FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_key_hash() TO planyard_app;
GRANT ALL ON FUNCTION app.session_key_hash() TO planyard_auth;
GRANT ALL ON FUNCTION app.session_key_hash() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.session_profile() FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_profile() TO planyard_app;
GRANT ALL ON FUNCTION app.session_profile() TO planyard_auth;

REVOKE ALL ON FUNCTION app.session_rank() FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_rank() TO planyard_app;
GRANT ALL ON FUNCTION app.session_rank() TO planyard_auth;

REVOKE ALL ON FUNCTION app.session_tenant() FROM PUBLIC;
GRANT ALL ON FUNCTION app.session_tenant() TO planyard_app;
GRANT ALL ON FUNCTION app.session_tenant() TO planyard_auth;
GRANT ALL ON FUNCTION app.session_tenant() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) TO planyard_app;
GRANT ALL ON FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) TO planyard_auth;
GRANT ALL ON FUNCTION app.sheet_notice_owe(p_tenant uuid, p_employee uuid, p_pour uuid, p_kind text, p_old_date date, p_old_time text, p_new_date date, p_new_time text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_app;
GRANT ALL ON FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.sheet_notice_queue(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_notice_send(p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notice_send(p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_app;

REVOKE ALL ON FUNCTION app.sheet_notice_send_job(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notice_send_job(p_tenant uuid, p_pour uuid, p_kind text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_notices_of(p_tenant uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notices_of(p_tenant uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.sheet_notices_of(p_tenant uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.sheet_notices_of(p_tenant uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_notices_take() FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notices_take() TO planyard_app;

REVOKE ALL ON FUNCTION app.sheet_notices_take_job() FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_notices_take_job() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_send(p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_send(p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_app;

REVOKE ALL ON FUNCTION app.sheet_send_job(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_send_job(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_app;
GRANT ALL ON FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_auth;
GRANT ALL ON FUNCTION app.sheet_store(p_tenant uuid, p_date date, p_employee uuid, p_hash text, p_channels text[], p_recipients text[], p_subjects text[], p_bodies bytea[]) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheets_claim(p_tenant uuid, p_date date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheets_claim(p_tenant uuid, p_date date) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.sheets_due() FROM PUBLIC;
GRANT ALL ON FUNCTION app.sheets_due() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.tenant_writable() FROM PUBLIC;
GRANT ALL ON FUNCTION app.tenant_writable() TO planyard_app;
GRANT ALL ON FUNCTION app.tenant_writable() TO planyard_auth;
GRANT ALL ON FUNCTION app.tenant_writable() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.tenants_signup_kind() FROM PUBLIC;
GRANT ALL ON FUNCTION app.tenants_signup_kind() TO planyard_app;
GRANT ALL ON FUNCTION app.tenants_signup_kind() TO planyard_auth;
GRANT ALL ON FUNCTION app.tenants_signup_kind() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.travelers_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.travelers_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.travelers_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.travelers TO planyard_app;

REVOKE ALL ON FUNCTION app.travelers_json(c app.travelers) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_json(c app.travelers) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_json(c app.travelers) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_json(c app.travelers) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.travelers_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.travelers_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.travelers_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.travelers_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.travelers_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trial_advance(p_tenant uuid, p_stage text, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trial_advance(p_tenant uuid, p_stage text, p_subject text, p_body bytea) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trial_due() FROM PUBLIC;
GRANT ALL ON FUNCTION app.trial_due() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trial_rank(p_stage text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trial_rank(p_stage text) TO planyard_app;
GRANT ALL ON FUNCTION app.trial_rank(p_stage text) TO planyard_auth;
GRANT ALL ON FUNCTION app.trial_rank(p_stage text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trial_stage_at(p_end timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trial_stage_at(p_end timestamp with time zone) TO planyard_app;
GRANT ALL ON FUNCTION app.trial_stage_at(p_end timestamp with time zone) TO planyard_auth;
GRANT ALL ON FUNCTION app.trial_stage_at(p_end timestamp with time zone) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.trip_reminders_create(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trip_travelers(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trip_travelers(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.trip_travelers(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.trip_travelers(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.trip_travelers_create(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_check() FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_check() TO planyard_app;
GRANT ALL ON FUNCTION app.trips_check() TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_check() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_create(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_create(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_create(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_create(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_delete(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_delete(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_delete(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_delete(p_id uuid) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_drop_reminders() FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_drop_reminders() TO planyard_app;
GRANT ALL ON FUNCTION app.trips_drop_reminders() TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_drop_reminders() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_get(p_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_get(p_id uuid) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_get(p_id uuid) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_get(p_id uuid) TO planyard_jobs;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.trips TO planyard_app;

REVOKE ALL ON FUNCTION app.trips_json(c app.trips) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_json(c app.trips) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_json(c app.trips) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_json(c app.trips) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_move_reminders() FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_move_reminders() TO planyard_app;
GRANT ALL ON FUNCTION app.trips_move_reminders() TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_move_reminders() TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_page(f jsonb, lim integer, after text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_page(f jsonb, lim integer, after text) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_page(f jsonb, lim integer, after text) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_page(f jsonb, lim integer, after text) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.trips_update(p_id uuid, b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.trips_update(p_id uuid, b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.trips_update(p_id uuid, b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.trips_update(p_id uuid, b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.ts(timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app.ts(timestamp with time zone) TO planyard_app;
GRANT ALL ON FUNCTION app.ts(timestamp with time zone) TO planyard_auth;
GRANT ALL ON FUNCTION app.ts(timestamp with time zone) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.weather_cached(p_zip text, p_day date) FROM PUBLIC;
GRANT ALL ON FUNCTION app.weather_cached(p_zip text, p_day date) TO planyard_app;

REVOKE ALL ON FUNCTION app.weather_store(p_zip text, p_day date, p_payload jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.weather_store(p_zip text, p_day date, p_payload jsonb) TO planyard_app;

REVOKE ALL ON FUNCTION app.workspace_delete(p_slug text) FROM PUBLIC;
GRANT ALL ON FUNCTION app.workspace_delete(p_slug text) TO planyard_app;

REVOKE ALL ON FUNCTION app.workspace_get() FROM PUBLIC;
GRANT ALL ON FUNCTION app.workspace_get() TO planyard_app;
GRANT ALL ON FUNCTION app.workspace_get() TO planyard_auth;
GRANT ALL ON FUNCTION app.workspace_get() TO planyard_jobs;

GRANT SELECT ON TABLE app.tenants TO planyard_auth;
GRANT SELECT ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(name) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(timezone) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(primary_color) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(require_mfa_for_admins) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(updated_at) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(sheets_send_at) ON TABLE app.tenants TO planyard_app;

GRANT UPDATE(kind) ON TABLE app.tenants TO planyard_app;

REVOKE ALL ON FUNCTION app.workspace_json(t app.tenants) FROM PUBLIC;
GRANT ALL ON FUNCTION app.workspace_json(t app.tenants) TO planyard_app;
GRANT ALL ON FUNCTION app.workspace_json(t app.tenants) TO planyard_auth;
GRANT ALL ON FUNCTION app.workspace_json(t app.tenants) TO planyard_jobs;

REVOKE ALL ON FUNCTION app.workspace_update(b jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app.workspace_update(b jsonb) TO planyard_app;
GRANT ALL ON FUNCTION app.workspace_update(b jsonb) TO planyard_auth;
GRANT ALL ON FUNCTION app.workspace_update(b jsonb) TO planyard_jobs;

REVOKE ALL ON FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION platform.impersonate(p_slug text, p_email text, p_staff text, p_reason text, p_token_hash bytea) TO planyard_platform;

REVOKE ALL ON FUNCTION platform.impersonation_granted_notice(p_impersonation uuid, p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION platform.impersonation_granted_notice(p_impersonation uuid, p_subject text, p_body bytea) TO planyard_platform;

REVOKE ALL ON FUNCTION platform.notify_owners(p_subject text, p_body bytea) FROM PUBLIC;
GRANT ALL ON FUNCTION platform.notify_owners(p_subject text, p_body bytea) TO planyard_platform;

GRANT SELECT ON TABLE app.billing TO planyard_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE app.crew_members TO planyard_app;

GRANT SELECT ON TABLE app.memberships TO planyard_auth;
GRANT SELECT,DELETE ON TABLE app.memberships TO planyard_app;

GRANT UPDATE(role) ON TABLE app.memberships TO planyard_app;

GRANT SELECT(id) ON TABLE app.users TO planyard_auth;
GRANT SELECT(id) ON TABLE app.users TO planyard_app;

GRANT SELECT(email) ON TABLE app.users TO planyard_auth;
GRANT SELECT(email) ON TABLE app.users TO planyard_app;

GRANT SELECT(name) ON TABLE app.users TO planyard_auth;
GRANT SELECT(name),UPDATE(name) ON TABLE app.users TO planyard_app;

GRANT SELECT(email_confirmed_at) ON TABLE app.users TO planyard_auth;
GRANT SELECT(email_confirmed_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(totp_enabled_at) ON TABLE app.users TO planyard_auth;
GRANT SELECT(totp_enabled_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(created_at) ON TABLE app.users TO planyard_auth;
GRANT SELECT(created_at) ON TABLE app.users TO planyard_app;

GRANT SELECT(updated_at) ON TABLE app.users TO planyard_auth;
GRANT SELECT(updated_at),UPDATE(updated_at) ON TABLE app.users TO planyard_app;

ALTER DEFAULT PRIVILEGES FOR ROLE planyard_owner REVOKE ALL ON FUNCTIONS  FROM PUBLIC;
