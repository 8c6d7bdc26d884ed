-- 0003: avatars, the embedding sites' allowed origins and their users'
-- avatar URLs.

-- A user's uploaded avatar: the bytes as sent, their type and size as
-- read from the image's own header. users.avatar_etag repeats etag, so that
-- a User is read without touching this table.
CREATE TABLE avatars (
  user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  mime        TEXT NOT NULL,             -- image/png|jpeg|gif|webp, sniffed
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  data        BLOB NOT NULL,
  etag        TEXT NOT NULL,             -- hex BLAKE2b of data
  updated_at  INTEGER NOT NULL
);

-- The web origins ("https://shop.example") whose pages may call the API
-- for a site's users (CORS). Compared as browsers send them.
CREATE TABLE tenant_origins (
  tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  origin     TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (tenant_id, origin)
) WITHOUT ROWID;
CREATE INDEX tenant_origins_origin ON tenant_origins(origin);

-- A site user's avatar as the site gave it (a URL, never fetched); the
-- User shows it while the user has uploaded none.
ALTER TABLE users ADD COLUMN avatar_url TEXT;
