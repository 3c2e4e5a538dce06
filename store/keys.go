package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// API keys: (:ApiKey {id, name, role, hash, createdAt, revokedAt}). The
// secret is shown once at creation and only its SHA-256 is stored: a key is
// 32 random bytes, so a fast hash is enough (there is nothing to guess).

// KeyPrefix starts every API key, so a leaked key is easy to recognise in
// logs and secret scanners.
const KeyPrefix = "lsk_"

// APIKey is a stored key, without its secret.
type APIKey struct {
	ID        string
	Name      string
	Role      Role
	CreatedAt time.Time
	RevokedAt *time.Time
}

// HashKey returns the stored form of a secret key.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey makes a key with a role and returns it with its secret,
// which is not stored and cannot be shown again.
func (s *Store) CreateAPIKey(ctx context.Context, name string, role Role) (_ APIKey, secret string, err error) {
	defer wrap(&err, "Store.CreateAPIKey(%q, %s)", name, role)
	if strings.TrimSpace(name) == "" {
		return APIKey{}, "", fmt.Errorf("%w: a key needs a name", ErrInvalidArgument)
	}
	if role.Level() == 0 {
		return APIKey{}, "", fmt.Errorf("%w: unknown role %q (want viewer, analyst or admin)", ErrInvalidArgument, role)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return APIKey{}, "", err
	}
	secret = KeyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	id := NewID("key")
	rows, err := s.apiWrite(ctx, `MERGE (k:ApiKey {id: $id})
ON CREATE SET k.name = $name, k.role = $role, k.hash = $hash, k.createdAt = datetime()
RETURN k {.id, .name, .role, .createdAt, .revokedAt} AS k`,
		map[string]any{"id": id, "name": name, "role": string(role), "hash": HashKey(secret)})
	if err != nil {
		return APIKey{}, "", err
	}
	k, err := keyFromRow(rows[0].sub("k"))
	return k, secret, err
}

func keyFromRow(r row) (APIKey, error) {
	var c cols
	k := APIKey{ID: field[string](&c, r, "id"), Name: field[string](&c, r, "name"), Role: Role(field[string](&c, r, "role")),
		RevokedAt: timeField(&c, r, "revokedAt")}
	if t := timeField(&c, r, "createdAt"); t != nil {
		k.CreatedAt = *t
	}
	if c.err != nil {
		return APIKey{}, fmt.Errorf("ApiKey %q: %w", k.ID, c.err)
	}
	return k, nil
}

// APIKeys lists every key, oldest first.
func (s *Store) APIKeys(ctx context.Context) (_ []APIKey, err error) {
	defer wrap(&err, "Store.APIKeys")
	recs, err := s.apiRecords(ctx, `MATCH (k:ApiKey) RETURN k {.id, .name, .role, .createdAt, .revokedAt} AS k ORDER BY k.createdAt, k.id`, nil)
	if err != nil {
		return nil, err
	}
	return rowsOf(recs, "k", keyFromRow)
}

// RevokeAPIKey revokes a key by id (or by name when no id matches). Revoking
// twice keeps the first time. It returns ErrNotFound when nothing matches.
func (s *Store) RevokeAPIKey(ctx context.Context, idOrName string) (_ APIKey, err error) {
	defer wrap(&err, "Store.RevokeAPIKey(%q)", idOrName)
	rows, err := s.apiWrite(ctx, `MATCH (k:ApiKey) WHERE k.id = $x OR (k.name = $x AND NOT EXISTS { MATCH (:ApiKey {id: $x}) })
SET k.revokedAt = coalesce(k.revokedAt, datetime())
RETURN k {.id, .name, .role, .createdAt, .revokedAt} AS k`, map[string]any{"x": idOrName})
	if err != nil {
		return APIKey{}, err
	}
	if len(rows) == 0 {
		return APIKey{}, ErrNotFound
	}
	// Several keys may share a name: all are revoked, the safe reading of
	// "revoke NAME"; the first is returned.
	return keyFromRow(rows[0].sub("k"))
}

// APIKeyBySecret returns the live (not revoked) key with this secret, or
// ErrNotFound.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (_ APIKey, err error) {
	defer wrap(&err, "Store.APIKeyBySecret")
	recs, err := s.apiRecords(ctx, `MATCH (k:ApiKey {hash: $hash}) WHERE k.revokedAt IS NULL
RETURN k {.id, .name, .role, .createdAt, .revokedAt} AS k`, map[string]any{"hash": HashKey(secret)})
	if err != nil {
		return APIKey{}, err
	}
	return firstOf(recs, "k", keyFromRow)
}
