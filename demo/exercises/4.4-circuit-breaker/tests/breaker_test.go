package breaker

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var errBoom = errors.New("upstream unavailable")

func fail() error    { return errBoom }
func succeed() error { return nil }

func mustState(t *testing.T, b *Breaker, want State) {
	t.Helper()
	if got := b.State(); got != want {
		t.Fatalf("State() = %v, want %v", got, want)
	}
}

// openBreaker создаёт breaker и размыкает его threshold неудачами.
func openBreaker(t *testing.T, s Settings) (*Breaker, *fakeClock) {
	t.Helper()
	clock := newClock()
	s.Now = clock.Now
	b := New(s)
	for i := 0; i < s.FailureThreshold; i++ {
		_ = b.Execute(fail)
	}
	mustState(t, b, Open)
	return b, clock
}

func TestClosedPassesCallsThrough(t *testing.T) {
	b := New(Settings{FailureThreshold: 3, OpenTimeout: time.Second, Now: newClock().Now})
	called := 0
	if err := b.Execute(func() error { called++; return nil }); err != nil || called != 1 {
		t.Fatalf("Execute(success), calls = %v, %d, want <nil>, 1", err, called)
	}
	if err := b.Execute(fail); err != errBoom {
		t.Fatalf("Execute(fail) = %v, want the function's own error", err)
	}
	mustState(t, b, Closed)
}

func TestOpensAfterConsecutiveFailures(t *testing.T) {
	b := New(Settings{FailureThreshold: 3, OpenTimeout: time.Second, Now: newClock().Now})
	_ = b.Execute(fail)
	_ = b.Execute(fail)
	_ = b.Execute(succeed) // успех обнуляет счётчик
	_ = b.Execute(fail)
	_ = b.Execute(fail)
	mustState(t, b, Closed)
	_ = b.Execute(fail)
	mustState(t, b, Open)
	called := false
	if err := b.Execute(func() error { called = true; return nil }); !errors.Is(err, ErrOpen) {
		t.Errorf("Execute in Open = %v, want ErrOpen", err)
	}
	if called {
		t.Error("function must not be called while the breaker is open")
	}
}

func TestOpenBecomesHalfOpenAfterTimeout(t *testing.T) {
	b, clock := openBreaker(t, Settings{FailureThreshold: 2, OpenTimeout: 10 * time.Second})
	clock.Advance(10*time.Second - time.Nanosecond)
	mustState(t, b, Open)
	if err := b.Execute(succeed); !errors.Is(err, ErrOpen) {
		t.Fatalf("Execute just before timeout = %v, want ErrOpen", err)
	}
	clock.Advance(time.Nanosecond)
	mustState(t, b, HalfOpen)
}

func TestHalfOpenClosesAfterEnoughSuccesses(t *testing.T) {
	b, clock := openBreaker(t, Settings{FailureThreshold: 1, OpenTimeout: time.Second, HalfOpenMaxCalls: 2})
	clock.Advance(time.Second)
	if err := b.Execute(succeed); err != nil {
		t.Fatalf("first probe = %v, want nil", err)
	}
	mustState(t, b, HalfOpen)
	if err := b.Execute(succeed); err != nil {
		t.Fatalf("second probe = %v, want nil", err)
	}
	mustState(t, b, Closed)
	_ = b.Execute(succeed)
	mustState(t, b, Closed)
}

func TestHalfOpenFailureReopensWithFreshTimeout(t *testing.T) {
	b, clock := openBreaker(t, Settings{FailureThreshold: 1, OpenTimeout: 5 * time.Second, HalfOpenMaxCalls: 3})
	clock.Advance(5 * time.Second)
	_ = b.Execute(succeed)
	if err := b.Execute(fail); err != errBoom {
		t.Fatalf("failing probe = %v, want errBoom", err)
	}
	mustState(t, b, Open)
	clock.Advance(5*time.Second - time.Nanosecond) // таймаут отсчитывается заново
	mustState(t, b, Open)
	clock.Advance(time.Nanosecond)
	mustState(t, b, HalfOpen)
}

func TestHalfOpenLimitsProbes(t *testing.T) {
	b, clock := openBreaker(t, Settings{FailureThreshold: 1, OpenTimeout: time.Second, HalfOpenMaxCalls: 1})
	clock.Advance(time.Second)
	started := make(chan struct{})
	release := make(chan struct{})
	probeDone := make(chan error, 1)
	go func() {
		probeDone <- b.Execute(func() error {
			close(started)
			<-release
			return nil
		})
	}()
	select {
	case <-started:
	case <-time.After(time.Second):
		t.Fatal("probe was not let through in half-open state")
	}
	called := false
	if err := b.Execute(func() error { called = true; return nil }); !errors.Is(err, ErrTooManyRequests) {
		t.Errorf("second call during probe = %v, want ErrTooManyRequests", err)
	}
	if called {
		t.Error("second call must not reach the upstream")
	}
	close(release)
	if err := <-probeDone; err != nil {
		t.Fatalf("probe = %v", err)
	}
	mustState(t, b, Closed)
}

