// Package uitest holds test doubles shared by the ui packages' tests. It
// imports no driver (never fyne.io/fyne/v2/app), so tests stay headless.
package uitest

import (
	"sync"

	"fyne.io/fyne/v2"
)

// UIQueue stands in for the UI goroutine: functions meant for it (fyne.Do,
// a view's scheduler) wait here until the test's goroutine runs them with
// Drain, so widgets only ever change on one goroutine. Fyne's test driver
// would run them at once on whatever goroutine called, racing the test's
// own widget calls and rendering.
type UIQueue struct {
	mu  sync.Mutex
	fns []func()
}

// Push queues f for the next Drain.
func (q *UIQueue) Push(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

// Drain runs queued functions, including any they queue, until none is
// left, and says how many ran.
func (q *UIQueue) Drain() int {
	n := 0
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return n
		}
		for _, f := range fns {
			f()
		}
		n += len(fns)
	}
}

// App wraps a (test) app so that fyne.Do and fyne.DoAndWait from any
// goroutine queue on q instead of running at once.
func (q *UIQueue) App(a fyne.App) fyne.App {
	return queuedApp{App: a, d: queuedDriver{Driver: a.Driver(), q: q}}
}

type queuedDriver struct {
	fyne.Driver
	q *UIQueue
}

func (d queuedDriver) DoFromGoroutine(f func(), _ bool) { d.q.Push(f) }

type queuedApp struct {
	fyne.App
	d queuedDriver
}

func (a queuedApp) Driver() fyne.Driver { return a.d }
