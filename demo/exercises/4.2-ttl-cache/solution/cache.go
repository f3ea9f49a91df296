// Package cache реализует in-memory кэш с TTL и защитой от cache stampede.
package cache

import (
	"context"
	"sync"
	"time"
)

// Loader загружает значение из источника (БД, другого сервиса).
type Loader[V any] func(ctx context.Context, key string) (V, error)

type entry[V any] struct {
	val       V
	expiresAt time.Time
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// Cache — потокобезопасный read-through кэш с TTL.
type Cache[V any] struct {
	ttl  time.Duration
	now  func() time.Time
	load Loader[V]

	mu       sync.Mutex
	entries  map[string]entry[V]
	inflight map[string]*call[V]
}

// New создаёт кэш. now == nil означает time.Now.
func New[V any](ttl time.Duration, now func() time.Time, load Loader[V]) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[V]{
		ttl:      ttl,
		now:      now,
		load:     load,
		entries:  make(map[string]entry[V]),
		inflight: make(map[string]*call[V]),
	}
}

// Get возвращает значение из кэша или загружает его, объединяя одновременные загрузки.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if c.now().Before(e.expiresAt) {
			c.mu.Unlock()
			return e.val, nil
		}
		delete(c.entries, key)
	}
	cl, ok := c.inflight[key]
	if !ok {
		cl = &call[V]{done: make(chan struct{})}
		c.inflight[key] = cl
		go c.doLoad(ctx, key, cl)
	}
	c.mu.Unlock()

	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (c *Cache[V]) doLoad(ctx context.Context, key string, cl *call[V]) {
	// Загрузка не должна обрываться, если первый вызвавший ушёл: её ждут другие.
	cl.val, cl.err = c.load(context.WithoutCancel(ctx), key)
	c.mu.Lock()
	if cl.err == nil {
		c.entries[key] = entry[V]{val: cl.val, expiresAt: c.now().Add(c.ttl)}
	}
	delete(c.inflight, key)
	c.mu.Unlock()
	close(cl.done)
}

// Invalidate удаляет ключ из кэша.
func (c *Cache[V]) Invalidate(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// Len возвращает число неистёкших записей.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	n := 0
	for k, e := range c.entries {
		if now.Before(e.expiresAt) {
			n++
		} else {
			delete(c.entries, k)
		}
	}
	return n
}
