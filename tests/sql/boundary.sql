-- The database boundary of issue 14, generated from the catalog: every function of schemas app
-- and platform that a server role may EXECUTE is called as that role, with no live session,
-- with settings a caller could forge (app.definer_tenant/actor naming workspace A and its
-- owner, app.client_ip) and with hostile arguments (A's ids, chosen hashes, A's own sealed
-- material from other slots, header injections, a billing event naming A). Nothing of A may
-- change and, for the request role, nothing may change at all and nothing of A may come back.
--
-- A pgTAP script run by tests/api/test_db_boundary_sql.py with psql as the cluster's
-- superuser, passing a_tenant, a_user, a_email, a_slug, a_reminder (workspace A). The
-- superuser takes the fingerprints (it bypasses row-level security); each call runs under SET
-- ROLE, in its own subtransaction. Everything is rolled back at the end.
-- Each description starts with its role in brackets.

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only on
\pset pager off

begin;
create schema tap;
create extension pgtap schema tap;
set search_path = tap, pg_catalog;
select * from no_plan();

create table tap.ctx (k text primary key, v text);
insert into tap.ctx values ('tenant', :'a_tenant'), ('user', :'a_user'), ('email', :'a_email'),
  ('slug', :'a_slug'), ('reminder', :'a_reminder');
create function tap.c(p text) returns text language sql stable as $$ select v from tap.ctx where k = p $$;

-- What of A must never come back to the request role (none of it is ever an argument).
create table tap.secret (s text);
insert into tap.secret
  select password_hash from app.users where id = tap.c('user')::uuid
  union all select encode(key_hash, 'hex') from app.sessions where user_id = tap.c('user')::uuid
  union all select encode(key_sealed, 'hex') from app.sessions where user_id = tap.c('user')::uuid and key_sealed is not null
  union all select u.name from app.users u where u.id = tap.c('user')::uuid
  union all select c.name from app.customers c where c.tenant_id = tap.c('tenant')::uuid;

-- Hostile literals by argument type: variant v (1-3) gives the k-th argument of a type
-- (0-based) the k-th value of its list, so that the first uuid names A's workspace and the
-- second its owner (the shape of most signatures), and the variants shuffle them.
create table tap.hostile (t regtype, v int, vals text[], primary key (t, v));
create function tap.lits(variadic x text[]) returns text[] language sql immutable as $$ select x $$;
create function tap.q(p text) returns text language sql stable as $$ select quote_literal(tap.c(p)) $$;
create function tap.sealed_a() returns text language sql stable as $$
  select coalesce(quote_literal((select key_sealed::text from app.sessions where user_id = tap.c('user')::uuid
                                 and key_sealed is not null limit 1)) || '::bytea', 'null') $$;
create function tap.key_hash_a() returns text language sql stable as $$
  select coalesce(quote_literal((select key_hash::text from app.sessions where user_id = tap.c('user')::uuid
                                 limit 1)) || '::bytea', 'null') $$;
insert into tap.hostile values
  ('uuid', 1, tap.lits(tap.q('tenant'), tap.q('user'), tap.q('reminder'))),
  ('uuid', 2, tap.lits(tap.q('user'), tap.q('tenant'), tap.q('user'))),
  ('uuid', 3, tap.lits(tap.q('reminder'), tap.q('tenant'), tap.q('user'))),
  ('text', 1, tap.lits(tap.q('slug'), tap.q('email'), quote_literal('password'), quote_literal('chosen-secret'))),
  ('text', 2, tap.lits(tap.q('email'), tap.q('slug'), quote_literal('chosen-secret'), tap.q('email'))),
  ('text', 3, tap.lits(quote_literal('aal1'), quote_literal(E'x@example.com\r\nBcc: evil@example.com'),
                       quote_literal('password'), quote_literal(E'Hi\r\nBcc: evil@example.com'))),
  ('bytea', 1, tap.lits('sha256(''chosen-secret''::bytea)', tap.sealed_a(), 'sha256(''chosen-refresh''::bytea)')),
  ('bytea', 2, tap.lits(tap.key_hash_a(), 'sha256(''chosen-secret''::bytea)', 'sha256(''x''::bytea)')),
  ('bytea', 3, tap.lits(tap.sealed_a(), 'sha256(''x''::bytea)', 'sha256(''chosen-secret''::bytea)')),
  ('bigint', 1, tap.lits('floor(extract(epoch from now()) / 30)::bigint')), ('bigint', 2, tap.lits('1')),
  ('bigint', 3, tap.lits('-1')),
  ('integer', 1, tap.lits('1000')), ('integer', 2, tap.lits('0')), ('integer', 3, tap.lits('-1')),
  ('boolean', 1, tap.lits('true')), ('boolean', 2, tap.lits('false')), ('boolean', 3, tap.lits('null')),
  ('jsonb', 1, tap.lits(quote_literal(format('{"id": "evt_boundary", "type": "customer.subscription.deleted", '
                                             '"data": {"object": {"id": "sub_x", "status": "canceled", '
                                             '"metadata": {"workspace_id": "%s"}}}}', tap.c('tenant'))))),
  ('jsonb', 2, tap.lits(quote_literal(format('{"email": "%s", "role": "owner", "name": "x"}', tap.c('email'))))),
  ('jsonb', 3, tap.lits('''{}''')),
  ('interval', 1, tap.lits('''1 hour''')), ('interval', 2, tap.lits('''0''')), ('interval', 3, tap.lits('null')),
  ('date', 1, tap.lits('current_date')), ('date', 2, tap.lits('''2000-01-01''')), ('date', 3, tap.lits('null')),
  ('text[]', 1, tap.lits('array_fill(encode(sha256(''x''::bytea), ''hex''), array[10])')),
  ('text[]', 2, tap.lits('''{}''')), ('text[]', 3, tap.lits('null'));

