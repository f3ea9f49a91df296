package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const limit = time.Second

func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(limit):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func mustSubmit(t *testing.T, p *Pool, job Job) {
	t.Helper()
	if err := p.Submit(job); err != nil {
		t.Fatalf("Submit = %v, want nil", err)
	}
}

func shutdownAsync(p *Pool, ctx context.Context) <-chan error {
	res := make(chan error, 1)
	go func() { res <- p.Shutdown(ctx) }()
	return res
}

func waitErr(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(limit):
		t.Fatalf("timed out waiting for %s", what)
		return nil
	}
}

func TestJobsRunInParallel(t *testing.T) {
	p := New(3, 10)
	var arrived atomic.Int32
	all := make(chan struct{})
	for i := 0; i < 3; i++ {
		if err := p.Submit(func(ctx context.Context) {
			if arrived.Add(1) == 3 {
				close(all)
			}
			<-all
		}); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	within(t, all, "3 jobs to run at the same time on 3 workers")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestWorkerCountLimitsConcurrency(t *testing.T) {
	p := New(2, 10)
	var running, maxRunning, finished atomic.Int32
	for i := 0; i < 6; i++ {
		err := p.Submit(func(ctx context.Context) {
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			finished.Add(1)
		})
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if err := waitErr(t, shutdownAsync(p, context.Background()), "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if finished.Load() != 6 {
		t.Errorf("finished jobs = %d, want 6", finished.Load())
	}
	if maxRunning.Load() > 2 {
		t.Errorf("%d jobs ran at once with 2 workers", maxRunning.Load())
	}
}

func TestShutdownDrainsQueuedJobs(t *testing.T) {
	p := New(1, 10)
	started := make(chan struct{})
	release := make(chan struct{})
	var ran atomic.Int32
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-release
		ran.Add(1)
	})
	within(t, started, "the first job")
	for i := 0; i < 4; i++ {
		if err := p.Submit(func(ctx context.Context) { ran.Add(1) }); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	res := shutdownAsync(p, context.Background())
	select {
	case err := <-res:
		t.Fatalf("Shutdown returned %v while a job is still running", err)
	case <-time.After(30 * time.Millisecond):
	}
	close(release)
	if err := waitErr(t, res, "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v, want nil", err)
	}
	if ran.Load() != 5 {
		t.Errorf("jobs run = %d, want 5 (all accepted jobs, queued ones included)", ran.Load())
	}
	within(t, p.Done(), "Done() after Shutdown")
}

func TestSubmitAfterShutdownIsRejected(t *testing.T) {
	p := New(1, 10)
	started := make(chan struct{})
	release := make(chan struct{})
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-release
	})
	within(t, started, "the first job")
	res := shutdownAsync(p, context.Background())
	time.Sleep(10 * time.Millisecond)
	if err := p.Submit(func(ctx context.Context) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit during shutdown = %v, want ErrClosed", err)
	}
	close(release)
	if err := waitErr(t, res, "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := p.Submit(func(ctx context.Context) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after shutdown = %v, want ErrClosed", err)
	}
}

func TestSubmitDoesNotBlockWhenQueueIsFull(t *testing.T) {
	p := New(1, 2)
	started := make(chan struct{})
	release := make(chan struct{})
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-release
	})
	within(t, started, "the first job")
	for i := 0; i < 2; i++ {
		if err := p.Submit(func(ctx context.Context) {}); err != nil {
			t.Fatalf("Submit #%d into a queue of 2 = %v", i+1, err)
		}
	}
	errCh := make(chan error, 1)
	go func() { errCh <- p.Submit(func(ctx context.Context) {}) }()
	if err := waitErr(t, errCh, "Submit into a full queue (it must not block)"); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Submit into a full queue = %v, want ErrQueueFull", err)
	}
	close(release)
	if err := waitErr(t, shutdownAsync(p, context.Background()), "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestShutdownDeadlineCancelsJobsAndDropsQueue(t *testing.T) {
	p := New(1, 10)
	started := make(chan struct{})
	sawCancel := make(chan struct{})
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-ctx.Done() // долгая задача, которая уважает контекст
		close(sawCancel)
	})
	within(t, started, "the first job")
	var queuedRan atomic.Bool
	mustSubmit(t, p, func(ctx context.Context) { queuedRan.Store(true) })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := waitErr(t, shutdownAsync(p, ctx), "Shutdown with a deadline")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Errorf("Shutdown took %v with a 30ms deadline", time.Since(start))
	}
	within(t, sawCancel, "the running job to see its context cancelled")
	within(t, p.Done(), "workers to exit after forced shutdown")
	if queuedRan.Load() {
		t.Error("a queued job started after the shutdown deadline")
	}
}

func TestJobContextStaysAliveDuringGracefulDrain(t *testing.T) {
	p := New(1, 10)
	started := make(chan struct{})
	release := make(chan struct{})
	var ctxErr atomic.Value
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-release
		if err := ctx.Err(); err != nil {
			ctxErr.Store(err)
		}
	})
	within(t, started, "the job")
	res := shutdownAsync(p, context.Background())
	time.Sleep(10 * time.Millisecond)
	close(release)
	if err := waitErr(t, res, "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if v := ctxErr.Load(); v != nil {
		t.Errorf("job context was cancelled (%v) during a graceful shutdown", v)
	}
}

func TestPanickingJobDoesNotKillWorker(t *testing.T) {
	p := New(1, 10)
	done := make(chan struct{})
	mustSubmit(t, p, func(ctx context.Context) { panic("bad job") })
	mustSubmit(t, p, func(ctx context.Context) { close(done) })
	within(t, done, "the job after a panicking one")
	if err := waitErr(t, shutdownAsync(p, context.Background()), "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestShutdownIsIdempotent(t *testing.T) {
	p := New(2, 10)
	started := make(chan struct{})
	release := make(chan struct{})
	mustSubmit(t, p, func(ctx context.Context) {
		close(started)
		<-release
	})
	within(t, started, "the job")
	a := shutdownAsync(p, context.Background())
	b := shutdownAsync(p, context.Background())
	time.Sleep(10 * time.Millisecond)
	close(release)
	if err := waitErr(t, a, "first Shutdown"); err != nil {
		t.Errorf("first Shutdown = %v", err)
	}
	if err := waitErr(t, b, "second Shutdown"); err != nil {
		t.Errorf("second Shutdown = %v", err)
	}
	if err := waitErr(t, shutdownAsync(p, context.Background()), "third Shutdown"); err != nil {
		t.Errorf("Shutdown after completion = %v, want nil", err)
	}
}

func TestConcurrentSubmitAndShutdown(t *testing.T) {
	p := New(4, 64)
	var accepted, executed atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				err := p.Submit(func(ctx context.Context) { executed.Add(1) })
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, ErrClosed):
					return
				case errors.Is(err, ErrQueueFull):
				default:
					t.Errorf("Submit = %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	if err := waitErr(t, shutdownAsync(p, context.Background()), "Shutdown"); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	wg.Wait()
	if accepted.Load() == 0 || accepted.Load() != executed.Load() {
		t.Errorf("accepted %d jobs but executed %d: every accepted job must run", accepted.Load(), executed.Load())
	}
}
