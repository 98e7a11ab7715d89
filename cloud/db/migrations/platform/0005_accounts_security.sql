-- Hand-written: password hashes are readable by the platform service only, never by a tenant role.
GRANT SELECT, INSERT, UPDATE, DELETE ON lilo_platform.user_passwords, lilo_platform.users TO lilo_service;