var errNotFound = errors.New("not found")

func TestIsFailureFiltersBusinessErrors(t *testing.T) {
	b := New(Settings{
		FailureThreshold: 1,
		OpenTimeout:      time.Second,
		IsFailure:        func(err error) bool { return err != nil && !errors.Is(err, errNotFound) },
		Now:              newClock().Now,
	})
	for i := 0; i < 5; i++ {
		wrapped := fmt.Errorf("user 42: %w", errNotFound)
		if err := b.Execute(func() error { return wrapped }); err != wrapped {
			t.Fatalf("Execute = %v, want the business error returned as is", err)
		}
	}
	mustState(t, b, Closed)
	_ = b.Execute(fail)
	mustState(t, b, Open)
}

func TestOnStateChangeReportsTransitions(t *testing.T) {
	var got []string
	clock := newClock()
	b := New(Settings{
		FailureThreshold: 2,
		OpenTimeout:      time.Second,
		Now:              clock.Now,
		OnStateChange:    func(from, to State) { got = append(got, from.String()+"->"+to.String()) },
	})
	_ = b.Execute(fail)
	_ = b.Execute(fail)
	clock.Advance(time.Second)
	_ = b.Execute(fail)
	clock.Advance(time.Second)
	_ = b.Execute(succeed)
	want := "[closed->open open->half-open half-open->open open->half-open half-open->closed]"
	if fmt.Sprint(got) != want {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}

func TestResultFromPreviousStateIsIgnored(t *testing.T) {
	clock := newClock()
	b := New(Settings{FailureThreshold: 1, OpenTimeout: time.Second, Now: clock.Now})
	started := make(chan struct{})
	release := make(chan struct{})
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		_ = b.Execute(func() error { // начат в Closed
			close(started)
			<-release
			return nil
		})
	}()
	select {
	case <-started:
	case <-time.After(time.Second):
		t.Fatal("slow call did not start")
	}
	_ = b.Execute(fail) // размыкает
	clock.Advance(time.Second)
	mustState(t, b, HalfOpen)
	close(release) // успех старого вызова не должен замкнуть breaker
	<-slowDone
	mustState(t, b, HalfOpen)
}

func TestZeroSettingsUseDefaults(t *testing.T) {
	clock := newClock()
	b := New(Settings{Now: clock.Now})
	for i := 0; i < 4; i++ {
		_ = b.Execute(fail)
	}
	mustState(t, b, Closed)
	_ = b.Execute(fail)
	mustState(t, b, Open) // порог по умолчанию — 5
	clock.Advance(29 * time.Second)
	mustState(t, b, Open)
	clock.Advance(time.Second)
	mustState(t, b, HalfOpen) // таймаут по умолчанию — 30 с
	_ = b.Execute(succeed)
	mustState(t, b, Closed) // один пробный вызов по умолчанию
}

func TestPanicCountsAsFailureAndPropagates(t *testing.T) {
	b := New(Settings{FailureThreshold: 1, OpenTimeout: time.Second, Now: newClock().Now})
	func() {
		defer func() {
			if r := recover(); r != "driver bug" {
				t.Errorf("recovered = %v, want the original panic value", r)
			}
		}()
		_ = b.Execute(func() error { panic("driver bug") })
	}()
	mustState(t, b, Open)
}

func TestConcurrentUse(t *testing.T) {
	b := New(Settings{FailureThreshold: 3, OpenTimeout: time.Hour, Now: newClock().Now})
	var called, rejected atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				err := b.Execute(func() error {
					called.Add(1)
					return errBoom
				})
				if errors.Is(err, ErrOpen) {
					rejected.Add(1)
				} else if err != errBoom {
					t.Errorf("unexpected error %v", err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if called.Load()+rejected.Load() != 800 {
		t.Errorf("called %d + rejected %d != 800", called.Load(), rejected.Load())
	}
	if called.Load() < 3 || called.Load() > 3+8 {
		t.Errorf("upstream called %d times; breaker should open after 3 failures (plus at most one in-flight call per goroutine)", called.Load())
	}
	mustState(t, b, Open)
}
