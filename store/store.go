// Package store is Lockstep's only door to Neo4j: connecting to a server
// (the command layer starts the managed one when no URI is given), the
// schema, batched writes, streamed reads, and, in one file per concern, the
// queries of ingest, detection and the API. All Cypher is parameterised
// ($name); values are never spliced into query text.
//
// Reading what Cypher returns, every reader fails on a value of the wrong
// type rather than giving a silent zero:
//   - decode (mapstructure, by name) fills a whole API model from a map
//     projection or a record's columns (decodeRecords, readOne, readMap):
//     use it wherever a model has a Cypher projection of the same fields,
//     so that a field added to both needs no reading code.
//   - Get[T] (a record's column) and, through cols, get[T] (a record's
//     column) and field[T] (a key of a map value or row) read single
//     values: counts, ids, the columns of ingest, projection and
//     bookkeeping statements, and the few rows built by hand (keys,
//     suspension lists, audit events; rowsOf and firstOf map their records).
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	neo4jconfig "github.com/neo4j/neo4j-go-driver/v5/neo4j/config"
)

// Record is one row of a query result. Read its values with Get (and
// nested list or map values with elem), so a value of an unexpected type
// is an error rather than a silent zero.
type Record = neo4j.Record

// Store is a connection pool to one Neo4j database. It is safe for
// concurrent use; Close it when done.
type Store struct {
	driver neo4j.DriverWithContext
	db     string // database name; "" means the server's default
	uri    string
	reach  *reach
}

