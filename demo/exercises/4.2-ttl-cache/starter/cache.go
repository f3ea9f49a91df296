// Package cache реализует in-memory кэш с TTL и защитой от cache stampede.
package cache

import (
	"context"
	"errors"
	"time"
)

// Loader загружает значение из источника (БД, другого сервиса).
type Loader[V any] func(ctx context.Context, key string) (V, error)

// Cache — потокобезопасный read-through кэш с TTL.
type Cache[V any] struct {
	// TODO: поля кэша.
}

// New создаёт кэш. now == nil означает time.Now.
func New[V any](ttl time.Duration, now func() time.Time, load Loader[V]) *Cache[V] {
	return &Cache[V]{}
}

// Get возвращает значение из кэша или загружает его, объединяя одновременные загрузки.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, error) {
	var zero V
	return zero, errors.New("not implemented")
}

// Invalidate удаляет ключ из кэша.
func (c *Cache[V]) Invalidate(key string) {}

// Len возвращает число неистёкших записей.
func (c *Cache[V]) Len() int { return 0 }
