package transfer

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
)

// etaSample is the time left the batch showed at one moment.
type etaSample struct {
	at  time.Time
	eta time.Duration // 0: none shown
	// estimating: no figure because too little was measured yet
	estimating bool
}

// etaTrace is a batch's time-left figures against the time it really took.
type etaTrace struct {
	start, end time.Time
	samples    []etaSample
}

// errors judges the figures shown between from and to (fractions of the
// batch's length) with at least minLeft really left: the worst and the mean
// relative error, and how many samples showed a figure of how many taken.
func (tr etaTrace) errors(from, to float64, minLeft time.Duration) (worst, mean float64, shown, taken int) {
	total := tr.end.Sub(tr.start)
	var sum float64
	for _, s := range tr.samples {
		at := float64(s.at.Sub(tr.start)) / float64(total)
		left := tr.end.Sub(s.at)
		if at < from || at >= to || left < minLeft {
			continue
		}
		taken++
		if s.eta <= 0 {
			continue
		}
		shown++
		off := float64((s.eta - left).Abs()) / float64(left)
		worst = max(worst, off)
		sum += off
	}
	if shown > 0 {
		mean = sum / float64(shown)
	}
	return worst, mean, shown, taken
}

// lean says whether the figures between from and to were mostly too long
// or too short.
func (tr etaTrace) lean(from, to float64) string {
	total := tr.end.Sub(tr.start)
	long, short := 0, 0
	for _, s := range tr.samples {
		at := float64(s.at.Sub(tr.start)) / float64(total)
		if at < from || at >= to || s.eta <= 0 {
			continue
		}
		if s.eta > tr.end.Sub(s.at) {
			long++
		} else {
			short++
		}
	}
	if long >= short {
		return "mostly long"
	}
	return "mostly short"
}

// jump is the most the figure moved, between two samples in a row, other
// than by counting down the time between them: as a fraction of the figure
// (of figures over timeLeftFloor).
func (tr etaTrace) jump() float64 {
	worst := 0.0
	for i := 1; i < len(tr.samples); i++ {
		a, b := tr.samples[i-1], tr.samples[i]
		if a.eta < timeLeftFloor || b.eta <= 0 {
			continue
		}
		moved := (b.eta - a.eta + b.at.Sub(a.at)).Abs()
		worst = max(worst, float64(moved)/float64(a.eta))
	}
	return worst
}

func (tr etaTrace) String() string {
	s := fmt.Sprintf("batch took %s; figure moved by up to %.0f %% in a sample;", tr.end.Sub(tr.start).Round(100*time.Millisecond), 100*tr.jump())
	for _, p := range []struct {
		name     string
		from, to float64
	}{{"early", 0, 1.0 / 3}, {"mid", 1.0 / 3, 2.0 / 3}, {"late", 2.0 / 3, 1}} {
		worst, mean, shown, taken := tr.errors(p.from, p.to, timeLeftFloor)
		s += fmt.Sprintf(" %s: worst %.0f %%, mean %.0f %%, %s (%d of %d shown);", p.name, 100*worst, 100*mean, tr.lean(p.from, p.to), shown, taken)
	}
	return s
}

// timeLeftFloor is the least real time left a figure is judged at: under
// it a tenth of a second of scheduling is a large part of the answer.
const timeLeftFloor = 1500 * time.Millisecond

