package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/outbox"
	"investportal/models/storage"
)

// Config is everything the portal reads from its environment, read once at
// start-up and passed down.
type Config struct {
	Env         string // development or production
	DatabaseURL string // empty: start the project-local cluster
	// ReplicaURLs are streaming replicas of DatabaseURL that anonymous
	// public pages may read from.
	ReplicaURLs   []string
	LocalDBDir    string
	Addr          string
	BaseURL       *url.URL
	SessionSecret []byte
	LogLevel      slog.Level
	DBWait        time.Duration
	Pool          models.PoolConfig
	ShutdownGrace time.Duration
	// RequestTimeout bounds how long a request may wait for the database.
	RequestTimeout time.Duration
	SMTPURL        string // empty: e-mail is logged, not sent
	MailFrom       string
	TeamEmail      string
	RetentionDays  int
	Desk           models.DeskRules
	BlockingDays   int
	UploadDir      string
	// S3, when its endpoint is set, keeps uploads in a bucket instead of
	// UploadDir.
	S3 storage.S3Config
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Request-ID headers are believed.
	TrustedProxies []*net.IPNet
	// DebugAddr, when set, serves net/http/pprof on its own loopback
	// listener, never on the public one.
	DebugAddr string
	// MetricsAddr, when set, serves Prometheus metrics on its own loopback
	// listener.
	MetricsAddr string
	// PageCacheBytes is the memory kept for rendered public pages; 0: none.
	PageCacheBytes int64
}

// configVar documents one environment variable; the README's table is
// written from the same names and defaults.
type configVar struct {
	name, def, help string
}

var configVars = []configVar{
	{"PORTAL_ENV", "development", "development or production; production requires DATABASE_URL, PORTAL_SESSION_SECRET and an https base URL"},
	{"DATABASE_URL", "", "PostgreSQL connection URL; when unset a project-local cluster is started under PORTAL_LOCAL_DB_DIR"},
	{"DATABASE_REPLICA_URLS", "", "PostgreSQL URLs of streaming replicas of DATABASE_URL, separated by commas; anonymous public pages read from one that has replayed every content change this instance knows of, anything else from the primary (see Running at scale)"},
	{"PORTAL_LOCAL_DB_DIR", ".localdb", "folder of the project-local cluster (git-ignored)"},
	{"PORTAL_ADDR", "127.0.0.1:8080", "host:port to listen on"},
	{"PORTAL_BASE_URL", "http://127.0.0.1:8080", "public base URL, used for canonical links and e-mails"},
	{"PORTAL_SESSION_SECRET", "", "at least 32 characters; when unset in development a random one is made per start"},
	{"PORTAL_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PORTAL_DB_WAIT", "30s", "how long to keep retrying while PostgreSQL is still starting"},
	{"PORTAL_DB_MAX_CONNS", "20", "largest number of open database connections"},
	{"PORTAL_DB_STATEMENT_TIMEOUT", "5s", "longest a database statement of the running portal may take before it is cancelled (the visitor gets a 503); portal migrate has no limit"},
	{"PORTAL_REQUEST_TIMEOUT", "15s", "longest a request may wait for the database, a free connection included, before it is answered with a 503; below the server's 30 s write timeout"},
	{"PORTAL_SHUTDOWN_GRACE", "15s", "how long in-flight requests may take to finish on SIGTERM"},
	{"PORTAL_SMTP_URL", "", "mail server, smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465; when unset, e-mail is logged instead of sent"},
	{"PORTAL_MAIL_FROM", "noreply@localhost", "sender address of the portal's e-mail"},
	{"PORTAL_INQUIRY_TEAM_EMAIL", "", "the staff team's address, told of every new inquiry and investor message; when unset, no team e-mail is written"},
	{"PORTAL_INQUIRY_RETENTION_DAYS", "730", "days after which the personal data of closed inquiries is removed"},
	{"PORTAL_RESPONSE_DAYS", "2", "working days within which an inquiry's first response is due (China's working calendar: holidays and make-up working days count as the State Council sets them)"},
	{"PORTAL_DORMANT_DAYS", "14", "days without any activity after which an open inquiry is marked dormant"},
	{"PORTAL_BLOCKING_DAYS", "14", "days a blocking problem of a signed project may stay open before the project's flag turns red"},
	{"PORTAL_UPLOAD_DIR", "uploads", "folder for images staff upload (git-ignored); every instance must share it"},
	{"PORTAL_S3_ENDPOINT", "", "URL of an S3-compatible object store (https://host, or http://127.0.0.1:port on the same machine) that keeps uploads instead of PORTAL_UPLOAD_DIR; unset: the folder"},
	{"PORTAL_S3_BUCKET", "", "the bucket for uploads; required with PORTAL_S3_ENDPOINT, and it must exist"},
	{"PORTAL_S3_REGION", "", "the store's region, where it has one"},
	{"AWS_ACCESS_KEY_ID", "", "the object store's access key; required with PORTAL_S3_ENDPOINT"},
	{"AWS_SECRET_ACCESS_KEY", "", "the object store's secret key; required with PORTAL_S3_ENDPOINT"},
	{"AWS_SESSION_TOKEN", "", "a temporary session token, where the store issued one with the keys"},
	{"PORTAL_DEBUG_ADDR", "", "loopback host:port (e.g. 127.0.0.1:6060) serving Go's pprof profiles on a listener of its own; unset: no profiles are served"},
	{"PORTAL_METRICS_ADDR", "", "loopback host:port (e.g. 127.0.0.1:9464) serving Prometheus metrics at /metrics on a listener of its own; unset: no metrics are served"},
	{"PORTAL_PAGE_CACHE_MB", "64", "memory for rendered public pages, which are served from it until their content changes (least recently and least often used go first); 0: every page is rendered per request"},
	{"PORTAL_TRUSTED_PROXIES", "", "addresses or CIDRs of the reverse proxies in front (e.g. 127.0.0.1 or 10.0.0.0/24); only from them are X-Forwarded-For and X-Request-ID believed; unset: the connection's address is the client's"},
}

