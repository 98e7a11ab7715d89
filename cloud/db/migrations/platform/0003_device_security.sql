-- Hand-written: row-level security and grants for the provisioning tables (see 0001_security.sql).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['claim_tokens', 'device_credentials'] LOOP
    EXECUTE format('ALTER TABLE lilo_platform.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE lilo_platform.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON lilo_platform.%I TO lilo_tenant
                    USING (org_id = lilo_platform.current_tenant_org_id())
                    WITH CHECK (org_id = lilo_platform.current_tenant_org_id())', t);
    EXECUTE format('CREATE POLICY platform_service ON lilo_platform.%I TO lilo_service USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT ON lilo_platform.%I TO lilo_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON lilo_platform.%I TO lilo_service', t);
  END LOOP;
END $$;
