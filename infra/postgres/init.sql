-- First start of the postgres container (docker-entrypoint-initdb.d): the login role the
-- services use and one database per service, owned by it. Development credentials
-- only: set a real password (and rotate it) anywhere else.
-- `make up` does the same on a native PostgreSQL with scripts/setup.sh.
CREATE ROLE fleet WITH LOGIN CREATEDB PASSWORD 'fleet';

CREATE DATABASE ingestion_db OWNER fleet;
CREATE DATABASE health_db OWNER fleet;
CREATE DATABASE agent_db OWNER fleet;
CREATE DATABASE alert_db OWNER fleet;
CREATE DATABASE scheduling_db OWNER fleet;
CREATE DATABASE warranty_db OWNER fleet;
CREATE DATABASE analytics_db OWNER fleet;
