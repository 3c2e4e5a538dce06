// Package server is Lockstep's HTTP server: the GraphQL API at /graphql
// (POST, GET and WebSocket), the bulk export of suspension lists, /healthz,
// and the web UI and GraphiQL playground from the frontend bundle.
//
// Every route but /healthz and the static UI files needs an API key
// (`Authorization: Bearer KEY`; on WebSocket, in the connection_init
// payload). The UI and playground pages load without a key, since they hold
// no data; every API call they make sends the key the user typed in.
package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/lockstep-dev/lockstep/auth"
	"github.com/lockstep-dev/lockstep/frontend"
	"github.com/lockstep-dev/lockstep/graph"
	"github.com/lockstep-dev/lockstep/resolvers"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"
)

// Config is what the server needs; zero limits take the defaults below.
type Config struct {
	Store   *store.Store
	Log     *slog.Logger
	HMACKey []byte
	// Detect runs detection for the runDetection mutation; nil disables it.
	Detect Detector

	MaxDepth      int           // nesting levels of an operation (default 12)
	MaxComplexity int           // gqlgen complexity (default 100,000)
	MaxAliases    int           // aliases per operation (default 30)
	MaxBodyBytes  int64         // request body (default 1 MiB)
	Timeout       time.Duration // per GraphQL request, end to end (default 15s); exports are exempt
	// ReadTimeout bounds reading a whole request, body included (default
	// 30s); WriteTimeout writing its response (default Timeout + 15s;
	// exports move their deadline on as rows flow); IdleTimeout a
	// keep-alive connection between requests (default 120s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConnsPerIP caps the open connections of one client address
	// (default 64); more are answered 503 and closed.
	MaxConnsPerIP int
	RatePerSecond float64       // per key (default 50/s)
	RateBurst     int           // per key (default 100)
	CostPerSecond float64       // complexity units a key may spend a second (default 20,000)
	CostBurst     int           // complexity units a key may spend at once (default 500,000, at least MaxComplexity)
	TargetPerMin  float64       // targetByNumber per key per minute (default 6)
	TargetBurst   int           // targetByNumber per key in a burst (default 3)
	AuthCacheTTL  time.Duration // how long a key check is cached (default 10s)
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	c.MaxDepth = cmp.Or(c.MaxDepth, 12)
	c.MaxComplexity = cmp.Or(c.MaxComplexity, 100000)
	c.MaxAliases = cmp.Or(c.MaxAliases, 30)
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, 1<<20)
	c.Timeout = cmp.Or(c.Timeout, 15*time.Second)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, 30*time.Second)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, c.Timeout+15*time.Second)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 120*time.Second)
	c.MaxConnsPerIP = cmp.Or(c.MaxConnsPerIP, 64)
	c.RatePerSecond = cmp.Or(c.RatePerSecond, 50)
	c.RateBurst = cmp.Or(c.RateBurst, 100)
	c.CostPerSecond = cmp.Or(c.CostPerSecond, 20000)
	c.CostBurst = cmp.Or(c.CostBurst, max(500000, c.MaxComplexity))
	c.TargetPerMin = cmp.Or(c.TargetPerMin, 6)
	c.TargetBurst = cmp.Or(c.TargetBurst, 3)
	c.AuthCacheTTL = cmp.Or(c.AuthCacheTTL, 10*time.Second)
}

// Server serves the API.
type Server struct {
	cfg      Config
	auth     *auth.Authenticator
	limits   *resolvers.Limiters
	resolver *resolvers.Resolver
	handler  http.Handler
	cancel   context.CancelFunc
}

// New builds the server's handler.
func New(cfg Config) *Server {
	cfg.defaults()
	bg, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg,
		auth:   &auth.Authenticator{Store: cfg.Store, TTL: cfg.AuthCacheTTL},
		limits: &resolvers.Limiters{Limit: rate.Limit(cfg.RatePerSecond), Burst: cfg.RateBurst},
		cancel: cancel,
	}
	s.resolver = &resolvers.Resolver{
		Store:        cfg.Store,
		Progress:     resolvers.NewHub(),
		HMACKey:      cfg.HMACKey,
		TargetLimits: &resolvers.Limiters{Limit: rate.Limit(cfg.TargetPerMin / 60), Burst: cfg.TargetBurst},
		Log:          cfg.Log,
		Background:   bg,
	}
	if cfg.Detect != nil {
		s.resolver.Detect = cfg.Detect.Prepare
	}
	s.handler = s.routes()
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Authenticator returns the server's key checker (tests revoke through it).
func (s *Server) Authenticator() *auth.Authenticator { return s.auth }

