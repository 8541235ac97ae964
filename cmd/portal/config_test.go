package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	if cfg.Env != "development" || cfg.Addr != "127.0.0.1:8080" || cfg.DatabaseURL != "" || cfg.LocalDBDir != ".localdb" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if cfg.BaseURL.String() != "http://127.0.0.1:8080" || cfg.DBWait != 30*time.Second || cfg.Pool.MaxOpenConns != 20 {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	other, _ := loadConfig(env(nil))
	if len(cfg.SessionSecret) < 32 || string(cfg.SessionSecret) == string(other.SessionSecret) {
		t.Error("without PORTAL_SESSION_SECRET each start must get its own random secret")
	}
}

func TestLoadConfigReportsEveryBadValue(t *testing.T) {
	_, err := loadConfig(env(map[string]string{
		"PORTAL_ENV":                  "staging",
		"DATABASE_URL":                "mysql://x",
		"PORTAL_ADDR":                 "8080",
		"PORTAL_BASE_URL":             "/relative",
		"PORTAL_SESSION_SECRET":       "short",
		"PORTAL_LOG_LEVEL":            "loud",
		"PORTAL_DB_WAIT":              "-1s",
		"PORTAL_SHUTDOWN_GRACE":       "soon",
		"PORTAL_DB_MAX_CONNS":         "many",
		"PORTAL_TRUSTED_PROXIES":      "127.0.0.1, nginx.local",
		"PORTAL_REQUEST_TIMEOUT":      "1m",
		"PORTAL_DB_STATEMENT_TIMEOUT": "0s",
		"PORTAL_DEBUG_ADDR":           "0.0.0.0:6060",
		"PORTAL_METRICS_ADDR":         "10.0.0.1:9464",
		"DATABASE_REPLICA_URLS":       "postgres://replica/db, mysql://other",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"PORTAL_ENV", "DATABASE_URL", "PORTAL_ADDR", "PORTAL_BASE_URL", "PORTAL_SESSION_SECRET",
		"PORTAL_LOG_LEVEL", "PORTAL_DB_WAIT", "PORTAL_SHUTDOWN_GRACE", "PORTAL_DB_MAX_CONNS", "PORTAL_TRUSTED_PROXIES",
		"PORTAL_REQUEST_TIMEOUT", "PORTAL_DB_STATEMENT_TIMEOUT", "PORTAL_DEBUG_ADDR", "PORTAL_METRICS_ADDR", "DATABASE_REPLICA_URLS"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestProductionRequiresExplicitSettings(t *testing.T) {
	_, err := loadConfig(env(map[string]string{"PORTAL_ENV": "production"}))
	if err == nil {
		t.Fatal("production started without a database, a secret and https")
	}
	for _, name := range []string{"DATABASE_URL", "PORTAL_SESSION_SECRET", "PORTAL_BASE_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	cfg, err := loadConfig(env(map[string]string{
		"PORTAL_ENV":            "production",
		"DATABASE_URL":          "postgres://portal@db.internal/portal",
		"PORTAL_SESSION_SECRET": strings.Repeat("s", 32),
		"PORTAL_BASE_URL":       "https://invest.example.gov.cn/",
	}))
	if err != nil {
		t.Fatalf("good production configuration rejected: %v", err)
	}
	if cfg.BaseURL.String() != "https://invest.example.gov.cn" {
		t.Errorf("base URL = %q, want the trailing slash trimmed", cfg.BaseURL)
	}
}

func TestTrustedProxiesAreAddressesOrNetworks(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24 ::1"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range cfg.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "127.0.0.1/32 10.0.0.0/24 ::1/128" {
		t.Errorf("trusted proxies = %v", got)
	}
	for _, everyone := range []string{"0.0.0.0/0", "10.0.0.1, ::/0"} {
		if _, err := loadConfig(env(map[string]string{"PORTAL_TRUSTED_PROXIES": everyone})); err == nil {
			t.Errorf("PORTAL_TRUSTED_PROXIES=%s accepted", everyone)
		}
	}
	if cfg, _ := loadConfig(env(nil)); len(cfg.TrustedProxies) != 0 {
		t.Errorf("trusted by default: %v", cfg.TrustedProxies)
	}
}

// The README's configuration table names every variable the portal reads,
// with its default.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range configVars {
		row := "| `" + v.name + "` | "
		if v.def != "" && v.name != "PORTAL_SESSION_SECRET" {
			row += "`" + v.def + "`"
		}
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md's configuration table lacks %q", row)
		}
	}
}

func TestObjectStoreSettings(t *testing.T) {
	_, err := loadConfig(env(map[string]string{"PORTAL_S3_ENDPOINT": "http://127.0.0.1:8333"}))
	for _, name := range []string{"PORTAL_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if err == nil || !strings.Contains(err.Error(), name+": is required") {
			t.Errorf("an endpoint without %s: %v", name, err)
		}
	}
	_, err = loadConfig(env(map[string]string{"PORTAL_S3_ENDPOINT": "http://key:hunter2@store.example/bucket",
		"PORTAL_S3_BUCKET": "b", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}))
	if err == nil || !strings.Contains(err.Error(), "PORTAL_S3_ENDPOINT:") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("an endpoint with a path and credentials: %v", err)
	}
	cfg, err := loadConfig(env(map[string]string{"PORTAL_S3_ENDPOINT": "https://s3.example.com", "PORTAL_S3_BUCKET": "uploads",
		"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}))
	if err != nil || cfg.S3.Bucket != "uploads" || cfg.S3.SecretKey != "s" {
		t.Errorf("a full S3 setting: %+v, %v", cfg.S3, err)
	}
	if cfg, _ := loadConfig(env(nil)); cfg.S3.Endpoint != "" {
		t.Errorf("S3 by default: %+v", cfg.S3)
	}
}
