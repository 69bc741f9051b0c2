-- PostgreSQL for Trivsel (Debian: apt-get install postgresql; run as the postgres user:
--   sudo -u postgres psql -f deploy/postgresql/trivsel.sql)
-- The instances connect over the local socket as the system user "trivsel" (peer authentication),
-- so no password is stored anywhere.
CREATE ROLE trivsel LOGIN;
CREATE DATABASE trivsel OWNER trivsel ENCODING 'UTF8' TEMPLATE template0;
-- Anonymity (docs/anonymity.md): no commit timestamps, no statement logging for this database
-- (statements carry answers and token fingerprints).
ALTER DATABASE trivsel SET log_statement = 'none';
ALTER DATABASE trivsel SET log_min_duration_statement = -1;
-- and in postgresql.conf keep the default: track_commit_timestamp = off
