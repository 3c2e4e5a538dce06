package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestOpenStore: with NEO4J_URI set the commands open that server and
// leave LOCKSTEP_HOME/neo4j alone; without it they find (and reuse, not
// restart) the managed server of the home.
func TestOpenStore(t *testing.T) {
	uri, user, password := storetest.Server(t)
	cases := []struct {
		name string
		cfg  config.Config
	}{
		{"NEO4J_URI set", config.Config{Home: t.TempDir(), Neo4jURI: uri, Neo4jUser: user, Neo4jPassword: password}},
	}
	if home := storetest.Home(t); home != "" {
		cases = append(cases, struct {
			name string
			cfg  config.Config
		}{"managed server of LOCKSTEP_HOME", config.Config{Home: home}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			s, err := openStore(ctx, &c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			if s.URI() != uri {
				t.Errorf("connected to %s, want %s", s.URI(), uri)
			}
			if err := s.Ping(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(cases[0].cfg.Home, "neo4j")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("openStore with NEO4J_URI set touched LOCKSTEP_HOME/neo4j (%v)", err)
	}
}
