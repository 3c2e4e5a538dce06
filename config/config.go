// Package config reads Lockstep's settings from the environment: where the
// state directory is, which Neo4j to use, and the key that hashes targets.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Config is what every subcommand needs to reach its state and its store.
type Config struct {
	Home          string // LOCKSTEP_HOME: managed Neo4j, checkpoints, keys
	Neo4jURI      string // NEO4J_URI; empty means "start the managed server"
	Neo4jUser     string
	Neo4jPassword string
	HMACKey       []byte
	// DevKeyFile is the development key file HMACKey was read from or
	// written to when LOCKSTEP_HMAC_KEY is unset; "" otherwise.
	DevKeyFile string
	devKeyNew  bool
}

// WarnDevKey logs a warning when the HMAC key is a development key.
// Only the commands that hash targets (ingest, serve, demo) call it: a
// warning on every `neo4j status` teaches people to ignore it.
func (c *Config) WarnDevKey() {
	switch {
	case c.DevKeyFile == "":
	case c.devKeyNew:
		slog.Warn("LOCKSTEP_HMAC_KEY unset: generated a development key; set it in production so target hashes are stable across machines", "file", c.DevKeyFile)
	default:
		slog.Warn("LOCKSTEP_HMAC_KEY unset: using the development key in LOCKSTEP_HOME; set it in production so target hashes are stable across machines", "file", c.DevKeyFile)
	}
}

// FromEnv reads the environment. The HMAC key comes from LOCKSTEP_HMAC_KEY,
// else from LOCKSTEP_HOME/hmac.key, which is created with a random key on
// first use, so a development install never hashes with a known constant.
func FromEnv() (*Config, error) {
	c := &Config{
		Home:          os.Getenv("LOCKSTEP_HOME"),
		Neo4jURI:      os.Getenv("NEO4J_URI"),
		Neo4jUser:     os.Getenv("NEO4J_USER"),
		Neo4jPassword: os.Getenv("NEO4J_PASSWORD"),
	}
	if c.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("config: LOCKSTEP_HOME unset and no home directory: %w", err)
		}
		c.Home = filepath.Join(home, ".lockstep")
	}
	if c.Neo4jUser == "" {
		c.Neo4jUser = "neo4j"
	}
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return nil, fmt.Errorf("config: create LOCKSTEP_HOME %s: %w", c.Home, err)
	}
	if err := c.loadHMACKey(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) loadHMACKey() error {
	if k := os.Getenv("LOCKSTEP_HMAC_KEY"); k != "" {
		if len(k) < 16 {
			return errors.New("config: LOCKSTEP_HMAC_KEY must be at least 16 characters")
		}
		c.HMACKey = []byte(k)
		return nil
	}
	path := filepath.Join(c.Home, "hmac.key")
	c.DevKeyFile = path
	if b, err := os.ReadFile(path); err == nil {
		c.HMACKey = []byte(strings.TrimSpace(string(b)))
		return nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	key := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return fmt.Errorf("config: write development HMAC key %s: %w", path, err)
	}
	c.HMACKey, c.devKeyNew = []byte(key), true
	return nil
}
