// Package consumer обрабатывает сообщения брокера с at-least-once доставкой.
package consumer

import (
	"context"
	"errors"
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
	// TODO: поля.
}

// NewConsumer создаёт обработчик, помнящий до capacity последних обработанных ID.
func NewConsumer(h Handler, capacity, maxAttempts int) *Consumer {
	return &Consumer{}
}

// Handle обрабатывает доставку и возвращает решение для брокера.
func (c *Consumer) Handle(ctx context.Context, m Message) Decision {
	// TODO
	return 0
}

// Seen сообщает, помнит ли обработчик успешную обработку id.
func (c *Consumer) Seen(id string) bool {
	// TODO
	return false
}