// traceTimeLeft uploads n files of about size bytes, conc at a time, over a
// link that carries bandwidth bytes/s per connection and answers after
// latency, and notes the time left the batch shows every 100 ms; conc 0
// lets the engine choose.
func traceTimeLeft(t *testing.T, n, size, conc int, bandwidth int64, latency time.Duration) etaTrace {
	t.Helper()
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: bandwidth, Latency: latency}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), n, size, ".bin")
	e := r.engine(func(c *Config) {
		c.ChunkSize = 8 << 20
		c.Concurrency = conc
		c.ProgressInterval = 100 * time.Millisecond
		c.Options.ResourceType = "raw"
	})
	var tr etaTrace
	e.Add(itemsFor(paths)...)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		b := e.Batch()
		now := time.Now()
		if b.Finished() && b.Total == n {
			tr.end = now
			break
		}
		if now.After(deadline) {
			t.Fatalf("the batch did not finish: %+v", b)
		}
		if tr.start.IsZero() && b.Active > 0 {
			tr.start = now
		}
		if !tr.start.IsZero() {
			tr.samples = append(tr.samples, etaSample{now, b.ETA, b.Active > 0 && b.Estimating})
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b := e.Batch(); b.Done != n {
		t.Fatalf("%d of %d uploaded (%d failed)", b.Done, n, b.Failed)
	}
	return tr
}

// With more files than upload slots, the time left holds from early in the
// batch: judged against the time the batch really took to finish (while
// more than timeLeftFloor was left), every figure shown from a sixth of the
// way on is within timeLeftBound of it, and one is shown by a fifth of the
// way. Counting the speed of the last seconds over the bytes left was up to
// half off in the first third of this batch (the first files had not yet
// paid their round trips), and a fifth short at its end (the last round
// leaves slots idle).
func TestTimeLeftHoldsEarlyInABatchWithMoreFilesThanSlots(t *testing.T) {
	// 60 files of 20–25 KB, 4 at a time, 100 KB/s per connection and 300 ms
	// per answer: each file's round trip costs more than its bytes.
	tr := traceTimeLeft(t, 60, 20_000, 4, 100_000, 300*time.Millisecond)
	t.Log(tr)
	judgeTimeLeft(t, tr, 1.0/6, 0.2)
}

// Choosing the concurrency itself, the engine says nothing while it is
// still raising it (the speed then says little of the rest of the batch),
// and once it says a time left it holds.
func TestTimeLeftWaitsForTheEngineToSettleItsConcurrency(t *testing.T) {
	tr := traceTimeLeft(t, 300, 40_000, 0, 100_000, 150*time.Millisecond)
	t.Log(tr)
	judgeTimeLeft(t, tr, 0, 0.6)
}

// timeLeftBound is how far off the real time left a figure may be: a
// quarter, against the half the old figure was off by.
const timeLeftBound = 0.25

// maxJump is the most the figure may move in 100 ms, beyond counting down.
const maxJump = 0.2

// judgeTimeLeft fails when a figure shown from the fraction from of the
// batch on strays more than timeLeftBound, or none is shown by shownBy, or
// it jumps.
func judgeTimeLeft(t *testing.T, tr etaTrace, from, shownBy float64) {
	t.Helper()
	if _, _, shown, taken := tr.errors(0, shownBy, 0); taken > 0 && shown == 0 {
		t.Errorf("no time left was shown in the first %.0f %% of the batch", 100*shownBy)
	}
	if j := tr.jump(); j > maxJump {
		t.Errorf("the time left jumped by %.0f %% from one sample to the next", 100*j)
	}
	// Until the first figure, the batch says it is estimating.
	for _, s := range tr.samples {
		if s.eta > 0 {
			break
		}
		if !s.estimating && s.at.Sub(tr.start) > 200*time.Millisecond {
			t.Errorf("at %s no time left was shown and none was being estimated", s.at.Sub(tr.start).Round(time.Millisecond))
			break
		}
	}
	for _, p := range []struct {
		name     string
		from, to float64
	}{{"early", from, 1.0 / 3}, {"mid", 1.0 / 3, 2.0 / 3}, {"late", 2.0 / 3, 1}} {
		worst, mean, _, _ := tr.errors(p.from, p.to, timeLeftFloor)
		if worst > timeLeftBound {
			t.Errorf("%s in the batch the time left was up to %.0f %% off (mean %.0f %%)", p.name, 100*worst, 100*mean)
		}
	}
}
