package bridge

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

func TestTasksApplyTheResultAfterTheWorkIsDone(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewTasks()
	defer tasks.Close()
	var applied atomic.Int32
	tasks.Go(func(ctx context.Context) func() {
		return func() { applied.Add(1) }
	})
	tasks.Wait()
	if applied.Load() != 1 {
		t.Fatalf("applied %d times", applied.Load())
	}
}

func TestTasksCloseCancelsWaitsAndDropsLateResults(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewTasks()
	started := make(chan struct{})
	var applied, sawCancel atomic.Bool
	tasks.Go(func(ctx context.Context) func() {
		close(started)
		select {
		case <-ctx.Done():
			sawCancel.Store(true)
		case <-time.After(10 * time.Second):
		}
		return func() { applied.Store(true) }
	})
	<-started
	tasks.Close() // returns only once the task has
	if !sawCancel.Load() {
		t.Error("the task's context was not canceled by Close")
	}
	if applied.Load() {
		t.Error("a result arriving after Close was applied")
	}
	ran := false
	tasks.Go(func(context.Context) func() { ran = true; return nil })
	tasks.Wait()
	if ran {
		t.Error("Go after Close started work")
	}
}

func TestQueuedTasksApplyOnTheGoroutineThatWaits(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewQueuedTasks()
	defer tasks.Close()
	var order []string
	tasks.Go(func(ctx context.Context) func() {
		return func() {
			order = append(order, "first")
			tasks.Go(func(context.Context) func() { return func() { order = append(order, "second") } })
		}
	})
	time.Sleep(10 * time.Millisecond)
	if len(order) != 0 {
		t.Fatal("a queued result was applied before Wait")
	}
	tasks.Wait()
	if len(order) != 2 || order[1] != "second" {
		t.Errorf("applied %v, want the result and the one it started", order)
	}
}

func TestLoopRunsUntilCloseAndWaitDoesNotWaitForIt(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewQueuedTasks()
	var ticks atomic.Int32
	ended := make(chan struct{})
	tasks.Loop(func(ctx context.Context) {
		defer close(ended)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Millisecond):
				tasks.Do(func() { ticks.Add(1) })
			}
		}
	})
	done := make(chan struct{})
	go func() { tasks.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait waited for a running loop")
	}
	for ticks.Load() == 0 {
		tasks.Drain()
		time.Sleep(time.Millisecond)
	}
	tasks.Close()
	select {
	case <-ended:
	default:
		t.Fatal("Close returned before the loop ended")
	}
	before := ticks.Load()
	tasks.Do(func() { ticks.Add(1) })
	tasks.Drain()
	if ticks.Load() != before {
		t.Error("Do after Close ran its function")
	}
}

func TestDoFromAnyGoroutineRunsOnTheOneThatDrains(t *testing.T) {
	test.NewTempApp(t)
	tasks := NewQueuedTasks()
	defer tasks.Close()
	ran := make(chan struct{})
	go tasks.Do(func() { close(ran) })
	deadline := time.Now().Add(5 * time.Second)
	for {
		if tasks.Drain() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the function sent with Do never arrived")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-ran:
	default:
		t.Fatal("Drain counted a function it did not run")
	}
}
