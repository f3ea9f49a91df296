// Package retry повторяет операции с БД при временных ошибках.
package retry

import (
	"context"
	"errors"
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
	// TODO: реализуйте классификацию ошибок (errors.Is / errors.As).
	return false
}

// Backoff возвращает задержку перед повтором номер attempt (1 — после первой неудачи).
func (p Policy) Backoff(attempt int) time.Duration {
	// TODO: экспоненциальный потолок + full jitter.
	return 0
}

// Do вызывает op, повторяя её при временных ошибках согласно политике.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error) error {
	// TODO: цикл попыток.
	return errors.New("not implemented")
}