// Close stops background detection runs.
func (s *Server) Close() { s.cancel() }

func (s *Server) graphQL() http.Handler {
	schema := graph.NewExecutableSchema(graph.Config{
		Resolvers:  s.resolver,
		Directives: graph.DirectiveRoot{HasRole: auth.HasRole},
		Complexity: complexity(),
	})
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		InitTimeout:           10 * time.Second,
		InitFunc:              s.wsInit,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(20000)
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(shapeLimit{MaxDepth: s.cfg.MaxDepth, MaxAliases: s.cfg.MaxAliases})
	srv.Use(extension.FixedComplexityLimit(s.cfg.MaxComplexity))
	srv.Use(costBudget{limits: &resolvers.Limiters{Limit: rate.Limit(s.cfg.CostPerSecond), Burst: s.cfg.CostBurst}})
	srv.Use(requestTimeout{limit: s.cfg.Timeout})
	srv.SetErrorPresenter(presenter(s.cfg.Log, s.cfg.Timeout.String(), strconv.FormatInt(s.cfg.MaxBodyBytes, 10)))
	srv.SetRecoverFunc(func(ctx context.Context, err any) error {
		s.cfg.Log.Error("graphql panic", "path", graphql.GetPath(ctx).String(), "panic", fmt.Sprint(err))
		return errors.New("internal error (logged)")
	})
	return srv
}

// wsInit authenticates a WebSocket connection from its connection_init
// payload ({"Authorization": "Bearer KEY"}), unless the upgrade request
// already carried the header.
func (s *Server) wsInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if _, ok := auth.FromContext(ctx); ok {
		return ctx, nil, nil
	}
	secret, ok := auth.BearerToken(p.Authorization())
	if !ok {
		return ctx, nil, auth.ErrUnauthenticated
	}
	pr, err := s.auth.Authenticate(ctx, secret)
	if err != nil {
		return ctx, nil, auth.ErrUnauthenticated
	}
	if ok, _ := s.limits.Allow(pr.KeyID); !ok {
		return ctx, nil, errors.New("rate limit exceeded")
	}
	return auth.WithPrincipal(ctx, pr), nil, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	api := s.graphQL()
	mux.Handle("/graphql", s.protect(api, true, store.RoleViewer))
	mux.Handle("GET /export/suspension-lists/{id}", s.protect(http.HandlerFunc(s.exportSuspensionList), false, store.RoleAnalyst))
	mux.Handle("/", frontend.Handler())
	return s.logRequests(mux)
}

// healthz reports whether Neo4j answers, without a key.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Log.Warn("healthz: neo4j unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "neo4j": "unreachable"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "neo4j": "reachable"})
}

// GCPercent is the Go garbage collector target (GOGC) a serving process
// runs with unless GOGC is set in its environment. Serving allocates a
// great deal of short-lived memory per request (gqlgen's field contexts,
// the driver's decoded records) over a small live heap, so the default
// GOGC=100 collects very often: at 400 the API load benchmark measured
// about a third less Go CPU per request (account(id) 478 -> 311 µs,
// network(id) with 100 members 2,720 -> 1,900 µs; BENCHMARKS.md, API
// section), for a heap that may grow to 5x the live data between
// collections (tens of MB here).
const GCPercent = 400

// TuneGC applies GCPercent unless the GOGC environment variable is set.
// Serve calls it; it changes the whole process, so it is not done by New
// (tests and embedders keep their own setting).
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}

// Serve listens on addr until ctx is cancelled (SIGTERM, Ctrl-C), then
// stops accepting, lets requests in flight finish for up to 20 seconds and
// returns. ready, if not nil, is called with the bound address.
func (s *Server) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	TuneGC()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	ln = limitPerIP(ln, s.cfg.MaxConnsPerIP)
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.cfg.Log.Info("shutting down: finishing requests in flight")
	s.cancel()
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}
