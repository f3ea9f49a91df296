package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestExampleRetriesDeadlock(t *testing.T) {
	var slept []time.Duration
	p := Policy{
		MaxAttempts: 3,
		BaseDelay:   50 * time.Millisecond,
		MaxDelay:    time.Second,
		Rand:        func(n int64) int64 { return n - 1 }, // всегда верхняя граница
		Sleep: func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			return nil
		},
	}
	calls := 0
	err := Do(context.Background(), p, func(ctx context.Context) error {
		calls++
		if calls == 1 {
			return &PgError{Code: "40P01", Message: "deadlock detected"}
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err, calls = %v, %d, want <nil>, 2", err, calls)
	}
	if len(slept) != 1 || slept[0] != 50*time.Millisecond {
		t.Fatalf("sleeps = %v, want [50ms]", slept)
	}
}

func TestExampleDoesNotRetryUniqueViolation(t *testing.T) {
	if IsRetryable(&PgError{Code: "23505"}) {
		t.Fatal("23505 (unique_violation) must not be retried")
	}
	if !IsRetryable(errors.Join(errors.New("ping"), ErrConnLost)) {
		t.Fatal("ErrConnLost must be retried")
	}
}
