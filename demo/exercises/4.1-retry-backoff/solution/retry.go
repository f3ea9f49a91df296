// Package retry повторяет операции с БД при временных ошибках.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// ErrConnLost — соединение с БД потеряно (временная ошибка).
var ErrConnLost = errors.New("connection lost")

// ErrExhausted оборачивается в ошибку Do, когда попытки закончились.
var ErrExhausted = errors.New("retry: attempts exhausted")

// PgError — упрощённая ошибка PostgreSQL с SQLSTATE-кодом.
type PgError struct {
	Code    string
	Message string
}

func (e *PgError) Error() string { return "pg: " + e.Code + ": " + e.Message }

// Policy описывает стратегию повторов.
type Policy struct {
	MaxAttempts int                                              // всего попыток, включая первую (< 1 — считать 1)
	BaseDelay   time.Duration                                    // потолок задержки перед первым повтором
	MaxDelay    time.Duration                                    // максимальный потолок задержки
	Rand        func(n int64) int64                              // случайное число в [0, n); nil — math/rand/v2.Int64N
	Sleep       func(ctx context.Context, d time.Duration) error // nil — реальное ожидание с учётом ctx
}

// IsRetryable сообщает, имеет ли смысл повторить операцию после err.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrConnLost) {
		return true
	}
	var pgErr *PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) {
		return temp.Temporary()
	}
	return false
}

// Backoff возвращает задержку перед повтором номер attempt (1 — после первой неудачи).
func (p Policy) Backoff(attempt int) time.Duration {
	if attempt < 1 || p.BaseDelay <= 0 || p.MaxDelay <= 0 {
		return 0
	}
	ceiling := p.BaseDelay
	for i := 1; i < attempt && ceiling < p.MaxDelay; i++ {
		if ceiling > p.MaxDelay/2 { // удвоение превысит потолок (и может переполнить int64)
			ceiling = p.MaxDelay
			break
		}
		ceiling *= 2
	}
	if ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	if ceiling == math.MaxInt64 {
		return time.Duration(rnd(math.MaxInt64))
	}
	return time.Duration(rnd(int64(ceiling) + 1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Do вызывает op, повторяя её при временных ошибках согласно политике.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error) error {
	attempts := p.MaxAttempts
	if attempts < 1 {
		attempts = 1
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var err error
	for attempt := 1; ; attempt++ {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		err = op(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if attempt >= attempts {
			return fmt.Errorf("%w after %d attempts: %w", ErrExhausted, attempt, err)
		}
		if sleepErr := sleep(ctx, p.Backoff(attempt)); sleepErr != nil {
			return sleepErr
		}
	}
}
