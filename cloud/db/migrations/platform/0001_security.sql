-- Hand-written: roles, row-level security and grants, which the drizzle schema cannot express.
-- lilo_tenant: every per-tenant role (tenant_<org_id>) is a member; it sees only its own org's platform rows.
-- lilo_service: the role platform-level work runs under (org creation, device claims, retention).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lilo_tenant') THEN CREATE ROLE lilo_tenant NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lilo_service') THEN CREATE ROLE lilo_service NOLOGIN; END IF;
END $$;
--> statement-breakpoint
-- The org a tenant role may see, read from the role's own name, so that no setting a query could change
-- widens it.
CREATE OR REPLACE FUNCTION lilo_platform.current_tenant_org_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN current_user ~ '^tenant_[0-9a-f]{8}(_[0-9a-f]{4}){3}_[0-9a-f]{12}$'
    THEN replace(substr(current_user, 8), '_', '-')::uuid END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA lilo_platform TO lilo_tenant, lilo_service;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION lilo_platform.current_tenant_org_id() TO lilo_tenant, lilo_service;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lilo_platform TO lilo_service;
--> statement-breakpoint
-- Row-level security for a platform table that carries org_id: a tenant role sees and writes only its
-- own organization's rows, lilo_service everything. Later migrations call it for new tables.
CREATE OR REPLACE FUNCTION lilo_platform.protect_org_table(t text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE lilo_platform.%I ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE lilo_platform.%I FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('CREATE POLICY tenant_isolation ON lilo_platform.%I TO lilo_tenant
                  USING (org_id = lilo_platform.current_tenant_org_id())
                  WITH CHECK (org_id = lilo_platform.current_tenant_org_id())', t);
  EXECUTE format('CREATE POLICY platform_service ON lilo_platform.%I TO lilo_service USING (true) WITH CHECK (true)', t);
  EXECUTE format('GRANT SELECT ON lilo_platform.%I TO lilo_tenant', t);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON lilo_platform.%I TO lilo_service', t);
END $$;
--> statement-breakpoint
SELECT lilo_platform.protect_org_table(t) FROM unnest(ARRAY['organizations', 'user_org_memberships', 'iot_devices',
  'api_keys', 'system_events', 'event_stream', 'device_telemetry', 'user_sessions']) AS t;
