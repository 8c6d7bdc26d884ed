-- 0001: accounts, sessions, contacts, rate limits.
-- Times are milliseconds since the epoch (UTC); the API formats them.

-- Embedding sites. Users with tenant_id 0 registered directly.
CREATE TABLE tenants (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  key_hash    BLOB NOT NULL UNIQUE,      -- BLAKE2b of the chat key
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  tenant_id      INTEGER NOT NULL DEFAULT 0,
  external_id    TEXT,                   -- the site's own id of a site user
  login          TEXT COLLATE NOCASE,
  phone          TEXT,                   -- E.164
  email          TEXT COLLATE NOCASE,
  nick           TEXT NOT NULL,
  first_name     TEXT,
  last_name      TEXT,
  middle_name    TEXT,
  status         TEXT,
  language       TEXT,
  public_key     TEXT,
  avatar_etag    TEXT,                   -- NULL: no avatar
  password_hash  TEXT,                   -- argon2id string; NULL for site users
  registered_at  INTEGER NOT NULL,
  last_online    INTEGER,
  online_until   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_login ON users(tenant_id, login) WHERE login IS NOT NULL;
CREATE UNIQUE INDEX users_phone ON users(tenant_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX users_external ON users(tenant_id, external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX users_email ON users(tenant_id, email) WHERE email IS NOT NULL;

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  BLOB NOT NULL UNIQUE,      -- BLAKE2b of the token; never the token
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- owner has added contact (phone and e-mail of owner become visible to it).
CREATE TABLE contacts (
  owner_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  contact_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name        TEXT,
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (owner_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX contacts_contact ON contacts(contact_id);

-- Fixed-window counters for rate limits, keyed like "login:0:alice".
CREATE TABLE rate_limits (
  key           TEXT PRIMARY KEY,
  window_start  INTEGER NOT NULL,
  count         INTEGER NOT NULL
) WITHOUT ROWID;
