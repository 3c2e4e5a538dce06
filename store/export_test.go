package store

// Schema exposes the migration statements to the external tests. A function,
// not a variable: other files append to schema in init, after package
// variables are initialised.
func Schema() []string { return schema }
