// Package graph holds Lockstep's GraphQL schema (schema/*.graphqls) and the
// executor gqlgen generates from it. Never edit the generated files: change
// the schema or gqlgen.yml and run `go generate ./graph/...`.
package graph

//go:generate go run -C .. github.com/99designs/gqlgen generate