// Open connects to the Neo4j at uri (bolt://, bolt+s://, neo4j://,
// neo4j+s://...) and checks that it answers and accepts the credentials.
func Open(ctx context.Context, uri, user, password string) (_ *Store, err error) {
	defer wrap(&err, "store.Open(%s)", redact(uri))
	if uri == "" {
		return nil, fmt.Errorf("%w: empty Neo4j URI", ErrInvalidArgument)
	}
	driver, err := neo4j.NewDriverWithContext(uri, neo4j.BasicAuth(user, password, ""), func(c *neo4jconfig.Config) {
		c.MaxTransactionRetryTime = 30 * time.Second
		c.SocketConnectTimeout = 10 * time.Second
		c.UserAgent = "lockstep"
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	if err := driver.VerifyConnectivity(ctx); err != nil {
		_ = driver.Close(context.WithoutCancel(ctx))
		return nil, classify(err, user)
	}
	return &Store{driver: driver, uri: uri, reach: newReach(driver.VerifyConnectivity)}, nil
}

// Close releases the connections.
func (s *Store) Close(ctx context.Context) error {
	s.reach.close()
	return s.driver.Close(ctx)
}

// URI is the server address the store talks to (without credentials).
func (s *Store) URI() string { return redact(s.uri) }

// session opens a session on the store's database. fetchSize 0 keeps the
// driver's default (1000 records per pull). Every session shares the
// bookmark manager of ExecuteQuery (Query, apiWrite): through neo4j:// a
// read may go to a follower, and the bookmarks make it wait for the
// writes this Store made before (ingest before detection's read, the
// write-back before the API's reads), not only those of its own session.
func (s *Store) session(ctx context.Context, mode neo4j.AccessMode, fetchSize int) neo4j.SessionWithContext {
	return s.driver.NewSession(ctx, neo4j.SessionConfig{
		AccessMode:      mode,
		DatabaseName:    s.db,
		FetchSize:       fetchSize,
		BookmarkManager: s.driver.ExecuteQueryBookmarkManager(),
	})
}

// WriteRows runs cypher once with $rows bound to rows, in one write
// transaction that the driver retries on transient errors (deadlocks,
// leader changes, lost connections). Times in time.Local are sent as UTC
// (rewritten in place in rows; see localTimes). cypher is normally
// `UNWIND $rows AS row MERGE ...`; since a retry runs it again, it must be
// idempotent (MERGE, SET), never a bare CREATE of something counted.
// An empty rows is a no-op.
func (s *Store) WriteRows(ctx context.Context, cypher string, rows []map[string]any) (err error) {
	if len(rows) == 0 {
		return nil
	}
	defer wrap(&err, "Store.WriteRows(%d rows, %s)", len(rows), abbrev(cypher))
	return s.write(ctx, cypher, map[string]any{"rows": rows})
}

// Write runs one Cypher statement in a retried write transaction and
// consumes its result. Like WriteRows, the statement must be idempotent.
func (s *Store) Write(ctx context.Context, cypher string, params map[string]any) (err error) {
	defer wrap(&err, "Store.Write(%s)", abbrev(cypher))
	return s.write(ctx, cypher, params)
}

func (s *Store) write(ctx context.Context, cypher string, params map[string]any) error {
	if strings.TrimSpace(cypher) == "" {
		return fmt.Errorf("%w: empty Cypher", ErrInvalidArgument)
	}
	_, err := runWrite(ctx, s, cypher, params, func(_ neo4j.ManagedTransaction, res neo4j.ResultWithContext) (any, error) {
		return res.Consume(ctx)
	})
	return err
}

// runWrite runs cypher in a write transaction that the driver retries on
// transient errors, so the statement must be idempotent, and hands its
// result to then, which may run more statements in the same transaction.
// Times in time.Local are sent as UTC (localTimes).
func runWrite[T any](ctx context.Context, s *Store, cypher string, params map[string]any,
	then func(neo4j.ManagedTransaction, neo4j.ResultWithContext) (T, error)) (T, error) {
	localTimes(params)
	ctx, end := s.watch(ctx)
	sess := s.session(ctx, neo4j.AccessModeWrite, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	out, err := neo4j.ExecuteWrite(ctx, sess, func(tx neo4j.ManagedTransaction) (T, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			var zero T
			return zero, err
		}
		return then(tx, res)
	})
	if err != nil {
		return out, end(classifyIn(ctx, err))
	}
	return out, end(nil)
}

// Query runs a read statement and returns all its records: for results
// that fit in memory (one page of an API list, one account). For large
// results use Read or Stream.
func (s *Store) Query(ctx context.Context, cypher string, params map[string]any) (_ []*Record, err error) {
	defer wrap(&err, "Store.Query(%s)", abbrev(cypher))
	if strings.TrimSpace(cypher) == "" {
		return nil, fmt.Errorf("%w: empty Cypher", ErrInvalidArgument)
	}
	ctx, end := s.watch(ctx)
	res, err := neo4j.ExecuteQuery(ctx, s.driver, cypher, localTimes(params), neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithReadersRouting(), neo4j.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		return nil, end(classifyIn(ctx, err))
	}
	return res.Records, end(nil)
}

// Read runs a read statement in a retried read transaction and calls each
// for every record as it arrives; records are never all held in memory.
// After a transient failure the driver runs the whole transaction again, so
// each may see the same records twice: begin, if not nil, is called at the
// start of every attempt to reset whatever each accumulates. An error from
// each stops the read and is returned, not retried (errors.Is finds it).
func (s *Store) Read(ctx context.Context, cypher string, params map[string]any, begin func(), each func(*Record) error) (err error) {
	defer wrap(&err, "Store.Read(%s)", abbrev(cypher))
	if strings.TrimSpace(cypher) == "" {
		return fmt.Errorf("%w: empty Cypher", ErrInvalidArgument)
	}
	ctx, end := s.watch(ctx)
	sess := s.session(ctx, neo4j.AccessModeRead, 0)
	defer sess.Close(context.WithoutCancel(ctx))
	localTimes(params)
	_, err = sess.ExecuteRead(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		if begin != nil {
			begin()
		}
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		return nil, drain(ctx, res, each)
	})
	return end(classifyIn(ctx, err))
}

// Stream runs a read statement in one transaction without retry and calls
// each exactly once for every record, in order, as the driver pulls them
// (fetchSize records per round trip; 0 means 1000). Use it for reads too
// big to repeat, paging by id so a caller can resume after an error.
func (s *Store) Stream(ctx context.Context, cypher string, params map[string]any, fetchSize int, each func(*Record) error) (err error) {
	defer wrap(&err, "Store.Stream(%s)", abbrev(cypher))
	if strings.TrimSpace(cypher) == "" {
		return fmt.Errorf("%w: empty Cypher", ErrInvalidArgument)
	}
	ctx, end := s.watch(ctx)
	sess := s.session(ctx, neo4j.AccessModeRead, fetchSize)
	defer sess.Close(context.WithoutCancel(ctx))
	tx, err := sess.BeginTransaction(ctx)
	if err != nil {
		return end(classifyIn(ctx, err))
	}
	defer tx.Close(context.WithoutCancel(ctx))
	res, err := tx.Run(ctx, cypher, localTimes(params))
	if err != nil {
		return end(classifyIn(ctx, err))
	}
	if err := drain(ctx, res, each); err != nil {
		return end(classifyIn(ctx, err))
	}
	return end(classify(tx.Commit(ctx), ""))
}

// callbackError marks an error returned by a caller's callback, so it is
// passed back untouched (not classified, not retried).
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

func drain(ctx context.Context, res neo4j.ResultWithContext, each func(*Record) error) error {
	for res.Next(ctx) {
		if err := each(res.Record()); err != nil {
			return &callbackError{err}
		}
	}
	return res.Err()
}

// Get returns the value named key of rec as a T (int64, float64, string,
// bool, time.Time, []any, map[string]any, ...). A missing key or a value of
// another type is an error; a null gives T's zero value.
func Get[T neo4j.RecordValue](rec *Record, key string) (T, error) {
	v, _, err := neo4j.GetRecordValue[T](rec, key)
	return v, err
}

// cols collects the first error of several typed column reads, so a
// record's columns read in one line each and are checked once.
type cols struct{ err error }

func (c *cols) fail(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// get reads column key of rec as a T (Get).
func get[T neo4j.RecordValue](c *cols, rec *Record, key string) T {
	v, err := Get[T](rec, key)
	c.fail(err)
	return v
}

// field reads key k of a row or of a map value (a map projection such as
// k {.id, .name}) as a T (elem).
func field[T any](c *cols, r row, k string) T {
	v, err := elem[T](r[k], k)
	c.fail(err)
	return v
}

// timeField reads an optional DateTime: nil when absent.
func timeField(c *cols, r row, k string) *time.Time {
	if r[k] == nil {
		return nil
	}
	t := field[time.Time](c, r, k).UTC()
	return &t
}

// strings reads a list of strings.
func stringsField(c *cols, r row, k string) []string {
	l := field[[]any](c, r, k)
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, err := elem[string](v, k+" element")
		c.fail(err)
		out = append(out, s)
	}
	return out
}

// rowsOf turns each record into a T with from: with key "", from reads
// the record's own columns; otherwise column key, a map projection such as
// k {.id, .name} (a value of another type is an error).
func rowsOf[T any](recs []*Record, key string, from func(row) (T, error)) ([]T, error) {
	out := make([]T, 0, len(recs))
	for _, rec := range recs {
		r := row(rec.AsMap())
		if key != "" {
			m, err := Get[map[string]any](rec, key)
			if err != nil {
				return nil, err
			}
			r = m
		}
		v, err := from(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// firstOf is rowsOf of the first record, or ErrNotFound when there is none.
func firstOf[T any](recs []*Record, key string, from func(row) (T, error)) (T, error) {
	if len(recs) == 0 {
		var zero T
		return zero, ErrNotFound
	}
	out, err := rowsOf(recs[:1], key, from)
	if err != nil {
		var zero T
		return zero, err
	}
	return out[0], nil
}

// elem converts one element of a list value to a T: a null gives T's
// zero value, any other type is an error naming what the element is.
func elem[T any](v any, what string) (T, error) {
	var zero T
	if v == nil {
		return zero, nil
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%s is %T, want %T", what, v, zero)
	}
	return t, nil
}

// classify turns driver errors into errors a person can act on, keeping
// the driver's error in the chain.
// classifyIn is classify for an operation run under ctx: an error that
// came while ctx was ending is that ctx's error too (the driver reports a
// deadline that cuts a handshake or a read as a protocol or connection
// failure), so callers see context.DeadlineExceeded, not ErrUnavailable.
func classifyIn(ctx context.Context, err error) error {
	err = classify(err, "")
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The connection's deadline (the context's) fired a moment
		// before the context's own timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

func classify(err error, user string) error {
	if err == nil {
		return nil
	}
	var cb *callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	var ne *neo4j.Neo4jError
	if errors.As(err, &ne) {
		switch {
		case ne.Code == "Neo.ClientError.Security.Unauthorized":
			if user != "" {
				return fmt.Errorf("%w: wrong user name or password for user %q (check NEO4J_USER and NEO4J_PASSWORD): %w", ErrUnauthorized, user, err)
			}
			return fmt.Errorf("%w: %w", ErrUnauthorized, err)
		case strings.HasPrefix(ne.Code, "Neo.ClientError.Security."):
			return fmt.Errorf("%w: %w", ErrUnauthorized, err)
		case strings.HasPrefix(ne.Code, "Neo.ClientError.Transaction.TransactionTimedOut"):
			// The driver passes the context's deadline to Neo4j as the
			// transaction timeout, so the server may stop it a moment
			// before the context ends: the same deadline.
			return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		case strings.HasPrefix(ne.Code, "Neo.ClientError.Statement.SyntaxError"),
			strings.HasPrefix(ne.Code, "Neo.ClientError.Statement.ParameterMissing"),
			strings.HasPrefix(ne.Code, "Neo.ClientError.Statement.TypeError"),
			strings.HasPrefix(ne.Code, "Neo.ClientError.Statement.ArgumentError"):
			return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		}
		return err
	}
	if neo4j.IsConnectivityError(err) {
		return fmt.Errorf("%w (is it running? is NEO4J_URI right?): %w", ErrUnavailable, err)
	}
	return err
}

// redact drops any credentials from a URI before it goes into a message.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	u.User = nil
	return u.String()
}

// abbrev shortens Cypher for error messages: first line, at most 80 bytes.
func abbrev(cypher string) string {
	s := strings.Join(strings.Fields(cypher), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
