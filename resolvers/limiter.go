package resolvers

import (
	"sync"

	"golang.org/x/time/rate"
)

// syncMap is a map of limiters; it forgets everything when it grows past
// maxLimiters (the keys are API key ids, a few hundred at most, so that
// happens only under attack and then only resets buckets to full).
type syncMap struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

const maxLimiters = 10000

func (s *syncMap) get(key string, mk func() *rate.Limiter) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.m[key]; ok {
		return l
	}
	if s.m == nil || len(s.m) >= maxLimiters {
		s.m = make(map[string]*rate.Limiter)
	}
	l := mk()
	s.m[key] = l
	return l
}
