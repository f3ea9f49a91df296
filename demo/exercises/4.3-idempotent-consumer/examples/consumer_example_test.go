package consumer

import (
	"context"
	"testing"
)

func TestExampleRedeliveryIsIgnored(t *testing.T) {
	charged := 0
	c := NewConsumer(func(ctx context.Context, m Message) error {
		charged++ // списание денег — нельзя делать дважды
		return nil
	}, 1000, 5)

	ctx := context.Background()
	m := Message{ID: "order-42", Body: []byte(`{"amount":100}`), Attempt: 1}
	if d := c.Handle(ctx, m); d != Ack {
		t.Fatalf("first delivery = %v, want ack", d)
	}
	m.Attempt = 2 // брокер доставил сообщение повторно (at-least-once)
	if d := c.Handle(ctx, m); d != Ack {
		t.Fatalf("redelivery = %v, want ack", d)
	}
	if charged != 1 {
		t.Fatalf("charges = %d, want 1", charged)
	}
}
