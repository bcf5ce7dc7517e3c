-- Session key material stays out of the server's reach even under its own session: the
-- hash and the sealed key are read only by SECURITY DEFINER functions (users' secrets are
-- narrowed the same way in 015).
revoke select on app.sessions from planyard_app;
grant select (tenant_id, id, user_id, aal, created_at, last_used_at, expires_at, revoked_at, ip, user_agent,
              impersonation_id)
  on app.sessions to planyard_app;
