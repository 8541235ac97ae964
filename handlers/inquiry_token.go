package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
)

// An investor's status link holds a token made from the inquiry's random
// status key with the server's secret; only the token's SHA-256 is stored,
// to find the inquiry by. The form carries its own random submission key,
// so that sending it twice stores one inquiry; only its SHA-256 is stored.
// Nothing the database holds opens a status page without the secret.

// randomKeyLength is the length of submission and status keys.
const randomKeyLength = 22

// statusTokenPattern is what a status token looks like (32 random-looking
// bytes, base64url); anything else cannot exist.
var statusTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// newRandomKey is a fresh submission key (one rendering of the form) or
// status key (one inquiry): 128 random bits, base64url.
func newRandomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:randomKeyLength]
}

// statusToken is the secret in an investor's status link, made from the
// inquiry's status key with the server's secret, so that e-mails written
// later (a staff reply) can link to the same page.
func (h *Handler) statusToken(statusKey string) string {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte("inquiry-status\x00" + statusKey))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// tokenHash is how a status token or submission key is stored.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// keyedHash pseudonymises a value (a client address) for storage.
func (h *Handler) keyedHash(purpose, value string) []byte {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte(purpose + "\x00" + value))
	return mac.Sum(nil)
}
