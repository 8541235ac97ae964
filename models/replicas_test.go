package models_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"investportal/models"
)

// Only a replica that went away is marked down; a statement the standby
// cancelled is read again elsewhere; a page's own timeout is neither.
func TestReplicaFailureTellsTheServerFromThePage(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		down, again bool
	}{
		{"conflict with recovery", &pgconn.PgError{Code: "40001"}, false, true},
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true, true},
		{"server starting", &pgconn.PgError{Code: "57P03"}, true, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true, true},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false, false},
		{"request deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false, false},
		{"visitor left", context.Canceled, false, false},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, true},
		{"a bug", errors.New("nil map"), false, false},
	} {
		if down, again := models.ReplicaFailure(tc.err); down != tc.down || again != tc.again {
			t.Errorf("%s: down %v, again %v; want %v, %v", tc.name, down, again, tc.down, tc.again)
		}
	}
}
