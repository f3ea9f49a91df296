// Package consumer обрабатывает сообщения брокера с at-least-once доставкой.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Message — доставка сообщения из очереди.
type Message struct {
	ID      string // идентификатор, одинаковый у всех повторных доставок
	Body    []byte
	Attempt int // номер доставки, начиная с 1
}

// Decision — что сказать брокеру после обработки.
type Decision int

const (
	Ack     Decision = iota + 1 // подтвердить, удалить из очереди
	Requeue                     // nack с возвратом в очередь
	Reject                      // nack без возврата (в DLQ)
)

func (d Decision) String() string {
	switch d {
	case Ack:
		return "ack"
	case Requeue:
		return "requeue"
	case Reject:
		return "reject"
	}
	return "invalid"
}

// ErrPermanent помечает ошибки, которые бессмысленно повторять.
var ErrPermanent = errors.New("permanent failure")

// Handler выполняет бизнес-логику для одного сообщения.
type Handler func(ctx context.Context, m Message) error

// Consumer вызывает Handler не более одного успешного раза на ID.
type Consumer struct {
	handle      Handler
	capacity    int
	maxAttempts int

	mu       sync.Mutex
	done     map[string]struct{}
	ring     []string // обработанные ID, не больше capacity
	next     int      // позиция самого старого ID, когда ring заполнен
	inFlight map[string]struct{}
}

// NewConsumer создаёт обработчик, помнящий до capacity последних обработанных ID.
func NewConsumer(h Handler, capacity, maxAttempts int) *Consumer {
	if capacity < 1 {
		capacity = 1
	}
	if maxAttempts < 1 {
		maxAttempts = 1
	}
	return &Consumer{
		handle:      h,
		capacity:    capacity,
		maxAttempts: maxAttempts,
		done:        make(map[string]struct{}, capacity),
		ring:        make([]string, 0, capacity),
		inFlight:    make(map[string]struct{}),
	}
}

// Handle обрабатывает доставку и возвращает решение для брокера.
func (c *Consumer) Handle(ctx context.Context, m Message) Decision {
	if m.ID == "" {
		return Reject
	}
	c.mu.Lock()
	if _, ok := c.done[m.ID]; ok {
		c.mu.Unlock()
		return Ack
	}
	if _, ok := c.inFlight[m.ID]; ok || ctx.Err() != nil {
		c.mu.Unlock()
		return Requeue
	}
	c.inFlight[m.ID] = struct{}{}
	c.mu.Unlock()

	err := c.safeHandle(ctx, m)

	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inFlight, m.ID)
	if err == nil {
		c.remember(m.ID)
		return Ack
	}
	switch {
	case errors.Is(err, ErrPermanent):
		return Reject
	case ctx.Err() != nil: // прервали при остановке — сообщение не виновато
		return Requeue
	case m.Attempt >= c.maxAttempts:
		return Reject
	}
	return Requeue
}

func (c *Consumer) safeHandle(ctx context.Context, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return c.handle(ctx, m)
}

func (c *Consumer) remember(id string) {
	if len(c.ring) < c.capacity {
		c.ring = append(c.ring, id)
	} else {
		delete(c.done, c.ring[c.next])
		c.ring[c.next] = id
		c.next = (c.next + 1) % c.capacity
	}
	c.done[id] = struct{}{}
}

// Seen сообщает, помнит ли обработчик успешную обработку id.
func (c *Consumer) Seen(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.done[id]
	return ok
}
