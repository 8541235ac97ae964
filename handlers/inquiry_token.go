package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
)

// statusTokenPattern is what a status token looks like (32 random-looking
// bytes, base64url); anything else cannot exist.
// submissionKeyLength is the length of the form's random submission key.
const submissionKeyLength = 22

var statusTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// newSubmissionKey marks one rendering of the form, so that sending it
// twice stores one inquiry.
func newSubmissionKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:submissionKeyLength]
}

// statusToken is the secret in an investor's status link. It is derived
// from the form's submission key with the server's secret, so a resent
// form leads to the same link; only its SHA-256 is stored.
func (h *Handler) statusToken(submissionKey string) string {
	mac := hmac.New(sha256.New, h.secret)
	mac.Write([]byte("inquiry-status\x00" + submissionKey))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

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
