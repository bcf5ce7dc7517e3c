-- Member changes queue on their workspace's row with FOR NO KEY UPDATE: it still serialises
-- them (two owners can't demote each other to none) but no longer conflicts with the KEY
-- SHARE lock that foreign key checks take on the same row while another transaction holds
-- the workspace's audit lock (an invitation written at the same time), which was a deadlock.
create or replace function app.member_change(p_user uuid, p_role text) returns text language plpgsql volatile as $$
declare
  t uuid := app.current_tenant();
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

-- Settings are what a workspace admin changes; its status (suspension), slug and dates are
-- the system's, changed only by SECURITY DEFINER flows (billing, retention).
revoke update on app.tenants from planyard_app;
grant update (name, timezone, primary_color, require_mfa_for_admins, updated_at) on app.tenants to planyard_app;
