// Package pool — пул воркеров с корректной остановкой.
package pool

import (
	"context"
	"errors"
	"sync"
)

// Job — задача; ctx отменяется только при принудительной остановке.
type Job func(ctx context.Context)

var (
	ErrClosed    = errors.New("pool: closed")
	ErrQueueFull = errors.New("pool: queue is full")
)

// Pool выполняет задачи фиксированным числом горутин.
type Pool struct {
	jobs   chan Job
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	closed bool
}

// New запускает workers воркеров с очередью на queueSize задач.
func New(workers, queueSize int) *Pool {
	if workers < 1 {
		workers = 1
	}
	if queueSize < 0 {
		queueSize = 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{
		jobs:   make(chan Job, queueSize),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	var wg sync.WaitGroup
	wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer wg.Done()
			p.work()
		}()
	}
	go func() {
		wg.Wait()
		cancel() // освобождаем ресурсы контекста
		close(p.done)
	}()
	return p
}

func (p *Pool) work() {
	for job := range p.jobs {
		if p.ctx.Err() != nil {
			continue // принудительная остановка: оставшиеся в очереди задачи выбрасываем
		}
		p.run(job)
	}
}

func (p *Pool) run(job Job) {
	defer func() { _ = recover() }() // паника в задаче не должна убивать воркер
	job(p.ctx)
}

// Submit ставит задачу в очередь, не блокируясь.
func (p *Pool) Submit(job Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	select {
	case p.jobs <- job:
		return nil
	default:
		return ErrQueueFull
	}
}

// Shutdown перестаёт принимать задачи и ждёт завершения уже принятых.
// Если ctx истёк раньше, отменяет контекст задач и возвращает ctx.Err().
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()

	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		select {
		case <-p.done: // успели одновременно с дедлайном — это успех
			return nil
		default:
		}
		p.cancel()
		return ctx.Err()
	}
}

// Done закрывается, когда все воркеры завершились.
func (p *Pool) Done() <-chan struct{} { return p.done }
