package teamsign

import "time"

// SetClock lets tests move the authority's clock.
func SetClock(a *Authority, now func() time.Time) { a.now = now }
