//go:build unix

package detect

import "syscall"

// cpuTime returns the process's CPU time so far (user + system), in
// seconds, or 0 where getrusage is unavailable.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
