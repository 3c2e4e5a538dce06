package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHMACKey(t *testing.T) {
	home := t.TempDir()
	t.Setenv("LOCKSTEP_HOME", home)
	t.Setenv("LOCKSTEP_HMAC_KEY", "")
	first, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.HMACKey) != 64 || first.DevKeyFile != filepath.Join(home, "hmac.key") || !first.devKeyNew {
		t.Fatalf("development key %q from %q (new %v)", first.HMACKey, first.DevKeyFile, first.devKeyNew)
	}
	if fi, err := os.Stat(first.DevKeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	again, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if string(again.HMACKey) != string(first.HMACKey) || again.devKeyNew {
		t.Error("the development key is not reused")
	}

	t.Setenv("LOCKSTEP_HMAC_KEY", "a-production-key-0123")
	prod, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if string(prod.HMACKey) != "a-production-key-0123" || prod.DevKeyFile != "" {
		t.Errorf("LOCKSTEP_HMAC_KEY not used: %q from %q", prod.HMACKey, prod.DevKeyFile)
	}
	t.Setenv("LOCKSTEP_HMAC_KEY", "short")
	if _, err := FromEnv(); err == nil {
		t.Error("a 5-character key was accepted")
	}
}