-- The calls, one per executable function and variant.
create function tap.calls(p_role name) returns table(fn text, sql text) language sql stable as $$
  select p.oid::regprocedure::text,
         format('select coalesce(string_agg(x::text, '',''), '''') from %s.%I(%s) x', n.nspname, p.proname,
                coalesce((select string_agg(coalesce(h.vals[1 + (a.k % cardinality(h.vals))], 'null')
                                            || '::' || format_type(a.t, null), ', ' order by a.i)
                          from (select a0.t, a0.i, (row_number() over (partition by a0.t order by a0.i) - 1)::int k
                                from unnest(p.proargtypes::regtype[]) with ordinality a0(t, i)) a
                          left join tap.hostile h on h.t = a.t and h.v = v.v), ''))
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace, generate_series(1, 3) v(v)
  where n.nspname in ('app', 'platform') and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
    and has_function_privilege(p_role, p.oid, 'EXECUTE')
  order by 1, v.v
$$;

-- A fingerprint of the tables named, as the superuser sees them (every row), optionally
-- only the rows of workspace A / its owner.
create function tap.fingerprint(p_only_a boolean, p_skip text[]) returns text language plpgsql as $$
declare
  tbl text;
  cond text;
  h text;
  acc text := '';
begin
  for tbl in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'app' and c.relkind = 'r' and c.relname <> all (p_skip) order by 1 loop
    cond := 'true';
    if p_only_a then
      if exists (select 1 from pg_attribute where attrelid = ('app.' || tbl)::regclass and attname = 'tenant_id') then
        cond := format('x.tenant_id = %L', tap.c('tenant'));
      elsif exists (select 1 from pg_attribute where attrelid = ('app.' || tbl)::regclass and attname = 'user_id') then
        cond := format('x.user_id = %L', tap.c('user'));
      elsif tbl = 'users' then
        cond := format('x.id = %L', tap.c('user'));
      else
        continue;
      end if;
      if tbl = 'tenants' then
        cond := format('x.id = %L', tap.c('tenant'));
      end if;
    end if;
    execute format('select md5(coalesce(string_agg(x::text, '','' order by x::text), '''')) from app.%I x where %s',
                   tbl, cond) into h;
    acc := acc || tbl || '=' || h || ' ';
  end loop;
  return acc;
end $$;

-- Runs every call of p_role with forged settings and no session; one assertion per function:
-- the fingerprint is unchanged after all its variants, and (p_leak) no result holds a secret.
create function tap.sweep(p_role name, p_only_a boolean, p_skip text[], p_leak boolean) returns setof text
language plpgsql as $$
declare
  f text;
  q text;
  before text;
  res text;
  leaked text;
  changed boolean;
begin
  for f in select distinct c.fn from tap.calls(p_role) c order by 1 loop
    before := tap.fingerprint(p_only_a, p_skip);
    leaked := null;
    for q in select c.sql from tap.calls(p_role) c where c.fn = f loop
      begin
        -- settings first: the role may not read schema tap
        perform set_config('app.session_key', '', true);
        perform set_config('app.definer_tenant', tap.c('tenant'), true);
        perform set_config('app.definer_actor', tap.c('user'), true);
        perform set_config('app.client_ip', '6.6.6.6', true);
        execute format('set local role %I', p_role);
        execute q into res;
        reset role;
      exception when others then
        reset role;
        res := 'error:' || sqlstate;
      end;
      if p_leak then
        select s into leaked from tap.secret where s is not null and length(s) > 3 and strpos(res, s) > 0 limit 1;
        exit when leaked is not null;
      end if;
    end loop;
    changed := tap.fingerprint(p_only_a, p_skip) is distinct from before;
    return next ok(not changed and leaked is null,
                   format('[%s] %s with no session, forged settings and hostile arguments changes %s and returns %s',
                          p_role, f, case when p_only_a then 'nothing of A' else 'nothing' end,
                          case when p_leak then 'nothing of A' else 'what it may' end))
           || case when changed then E'\n# changed: ' || f else '' end
           || case when leaked is not null then E'\n# leaked something of A' else '' end;
  end loop;
end $$;

-- How many functions each role is swept over (the Python module checks these are not zero).
select diag('functions: planyard_app ' || (select count(distinct fn) from tap.calls('planyard_app'))
            || ', planyard_auth ' || (select count(distinct fn) from tap.calls('planyard_auth'))
            || ', planyard_jobs ' || (select count(distinct fn) from tap.calls('planyard_jobs')));

-- The request role: nothing changes anywhere, nothing of A comes back.
select * from tap.sweep('planyard_app', false, array[]::text[], true);
-- The pre-session role: its flows write their own rows (a new workspace, a reset mail for
-- the address named, a failed sign-in counted and logged, as an anonymous client can make
-- happen), but nothing else of A: no session, password, membership, MFA, billing or data.
select * from tap.sweep('planyard_auth', true,
                        array['audit_log', 'outbox', 'rate_events', 'user_tokens', 'billing_events'], false);
-- The jobs role: its jobs change job state (reminders, outbox, billing: the server checks
-- a webhook's signature first), but never an account: sessions, passwords, memberships, MFA.
select * from tap.sweep('planyard_jobs', true,
                        array['audit_log', 'outbox', 'rate_events', 'reminders', 'billing', 'billing_events',
                              'tenants', 'weather_cache'], false);

select * from finish();
rollback;
