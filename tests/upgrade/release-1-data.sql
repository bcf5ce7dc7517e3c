-- Rows for every table the demo seed leaves empty, written into a database of the first
-- release (as the cluster's superuser, past row-level security) before it is upgraded.
with t as (select id from app.tenants where slug = 'demo'), u as (select id from app.users where email = 'demo@planyard.localhost')
insert into app.sessions (tenant_id, user_id, key_hash, key_sealed, aal, ip, user_agent)
  select t.id, u.id, '\x01'::bytea, '\x02'::bytea, 'aal1', '192.0.2.1', 'upgrade test' from t, u;
insert into app.refresh_tokens (tenant_id, session_id, token_hash)
  select tenant_id, id, '\x03'::bytea from app.sessions;
insert into app.user_tokens (token_hash, user_id, tenant_id, kind, expires_at)
  select '\x04'::bytea, user_id, tenant_id, 'reset', now() + interval '1 hour' from app.memberships;
insert into app.rate_events (key) values ('login:acct:demo@planyard.localhost');
insert into app.outbox (tenant_id, user_id, recipient, subject, body)
  select tenant_id, user_id, 'demo@planyard.localhost', 'Welcome', 'hello'::bytea from app.memberships;
insert into app.recovery_codes (user_id, code_hash) select id, '\x05'::bytea from app.users;
insert into app.mfa_challenges (token_hash, user_id, tenant_id) select '\x06'::bytea, user_id, tenant_id from app.memberships;
insert into app.invitations (tenant_id, email, role, token_hash, invited_by)
  select tenant_id, 'new@planyard.localhost', 'scheduler', '\x07'::bytea, user_id from app.memberships;
insert into app.impersonations (tenant_id, user_id, staff, reason, token_hash)
  select tenant_id, user_id, 'support', 'upgrade test', '\x08'::bytea from app.memberships;
insert into app.billing (tenant_id, customer_id, subscription_id, plan, status)
  select id, 'cus_1', 'sub_1', 'team', 'active' from app.tenants;
insert into app.billing_events (event_id, type, tenant_id) select 'evt_1', 'checkout.session.completed', id from app.tenants;
insert into app.weather_cache (zip, day, payload) values ('60601', current_date, '{"daily": {}}');
