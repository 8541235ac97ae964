package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestFolderStoresAndRefusesUnsafeNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	f := Folder{Dir: dir}
	ctx := context.Background()
	if err := f.Put(ctx, "0123abcd.png", []byte("png bytes")); err != nil {
		t.Fatal(err)
	}
	file, err := f.Open(ctx, "0123abcd.png")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(file)
	file.Close()
	if string(data) != "png bytes" {
		t.Errorf("read %q", data)
	}
	for _, name := range []string{"../escape.png", "a/b.png", "", ".hidden", "..", "x\x00.png"} {
		if err := f.Put(ctx, name, []byte("x")); err == nil {
			t.Errorf("Put(%q) accepted", name)
		}
		if _, err := f.Open(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.png")); err == nil {
		t.Error("a file escaped the folder")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1 (no temporary files left)", len(entries))
	}
}
