package server

import "github.com/lockstep-dev/lockstep/graph"

// FastListsServed is how many lists s wrote without gqlgen (0 with
// Config.PlainGQLGen).
func FastListsServed(s *Server) int64 {
	if s.fast == nil {
		return 0
	}
	return s.fast.served.Load()
}

// FastListsDropped lists the plain fields the schema does not allow the
// fast path to write.
func FastListsDropped() []string {
	_, dropped := newFastLists(graph.NewExecutableSchema(graph.Config{}).Schema())
	return dropped
}

// FastRootsServed is how many root values (Query.account, Query.network) s wrote without
// gqlgen.
func FastRootsServed(s *Server) int64 {
	if s.fast == nil {
		return 0
	}
	return s.fast.rootsServed.Load()
}
