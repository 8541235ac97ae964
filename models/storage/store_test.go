package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"investportal/models/storage"
	"investportal/models/storage/seaweed"
)

// Every store keeps the same promises; the bucket is tried against a real
// SeaweedFS on 127.0.0.1.
func TestStoresKeepTheSamePromises(t *testing.T) {
	server := seaweed.ForTest(t)
	bucket, err := storage.NewBucket(server.S3)
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]storage.Store{
		"folder": storage.Folder{Dir: filepath.Join(t.TempDir(), "uploads")},
		"bucket": bucket,
	} {
		t.Run(name, func(t *testing.T) { checkStore(t, store) })
	}
}

func checkStore(t *testing.T, store storage.Store) {
	ctx := context.Background()
	if err := store.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	data := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
	if err := store.Put(ctx, "0123abcd.png", data); err != nil {
		t.Fatal(err)
	}
	file, err := store.Open(ctx, "0123abcd.png")
	if err != nil {
		t.Fatal(err)
	}
	size, err := file.Seek(0, io.SeekEnd)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Seek to the end = %d, %v; want %d", size, err, len(data))
	}
	// A range, as http.ServeContent reads one.
	if _, err := file.Seek(500_003, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 7)
	if _, err := io.ReadFull(file, part); err != nil || string(part) != "3456789" {
		t.Fatalf("read %q, %v at 500 003", part, err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	whole, err := io.ReadAll(file)
	if err != nil || !bytes.Equal(whole, data) {
		t.Fatalf("read back %d bytes, %v; want %d", len(whole), err, len(data))
	}
	_ = file.Close()

	if _, err := store.Open(ctx, "ffff0000.png"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open of a missing file = %v, want ErrNotFound", err)
	}
	for _, name := range []string{"../escape.png", "a/b.png", "", ".hidden", "..", "x\x00.png", "%2e%2e"} {
		if err := store.Put(ctx, name, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", name)
		}
		if _, err := store.Open(ctx, name); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", name, err)
		}
	}
	if err := store.Delete(ctx, "0123abcd.png"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, "0123abcd.png"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
	if err := store.Delete(ctx, "0123abcd.png"); err != nil {
		t.Errorf("deleting a file twice: %v", err)
	}
}

// A store that is down is not ready, and says so rather than hanging.
func TestBucketNotReadyWhenTheStoreIsDown(t *testing.T) {
	server := seaweed.ForTest(t)
	cfg := server.S3
	bucket, err := storage.NewBucket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	wrongKeys := cfg
	wrongKeys.SecretKey = "not-the-secret"
	other, _ := storage.NewBucket(wrongKeys)
	if err := other.Check(context.Background()); err == nil {
		t.Error("a bucket reached with a wrong secret is ready")
	}
	missing := cfg
	missing.Bucket = "no-such-bucket"
	other, _ = storage.NewBucket(missing)
	if err := other.Check(context.Background()); err == nil {
		t.Error("a missing bucket is ready")
	}
	// A wrong bucket is a setting to fix, not a missing file.
	if _, err := other.Open(context.Background(), "0123abcd.png"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open in a missing bucket = %v, want an error other than not found", err)
	}
	server.Stop()
	if err := bucket.Check(context.Background()); err == nil {
		t.Error("a stopped store is ready")
	}
	if err := bucket.Put(context.Background(), "0123abcd.png", []byte("x")); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Put to a stopped store = %v, want ErrUnavailable", err)
	}
	if _, err := bucket.Open(context.Background(), "0123abcd.png"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open on a stopped store = %v, want ErrUnavailable", err)
	}
}

func TestBucketRefusesBadEndpoints(t *testing.T) {
	for _, endpoint := range []string{"", "127.0.0.1:8333", "ftp://h", "http://", "http://h/path", "http://u:p@h", "http://h?x=1"} {
		if _, err := storage.NewBucket(storage.S3Config{Endpoint: endpoint, Bucket: "b"}); err == nil {
			t.Errorf("endpoint %q accepted", endpoint)
		}
	}
	if _, err := storage.NewBucket(storage.S3Config{Endpoint: "http://127.0.0.1:1"}); err == nil {
		t.Error("no bucket accepted")
	}
}
