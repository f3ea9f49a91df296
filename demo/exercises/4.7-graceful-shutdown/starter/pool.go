// Package pool — пул воркеров с корректной остановкой.
package pool

import (
	"context"
	"errors"
)

// Job — задача; ctx отменяется только при принудительной остановке.
type Job func(ctx context.Context)

var (
	ErrClosed    = errors.New("pool: closed")
	ErrQueueFull = errors.New("pool: queue is full")
)

// Pool выполняет задачи фиксированным числом горутин.
type Pool struct {
	// TODO: поля.
}

// New запускает workers воркеров с очередью на queueSize задач.
func New(workers, queueSize int) *Pool {
	return &Pool{}
}

// Submit ставит задачу в очередь, не блокируясь.
func (p *Pool) Submit(job Job) error {
	// TODO
	return errors.New("pool: Submit not implemented")
}

// Shutdown перестаёт принимать задачи и ждёт завершения уже принятых.
// Если ctx истёк раньше, отменяет контекст задач и возвращает ctx.Err().
func (p *Pool) Shutdown(ctx context.Context) error {
	// TODO
	return nil
}

// Done закрывается, когда все воркеры завершились.
func (p *Pool) Done() <-chan struct{} {
	// TODO
	return nil
}
