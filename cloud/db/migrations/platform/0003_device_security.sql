-- Hand-written: row-level security and grants for the provisioning tables (see 0001_security.sql).
SELECT lilo_platform.protect_org_table(t) FROM unnest(ARRAY['claim_tokens', 'device_credentials']) AS t;
