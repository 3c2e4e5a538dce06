// Package generate builds synthetic worlds with ground truth: organic
// account activity with its hard cases (carrier NAT pools, family devices,
// a campus address, celebrities, VPN users) and planted coordinated
// networks of four kinds (enumeration rings on rotating datacenter
// addresses, multi-country rings with shared devices, slow camouflaged
// rings, and lockstep rings that share nothing but their timing). Every
// detection test and benchmark measures itself against a world's truth.
//
// A world is deterministic for its Config (same seed, same bytes) and is
// written in time order without ever holding its events in memory: events
// are spilled to one temporary file per window day and each day is sorted
// on its own. docs/GENERATOR.md describes what each kind looks like and
// the truth.json schema.
package generate
