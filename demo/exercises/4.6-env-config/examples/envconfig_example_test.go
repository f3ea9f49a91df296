package envconfig

import (
	"errors"
	"testing"
	"time"
)

type exampleConfig struct {
	Addr    string        `env:"HTTP_ADDR" default:":8080"`
	Timeout time.Duration `env:"HTTP_TIMEOUT" default:"5s"`
	DB      struct {
		URL      string `env:"URL" required:"true"`
		MaxConns int    `env:"MAX_CONNS" default:"20"`
	} `prefix:"DB_"`
}

func fakeEnv(vars map[string]string) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := vars[key]
		return v, ok
	}
}

// testRunnerTaskID=2
func TestExampleLoad(t *testing.T) {
	var cfg exampleConfig
	err := Load(&cfg, fakeEnv(map[string]string{"DB_URL": "postgres://db/orders", "HTTP_TIMEOUT": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.Timeout != 2*time.Second || cfg.DB.URL != "postgres://db/orders" || cfg.DB.MaxConns != 20 {
		t.Fatalf("unexpected config %+v", cfg)
	}
}

// testRunnerTaskID=3
func TestExampleMissingRequired(t *testing.T) {
	var cfg exampleConfig
	err := Load(&cfg, fakeEnv(nil))
	var fe *FieldError
	if !errors.Is(err, ErrRequired) || !errors.As(err, &fe) || fe.Env != "DB_URL" {
		t.Fatalf("Load = %v, want a required error for DB_URL", err)
	}
}
