-- The single-use token of a confirm or reset mail, made by the database and kept with the
-- mail until it is sent: the mail sender puts it into the body (MAIL_TOKEN), so no caller of
-- the flow that made it ever holds it, and only the recipient can redeem it.
alter table app.outbox add column token text;

-- Bodies are sealed bound to their place now ("app.outbox.body", src/auth/sealed.h): the mail
-- sender opens no other blob. Rows queued before that are marked here, and only they may
-- still be opened in the unbound format; no role can set the mark.
alter table app.outbox add column sealed_legacy boolean not null default false;
update app.outbox set sealed_legacy = true where sent_at is null;
