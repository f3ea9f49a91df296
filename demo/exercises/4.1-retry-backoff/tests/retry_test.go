package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

type tempErr struct{ temp bool }

func (e tempErr) Error() string   { return fmt.Sprintf("temp=%v", e.temp) }
func (e tempErr) Temporary() bool { return e.temp }

// maxRand всегда возвращает максимально возможное значение n-1 и запоминает аргументы.
type maxRand struct{ args []int64 }

func (m *maxRand) Rand(n int64) int64 {
	m.args = append(m.args, n)
	return n - 1
}

type sleepRecorder struct{ delays []time.Duration }

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.delays = append(s.delays, d)
	return nil
}

func TestIsRetryableClassification(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"serialization failure", &PgError{Code: "40001"}, true},
		{"deadlock", &PgError{Code: "40P01"}, true},
		{"unique violation", &PgError{Code: "23505"}, false},
		{"wrapped deadlock", fmt.Errorf("update order: %w", &PgError{Code: "40P01"}), true},
		{"conn lost", ErrConnLost, true},
		{"wrapped conn lost", fmt.Errorf("query: %w", ErrConnLost), true},
		{"temporary true", tempErr{true}, true},
		{"temporary false", tempErr{false}, false},
		{"wrapped temporary", fmt.Errorf("dial: %w", tempErr{true}), true},
		{"plain error", errors.New("boom"), false},
		{"canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"canceled joined with conn lost", errors.Join(context.Canceled, ErrConnLost), false},
	}
	for _, c := range cases {
		if got := IsRetryable(c.err); got != c.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

func TestBackoffCeilingGrowsAndCaps(t *testing.T) {
	r := &maxRand{}
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Rand: r.Rand}
	want := []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, time.Second, time.Second,
	}
	for i, w := range want {
		if got := p.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	for i, n := range r.args {
		if n != int64(want[i])+1 {
			t.Errorf("call %d: Rand(%d), want Rand(%d) (jitter in [0, ceiling])", i, n, int64(want[i])+1)
		}
	}
}

func TestBackoffFullJitterUsesRand(t *testing.T) {
	p := Policy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second,
		Rand: func(n int64) int64 { return 0 }}
	if got := p.Backoff(3); got != 0 {
		t.Errorf("Backoff with Rand=0 = %v, want 0", got)
	}
	p.Rand = func(n int64) int64 { return n / 2 }
	if got := p.Backoff(2); got != time.Duration((int64(200*time.Millisecond)+1)/2) {
		t.Errorf("Backoff(2) with Rand=n/2 = %v, want about 100ms", got)
	}
}

func TestBackoffNoOverflow(t *testing.T) {
	r := &maxRand{}
	p := Policy{BaseDelay: time.Second, MaxDelay: time.Hour, Rand: r.Rand}
	for _, attempt := range []int{40, 63, 64, 100, 1000} {
		if got := p.Backoff(attempt); got != time.Hour {
			t.Errorf("Backoff(%d) = %v, want %v", attempt, got, time.Hour)
		}
	}
	p = Policy{BaseDelay: time.Hour, MaxDelay: time.Duration(math.MaxInt64 / 3), Rand: r.Rand}
	if got := p.Backoff(200); got <= 0 || got > p.MaxDelay {
		t.Errorf("Backoff(200) with huge MaxDelay = %v, want in (0, MaxDelay]", got)
	}
}

func TestDoSuccessAfterTransientErrors(t *testing.T) {
	s := &sleepRecorder{}
	r := &maxRand{}
	p := Policy{MaxAttempts: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second, Rand: r.Rand, Sleep: s.Sleep}
	calls := 0
	err := Do(context.Background(), p, func(ctx context.Context) error {
		calls++
		if calls < 3 {
			return &PgError{Code: "40001", Message: "could not serialize access"}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Do() = %v, want <nil>", err)
	}
	if calls != 3 {
		t.Errorf("op calls = %d, want 3", calls)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}
	if fmt.Sprint(s.delays) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v", s.delays, want)
	}
}

func TestDoStopsOnPermanentError(t *testing.T) {
	s := &sleepRecorder{}
	perm := &PgError{Code: "23505", Message: "duplicate key"}
	calls := 0
	err := Do(context.Background(), Policy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Second, Sleep: s.Sleep},
		func(ctx context.Context) error {
			calls++
			return perm
		})
	if err != perm {
		t.Errorf("Do returned %v, want the permanent error itself", err)
	}
	if calls != 1 || len(s.delays) != 0 {
		t.Errorf("calls, sleeps = %d, %d, want 1, 0", calls, len(s.delays))
	}
}

func TestDoExhaustedWrapsLastError(t *testing.T) {
	s := &sleepRecorder{}
	calls := 0
	var last error
	err := Do(context.Background(), Policy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Second,
		Rand: func(n int64) int64 { return 0 }, Sleep: s.Sleep},
		func(ctx context.Context) error {
			calls++
			last = fmt.Errorf("attempt %d: %w", calls, ErrConnLost)
			return last
		})
	if calls != 4 {
		t.Errorf("op calls = %d, want 4", calls)
	}
	if len(s.delays) != 3 {
		t.Errorf("sleeps = %d, want 3 (no sleep after the last attempt)", len(s.delays))
	}
	if !errors.Is(err, ErrExhausted) {
		t.Errorf("errors.Is(err, ErrExhausted) = false for %v", err)
	}
	if !errors.Is(err, last) || !errors.Is(err, ErrConnLost) {
		t.Errorf("error %v must wrap the last attempt error", err)
	}
}

func TestDoZeroAttemptsMeansOne(t *testing.T) {
	calls := 0
	err := Do(context.Background(), Policy{Sleep: func(context.Context, time.Duration) error { return nil }},
		func(ctx context.Context) error {
			calls++
			return ErrConnLost
		})
	if calls != 1 {
		t.Errorf("op calls = %d, want 1", calls)
	}
	if !errors.Is(err, ErrExhausted) || !errors.Is(err, ErrConnLost) {
		t.Errorf("Do returned %v, want ErrExhausted wrapping ErrConnLost", err)
	}
}

func TestDoCancelledDuringSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	p := Policy{MaxAttempts: 10, BaseDelay: time.Millisecond, MaxDelay: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}}
	err := Do(ctx, p, func(ctx context.Context) error {
		calls++
		return ErrConnLost
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do returned %v, want context.Canceled", err)
	}
	if calls != 1 {
		t.Errorf("op calls after cancellation = %d, want 1", calls)
	}
}

func TestDoAlreadyCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Do(ctx, Policy{MaxAttempts: 3}, func(ctx context.Context) error {
		calls++
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Do on cancelled ctx: err=%v calls=%d, want context.Canceled and 0", err, calls)
	}
}

func TestDoRealSleepHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Do(ctx, Policy{MaxAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour,
		Rand: func(n int64) int64 { return n - 1 }},
		func(ctx context.Context) error { return ErrConnLost })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do returned %v, want context.DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("default sleep ignored the context")
	}
}
