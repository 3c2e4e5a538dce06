package server_test

import (
	"testing"

	"github.com/lockstep-dev/lockstep/server"
	"github.com/lockstep-dev/lockstep/store"
)

// TestNetworkHandles: a continuing network has its predecessor's handle,
// a new one its own, and network(id:) finds the lineage's newest network
// by handle.
func TestNetworkHandles(t *testing.T) {
	h := newHarness(t, server.Config{})
	type net struct{ ID, Handle, Label string }
	var got struct{ N1, N2a, N2b net }
	h.ok(viewer, `{ n1: network(id: "n1") { id handle label } n2a: network(id: "n2a") { id handle label } n2b: network(id: "n2b") { id handle label } }`, nil, &got)
	if !store.IsHandle(got.N1.Handle) || got.N2a.Handle != got.N1.Handle || !store.IsHandle(got.N2b.Handle) || got.N2b.Handle == got.N1.Handle {
		t.Errorf("handles n1 %q, n2a %q (continues n1), n2b %q (new)", got.N1.Handle, got.N2a.Handle, got.N2b.Handle)
	}
	var byHandle struct {
		Lineage, New *net
		Missing      *net
	}
	h.ok(viewer, `query($a: ID!, $b: ID!) { lineage: network(id: $a) { id handle } new: network(id: $b) { id } missing: network(id: "N-9999") { id } }`,
		map[string]any{"a": got.N1.Handle, "b": got.N2b.Handle}, &byHandle)
	if byHandle.Lineage == nil || byHandle.Lineage.ID != "n2a" || byHandle.New == nil || byHandle.New.ID != "n2b" || byHandle.Missing != nil {
		t.Errorf("by handle: %+v %+v missing %+v; want n2a, n2b, null", byHandle.Lineage, byHandle.New, byHandle.Missing)
	}
}
