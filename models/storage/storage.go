// Package storage keeps uploaded files behind a small interface: a local
// folder now, an object store later, without the handlers noticing.
package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Store keeps files by name. Names are chosen by the portal, never by the
// uploader.
type Store interface {
	Put(ctx context.Context, name string, data []byte) error
	Open(ctx context.Context, name string) (File, error)
}

// File is a stored file, readable from any position (for range requests).
type File interface {
	io.ReadSeekCloser
}

// ErrNotFound is returned for a name the store does not hold.
var ErrNotFound = errors.New("file not found")

var safeName = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$`)

// Folder stores files in a local directory.
type Folder struct {
	Dir string
}

func (f Folder) path(name string) (string, error) {
	if !safeName.MatchString(name) || name == "." || name == ".." {
		return "", errors.New("storage: unsafe file name")
	}
	return filepath.Join(f.Dir, name), nil
}

// Put writes a file through a temporary one and a rename, so a reader
// never sees half a file.
func (f Folder) Put(_ context.Context, name string, data []byte) error {
	path, err := f.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.Dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Open opens a stored file.
func (f Folder) Open(_ context.Context, name string) (File, error) {
	path, err := f.path(name)
	if err != nil {
		return nil, ErrNotFound
	}
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return file, err
}
