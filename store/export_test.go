package store

// Schema exposes the migration statements to the external tests.
var Schema = schema
