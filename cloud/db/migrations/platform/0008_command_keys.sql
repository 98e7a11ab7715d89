-- Hand-written: what remote commands need in the cloud. Kept out of the drizzle schema on purpose: only
-- cloud/fleet/command-key.repository.ts touches these tables, through raw SQL, and neither holds
-- domain data a tenant may read.
-- org_command_keys: each organization's Ed25519 key pair. Cabinets get the public key (claim response,
-- downlink) and refuse any command it did not sign. private_key is "aes-256-gcm:<iv>:<tag>:<ciphertext>"
-- (base64url, key from LILO_COMMAND_KEY_SECRET) or "plain:<pkcs8 der>" when no secret is configured.
CREATE TABLE IF NOT EXISTS lilo_platform.org_command_keys (
  org_id uuid PRIMARY KEY REFERENCES lilo_platform.organizations (org_id) ON DELETE CASCADE,
  public_key text NOT NULL,
  private_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
--> statement-breakpoint
-- unlock_approvals: the first of the two people a dual-approval cabinet needs for a remote unlock.
CREATE TABLE IF NOT EXISTS lilo_platform.unlock_approvals (
  device_id uuid NOT NULL REFERENCES lilo_platform.iot_devices (device_id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  org_id uuid NOT NULL REFERENCES lilo_platform.organizations (org_id) ON DELETE CASCADE,
  approved_by uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, user_id)
);
--> statement-breakpoint
-- Readable by the platform service only, never by a tenant role (private keys).
ALTER TABLE lilo_platform.org_command_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE lilo_platform.unlock_approvals ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY platform_service ON lilo_platform.org_command_keys TO lilo_service USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY platform_service ON lilo_platform.unlock_approvals TO lilo_service USING (true) WITH CHECK (true);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON lilo_platform.org_command_keys, lilo_platform.unlock_approvals TO lilo_service;