// loadConfig reads and checks the environment, reporting every bad value at
// once so an operator can fix them in one go.
func loadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, cv := range configVars {
			if cv.name == name {
				return cv.def
			}
		}
		return ""
	}
	var problems []string
	bad := func(name, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", name, fmt.Sprintf(format, args...)))
	}

	cfg := Config{
		Env:         get("PORTAL_ENV"),
		DatabaseURL: get("DATABASE_URL"),
		LocalDBDir:  get("PORTAL_LOCAL_DB_DIR"),
		Addr:        get("PORTAL_ADDR"),
		Pool:        models.DefaultPool,
	}
	if cfg.Env != "development" && cfg.Env != "production" {
		bad("PORTAL_ENV", "%q is neither development nor production", cfg.Env)
	}
	production := cfg.Env == "production"

	if cfg.DatabaseURL != "" {
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL", "must be a postgres:// URL")
		}
	} else if production {
		bad("DATABASE_URL", "is required in production")
	}
	for _, replica := range strings.FieldsFunc(get("DATABASE_REPLICA_URLS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		u, err := url.Parse(replica)
		switch {
		case err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql"):
			bad("DATABASE_REPLICA_URLS", "each must be a postgres:// URL")
		case cfg.DatabaseURL == "":
			bad("DATABASE_REPLICA_URLS", "needs DATABASE_URL: a replica is of a primary the portal is told of")
		default:
			cfg.ReplicaURLs = append(cfg.ReplicaURLs, replica)
		}
	}

	if _, port, err := net.SplitHostPort(cfg.Addr); err != nil {
		bad("PORTAL_ADDR", "%q is not host:port", cfg.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("PORTAL_ADDR", "port %q is not a number from 0 to 65535", port)
	}

	base, err := url.Parse(get("PORTAL_BASE_URL"))
	switch {
	case err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https"):
		bad("PORTAL_BASE_URL", "must be an absolute http(s) URL such as https://invest.example.gov.cn")
	case production && base.Scheme != "https":
		bad("PORTAL_BASE_URL", "must use https in production")
	default:
		base.Path = strings.TrimSuffix(base.Path, "/")
		cfg.BaseURL = base
	}

	if secret := get("PORTAL_SESSION_SECRET"); secret != "" {
		if len(secret) < 32 {
			bad("PORTAL_SESSION_SECRET", "must be at least 32 characters")
		}
		cfg.SessionSecret = []byte(secret)
	} else if production {
		bad("PORTAL_SESSION_SECRET", "is required in production")
	} else {
		// Never a fixed default: a random secret means sessions end with the process.
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		cfg.SessionSecret = []byte(hex.EncodeToString(buf))
	}

	if err := cfg.LogLevel.UnmarshalText([]byte(get("PORTAL_LOG_LEVEL"))); err != nil {
		bad("PORTAL_LOG_LEVEL", "must be debug, info, warn or error")
	}
	cfg.DBWait = parseDuration(get, "PORTAL_DB_WAIT", bad)
	cfg.ShutdownGrace = parseDuration(get, "PORTAL_SHUTDOWN_GRACE", bad)

	cfg.Pool.StatementTimeout = parseDuration(get, "PORTAL_DB_STATEMENT_TIMEOUT", bad)
	cfg.RequestTimeout = parseDuration(get, "PORTAL_REQUEST_TIMEOUT", bad)
	if cfg.RequestTimeout >= handlers.WriteTimeout {
		bad("PORTAL_REQUEST_TIMEOUT", "must be shorter than the server's write timeout (%s)", handlers.WriteTimeout)
	}
	if n, err := strconv.Atoi(get("PORTAL_DB_MAX_CONNS")); err != nil || n < 1 || n > 1000 {
		bad("PORTAL_DB_MAX_CONNS", "must be a whole number from 1 to 1000")
	} else {
		cfg.Pool.MaxOpenConns = n
		cfg.Pool.MaxIdleConns = n
	}

	cfg.SMTPURL, cfg.MailFrom, cfg.TeamEmail = get("PORTAL_SMTP_URL"), get("PORTAL_MAIL_FROM"), get("PORTAL_INQUIRY_TEAM_EMAIL")
	if cfg.SMTPURL != "" {
		if _, err := outbox.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom); err != nil {
			bad("PORTAL_SMTP_URL", "%v", err)
		}
	}
	if cfg.TeamEmail != "" {
		if a, err := mail.ParseAddress(cfg.TeamEmail); err != nil || a.Address != cfg.TeamEmail {
			bad("PORTAL_INQUIRY_TEAM_EMAIL", "must be one plain e-mail address")
		}
	}
	if n, err := strconv.Atoi(get("PORTAL_INQUIRY_RETENTION_DAYS")); err != nil || n < 1 || n > 3650 {
		bad("PORTAL_INQUIRY_RETENTION_DAYS", "must be a whole number of days from 1 to 3650")
	} else {
		cfg.RetentionDays = n
	}
	if n, err := strconv.Atoi(get("PORTAL_RESPONSE_DAYS")); err != nil || n < 1 || n > 30 {
		bad("PORTAL_RESPONSE_DAYS", "must be a whole number of working days from 1 to 30")
	} else {
		cfg.Desk.ResponseDays = n
	}
	if n, err := strconv.Atoi(get("PORTAL_DORMANT_DAYS")); err != nil || n < 1 || n > 365 {
		bad("PORTAL_DORMANT_DAYS", "must be a whole number of days from 1 to 365")
	} else {
		cfg.Desk.DormantAfter = time.Duration(n) * 24 * time.Hour
	}
	if n, err := strconv.Atoi(get("PORTAL_BLOCKING_DAYS")); err != nil || n < 1 || n > 365 {
		bad("PORTAL_BLOCKING_DAYS", "must be a whole number of days from 1 to 365")
	} else {
		cfg.BlockingDays = n
	}
	cfg.UploadDir = get("PORTAL_UPLOAD_DIR")
	if endpoint := get("PORTAL_S3_ENDPOINT"); endpoint != "" {
		cfg.S3 = storage.S3Config{Endpoint: endpoint, Bucket: get("PORTAL_S3_BUCKET"), Region: get("PORTAL_S3_REGION"),
			AccessKey: get("AWS_ACCESS_KEY_ID"), SecretKey: get("AWS_SECRET_ACCESS_KEY"), SessionToken: get("AWS_SESSION_TOKEN")}
		if _, err := storage.NewBucket(cfg.S3); err != nil {
			bad("PORTAL_S3_ENDPOINT", "%v", err)
		}
		for name, value := range map[string]string{"PORTAL_S3_BUCKET": cfg.S3.Bucket, "AWS_ACCESS_KEY_ID": cfg.S3.AccessKey, "AWS_SECRET_ACCESS_KEY": cfg.S3.SecretKey} {
			if value == "" {
				bad(name, "is required with PORTAL_S3_ENDPOINT")
			}
		}
	}
	if list := get("PORTAL_TRUSTED_PROXIES"); list != "" {
		proxies, err := parseNetworks(list)
		if err != nil {
			bad("PORTAL_TRUSTED_PROXIES", "%v", err)
		}
		cfg.TrustedProxies = proxies
	}

	if n, err := strconv.Atoi(get("PORTAL_PAGE_CACHE_MB")); err != nil || n < 0 || n > 64<<10 {
		bad("PORTAL_PAGE_CACHE_MB", "must be a whole number of megabytes from 0 to 65536")
	} else {
		cfg.PageCacheBytes = int64(n) << 20
	}

	cfg.DebugAddr = loopbackAddr(get, "PORTAL_DEBUG_ADDR", "127.0.0.1:6060: profiles show the portal's internals", bad)
	cfg.MetricsAddr = loopbackAddr(get, "PORTAL_METRICS_ADDR", "127.0.0.1:9464: the figures are for the bureau's monitoring only", bad)

	if len(problems) > 0 {
		return cfg, errors.New("bad configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// loopbackAddr reads a host:port that must be on the loopback interface.
func loopbackAddr(get func(string) string, name, why string, bad func(string, string, ...any)) string {
	addr := get(name)
	if addr == "" {
		return ""
	}
	if host, _, err := net.SplitHostPort(addr); err != nil {
		bad(name, "%q is not host:port", addr)
	} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		bad(name, "must be a loopback address such as %s", why)
	}
	return addr
}

func parseDuration(get func(string) string, name string, bad func(string, string, ...any)) time.Duration {
	d, err := time.ParseDuration(get(name))
	if err != nil || d <= 0 {
		bad(name, "must be a positive duration such as 30s")
	}
	return d
}

// parseNetworks reads a list of addresses and CIDRs separated by commas or
// spaces; a lone address is a network of one.
func parseNetworks(list string) ([]*net.IPNet, error) {
	var networks []*net.IPNet
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(item, "/") {
			ip := net.ParseIP(item)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR", item)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			networks = append(networks, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR", item)
		}
		if ones, _ := n.Mask.Size(); ones == 0 {
			return nil, fmt.Errorf("%q would trust every address, and so believe anyone's X-Forwarded-For", item)
		}
		networks = append(networks, n)
	}
	return networks, nil
}
